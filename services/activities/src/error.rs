//! The activities service's errors and their one mapping to gRPC statuses.

use civitas_kernel::{AppendError, CommandError, DecodeError, StoreError};
use civitas_platform::auth::AuthError;
use civitas_platform::error as status;
use tonic::Status;

use crate::domain::{ActivityError, BoardError, FacilityError, PlanError, ValidationError};

/// Everything an activities RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Activity(#[from] ActivityError),
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Facility(#[from] FacilityError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("idempotency key {0} was already used for a different request")]
    IdempotencyKeyReused(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
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
        ServiceError::Unexpected(anyhow::Error::new(e).context("stored event cannot be decoded"))
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

/// FAILED_PRECONDITION, naming the field when one is to blame.
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
            // A plan that does not exist yet is a missing thing, not a broken rule.
            ServiceError::Plan(PlanError::NoPlan) => {
                status::not_found("annual plan", "for this year")
            }
            ServiceError::Plan(p) => rule(p.field(), p.to_string()),
            ServiceError::Activity(ActivityError::NotScheduled) => {
                status::not_found("activity", "in this community")
            }
            ServiceError::Activity(a) => rule(a.field(), a.to_string()),
            ServiceError::Board(BoardError::NotRegistered) => {
                status::not_found("publicity board", "in this community")
            }
            ServiceError::Board(b) => rule(b.field(), b.to_string()),
            ServiceError::Facility(FacilityError::NotRegistered) => {
                status::not_found("facility", "in this community")
            }
            ServiceError::Facility(f) => rule(f.field(), f.to_string()),
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
    use tonic_types::StatusExt;

    use super::*;

    fn code(e: impl Into<ServiceError>) -> Code {
        Status::from(e.into()).code()
    }

    #[test]
    fn every_kind_maps_to_its_code() {
        let invalid = Status::from(ServiceError::from(ValidationError::new("month", "bad")));
        assert_eq!(invalid.code(), Code::InvalidArgument);
        let fields: Vec<_> = invalid
            .get_details_bad_request()
            .expect("bad request")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["month"]);
        assert_eq!(code(PlanError::NoPlan), Code::NotFound);
        assert_eq!(
            code(PlanError::AlreadyPublished { version: 1 }),
            Code::FailedPrecondition
        );
        assert_eq!(code(ActivityError::NotScheduled), Code::NotFound);
        assert_eq!(
            code(ActivityError::Full { capacity: 1 }),
            Code::FailedPrecondition
        );
        let blamed = Status::from(ServiceError::from(ActivityError::AlreadyRegistered));
        assert_eq!(blamed.code(), Code::FailedPrecondition);
        let violation = &blamed
            .get_details_precondition_failure()
            .expect("precondition failure")
            .violations[0];
        assert_eq!(violation.subject, "resident_id");
        assert_eq!(code(BoardError::NotRegistered), Code::NotFound);
        assert_eq!(
            code(BoardError::AlreadyRegistered),
            Code::FailedPrecondition
        );
        assert_eq!(code(FacilityError::NotRegistered), Code::NotFound);
        assert_eq!(
            code(FacilityError::AlreadyRegistered),
            Code::FailedPrecondition
        );
        assert_eq!(
            code(ServiceError::NotFound {
                what: "activity",
                id: "a".into()
            }),
            Code::NotFound
        );
        assert_eq!(code(ServiceError::Conflict("c".into())), Code::Aborted);
        assert_eq!(
            code(ServiceError::IdempotencyKeyReused("k".into())),
            Code::InvalidArgument
        );
        assert_eq!(
            code(AuthError::PermissionDenied("no".into())),
            Code::PermissionDenied
        );
        assert_eq!(code(AuthError::MissingToken), Code::Unauthenticated);
        let internal = Status::from(ServiceError::from(anyhow::anyhow!("disk on fire")));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.message(), "internal error");
    }
}
