//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service and maps its error through the one `From<ServiceError> for Status`.

use civitas_platform::auth::{caller, AuthInterceptor};
use civitas_platform::grpc::ServerLimits;
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_server::{
    ResidentsService, ResidentsServiceServer,
};
use tonic::codegen::InterceptedService;
use tonic::{Request, Response, Status};

use crate::service::Residents;

impl Residents {
    /// The gRPC server for this service, behind the auth interceptor and with the
    /// message size limits applied.
    pub fn server(
        &self,
        limits: &ServerLimits,
        auth: AuthInterceptor,
    ) -> InterceptedService<ResidentsServiceServer<Residents>, AuthInterceptor> {
        let server = ResidentsServiceServer::new(self.clone())
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        InterceptedService::new(server, auth)
    }
}

/// Implements the service trait: every RPC is "verified caller → service method".
/// (One macro for the whole impl: `#[async_trait]` must see the expanded methods.)
macro_rules! rpcs {
    ($($name:ident($req:ty) -> $resp:ty => $method:ident;)*) => {
        #[tonic::async_trait]
        impl ResidentsService for Residents {
            $(
                #[tracing::instrument(skip_all, fields(rpc = stringify!($name)))]
                async fn $name(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    let caller = caller(&request)?;
                    let response = self.$method(&caller, request.into_inner()).await?;
                    Ok(Response::new(response))
                }
            )*
        }
    };
}

rpcs! {
    register_household(api::RegisterHouseholdRequest) -> api::RegisterHouseholdResponse => register_household;
    register_resident(api::RegisterResidentRequest) -> api::RegisterResidentResponse => register_resident;
    move_out_resident(api::MoveOutResidentRequest) -> api::MoveOutResidentResponse => move_out;
    change_residence_type(api::ChangeResidenceTypeRequest) -> api::ChangeResidenceTypeResponse => change_residence_type;
    verify_floating_residence(api::VerifyFloatingResidenceRequest) -> api::VerifyFloatingResidenceResponse => verify_floating_residence;
    assign_care_category(api::AssignCareCategoryRequest) -> api::AssignCareCategoryResponse => assign_care_category;
    revoke_care_category(api::RevokeCareCategoryRequest) -> api::RevokeCareCategoryResponse => revoke_care_category;
    erase_resident(api::EraseResidentRequest) -> api::EraseResidentResponse => erase;
    get_resident(api::GetResidentRequest) -> api::GetResidentResponse => get_resident;
    get_household(api::GetHouseholdRequest) -> api::GetHouseholdResponse => get_household;
    find_resident_by_id_number(api::FindResidentByIdNumberRequest) -> api::FindResidentByIdNumberResponse => find_by_id_number;
}
