//! The tonic adapter: each RPC takes the verified caller from the request and calls the
//! service's method of the same name; errors map through the one
//! `From<ServiceError> for Status`.

use civitas_proto::safety::v1 as api;
use civitas_proto::safety::v1::safety_service_server::{SafetyService, SafetyServiceServer};

use crate::service::Safety;

civitas_platform::grpc_service! {
    Safety as SafetyService, SafetyServiceServer {
        report_incident(api::ReportIncidentRequest) -> api::ReportIncidentResponse;
        dispatch_incident(api::DispatchIncidentRequest) -> api::DispatchIncidentResponse;
        resolve_incident(api::ResolveIncidentRequest) -> api::ResolveIncidentResponse;
        close_incident(api::CloseIncidentRequest) -> api::CloseIncidentResponse;
        escalate_incident(api::EscalateIncidentRequest) -> api::EscalateIncidentResponse;
        schedule_patrol(api::SchedulePatrolRequest) -> api::SchedulePatrolResponse;
        complete_patrol(api::CompletePatrolRequest) -> api::CompletePatrolResponse;
        record_inspection(api::RecordInspectionRequest) -> api::RecordInspectionResponse;
        order_rectification(api::OrderRectificationRequest) -> api::OrderRectificationResponse;
        verify_rectification(api::VerifyRectificationRequest) -> api::VerifyRectificationResponse;
        get_incident(api::GetIncidentRequest) -> api::GetIncidentResponse;
        get_patrol(api::GetPatrolRequest) -> api::GetPatrolResponse;
        get_inspection(api::GetInspectionRequest) -> api::GetInspectionResponse;
        get_rectification(api::GetRectificationRequest) -> api::GetRectificationResponse;
    }
}
