//! The safety service's errors and their one mapping to gRPC statuses.

use civitas_kernel::{AppendError, CommandError, DecodeError, StoreError};
use civitas_platform::auth::AuthError;
use civitas_platform::error as status;
use tonic::Status;

use crate::domain::{
    IncidentError, InspectionError, PatrolError, RectificationError, ValidationError,
};

/// Everything a safety RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A malformed request value.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Incident(#[from] IncidentError),
    #[error(transparent)]
    Patrol(#[from] PatrolError),
    #[error(transparent)]
    Inspection(#[from] InspectionError),
    #[error(transparent)]
    Rectification(#[from] RectificationError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// The stream moved on since the version the client expected.
    #[error("{0}")]
    Conflict(String),
    #[error("idempotency key {0} was already used for a different request")]
    IdempotencyKeyReused(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Storage or decoding failures; the detail reaches the log only.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Unexpected(e.0.context("event store failure"))
    }
}

impl From<DecodeError> for ServiceError {
    fn from(e: DecodeError) -> Self {
        ServiceError::Unexpected(anyhow::Error::new(e).context("failed to decode a stored event"))
    }
}

impl From<AppendError> for ServiceError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict { .. } => ServiceError::Conflict(e.to_string()),
            AppendError::IdempotencyMismatch { key } => ServiceError::IdempotencyKeyReused(key),
            AppendError::Store(e) => e.into(),
        }
    }
}

impl<E> From<CommandError<E>> for ServiceError
where
    E: std::error::Error + Into<ServiceError>,
{
    fn from(e: CommandError<E>) -> Self {
        match e {
            CommandError::Rejected(e) => e.into(),
            CommandError::Append(e) => e.into(),
            CommandError::Decode(e) => e.into(),
        }
    }
}

/// FAILED_PRECONDITION for a broken business rule, naming the field when one is to blame.
fn rule(field: Option<&'static str>, message: String) -> Status {
    match field {
        Some(field) => status::failed_precondition_on(field, message),
        None => status::failed_precondition(message),
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => status::invalid_argument(v.field, v.message),
            ServiceError::Incident(e) => rule(e.field(), e.to_string()),
            ServiceError::Patrol(e) => rule(e.field(), e.to_string()),
            ServiceError::Inspection(e) => rule(e.field(), e.to_string()),
            ServiceError::Rectification(e) => match e {
                RectificationError::InspectionNotFound => {
                    status::not_found("inspection", "named by inspection_id")
                }
                RectificationError::InspectionInOtherCommunity => {
                    Status::permission_denied("the inspection belongs to another community")
                }
                other => rule(other.field(), other.to_string()),
            },
            ServiceError::NotFound { what, id } => status::not_found(what, &id),
            ServiceError::Conflict(m) => status::aborted(m),
            ServiceError::IdempotencyKeyReused(_) => status::invalid_argument(
                "options.idempotency_key",
                "was already used for a different request",
            ),
            ServiceError::Auth(a) => a.into(),
            ServiceError::Unexpected(e) => status::internal(&format!("{e:#}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

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
            Code::FailedPrecondition
        );
        assert_eq!(
            code(RectificationError::DeadlineNotAfterToday),
            Code::FailedPrecondition
        );
        assert_eq!(code(RectificationError::InspectionNotFound), Code::NotFound);
        assert_eq!(
            code(RectificationError::InspectionInOtherCommunity),
            Code::PermissionDenied
        );
        assert_eq!(
            code(ServiceError::NotFound {
                what: "incident",
                id: "x".into()
            }),
            Code::NotFound
        );
        assert_eq!(code(ServiceError::Conflict("moved".into())), Code::Aborted);
        assert_eq!(
            code(ServiceError::IdempotencyKeyReused("k".into())),
            Code::InvalidArgument
        );
        assert_eq!(code(AuthError::MissingToken), Code::Unauthenticated);
        assert_eq!(
            code(AuthError::PermissionDenied("no".into())),
            Code::PermissionDenied
        );
        let internal = Status::from(ServiceError::Unexpected(anyhow::anyhow!("disk on fire")));
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
