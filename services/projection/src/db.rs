//! Storage of the projection on `sqlx::AnyPool`: one code path for SQLite (embedded)
//! and PostgreSQL (distributed), so only portable SQL appears here: `$n` placeholders,
//! `INSERT .. ON CONFLICT .. DO UPDATE`, BIGINT and TEXT columns.
//!
//! Tables: `projection_checkpoints` (per-source position and applied-event count) and
//! `projection_stream_versions` (last applied version per stream), kept here;
//! `kpi_facts` (per-day deltas per element and community, see [`kpi`]) and the read
//! models, none holding personal data: `resident_view`, `activity_view`, `plan_view`,
//! `volunteer_view`, `pending_approval_view`, `incident_view` (whose `alert` rows are
//! the alert list) and `rectification_view`. The tables are created by [`schema`]; rows
//! are stored by [`Stored`]; staff lists are read by [`lists`].

use civitas_kernel::Checkpoint;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::ProjectionError;

mod kpi;
pub mod lists;
mod schema;
mod views;

pub use kpi::{add_delta, totals};
pub use schema::open;
pub use views::Stored;

/// Most communities per query, well below either backend's parameter limit.
pub(crate) const COMMUNITIES_PER_QUERY: usize = 500;

fn to_i64(v: u64, what: &'static str) -> Result<i64, ProjectionError> {
    i64::try_from(v)
        .map_err(|_| ProjectionError::Unexpected(anyhow::anyhow!("{what} {v} out of range")))
}

fn to_u64(v: i64, what: &'static str) -> Result<u64, ProjectionError> {
    u64::try_from(v)
        .map_err(|_| ProjectionError::Unexpected(anyhow::anyhow!("{what} {v} is negative")))
}

/// A source's checkpoint ([`Checkpoint::START`] before its first batch).
pub async fn checkpoint(
    conn: &mut AnyConnection,
    source: &str,
) -> Result<Checkpoint, ProjectionError> {
    let row = sqlx::query("SELECT xid, position FROM projection_checkpoints WHERE source = $1")
        .bind(source)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(Checkpoint::START),
        Some(row) => Ok(Checkpoint {
            xid: to_u64(row.try_get(0)?, "xid")?,
            position: to_u64(row.try_get(1)?, "position")?,
        }),
    }
}

/// Moves a source's checkpoint and adds to its applied-event count.
pub async fn save_checkpoint(
    conn: &mut AnyConnection,
    source: &str,
    at: Checkpoint,
    applied: u64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (source, xid, position, applied) VALUES ($1, $2, $3, $4)
         ON CONFLICT (source) DO UPDATE SET xid = excluded.xid, position = excluded.position,
             applied = projection_checkpoints.applied + excluded.applied",
    )
    .bind(source)
    .bind(to_i64(at.xid, "xid")?)
    .bind(to_i64(at.position, "position")?)
    .bind(to_i64(applied, "applied")?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Events applied over every source.
pub async fn applied_events(pool: &AnyPool) -> Result<u64, ProjectionError> {
    let total: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(applied) AS BIGINT) FROM projection_checkpoints")
            .fetch_one(pool)
            .await?;
    to_u64(total.unwrap_or(0), "applied")
}

/// The last applied version of a stream, 0 if none.
pub async fn stream_version(
    conn: &mut AnyConnection,
    stream_id: &str,
) -> Result<u64, ProjectionError> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT version FROM projection_stream_versions WHERE stream_id = $1")
            .bind(stream_id)
            .fetch_optional(&mut *conn)
            .await?;
    to_u64(v.unwrap_or(0), "version")
}

pub async fn save_stream_version(
    conn: &mut AnyConnection,
    stream_id: &str,
    version: u64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO projection_stream_versions (stream_id, version) VALUES ($1, $2)
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
    )
    .bind(stream_id)
    .bind(to_i64(version, "version")?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
