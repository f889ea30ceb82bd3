//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service and maps its error through the one `From<ServiceError> for Status`.

use civitas_platform::auth::{caller, AuthInterceptor};
use civitas_platform::grpc::ServerLimits;
use civitas_proto::volunteering::v1 as api;
use civitas_proto::volunteering::v1::volunteering_service_server::{
    VolunteeringService, VolunteeringServiceServer,
};
use tonic::codegen::InterceptedService;
use tonic::{Request, Response, Status};

use crate::service::Volunteering;

impl Volunteering {
    /// The gRPC server for this service, behind the auth interceptor and with the
    /// message size limits applied.
    pub fn server(
        &self,
        limits: &ServerLimits,
        auth: AuthInterceptor,
    ) -> InterceptedService<VolunteeringServiceServer<Volunteering>, AuthInterceptor> {
        let server = VolunteeringServiceServer::new(self.clone())
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        InterceptedService::new(server, auth)
    }
}

/// Implements the service trait: every RPC is "verified caller → service method".
/// (One macro for the whole impl: `#[async_trait]` must see the expanded methods.)
macro_rules! rpcs {
    ($($name:ident($req:ty) -> $resp:ty;)*) => {
        #[tonic::async_trait]
        impl VolunteeringService for Volunteering {
            $(
                #[tracing::instrument(skip_all, fields(rpc = stringify!($name)))]
                async fn $name(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    let caller = caller(&request)?;
                    let response = Volunteering::$name(self, &caller, request.into_inner()).await?;
                    Ok(Response::new(response))
                }
            )*
        }
    };
}

rpcs! {
    register_volunteer(api::RegisterVolunteerRequest) -> api::RegisterVolunteerResponse;
    verify_volunteer(api::VerifyVolunteerRequest) -> api::VerifyVolunteerResponse;
    deactivate_volunteer(api::DeactivateVolunteerRequest) -> api::DeactivateVolunteerResponse;
    form_team(api::FormTeamRequest) -> api::FormTeamResponse;
    add_team_member(api::AddTeamMemberRequest) -> api::AddTeamMemberResponse;
    remove_team_member(api::RemoveTeamMemberRequest) -> api::RemoveTeamMemberResponse;
    publish_opportunity(api::PublishOpportunityRequest) -> api::PublishOpportunityResponse;
    assign_volunteer(api::AssignVolunteerRequest) -> api::AssignVolunteerResponse;
    cancel_assignment(api::CancelAssignmentRequest) -> api::CancelAssignmentResponse;
    check_in_volunteer(api::CheckInVolunteerRequest) -> api::CheckInVolunteerResponse;
    check_out_volunteer(api::CheckOutVolunteerRequest) -> api::CheckOutVolunteerResponse;
    submit_hours(api::SubmitHoursRequest) -> api::SubmitHoursResponse;
    approve_hours(api::ApproveHoursRequest) -> api::ApproveHoursResponse;
    decline_hours(api::DeclineHoursRequest) -> api::DeclineHoursResponse;
    reverse_hours(api::ReverseHoursRequest) -> api::ReverseHoursResponse;
    deposit_time_credits(api::DepositTimeCreditsRequest) -> api::DepositTimeCreditsResponse;
    redeem_time_credits(api::RedeemTimeCreditsRequest) -> api::RedeemTimeCreditsResponse;
    donate_time_credits(api::DonateTimeCreditsRequest) -> api::DonateTimeCreditsResponse;
    get_volunteer(api::GetVolunteerRequest) -> api::GetVolunteerResponse;
    get_team(api::GetTeamRequest) -> api::GetTeamResponse;
    get_opportunity(api::GetOpportunityRequest) -> api::GetOpportunityResponse;
}
