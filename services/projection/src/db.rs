//! Storage of the projection: one code path for SQLite (embedded) and PostgreSQL
//! (distributed), so only portable SQL appears here: `$n` placeholders,
//! `INSERT .. ON CONFLICT .. DO UPDATE`, BIGINT and TEXT columns. Queries go through
//! `sqlx::AnyPool`; a batch goes through a [`Conn`], which reads and writes each table
//! with one statement whatever the batch size (`IN` lists and multi-row `VALUES` over
//! `Any`, arrays and `UNNEST` on PostgreSQL: see [`conn`]).
//!
//! Tables: `projection_checkpoints` (per-source position and applied-event count) and
//! `projection_stream_versions` (last applied version per stream), kept here;
//! `kpi_facts` (per-day deltas per element and community) and `kpi_months` (their
//! month-end balances, kept by the same write, see [`kpi`]), the read
//! models, none holding personal data: `resident_view`, `activity_view`, `plan_view`,
//! `volunteer_view`, `pending_approval_view`, `incident_view` (whose `alert` rows are
//! the alert list) and `rectification_view`, stored by [`Stored`]; and
//! `parked_events` ([`parked`]); `report_view` (monthly reports) and
//! `approved_figures`, the figures of approved months ([`reports`]); what the community
//! page shows, `board_update_view`, `team_view` and `good_deed_view`, stored by
//! [`Stored`] and read by [`public`]. The tables are created by [`schema`]; staff lists are
//! read by [`lists`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use civitas_kernel::Checkpoint;
use sqlx::{AnyConnection, AnyPool};

use crate::error::ProjectionError;

pub mod conn;
mod kpi;
pub mod links;
pub mod lists;
pub mod parked;
mod persons;
pub mod public;
mod reports;
mod schema;
pub mod streets;
mod views;

pub use conn::{lock_writers, Conn, Fields, Value, Writer};
pub use kpi::{add_deltas, window_totals, Windows};
pub use persons::{distinct_counts, Group};
pub use reports::{
    approved_figures, lock_changes, locked, locked_communities, relock, report_rows,
};
pub use schema::{open, open_writer};
pub use streets::add_deltas_in_streets;
pub use views::{insert_views, load_views, save_views, Stored};

/// Most communities per query, well below either backend's parameter limit.
pub(crate) const COMMUNITIES_PER_QUERY: usize = 500;

pub(crate) fn to_i64(v: u64, what: &'static str) -> Result<i64, ProjectionError> {
    i64::try_from(v)
        .map_err(|_| ProjectionError::Unexpected(anyhow::anyhow!("{what} {v} out of range")))
}

pub(crate) fn to_u64(v: i64, what: &'static str) -> Result<u64, ProjectionError> {
    u64::try_from(v)
        .map_err(|_| ProjectionError::Unexpected(anyhow::anyhow!("{what} {v} is negative")))
}

/// `$first, $first+1, …`: `n` placeholders.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 7);
    for i in first..first + n {
        let comma = if i == first { "" } else { ", " };
        let _ = write!(out, "{comma}${i}");
    }
    out
}

/// A source's checkpoint ([`Checkpoint::START`] before its first batch).
pub async fn checkpoint(
    conn: &mut AnyConnection,
    source: &str,
) -> Result<Checkpoint, ProjectionError> {
    source_checkpoint(&mut Conn::Any(conn), source).await
}

/// [`checkpoint`] in a batch's connection.
pub async fn source_checkpoint(
    conn: &mut Conn<'_>,
    source: &str,
) -> Result<Checkpoint, ProjectionError> {
    let sql = "SELECT xid, position FROM projection_checkpoints WHERE source = $1";
    let rows = conn.fetch(sql, &[source.into()]).await?;
    match rows.first() {
        None => Ok(Checkpoint::START),
        Some(row) => Ok(Checkpoint {
            xid: to_u64(row.int(0)?, "xid")?,
            position: to_u64(row.int(1)?, "position")?,
        }),
    }
}

/// Moves each source's checkpoint and adds to its applied-event count: `(source, at,
/// applied)`, one statement.
pub async fn save_checkpoints(
    conn: &mut Conn<'_>,
    checkpoints: &[(&str, Checkpoint, u64)],
) -> Result<(), ProjectionError> {
    let rows = checkpoints
        .iter()
        .map(|(source, at, applied)| {
            Ok(vec![
                Value::from(*source),
                to_i64(at.xid, "xid")?.into(),
                to_i64(at.position, "position")?.into(),
                to_i64(*applied, "applied")?.into(),
            ])
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    conn.insert_rows(
        "projection_checkpoints (source, xid, position, applied)",
        "ON CONFLICT (source) DO UPDATE SET xid = excluded.xid, position = excluded.position,
             applied = projection_checkpoints.applied + excluded.applied",
        &rows,
    )
    .await
}

/// Adds an event applied late (a retried parked one) to its source's count, leaving
/// the position where it is.
pub async fn count_applied(conn: &mut AnyConnection, source: &str) -> Result<(), ProjectionError> {
    let sql = "UPDATE projection_checkpoints SET applied = applied + 1 WHERE source = $1";
    Conn::Any(conn).execute(sql, &[source.into()]).await
}

/// Events applied over every source.
pub async fn applied_events(pool: &AnyPool) -> Result<u64, ProjectionError> {
    let total: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(applied) AS BIGINT) FROM projection_checkpoints")
            .fetch_one(pool)
            .await?;
    to_u64(total.unwrap_or(0), "applied")
}

/// Whether nothing was ever applied here: no stream versions, no checkpoints.
pub async fn is_empty(pool: &AnyPool) -> Result<bool, ProjectionError> {
    let rows: i64 = sqlx::query_scalar(
        "SELECT CAST((SELECT COUNT(*) FROM projection_stream_versions)
             + (SELECT COUNT(*) FROM projection_checkpoints) AS BIGINT)",
    )
    .fetch_one(pool)
    .await?;
    Ok(rows == 0)
}

/// The last applied version of each of `stream_ids` that has one (others are at 0).
pub async fn stream_versions(
    conn: &mut Conn<'_>,
    stream_ids: &[&str],
) -> Result<HashMap<String, u64>, ProjectionError> {
    let head = "SELECT stream_id, version FROM projection_stream_versions WHERE stream_id";
    conn.select_in(head, stream_ids)
        .await?
        .iter()
        .map(|row| Ok((row.text(0)?, to_u64(row.int(1)?, "version")?)))
        .collect()
}

/// Stores the last applied version of each stream in `versions`.
pub async fn save_stream_versions<K: AsRef<str>>(
    conn: &mut Conn<'_>,
    versions: &BTreeMap<K, u64>,
) -> Result<(), ProjectionError> {
    let rows = versions
        .iter()
        .map(|(id, v)| Ok(vec![id.as_ref().into(), to_i64(*v, "version")?.into()]))
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    conn.insert_rows(
        "projection_stream_versions (stream_id, version)",
        "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
        &rows,
    )
    .await
}
