//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service and maps its error through the one `From<ServiceError> for Status`.

use civitas_platform::auth::{caller, AuthInterceptor};
use civitas_platform::grpc::ServerLimits;
use civitas_proto::safety::v1 as api;
use civitas_proto::safety::v1::safety_service_server::{SafetyService, SafetyServiceServer};
use tonic::codegen::InterceptedService;
use tonic::{Request, Response, Status};

use crate::service::Safety;

impl Safety {
    /// The gRPC server for this service, behind the auth interceptor and with the
    /// message size limits applied.
    pub fn server(
        &self,
        limits: &ServerLimits,
        auth: AuthInterceptor,
    ) -> InterceptedService<SafetyServiceServer<Safety>, AuthInterceptor> {
        let server = SafetyServiceServer::new(self.clone())
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
        impl SafetyService for Safety {
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
    report_incident(api::ReportIncidentRequest) -> api::ReportIncidentResponse => report_incident;
    dispatch_incident(api::DispatchIncidentRequest) -> api::DispatchIncidentResponse => dispatch_incident;
    resolve_incident(api::ResolveIncidentRequest) -> api::ResolveIncidentResponse => resolve_incident;
    close_incident(api::CloseIncidentRequest) -> api::CloseIncidentResponse => close_incident;
    escalate_incident(api::EscalateIncidentRequest) -> api::EscalateIncidentResponse => escalate_incident;
    schedule_patrol(api::SchedulePatrolRequest) -> api::SchedulePatrolResponse => schedule_patrol;
    complete_patrol(api::CompletePatrolRequest) -> api::CompletePatrolResponse => complete_patrol;
    record_inspection(api::RecordInspectionRequest) -> api::RecordInspectionResponse => record_inspection;
    order_rectification(api::OrderRectificationRequest) -> api::OrderRectificationResponse => order_rectification;
    verify_rectification(api::VerifyRectificationRequest) -> api::VerifyRectificationResponse => verify_rectification;
    get_incident(api::GetIncidentRequest) -> api::GetIncidentResponse => get_incident;
    get_patrol(api::GetPatrolRequest) -> api::GetPatrolResponse => get_patrol;
    get_inspection(api::GetInspectionRequest) -> api::GetInspectionResponse => get_inspection;
    get_rectification(api::GetRectificationRequest) -> api::GetRectificationResponse => get_rectification;
}
