//! The imperative shell of the safety service: every write goes through the platform's
//! [`Shell`] (authorize against the caller's community, replay a retried idempotency
//! key, parse, decide, append); reads fold one aggregate for a caller whose scope covers
//! it. `grpc.rs` only wires these handlers to tonic.

mod commands;
mod queries;

use std::fmt::Display;

use civitas_platform::command::required;
use civitas_platform::write::{Shell, Target};

use crate::domain::{IncidentId, InspectionId, PatrolId, RectificationId, ValidationError};

/// The safety service: the write shell over its event store and the org tree.
#[derive(Clone)]
pub struct Safety {
    shell: Shell,
}

impl Safety {
    /// The service over its shell (event store, org tree, event size limit).
    pub fn new(shell: Shell) -> Self {
        Self { shell }
    }
}

/// The aggregate a required id field names, refused naming `field` when empty or not
/// an id.
fn target<I: Display>(
    what: &'static str,
    field: &'static str,
    raw: &str,
    parse: fn(&'static str, &str) -> Result<I, ValidationError>,
    stream_id: fn(&I) -> String,
) -> Result<Target, ValidationError> {
    let id = required(raw, field).and_then(|v| parse(field, v))?;
    Ok(Target::new(what, &id, stream_id(&id)))
}

fn incident(raw: &str) -> Result<Target, ValidationError> {
    target(
        "incident",
        "incident_id",
        raw,
        IncidentId::parse,
        IncidentId::stream_id,
    )
}

fn patrol(raw: &str) -> Result<Target, ValidationError> {
    target(
        "patrol",
        "patrol_id",
        raw,
        PatrolId::parse,
        PatrolId::stream_id,
    )
}

fn inspection(raw: &str) -> Result<Target, ValidationError> {
    target(
        "inspection",
        "inspection_id",
        raw,
        InspectionId::parse,
        InspectionId::stream_id,
    )
}

fn rectification(raw: &str) -> Result<Target, ValidationError> {
    target(
        "rectification",
        "rectification_id",
        raw,
        RectificationId::parse,
        RectificationId::stream_id,
    )
}
