//! Rebuilding read models from zero into an empty schema: the events are folded in
//! memory — the same forward pass ([`crate::apply`]) and the same rules, with stream
//! versions and rows read from what the fold holds instead of from the database — and
//! the final rows, KPI facts, versions and checkpoints are written once, one statement
//! per table (on PostgreSQL one array per column, see [`crate::db::conn`]).
//!
//! Nothing is read back while folding, and a row changed by a thousand events is
//! written once. Memory grows with the rows, not the events; past [`MAX_ROWS`] what
//! the fold holds is written out and the rest of the rebuild goes through
//! [`Projection::apply_batch`], so a district of any size rebuilds, only slower.

use std::collections::BTreeMap;

use civitas_kernel::{Checkpoint, RecordedEvent};

use crate::apply::{furthest, Applied, ApplyStats, GapFiller, Pass};
use crate::db;
use crate::error::ProjectionError;
use crate::parked::ParkedEvent;
use crate::rules::{self, Deltas, Views};
use crate::Projection;

/// Rows (read-model rows, KPI facts, stream versions) held before the fold is written
/// out: a few hundred MB at most.
pub const MAX_ROWS: usize = 2_000_000;

/// A rebuild in progress: [`Rebuild::apply`] batches in each source's order, then
/// [`Rebuild::finish`]. Nothing else may write the projection meanwhile.
pub struct Rebuild {
    projection: Projection,
    folded: Folded,
    /// Rows the fold may hold before it is written out.
    max_rows: usize,
    /// Whether the fold was written out; later batches are applied to the database.
    spilled: bool,
}

/// Everything applied so far, as the tables will hold it.
#[derive(Default)]
struct Folded {
    versions: BTreeMap<String, u64>,
    views: Views,
    deltas: Deltas,
    /// Each community's street (see [`db::streets`]).
    streets: BTreeMap<String, String>,
    /// Per source: its furthest checkpoint and the events applied.
    checkpoints: BTreeMap<String, (Checkpoint, u64)>,
    parked: Vec<ParkedEvent>,
}

impl Folded {
    fn rows(&self) -> usize {
        let v = &self.views;
        self.versions.len()
            + self.deltas.len()
            + v.residents.len()
            + v.activities.len()
            + v.plans.len()
            + v.plan_items.len()
            + v.volunteers.len()
            + v.pending.len()
            + v.incidents.len()
            + v.rectifications.len()
            + v.reports.len()
            + v.persons.len()
            + v.board_updates.len()
            + v.teams.len()
            + v.deeds.len()
    }
}

impl Projection {
    /// Starts a rebuild into this projection, whose tables must be empty (a fresh
    /// schema or database).
    pub async fn rebuild(&self) -> Result<Rebuild, ProjectionError> {
        if !db::is_empty(&self.pool).await? {
            return Err(anyhow::anyhow!("a rebuild needs an empty projection").into());
        }
        Ok(Rebuild {
            projection: self.clone(),
            folded: Folded::default(),
            max_rows: MAX_ROWS,
            spilled: false,
        })
    }
}

impl Rebuild {
    /// Bounds the fold to `rows` rows instead of [`MAX_ROWS`].
    pub fn holding_at_most(mut self, rows: usize) -> Self {
        self.max_rows = rows;
        self
    }

    /// Applies a batch of `source`'s events, as [`Projection::apply_batch`] would.
    pub async fn apply(
        &mut self,
        source: &str,
        events: &[RecordedEvent],
        gaps: &dyn GapFiller,
    ) -> Result<ApplyStats, ProjectionError> {
        if self.spilled {
            return self.projection.apply_batch(source, events, gaps).await;
        }
        let folded = &mut self.folded;
        let stored = |id: &str| folded.versions.get(id).copied().unwrap_or(0);
        let pass = Pass::walk(source, events, gaps, stored).await?;
        for d in &pass.decoded {
            d.fact.need(&d.community, &mut folded.views);
            rules::apply(
                &d.fact,
                &d.community,
                &d.day,
                &mut folded.views,
                &mut folded.deltas,
            );
            if !folded.streets.contains_key(&d.community) {
                folded.streets.insert(d.community.clone(), d.street.clone());
            }
        }
        for (id, version) in &pass.versions {
            folded.versions.insert((*id).to_owned(), *version);
        }
        let checkpoint = folded
            .checkpoints
            .entry(source.to_owned())
            .or_insert((Checkpoint::START, 0));
        *checkpoint = (
            furthest(checkpoint.0, events),
            checkpoint.1 + pass.stats.applied,
        );
        let applied = Applied {
            stats: pass.stats,
            parked: pass.parked,
        };
        let stats = applied.report();
        folded.parked.extend(applied.parked);
        if folded.rows() > self.max_rows {
            tracing::info!(
                rows = folded.rows(),
                "rebuild fold written out, applying the rest batch by batch"
            );
            self.write().await?;
            self.spilled = true;
        }
        Ok(stats)
    }

    /// Writes what the fold holds and returns the rebuilt projection.
    pub async fn finish(mut self) -> Result<Projection, ProjectionError> {
        if !self.spilled {
            self.write().await?;
        }
        Ok(self.projection)
    }

    /// Writes the fold in one transaction, one statement per table.
    async fn write(&mut self) -> Result<(), ProjectionError> {
        let folded = std::mem::take(&mut self.folded);
        let _writer = self.projection.write.lock().await;
        let checkpoints: Vec<(&str, Checkpoint, u64)> = folded
            .checkpoints
            .iter()
            .map(|(source, (at, applied))| (source.as_str(), *at, *applied))
            .collect();
        let mut tx = self.projection.writer.begin().await?;
        let mut conn = tx.conn();
        db::insert_views(&mut conn, &folded.views).await?;
        db::add_deltas_in_streets(&mut conn, &folded.deltas, &folded.streets).await?;
        // Approved months are locked with the figures the replay reached.
        db::relock(&mut conn, &db::locked(&folded.views.reports), &[]).await?;
        db::save_stream_versions(&mut conn, &folded.versions).await?;
        db::parked::park_in(&mut conn, &folded.parked).await?;
        db::save_checkpoints(&mut conn, &checkpoints).await?;
        tx.commit().await
    }
}
