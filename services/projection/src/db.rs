//! Storage of the projection on `sqlx::AnyPool`: one code path for SQLite (embedded)
//! and PostgreSQL (distributed), so only portable SQL appears here: `$n` placeholders,
//! `INSERT .. ON CONFLICT .. DO UPDATE`, BIGINT and TEXT columns.
//!
//! Tables: `projection_checkpoints` (per-source position and applied-event count),
//! `projection_stream_versions` (last applied version per stream), `kpi_facts`
//! (per-day deltas per element and community) and the read models, none holding
//! personal data: `resident_view`, `activity_view`, `plan_view`, `volunteer_view`,
//! `pending_approval_view`, `incident_view` (whose `alert` rows are the alert list)
//! and `rectification_view`. Rows are stored by [`Stored`]; staff lists are read by
//! [`lists`].

use std::collections::BTreeMap;

use anyhow::Context;
use civitas_kernel::Checkpoint;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::ProjectionError;

pub mod lists;
mod views;

pub use views::Stored;

/// Schema migrations in order; each runs once, recorded in `projection_schema`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE IF NOT EXISTS projection_checkpoints (
            source TEXT PRIMARY KEY,
            xid BIGINT NOT NULL,
            position BIGINT NOT NULL,
            applied BIGINT NOT NULL DEFAULT 0
        )",
    ),
    (
        2,
        "CREATE TABLE IF NOT EXISTS projection_stream_versions (
            stream_id TEXT PRIMARY KEY,
            version BIGINT NOT NULL
        )",
    ),
    (
        3,
        "CREATE TABLE IF NOT EXISTS resident_view (
            resident_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            household_id TEXT NOT NULL,
            residence_type TEXT NOT NULL,
            care_categories TEXT NOT NULL,
            active BIGINT NOT NULL
        )",
    ),
    (
        4,
        "CREATE TABLE IF NOT EXISTS kpi_facts (
            element TEXT NOT NULL,
            community TEXT NOT NULL,
            day TEXT NOT NULL,
            value BIGINT NOT NULL,
            PRIMARY KEY (element, community, day)
        )",
    ),
    (
        5,
        "CREATE INDEX IF NOT EXISTS kpi_facts_by_community ON kpi_facts (community, day)",
    ),
    (
        6,
        "CREATE TABLE IF NOT EXISTS activity_view (
            activity_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            category TEXT NOT NULL,
            title TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            capacity BIGINT NOT NULL,
            registered BIGINT NOT NULL,
            checked_in BIGINT NOT NULL,
            walk_ins BIGINT NOT NULL,
            status TEXT NOT NULL
        )",
    ),
    (
        7,
        "CREATE INDEX IF NOT EXISTS activity_view_by_start ON activity_view (community, starts_at)",
    ),
    (
        8,
        "CREATE TABLE IF NOT EXISTS plan_view (
            plan_key TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            year BIGINT NOT NULL,
            version BIGINT NOT NULL,
            item_count BIGINT NOT NULL
        )",
    ),
    (
        9,
        "CREATE TABLE IF NOT EXISTS volunteer_view (
            volunteer_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            status TEXT NOT NULL,
            approved_minutes BIGINT NOT NULL,
            star_level BIGINT NOT NULL,
            pending_records BIGINT NOT NULL
        )",
    ),
    (
        10,
        "CREATE INDEX IF NOT EXISTS volunteer_view_by_community ON volunteer_view (community)",
    ),
    (
        11,
        "CREATE TABLE IF NOT EXISTS pending_approval_view (
            record_id TEXT PRIMARY KEY,
            volunteer_id TEXT NOT NULL,
            community TEXT NOT NULL,
            minutes BIGINT NOT NULL,
            service_date TEXT NOT NULL,
            submitted_on TEXT NOT NULL
        )",
    ),
    (
        12,
        "CREATE INDEX IF NOT EXISTS pending_approval_view_by_community ON pending_approval_view (community)",
    ),
    (
        13,
        "CREATE TABLE IF NOT EXISTS incident_view (
            incident_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            state TEXT NOT NULL,
            reported_at TEXT NOT NULL,
            reported_day TEXT NOT NULL,
            alert BIGINT NOT NULL
        )",
    ),
    (
        14,
        "CREATE INDEX IF NOT EXISTS incident_view_by_community ON incident_view (community, state)",
    ),
    (
        15,
        "CREATE INDEX IF NOT EXISTS incident_view_alerts ON incident_view (alert, reported_day)",
    ),
    (
        16,
        "CREATE TABLE IF NOT EXISTS rectification_view (
            rectification_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            ordered_on TEXT NOT NULL,
            deadline TEXT NOT NULL,
            state TEXT NOT NULL
        )",
    ),
    (
        17,
        "CREATE INDEX IF NOT EXISTS rectification_view_by_community ON rectification_view (community, state, deadline)",
    ),
];

/// Serialises concurrent migrations of one PostgreSQL database (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x6369_7669_7461_7301;

/// Most communities per query, well below either backend's parameter limit.
pub(crate) const COMMUNITIES_PER_QUERY: usize = 500;

