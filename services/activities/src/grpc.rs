//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service and maps its error through the one `From<ServiceError> for Status`.

use civitas_platform::auth::{caller, AuthInterceptor};
use civitas_platform::grpc::ServerLimits;
use civitas_proto::activities::v1 as api;
use civitas_proto::activities::v1::activities_service_server::{
    ActivitiesService, ActivitiesServiceServer,
};
use tonic::codegen::InterceptedService;
use tonic::{Request, Response, Status};

use crate::service::Activities;

impl Activities {
    /// The gRPC server for this service, behind the auth interceptor and with the
    /// message size limits applied.
    pub fn server(
        &self,
        limits: &ServerLimits,
        auth: AuthInterceptor,
    ) -> InterceptedService<ActivitiesServiceServer<Activities>, AuthInterceptor> {
        let server = ActivitiesServiceServer::new(self.clone())
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
        impl ActivitiesService for Activities {
            $(
                #[tracing::instrument(skip_all, fields(rpc = stringify!($name)))]
                async fn $name(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    let caller = caller(&request)?;
                    let response = Activities::$name(self, &caller, request.into_inner()).await?;
                    Ok(Response::new(response))
                }
            )*
        }
    };
}

rpcs! {
    add_planned_item(api::AddPlannedItemRequest) -> api::AddPlannedItemResponse;
    publish_annual_plan(api::PublishAnnualPlanRequest) -> api::PublishAnnualPlanResponse;
    amend_annual_plan(api::AmendAnnualPlanRequest) -> api::AmendAnnualPlanResponse;
    schedule_activity(api::ScheduleActivityRequest) -> api::ScheduleActivityResponse;
    register_participant(api::RegisterParticipantRequest) -> api::RegisterParticipantResponse;
    cancel_registration(api::CancelRegistrationRequest) -> api::CancelRegistrationResponse;
    check_in_participant(api::CheckInParticipantRequest) -> api::CheckInParticipantResponse;
    close_activity(api::CloseActivityRequest) -> api::CloseActivityResponse;
    cancel_activity(api::CancelActivityRequest) -> api::CancelActivityResponse;
    register_publicity_board(api::RegisterPublicityBoardRequest) -> api::RegisterPublicityBoardResponse;
    record_board_update(api::RecordBoardUpdateRequest) -> api::RecordBoardUpdateResponse;
    register_facility(api::RegisterFacilityRequest) -> api::RegisterFacilityResponse;
    record_facility_maintenance(api::RecordFacilityMaintenanceRequest) -> api::RecordFacilityMaintenanceResponse;
    get_activity(api::GetActivityRequest) -> api::GetActivityResponse;
    get_annual_plan(api::GetAnnualPlanRequest) -> api::GetAnnualPlanResponse;
}
