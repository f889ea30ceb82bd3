//! Poison events: an event that cannot be decoded or applied is parked with its reason
//! instead of stopping the projection, and its stream moves on. An admin lists parked
//! events and retries them once the cause is fixed (a new build that reads the schema
//! version, a repaired payload).

use chrono::{DateTime, Utc};
use civitas_kernel::RecordedEvent;
use sqlx::AnyPool;
use uuid::Uuid;

use crate::apply::apply_decoded;
use crate::db;
use crate::error::ProjectionError;
use crate::rules::Decoded;

/// An event the projection could not apply, or a gap it could not fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    /// The event as recorded. For a gap marker: a fresh id, the first missing version,
    /// no type and no payload, and otherwise the envelope of the event after the gap.
    pub event: RecordedEvent,
    /// The source whose batch parked it.
    pub source: String,
    /// The service whose log holds the stream, if the gap filler knew it.
    pub service: Option<String>,
    /// For a gap marker, the last missing version; `None` for an event.
    pub missing_through: Option<u64>,
    /// Why it could not be applied.
    pub reason: String,
    pub parked_at: DateTime<Utc>,
}

impl ParkedEvent {
    /// Whether this stands for missing versions rather than an event.
    pub fn is_gap(&self) -> bool {
        self.missing_through.is_some()
    }

    /// Whether a retry may apply it: not a gap marker (it needs the missing events
    /// themselves) and not a message refused on arrival (it contradicts its subject, so
    /// it is kept as evidence; the real event, if there is one, comes from its log).
    pub fn is_retryable(&self) -> bool {
        !self.is_gap() && self.source != REFUSED_SOURCE
    }

    /// A message the consumer refused before it reached a batch: `event` as far as it
    /// could be read, and why.
    pub fn refused(event: RecordedEvent, service: Option<String>, reason: String) -> Self {
        Self {
            event,
            source: REFUSED_SOURCE.to_owned(),
            service,
            missing_through: None,
            reason,
            parked_at: Utc::now(),
        }
    }
}

/// The source of messages refused on arrival (see [`ParkedEvent::refused`]).
pub const REFUSED_SOURCE: &str = "refused";

/// Stores messages refused on arrival, in a transaction of their own: no stream moves.
pub(crate) async fn park_refused(
    pool: &AnyPool,
    refused: &[ParkedEvent],
) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    db::parked::park(&mut tx, refused).await?;
    tx.commit().await?;
    Ok(())
}

/// What [`crate::Projection::retry_parked`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryOutcome {
    /// Events now applied and no longer parked.
    pub applied: Vec<Uuid>,
    /// Events still parked, with their reasons as of this retry.
    pub still_parked: Vec<ParkedEvent>,
}

/// Every parked event, oldest first.
pub(crate) async fn list(pool: &AnyPool) -> Result<Vec<ParkedEvent>, ProjectionError> {
    let mut conn = pool.acquire().await?;
    db::parked::list(&mut conn).await
}

/// Re-decodes and applies the parked events named in `event_ids` (all if `None`), one
/// transaction each. The stream versions are left alone: the streams moved on when the
/// events were parked. Gap markers and refused messages stay (see
/// [`ParkedEvent::is_retryable`]).
pub(crate) async fn retry(
    pool: &AnyPool,
    event_ids: Option<&[Uuid]>,
) -> Result<RetryOutcome, ProjectionError> {
    let mut outcome = RetryOutcome::default();
    let parked = list(pool).await?;
    let chosen = parked
        .into_iter()
        .filter(|p| event_ids.is_none_or(|ids| ids.contains(&p.event.event_id)));
    for mut parked in chosen {
        let id = parked.event.event_id;
        if !parked.is_retryable() {
            outcome.still_parked.push(parked);
            continue;
        }
        let mut tx = pool.begin().await?;
        match Decoded::of(&parked.event) {
            Ok(decoded) => {
                apply_decoded(&mut tx, std::slice::from_ref(&decoded)).await?;
                db::parked::unpark(&mut tx, id).await?;
                db::count_applied(&mut tx, &parked.source).await?;
                tx.commit().await?;
                tracing::info!(event_id = %id, "parked event applied");
                outcome.applied.push(id);
            }
            Err(reason) => {
                parked.reason = reason.to_string();
                db::parked::set_reason(&mut tx, id, &parked.reason).await?;
                tx.commit().await?;
                outcome.still_parked.push(parked);
            }
        }
    }
    Ok(outcome)
}