/// Connects and applies pending migrations. On PostgreSQL, `pg_schema` (created if
/// missing) holds the tables, so read models can be rebuilt beside the live ones and
/// swapped in by renaming schemas.
pub async fn open(database_url: &str, pg_schema: Option<&str>) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let options: AnyConnectOptions = database_url
        .parse()
        .context("invalid projection database url")?;
    let sqlite = database_url.starts_with("sqlite:");
    let schema = match pg_schema {
        Some(s) if !sqlite => Some(valid_schema(s)?),
        _ => None,
    };
    if let Some(schema) = &schema {
        create_schema(database_url, schema).await?;
    }
    let search_path = schema.map(|s| format!("SET search_path TO {s}"));
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                if let Some(sql) = &search_path {
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                if sqlite {
                    // With WAL, NORMAL never corrupts; a crash may lose the last batches,
                    // which are re-applied from the checkpoint stored with them.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .context("failed to connect to the projection database")?;
    if sqlite {
        // WAL lets dashboard reads proceed while the tailer writes; it persists in the file.
        sqlx::query("PRAGMA journal_mode = WAL")
            .fetch_all(&pool)
            .await
            .context("failed to enable wal")?;
    }
    migrate(&pool, !sqlite)
        .await
        .context("failed to migrate the projection database")?;
    Ok(pool)
}

fn valid_schema(name: &str) -> anyhow::Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(ok, "invalid schema name {name:?}: use [a-z_][a-z0-9_]*");
    Ok(name.to_owned())
}

async fn create_schema(database_url: &str, schema: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(database_url)
        .await
        .context("failed to connect to the projection database")?;
    let mut tx = conn.begin().await?;
    sqlx::query(&format!(
        "SELECT CAST(1 AS BIGINT) FROM pg_advisory_xact_lock({})",
        civitas_kernel::store::DDL_LOCK_KEY
    ))
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn migrate(pool: &AnyPool, postgres: bool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if postgres {
        sqlx::query("SELECT CAST(1 AS BIGINT) FROM pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .fetch_all(&mut *tx)
            .await?;
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS projection_schema (version BIGINT PRIMARY KEY)")
        .execute(&mut *tx)
        .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM projection_schema")
        .fetch_all(&mut *tx)
        .await?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !applied.contains(v)) {
        sqlx::query(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO projection_schema (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tracing::info!(version, "projection schema migrated");
    }
    tx.commit().await
}

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

/// Adds a delta to a fact. Zero deltas are written too, so which rows exist does not
/// depend on how events were split into batches (a rebuild is byte-identical).
pub async fn add_fact(
    conn: &mut AnyConnection,
    element: &str,
    community: &str,
    day: &str,
    delta: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO kpi_facts (element, community, day, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (element, community, day) DO UPDATE SET value = kpi_facts.value + excluded.value",
    )
    .bind(element)
    .bind(community)
    .bind(day)
    .bind(delta)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One element's sums for one community: the deltas within a period and up to its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub in_period: i64,
    pub to_date: i64,
}

/// Per community and element, the sums of deltas with `first <= day <= last`
/// (`in_period`) and with `day <= last` (`to_date`); days are `YYYY-MM-DD`.
pub async fn totals(
    pool: &AnyPool,
    communities: &[String],
    first: &str,
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Totals>>, ProjectionError> {
    let mut out: BTreeMap<String, BTreeMap<String, Totals>> = BTreeMap::new();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        let placeholders = (3..3 + chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT community, element,
                 CAST(SUM(CASE WHEN day >= $1 THEN value ELSE 0 END) AS BIGINT) AS in_period,
                 CAST(SUM(value) AS BIGINT) AS to_date
             FROM kpi_facts WHERE day <= $2 AND community IN ({placeholders})
             GROUP BY community, element"
        );
        let mut query = sqlx::query(&sql).bind(first).bind(last);
        for community in chunk {
            query = query.bind(community);
        }
        for row in query.fetch_all(pool).await? {
            let totals = Totals {
                in_period: row.try_get(2)?,
                to_date: row.try_get(3)?,
            };
            out.entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, totals);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `totals` separates deltas inside the period (flows, SUM) from everything up to its
    /// end (stocks, LAST), and filters communities; on both backends.
    #[tokio::test]
    async fn totals_split_period_and_to_date_on_both_backends() {
        let dir = civitas_testkit::temp_dir();
        let pg = civitas_testkit::fresh_postgres_db()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        for url in [
            format!("sqlite://{}/p.db?mode=rwc", dir.path().display()),
            pg.url.clone(),
        ] {
            let pool = open(&url, None).await.unwrap();
            let mut conn = pool.acquire().await.unwrap();
            for (community, day, delta) in [
                ("a", "2026-10-31", 5),
                ("a", "2026-11-01", 2),
                ("a", "2026-11-30", -1),
                ("a", "2026-12-01", 7),
                ("b", "2026-11-15", 3),
            ] {
                add_fact(&mut conn, "flow", community, day, delta)
                    .await
                    .unwrap();
            }
            add_fact(&mut conn, "flow", "a", "2026-11-01", 1)
                .await
                .unwrap();
            drop(conn);

            let got = totals(&pool, &["a".into(), "c".into()], "2026-11-01", "2026-11-30")
                .await
                .unwrap();
            assert_eq!(
                got.len(),
                1,
                "{url}: only communities asked for and with facts"
            );
            assert_eq!(
                got["a"]["flow"],
                Totals {
                    in_period: 2,
                    to_date: 7
                },
                "{url}"
            );
            pool.close().await;
        }
    }
}
