//! Applying a batch of events in one forward pass, in the caller's transaction:
//!
//! 1. the stored version of every stream in the batch, read in one statement;
//! 2. each event in order: a duplicate is skipped, a gap is filled from the
//!    [`GapFiller`] first, and the event is decoded once into a [`Decoded`] for the
//!    rules, or parked if it cannot be; either way its stream moves on;
//! 3. the rows the facts need, loaded with one statement per table;
//! 4. the pure rules of [`crate::rules`] over them, in event order;
//! 5. one statement per table for the changed rows, the KPI deltas, the stream
//!    versions and the parked events, then the checkpoint (see [`db::Conn`] for how
//!    each backend writes many rows at once).
//!
//! A rebuild into an empty schema walks the same pass with the versions and rows it
//! holds in memory instead (see [`crate::rebuild`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::db::{self, Conn};
use crate::error::ProjectionError;
use crate::parked::ParkedEvent;
use crate::rules::{self, Decoded, Deltas, Fact, Views};

/// Supplies events the projection missed: a stream's events after a version.
#[async_trait]
pub trait GapFiller: Send + Sync {
    /// The stream's events with version > `after_version`, in version order (may
    /// include more than the gap; extra events are ignored).
    async fn fetch(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>>;

    /// The service whose log holds `stream_id`, if this filler knows it (recorded with
    /// the stream's parked events).
    fn owner(&self, _stream_id: &str) -> Option<String> {
        None
    }
}

/// The embedded gap filler: reads the stream from the event store itself.
#[derive(Clone)]
pub struct StoreGapFiller {
    store: Arc<dyn EventStore>,
}

impl StoreGapFiller {
    /// A gap filler over `store`.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl GapFiller for StoreGapFiller {
    async fn fetch(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let mut events = self.store.read_stream(stream_id).await?;
        events.retain(|e| e.stream_version > after_version);
        Ok(events)
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Events applied to the read models, including gap-filled and unknown ones.
    pub applied: u64,
    /// Events at or below their stream's applied version, skipped.
    pub duplicates: u64,
    /// Of `applied`, events fetched from the gap filler.
    pub gap_filled: u64,
    /// Of `applied`, events of a type this projection does not know.
    pub unknown: u64,
    /// Events parked instead of applied (each gap left after fetching counts once);
    /// their streams move on all the same.
    pub parked: u64,
}

/// A committed batch's stats and the events it parked.
pub(crate) struct Applied {
    pub stats: ApplyStats,
    pub parked: Vec<ParkedEvent>,
}

impl Applied {
    /// Logs the parked events and the batch, counts them; returns the stats.
    pub fn report(&self) -> ApplyStats {
        let stats = self.stats;
        for p in &self.parked {
            let e = &p.event;
            tracing::warn!(event_id = %e.event_id, stream_id = %e.stream_id, version = e.stream_version, event_type = %e.event_type, reason = %p.reason, "event parked");
        }
        metrics::counter!("civitas_projection_parked_total").increment(stats.parked);
        tracing::debug!(
            applied = stats.applied,
            duplicates = stats.duplicates,
            gap_filled = stats.gap_filled,
            unknown = stats.unknown,
            parked = stats.parked,
            "batch applied"
        );
        stats
    }
}

/// A batch during its forward pass; `'a` is the batch's events.
pub(crate) struct Pass<'a> {
    source: &'a str,
    gaps: &'a dyn GapFiller,
    parked_at: DateTime<Utc>,
    /// Each stream's last version so far in the pass.
    pub versions: BTreeMap<&'a str, u64>,
    /// The events to apply, in order (those that change nothing are left out).
    pub decoded: Vec<Decoded>,
    pub parked: Vec<ParkedEvent>,
    pub stats: ApplyStats,
}

impl<'a> Pass<'a> {
    /// Walks `events` in order from the stored version of each of their streams
    /// (`stored`, 0 for a stream never seen): duplicates skipped, gaps filled or
    /// parked, the rest decoded or parked.
    pub async fn walk(
        source: &'a str,
        events: &'a [RecordedEvent],
        gaps: &'a dyn GapFiller,
        stored: impl Fn(&str) -> u64,
    ) -> Result<Pass<'a>, ProjectionError> {
        let mut pass = Pass {
            source,
            gaps,
            parked_at: Utc::now(),
            versions: events
                .iter()
                .map(|e| (e.stream_id.as_str(), stored(&e.stream_id)))
                .collect(),
            decoded: Vec::with_capacity(events.len()),
            parked: Vec::new(),
            stats: ApplyStats::default(),
        };
        for event in events {
            let last = pass.versions[event.stream_id.as_str()];
            if event.stream_version <= last {
                pass.stats.duplicates += 1;
                continue;
            }
            if event.stream_version > last + 1 {
                pass.fill_gap(event, last).await?;
            }
            pass.take(&event.stream_id, event);
        }
        Ok(pass)
    }

