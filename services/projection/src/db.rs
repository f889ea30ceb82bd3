//! Storage of the projection on `sqlx::AnyPool`: one code path for SQLite (embedded)
//! and PostgreSQL (distributed), so only portable SQL appears here: `$n` placeholders,
//! multi-row `INSERT .. VALUES (..), (..) ON CONFLICT .. DO UPDATE`, BIGINT and TEXT
//! columns.
//!
//! A batch touches each table with one statement per read and one per write, whatever
//! its size: rows are read with `WHERE key IN (..)` and written as one multi-row
//! statement, split only to stay under the backends' bind limits ([`MAX_BINDS`]).
//!
//! Tables: `projection_checkpoints` (per-source position and applied-event count) and
//! `projection_stream_versions` (last applied version per stream), kept here;
//! `kpi_facts` (per-day deltas per element and community, see [`kpi`]), the read
//! models, none holding personal data: `resident_view`, `activity_view`, `plan_view`,
//! `volunteer_view`, `pending_approval_view`, `incident_view` (whose `alert` rows are
//! the alert list) and `rectification_view`, stored by [`Stored`]; and
//! `parked_events` ([`parked`]). The tables are created by [`schema`]; staff lists are
//! read by [`lists`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use civitas_kernel::Checkpoint;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::ProjectionError;

mod kpi;
pub mod lists;
pub mod parked;
mod schema;
mod views;

pub use kpi::{add_deltas, totals};
pub use schema::open;
pub use views::{load_views, save_views, Stored};

/// Most communities per query, well below either backend's parameter limit.
pub(crate) const COMMUNITIES_PER_QUERY: usize = 500;

/// Most bind parameters per statement: SQLite's limit (PostgreSQL's is 65535).
const MAX_BINDS: usize = 32_766;

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

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

/// Rows of `SELECT … WHERE key IN (…)` for every key: `head` is the statement up to
/// `IN`, run once per chunk of keys under the bind limit.
async fn select_in(
    conn: &mut AnyConnection,
    head: &str,
    keys: &[&str],
) -> Result<Vec<AnyRow>, ProjectionError> {
    let mut rows = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_BINDS) {
        let sql = format!("{head} IN ({})", placeholders(1, chunk.len()));
        let mut query = sqlx::query(&sql).persistent(false);
        for key in chunk {
            query = query.bind(*key);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// `DELETE FROM table WHERE key IN (…)` for every key, chunked under the bind limit.
async fn delete_in(
    conn: &mut AnyConnection,
    table: &str,
    key: &str,
    keys: &[&str],
) -> Result<(), ProjectionError> {
    for chunk in keys.chunks(MAX_BINDS) {
        let sql = format!(
            "DELETE FROM {table} WHERE {key} IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql).persistent(false);
        for key in chunk {
            query = query.bind(*key);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `INSERT INTO {into} VALUES (…), (…) {tail}` with one tuple of `columns` values per
/// row, bound by `bind`; as many statements as the bind limit requires, rows in order.
async fn insert_rows<T>(
    conn: &mut AnyConnection,
    into: &str,
    columns: usize,
    tail: &str,
    rows: &[T],
    bind: impl for<'q> Fn(Query<'q>, &'q T) -> Query<'q>,
) -> Result<(), ProjectionError> {
    for chunk in rows.chunks(MAX_BINDS / columns) {
        let mut sql = format!("INSERT INTO {into} VALUES ");
        for row in 0..chunk.len() {
            let comma = if row == 0 { "" } else { ", " };
            let tuple = placeholders(row * columns + 1, columns);
            let _ = write!(sql, "{comma}({tuple})");
        }
        let _ = write!(sql, " {tail}");
        let mut query = sqlx::query(&sql).persistent(false);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
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

/// Adds an event applied late (a retried parked one) to its source's count, leaving
/// the position where it is.
pub async fn count_applied(conn: &mut AnyConnection, source: &str) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE projection_checkpoints SET applied = applied + 1 WHERE source = $1")
        .bind(source)
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

/// The last applied version of each of `stream_ids` that has one (others are at 0).
pub async fn stream_versions(
    conn: &mut AnyConnection,
    stream_ids: &BTreeSet<&str>,
) -> Result<HashMap<String, u64>, ProjectionError> {
    let ids: Vec<&str> = stream_ids.iter().copied().collect();
    let head = "SELECT stream_id, version FROM projection_stream_versions WHERE stream_id";
    select_in(conn, head, &ids)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, to_u64(row.try_get(1)?, "version")?)))
        .collect()
}

/// Stores the last applied version of each stream in `versions`.
pub async fn save_stream_versions(
    conn: &mut AnyConnection,
    versions: &BTreeMap<&str, u64>,
) -> Result<(), ProjectionError> {
    let rows = versions
        .iter()
        .map(|(id, v)| Ok((*id, to_i64(*v, "version")?)))
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    insert_rows(
        conn,
        "projection_stream_versions (stream_id, version)",
        2,
        "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
        &rows,
        |query, (id, version)| query.bind(*id).bind(*version),
    )
    .await
}
