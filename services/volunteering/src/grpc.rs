//! The tonic adapter: each RPC takes the verified caller from the request, calls the
//! service's method of the same name and maps its error through the one
//! `From<ServiceError> for Status`.

use civitas_proto::volunteering::v1 as api;
use civitas_proto::volunteering::v1::volunteering_service_server::{
    VolunteeringService, VolunteeringServiceServer,
};

use crate::service::Volunteering;

civitas_platform::grpc_service! {
    Volunteering as VolunteeringService, VolunteeringServiceServer {
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
}
