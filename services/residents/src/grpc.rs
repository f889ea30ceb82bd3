//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service's method of the same name and maps its error through the one
//! `From<ServiceError> for Status`.

use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_server::{
    ResidentsService, ResidentsServiceServer,
};

use crate::service::Residents;

civitas_platform::grpc_service! {
    Residents as ResidentsService, ResidentsServiceServer {
        register_household(api::RegisterHouseholdRequest) -> api::RegisterHouseholdResponse;
        register_resident(api::RegisterResidentRequest) -> api::RegisterResidentResponse;
        move_out_resident(api::MoveOutResidentRequest) -> api::MoveOutResidentResponse;
        release_resident(api::ReleaseResidentRequest) -> api::ReleaseResidentResponse;
        withdraw_release(api::WithdrawReleaseRequest) -> api::WithdrawReleaseResponse;
        accept_transfer(api::AcceptTransferRequest) -> api::AcceptTransferResponse;
        change_residence_type(api::ChangeResidenceTypeRequest) -> api::ChangeResidenceTypeResponse;
        verify_floating_residence(api::VerifyFloatingResidenceRequest) -> api::VerifyFloatingResidenceResponse;
        assign_care_category(api::AssignCareCategoryRequest) -> api::AssignCareCategoryResponse;
        revoke_care_category(api::RevokeCareCategoryRequest) -> api::RevokeCareCategoryResponse;
        erase_resident(api::EraseResidentRequest) -> api::EraseResidentResponse;
        launch_care_campaign(api::LaunchCareCampaignRequest) -> api::LaunchCareCampaignResponse;
        close_care_campaign(api::CloseCareCampaignRequest) -> api::CloseCareCampaignResponse;
        record_care_visit(api::RecordCareVisitRequest) -> api::RecordCareVisitResponse;
        close_referral(api::CloseReferralRequest) -> api::CloseReferralResponse;
        register_job_seeker(api::RegisterJobSeekerRequest) -> api::RegisterJobSeekerResponse;
        record_job_training(api::RecordJobTrainingRequest) -> api::RecordJobTrainingResponse;
        record_job_referral(api::RecordJobReferralRequest) -> api::RecordJobReferralResponse;
        record_placement(api::RecordPlacementRequest) -> api::RecordPlacementResponse;
        close_job_seeker_case(api::CloseJobSeekerCaseRequest) -> api::CloseJobSeekerCaseResponse;
        get_resident(api::GetResidentRequest) -> api::GetResidentResponse;
        get_household(api::GetHouseholdRequest) -> api::GetHouseholdResponse;
        find_resident_by_id_number(api::FindResidentByIdNumberRequest) -> api::FindResidentByIdNumberResponse;
        list_households(api::ListHouseholdsRequest) -> api::ListHouseholdsResponse;
        list_residents(api::ListResidentsRequest) -> api::ListResidentsResponse;
    }
}
