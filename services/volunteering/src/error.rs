//! The volunteering service's errors and their one mapping to gRPC statuses.

use civitas_platform::error as status;
use civitas_platform::write::WriteError;
use tonic::Status;

use crate::domain::{
    Ineligible, OpportunityError, ResidentId, TeamError, VolunteerError, VolunteerId,
};

/// Everything a volunteering RPC can fail with: the shared write steps' errors and the
/// three deciders' refusals.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Write(WriteError),
    #[error(transparent)]
    Volunteer(#[from] VolunteerError),
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Opportunity(#[from] OpportunityError),
    /// The resident does not live in the caller's community now.
    #[error("resident {0} does not live in this community")]
    NotAResident(ResidentId),
    /// The resident is already this volunteer of the caller's community.
    #[error("the resident is already volunteer {0} of this community")]
    AlreadyVolunteer(VolunteerId),
    /// The residents log could not be read to check a resident volunteer.
    #[error("the residents service could not be reached to check resident_id")]
    ResidentsUnavailable,
}

civitas_platform::service_error!(ServiceError);

fn other_community(what: &str) -> Status {
    Status::permission_denied(format!("the {what} belongs to another community"))
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Write(e) => e.into(),
            ServiceError::NotAResident(resident) => status::not_found(
                "resident",
                &format!("{resident} of this community (resident_id)"),
            ),
            already @ ServiceError::AlreadyVolunteer(_) => {
                status::already_exists_on("resident_id", already.to_string())
            }
            unavailable @ ServiceError::ResidentsUnavailable => {
                Status::unavailable(format!("{unavailable}; nothing was written, retry later"))
            }
            ServiceError::Volunteer(v) => match v {
                VolunteerError::RecipientNotFound => status::not_found("volunteer", "to receive"),
                VolunteerError::RecipientInOtherCommunity => other_community("recipient"),
                other => match other.invalid_field() {
                    Some(field) => status::invalid_argument(field, other.to_string()),
                    None => status::rule(other.field(), other.to_string()),
                },
            },
            ServiceError::Team(t) => match t {
                TeamError::Volunteer(Ineligible::NotFound) => {
                    status::not_found("volunteer", "to add")
                }
                TeamError::Volunteer(Ineligible::OtherCommunity) => other_community("volunteer"),
                other => status::rule(other.field(), other.to_string()),
            },
            ServiceError::Opportunity(o) => match o {
                OpportunityError::Volunteer(Ineligible::NotFound) => {
                    status::not_found("volunteer", "to assign")
                }
                OpportunityError::TeamNotFound => status::not_found("team", "named"),
                OpportunityError::Volunteer(Ineligible::OtherCommunity) => {
                    other_community("volunteer")
                }
                OpportunityError::TeamInOtherCommunity => other_community("team"),
                other => status::rule(other.field(), other.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use civitas_kernel::ValidationError;
    use civitas_platform::auth::AuthError;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn every_kind_maps_to_its_code() {
        let cases: Vec<(ServiceError, Code)> = vec![
            (
                ValidationError::new("minutes", "bad").into(),
                Code::InvalidArgument,
            ),
            (
                VolunteerError::DailyLimitExceeded.into(),
                Code::FailedPrecondition,
            ),
            (VolunteerError::Deactivated.into(), Code::FailedPrecondition),
            (
                VolunteerError::ServiceDateInFuture.into(),
                Code::InvalidArgument,
            ),
            (VolunteerError::RecipientNotFound.into(), Code::NotFound),
            (
                VolunteerError::RecipientInOtherCommunity.into(),
                Code::PermissionDenied,
            ),
            (TeamError::AlreadyMember.into(), Code::FailedPrecondition),
            (
                TeamError::Volunteer(Ineligible::NotFound).into(),
                Code::NotFound,
            ),
            (
                TeamError::Volunteer(Ineligible::OtherCommunity).into(),
                Code::PermissionDenied,
            ),
            (
                OpportunityError::NoSpotsLeft.into(),
                Code::FailedPrecondition,
            ),
            (OpportunityError::TeamNotFound.into(), Code::NotFound),
            (
                OpportunityError::Volunteer(Ineligible::NotFound).into(),
                Code::NotFound,
            ),
            (
                OpportunityError::TeamInOtherCommunity.into(),
                Code::PermissionDenied,
            ),
            (
                OpportunityError::Volunteer(Ineligible::OtherCommunity).into(),
                Code::PermissionDenied,
            ),
            (
                WriteError::NotFound {
                    what: "volunteer",
                    id: "v".into(),
                }
                .into(),
                Code::NotFound,
            ),
            (
                WriteError::Conflict("moved on".into()).into(),
                Code::Aborted,
            ),
            (
                WriteError::IdempotencyKeyReused("k".into()).into(),
                Code::InvalidArgument,
            ),
            (AuthError::MissingToken.into(), Code::Unauthenticated),
            (
                AuthError::PermissionDenied("no".into()).into(),
                Code::PermissionDenied,
            ),
            (anyhow::anyhow!("disk on fire").into(), Code::Internal),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            assert_eq!(Status::from(error).code(), code, "{text}");
        }
    }

    #[test]
    fn validation_and_rules_name_the_field() {
        let s = Status::from(ServiceError::from(ValidationError::new(
            "spots",
            "must be at least 1",
        )));
        let bad = s.get_details_bad_request().expect("bad request");
        assert_eq!(bad.field_violations[0].field, "spots");
        let s = Status::from(ServiceError::from(VolunteerError::DailyLimitExceeded));
        let pre = s.get_details_precondition_failure().expect("precondition");
        assert_eq!(pre.violations[0].subject, "minutes");
        let s = Status::from(ServiceError::from(anyhow::anyhow!("secret path /x")));
        assert_eq!(s.message(), "internal error");
    }
}