    /// Takes the next event of `stream_id`: decoded for the rules, or parked.
    /// Returns whether it will be applied.
    fn take(&mut self, stream_id: &'a str, event: &RecordedEvent) -> bool {
        self.versions.insert(stream_id, event.stream_version);
        match Decoded::of(event) {
            Ok(decoded) => {
                self.stats.applied += 1;
                match decoded.fact {
                    Fact::Unknown => {
                        tracing::debug!(event_type = %event.event_type, stream_id, "unknown event type skipped");
                        self.stats.unknown += 1;
                    }
                    Fact::Ignored => {}
                    _ => self.decoded.push(decoded),
                }
                true
            }
            Err(reason) => {
                self.park(event.clone(), None, reason.to_string());
                false
            }
        }
    }

    fn park(&mut self, event: RecordedEvent, missing_through: Option<u64>, reason: String) {
        self.stats.parked += 1;
        self.parked.push(ParkedEvent {
            source: self.source.to_owned(),
            service: self.gaps.owner(&event.stream_id),
            missing_through,
            reason,
            parked_at: self.parked_at,
            event,
        });
    }

    /// Takes the events the gap filler returns for the versions between `last` and
    /// `event`; a range it cannot supply is parked as one marker, so `event` follows.
    async fn fill_gap(
        &mut self,
        event: &'a RecordedEvent,
        last: u64,
    ) -> Result<(), ProjectionError> {
        let (stream_id, before) = (event.stream_id.as_str(), event.stream_version);
        tracing::info!(
            stream_id,
            last,
            found = before,
            "stream gap detected, fetching missing events"
        );
        let mut missing =
            self.gaps
                .fetch(stream_id, last)
                .await
                .map_err(|source| ProjectionError::GapFill {
                    stream_id: stream_id.to_owned(),
                    source,
                })?;
        missing.retain(|e| e.stream_id == stream_id && e.stream_version < before);
        missing.sort_by_key(|e| e.stream_version);
        let mut at = last;
        for fetched in &missing {
            if fetched.stream_version == at + 1 {
                if self.take(stream_id, fetched) {
                    self.stats.gap_filled += 1;
                }
                at = fetched.stream_version;
            }
        }
        if at + 1 < before {
            let (first, through) = (at + 1, before - 1);
            let marker = RecordedEvent {
                event_id: Uuid::now_v7(),
                stream_version: first,
                event_type: String::new(),
                schema_version: 0,
                payload: Vec::new(),
                ..event.clone()
            };
            let reason =
                format!("versions {first}..={through} missing after fetching from the event log");
            self.park(marker, Some(through), reason);
            self.versions.insert(stream_id, through);
        }
        Ok(())
    }
}

/// The furthest of the events' checkpoints and `stored`.
pub(crate) fn furthest(stored: Checkpoint, events: &[RecordedEvent]) -> Checkpoint {
    events
        .iter()
        .map(|e| e.checkpoint)
        .fold(stored, Checkpoint::max)
}

/// Applies `events` and moves `source`'s checkpoint to the furthest of them, in the
/// open transaction `conn`.
pub(crate) async fn apply_batch(
    conn: &mut Conn<'_>,
    source: &str,
    events: &[RecordedEvent],
    gaps: &dyn GapFiller,
) -> Result<Applied, ProjectionError> {
    let streams: BTreeSet<&str> = events.iter().map(|e| e.stream_id.as_str()).collect();
    let streams: Vec<&str> = streams.into_iter().collect();
    let stored: HashMap<String, u64> = db::stream_versions(conn, &streams).await?;
    let stored_version = |id: &str| stored.get(id).copied().unwrap_or(0);
    let pass = Pass::walk(source, events, gaps, stored_version).await?;
    let furthest = furthest(db::source_checkpoint(conn, source).await?, events);
    apply_facts(conn, &pass.decoded).await?;
    let mut moved = pass.versions;
    moved.retain(|id, version| *version != stored_version(id));
    db::save_stream_versions(conn, &moved).await?;
    db::parked::park_in(conn, &pass.parked).await?;
    db::save_checkpoints(conn, &[(source, furthest, pass.stats.applied)]).await?;
    Ok(Applied {
        stats: pass.stats,
        parked: pass.parked,
    })
}

/// [`apply_facts`] over `Any` (a retried parked event).
pub(crate) async fn apply_decoded(
    conn: &mut AnyConnection,
    decoded: &[Decoded],
) -> Result<(), ProjectionError> {
    apply_facts(&mut Conn::Any(conn), decoded).await
}

/// Applies decoded events in order: loads the rows they need, runs the rules over
/// them, writes the rows that changed and the deltas.
async fn apply_facts(conn: &mut Conn<'_>, decoded: &[Decoded]) -> Result<(), ProjectionError> {
    let mut views = Views::default();
    for d in decoded {
        d.fact.need(&d.community, &mut views);
    }
    db::load_views(conn, &mut views).await?;
    let loaded = views.clone();
    let mut deltas = Deltas::new();
    let mut streets = BTreeMap::new();
    for d in decoded {
        rules::apply(&d.fact, &d.community, &d.day, &mut views, &mut deltas);
        streets.insert(d.community.clone(), d.street.clone());
    }
    db::save_views(conn, &loaded, &views).await?;
    db::add_deltas_in_streets(conn, &deltas, &streets).await?;
    // A month approved in this batch keeps its figures as they stand after it.
    let (locks, unlocks) = db::lock_changes(&loaded.reports, &views.reports);
    db::relock(conn, &locks, &unlocks).await
}
