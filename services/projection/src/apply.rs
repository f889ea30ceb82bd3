//! Applying a batch of events: per-stream duplicate and gap detection, the rules of
//! [`crate::rules`] over the read-model rows they need, and the checkpoint, all in one
//! transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use sqlx::AnyConnection;

use crate::db::{self, Stored};
use crate::error::ProjectionError;
use crate::rules::{self, Deltas, Fact, RowKey, Table, Views};

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
    /// Events that advanced their stream, including gap-filled and unknown ones.
    pub applied: u64,
    /// Events at or below their stream's applied version, skipped.
    pub duplicates: u64,
    /// Of `applied`, events fetched from the gap filler.
    pub gap_filled: u64,
    /// Of `applied`, events of a type this projection does not know.
    pub unknown: u64,
}

/// The state of one batch: streams, read-model rows and deltas touched so far,
/// written to the transaction at the end in key order (a stable lock order for
/// PostgreSQL).
#[derive(Default)]
struct Batch {
    versions: BTreeMap<String, u64>,
    views: Views,
    deltas: Deltas,
    stats: ApplyStats,
}

/// Loads a row into its table unless the batch has it already.
async fn load<R: Stored>(
    conn: &mut AnyConnection,
    table: &mut Table<R>,
    key: &str,
) -> Result<(), ProjectionError> {
    if !table.contains_key(key) {
        let row = R::load(conn, key).await?;
        table.insert(key.to_owned(), row);
    }
    Ok(())
}

/// Writes a table's rows back: present ones upserted, absent ones deleted.
async fn save<R: Stored>(
    conn: &mut AnyConnection,
    table: &Table<R>,
) -> Result<(), ProjectionError> {
    for (key, row) in table {
        match row {
            Some(row) => row.save(conn, key).await?,
            None => R::delete(conn, key).await?,
        }
    }
    Ok(())
}

impl Batch {
    async fn version(
        &mut self,
        conn: &mut AnyConnection,
        stream_id: &str,
    ) -> Result<u64, ProjectionError> {
        if let Some(v) = self.versions.get(stream_id) {
            return Ok(*v);
        }
        let v = db::stream_version(conn, stream_id).await?;
        self.versions.insert(stream_id.to_owned(), v);
        Ok(v)
    }

    /// Applies the next event of its stream (the caller checked the version).
    async fn apply(
        &mut self,
        conn: &mut AnyConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        let fact = Fact::decode(event).map_err(|source| ProjectionError::Decode {
            stream_id: event.stream_id.clone(),
            version: event.stream_version,
            event_type: event.event_type.clone(),
            source,
        })?;
        if fact == Fact::Unknown {
            tracing::debug!(event_type = %event.event_type, stream_id = %event.stream_id, "unknown event type skipped");
            self.stats.unknown += 1;
        }
        let day = rules::district_day(event.occurred_at);
        let community = event.org.community.as_str();
        for key in fact.rows(community) {
            let v = &mut self.views;
            match &key {
                RowKey::Resident(k) => load(conn, &mut v.residents, k).await?,
                RowKey::Activity(k) => load(conn, &mut v.activities, k).await?,
                RowKey::Plan(k) => load(conn, &mut v.plans, k).await?,
                RowKey::Volunteer(k) => load(conn, &mut v.volunteers, k).await?,
                RowKey::Pending(k) => load(conn, &mut v.pending, k).await?,
                RowKey::Incident(k) => load(conn, &mut v.incidents, k).await?,
                RowKey::Rectification(k) => load(conn, &mut v.rectifications, k).await?,
            }
        }
        rules::apply(&fact, community, &day, &mut self.views, &mut self.deltas);
        self.versions
            .insert(event.stream_id.clone(), event.stream_version);
        self.stats.applied += 1;
        Ok(())
    }

    /// Applies the events the gap filler returns for versions `last + 1 .. before`.
    async fn fill_gap(
        &mut self,
        conn: &mut AnyConnection,
        gaps: &dyn GapFiller,
        stream_id: &str,
        last: u64,
        before: u64,
    ) -> Result<(), ProjectionError> {
        tracing::info!(
            stream_id,
            last,
            found = before,
            "stream gap detected, fetching missing events"
        );
        let mut missing =
            gaps.fetch(stream_id, last)
                .await
                .map_err(|source| ProjectionError::GapFill {
                    stream_id: stream_id.to_owned(),
                    source,
                })?;
        missing.sort_by_key(|e| e.stream_version);
        let mut at = last;
        for event in missing.iter().filter(|e| e.stream_id == stream_id) {
            if event.stream_version == at + 1 && event.stream_version < before {
                self.apply(conn, event).await?;
                self.stats.gap_filled += 1;
                at = event.stream_version;
            }
        }
        if at + 1 != before {
            return Err(ProjectionError::Gap {
                stream_id: stream_id.to_owned(),
                expected: at + 1,
                found: before,
            });
        }
        Ok(())
    }

    async fn write(self, conn: &mut AnyConnection) -> Result<ApplyStats, ProjectionError> {
        for (stream_id, version) in &self.versions {
            db::save_stream_version(conn, stream_id, *version).await?;
        }
        let v = &self.views;
        save(conn, &v.residents).await?;
        save(conn, &v.activities).await?;
        save(conn, &v.plans).await?;
        save(conn, &v.volunteers).await?;
        save(conn, &v.pending).await?;
        save(conn, &v.incidents).await?;
        save(conn, &v.rectifications).await?;
        for ((element, community, day), delta) in &self.deltas {
            db::add_delta(conn, element, community, day, *delta).await?;
        }
        Ok(self.stats)
    }
}

/// Applies `events` and moves `source`'s checkpoint to the furthest of them, in the
/// open transaction `conn`.
pub(crate) async fn apply_batch(
    conn: &mut AnyConnection,
    source: &str,
    events: &[RecordedEvent],
    gaps: &dyn GapFiller,
) -> Result<ApplyStats, ProjectionError> {
    let mut batch = Batch::default();
    for event in events {
        let last = batch.version(conn, &event.stream_id).await?;
        if event.stream_version <= last {
            batch.stats.duplicates += 1;
            continue;
        }
        if event.stream_version > last + 1 {
            batch
                .fill_gap(conn, gaps, &event.stream_id, last, event.stream_version)
                .await?;
        }
        batch.apply(conn, event).await?;
    }
    let stored = db::checkpoint(conn, source).await?;
    let furthest = events
        .iter()
        .map(|e| e.checkpoint)
        .fold(stored, Checkpoint::max);
    let stats = batch.write(conn).await?;
    db::save_checkpoint(conn, source, furthest, stats.applied).await?;
    Ok(stats)
}
