//! The residents service's errors and their one mapping to gRPC statuses.

use civitas_kernel::{AppendError, CommandError, DecodeError, StoreError};
use civitas_platform::auth::AuthError;
use civitas_platform::error as status;
use tonic::Status;

use crate::domain::{HouseholdError, ResidentError, ValidationError};
use crate::keystore::KeyStoreError;

/// Everything a residents RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("missing {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Resident(#[from] ResidentError),
    #[error(transparent)]
    Household(#[from] HouseholdError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("a resident with this id_number is already registered")]
    IdNumberTaken,
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
        ServiceError::Unexpected(anyhow::Error::new(e))
    }
}

impl From<KeyStoreError> for ServiceError {
    fn from(e: KeyStoreError) -> Self {
        ServiceError::Unexpected(anyhow::Error::new(e).context("key store failure"))
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

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => status::invalid_argument(v.field, v.message),
            ServiceError::Missing(field) => status::invalid_argument(field, "is required"),
            ServiceError::Resident(r) => match r {
                ResidentError::HouseholdNotFound => {
                    status::not_found("household", "in this community")
                }
                ResidentError::HouseholdInOtherCommunity => {
                    Status::permission_denied("the household belongs to another community")
                }
                other => match other.field() {
                    Some(field) => status::failed_precondition_on(field, other.to_string()),
                    None => status::failed_precondition(other.to_string()),
                },
            },
            ServiceError::Household(h) => status::failed_precondition(h.to_string()),
            ServiceError::NotFound { what, id } => status::not_found(what, &id),
            ServiceError::IdNumberTaken => status::already_exists(e_text("id_number")),
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

fn e_text(field: &str) -> String {
    format!("a resident with this {field} is already registered")
}
