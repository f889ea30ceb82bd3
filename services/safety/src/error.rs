//! The safety service's errors and their one mapping to gRPC statuses.

use civitas_platform::error as status;
use civitas_platform::write::WriteError;
use tonic::Status;

use crate::domain::{IncidentError, InspectionError, PatrolError, RectificationError};

/// Everything a safety RPC can fail with: a shared write step, or a broken rule of one
/// of the four aggregates.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A malformed value, an unknown or foreign target, a conflict, a token problem or
    /// a storage failure (see [`WriteError`]).
    #[error(transparent)]
    Write(WriteError),
    #[error(transparent)]
    Incident(#[from] IncidentError),
    #[error(transparent)]
    Patrol(#[from] PatrolError),
    #[error(transparent)]
    Inspection(#[from] InspectionError),
    #[error(transparent)]
    Rectification(#[from] RectificationError),
}

civitas_platform::service_error!(ServiceError);

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Write(e) => e.into(),
            ServiceError::Incident(e) => status::rule(e.field(), e.to_string()),
            ServiceError::Patrol(e) => status::rule(e.field(), e.to_string()),
            ServiceError::Inspection(e) => match e.invalid_field() {
                Some(field) => status::invalid_argument(field, e.to_string()),
                None => status::rule(e.field(), e.to_string()),
            },
            ServiceError::Rectification(e) => match e {
                RectificationError::InspectionNotFound => {
                    status::not_found("inspection", "named by inspection_id")
                }
                RectificationError::InspectionInOtherCommunity => {
                    Status::permission_denied("the inspection belongs to another community")
                }
                other => match other.invalid_field() {
                    Some(field) => status::invalid_argument(field, other.to_string()),
                    None => status::rule(other.field(), other.to_string()),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use civitas_platform::auth::AuthError;
    use tonic::Code;

    use super::*;
    use crate::domain::ValidationError;

    fn code(e: impl Into<ServiceError>) -> Code {
        Status::from(e.into()).code()
    }

    #[test]
    fn every_kind_maps_to_its_code() {
        assert_eq!(
            code(ValidationError::new("grid", "must not be empty")),
            Code::InvalidArgument
        );
        assert_eq!(code(IncidentError::Closed), Code::FailedPrecondition);
        assert_eq!(code(PatrolError::NotStarted), Code::FailedPrecondition);
        assert_eq!(
            code(InspectionError::FailWithoutHazard),
            Code::InvalidArgument
        );
        assert_eq!(
            code(RectificationError::DeadlineNotAfterToday),
            Code::InvalidArgument
        );
        assert_eq!(code(RectificationError::InspectionNotFound), Code::NotFound);
        assert_eq!(
            code(RectificationError::InspectionInOtherCommunity),
            Code::PermissionDenied
        );
        assert_eq!(
            code(WriteError::NotFound {
                what: "incident",
                id: "x".into()
            }),
            Code::NotFound
        );
        assert_eq!(code(WriteError::Conflict("moved".into())), Code::Aborted);
        assert_eq!(
            code(WriteError::IdempotencyKeyReused("k".into())),
            Code::InvalidArgument
        );
        assert_eq!(code(AuthError::MissingToken), Code::Unauthenticated);
        assert_eq!(
            code(AuthError::PermissionDenied("no".into())),
            Code::PermissionDenied
        );
        let internal = Status::from(ServiceError::from(anyhow::anyhow!("disk on fire")));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.message(), "internal error");
    }

    #[test]
    fn a_rule_on_a_field_names_it() {
        let s = Status::from(ServiceError::from(IncidentError::AlreadyEscalatedTo(
            crate::domain::EscalationTarget::Police,
        )));
        assert_eq!(
            s.message(),
            "target: incident is already escalated to the police"
        );
        let s = Status::from(ServiceError::from(IncidentError::NotDispatched));
        assert_eq!(
            s.message(),
            "incident must be dispatched before it is resolved"
        );
    }
}
