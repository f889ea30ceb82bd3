//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! handler of the same name and maps its error through the one
//! `From<ServiceError> for Status`.

use civitas_proto::activities::v1 as api;
use civitas_proto::activities::v1::activities_service_server::{
    ActivitiesService, ActivitiesServiceServer,
};

use crate::service::Activities;

civitas_platform::grpc_service! {
    Activities as ActivitiesService, ActivitiesServiceServer {
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
        submit_monthly_report(api::SubmitMonthlyReportRequest) -> api::SubmitMonthlyReportResponse;
        approve_monthly_report(api::ApproveMonthlyReportRequest) -> api::ApproveMonthlyReportResponse;
        withdraw_report_approval(api::WithdrawReportApprovalRequest) -> api::WithdrawReportApprovalResponse;
        record_good_deed(api::RecordGoodDeedRequest) -> api::RecordGoodDeedResponse;
        publish_good_deed(api::PublishGoodDeedRequest) -> api::PublishGoodDeedResponse;
        retract_good_deed(api::RetractGoodDeedRequest) -> api::RetractGoodDeedResponse;
        register_co_building_unit(api::RegisterCoBuildingUnitRequest) -> api::RegisterCoBuildingUnitResponse;
        sign_co_building_agreement(api::SignCoBuildingAgreementRequest) -> api::SignCoBuildingAgreementResponse;
        record_co_building_contribution(api::RecordCoBuildingContributionRequest) -> api::RecordCoBuildingContributionResponse;
        record_station_service(api::RecordStationServiceRequest) -> api::RecordStationServiceResponse;
        record_contest(api::RecordContestRequest) -> api::RecordContestResponse;
        award_prize(api::AwardPrizeRequest) -> api::AwardPrizeResponse;
        record_campaign_milestone(api::RecordCampaignMilestoneRequest) -> api::RecordCampaignMilestoneResponse;
        record_funds_received(api::RecordFundsReceivedRequest) -> api::RecordFundsReceivedResponse;
        record_funds_spent(api::RecordFundsSpentRequest) -> api::RecordFundsSpentResponse;
        get_activity(api::GetActivityRequest) -> api::GetActivityResponse;
        get_annual_plan(api::GetAnnualPlanRequest) -> api::GetAnnualPlanResponse;
    }
}
