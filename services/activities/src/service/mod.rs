//! The imperative shell of the activities service: each handler is "parse → build the
//! domain command → the shared write shell (scope, replay, decide, append) → answer".
//! `grpc.rs` only adapts the handlers to tonic.

mod cobuilding;
mod commands;
mod funding;
mod places;
mod queries;
mod reports;

use civitas_kernel::AppendOutcome;
use civitas_platform::command::required;
use civitas_platform::write::{Shell, Target};

use crate::domain::{ActivityId, OrgUnitCode, ResidentId, ValidationError};
use crate::error::ServiceError;

/// The activities service: the write shell over its event store and the org tree.
#[derive(Clone)]
pub struct Activities {
    shell: Shell,
}

impl Activities {
    /// The service over its shell (event store, org tree, event size limit).
    pub fn new(shell: Shell) -> Self {
        Self { shell }
    }
}

/// The activity a request names.
fn activity(raw: &str) -> Result<Target, ValidationError> {
    let id = ActivityId::parse("activity_id", required(raw, "activity_id")?)?;
    Ok(Target::new("activity", id, id.stream_id()))
}

/// A required pseudonymous resident id.
fn resident(raw: &str) -> Result<ResidentId, ValidationError> {
    ResidentId::parse("resident_id", required(raw, "resident_id")?)
}

/// The community a request body names, "" when none: bounded before the scope check,
/// which quotes a refused one back.
fn community(raw: &str) -> Result<String, ValidationError> {
    match raw.trim() {
        "" => Ok(String::new()),
        code => Ok(OrgUnitCode::parse("community", code)?.as_str().to_owned()),
    }
}

/// The error for an append whose stored event is not the one the handler wrote: the
/// store is inconsistent.
fn unexpected_event(expected: &str, outcome: &AppendOutcome, found: &str) -> ServiceError {
    anyhow::anyhow!(
        "expected {expected} at {} v{}, found {found}",
        outcome.stream_id,
        outcome.version
    )
    .into()
}
