//! The projection's schema: connecting (SQLite or PostgreSQL, optionally in a
//! PostgreSQL schema of its own) and the migrations, each run once.

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::PgPoolOptions;
use sqlx::AnyPool;

use super::{Conn, Writer};

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
    (
        18,
        // Instants as RFC 3339 UTC text with nanoseconds (sortable, exact); a gap
        // marker has `missing_through` set and no event type or payload.
        "CREATE TABLE IF NOT EXISTS parked_events (
            event_id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            service TEXT,
            stream_id TEXT NOT NULL,
            stream_version BIGINT NOT NULL,
            missing_through BIGINT,
            event_type TEXT NOT NULL,
            schema_version BIGINT NOT NULL,
            reason TEXT NOT NULL,
            district TEXT NOT NULL,
            street TEXT NOT NULL,
            community TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            causation_id TEXT NOT NULL,
            traceparent TEXT NOT NULL,
            payload BYTES NOT NULL,
            xid BIGINT NOT NULL,
            position BIGINT NOT NULL,
            parked_at TEXT NOT NULL
        )",
    ),
    (
        19,
        // Per source service: the newest applied event and what the reconcile last saw
        // in its log (see `freshness.rs`); instants as nanoseconds since the epoch.
        "CREATE TABLE IF NOT EXISTS projection_freshness (
            service TEXT PRIMARY KEY,
            last_applied_at BIGINT,
            source_newest_at BIGINT,
            relay_pending_since BIGINT,
            observed_at BIGINT
        )",
    ),
    (
        20,
        // Month-end balances of `kpi_facts` (see `kpi.rs`): per element, community and
        // month `YYYY-MM`, the month's deltas and the running total to its end; a
        // pair has a row for every month from its first delta's to its last delta's
        // (`latest` = 1 on that one), so a balance at any month is one row. Filled from
        // `kpi_facts` when created (`MONTHS_FILLED`).
        "CREATE TABLE IF NOT EXISTS kpi_months (
            element TEXT NOT NULL,
            community TEXT NOT NULL,
            month TEXT NOT NULL,
            in_month BIGINT NOT NULL,
            to_end BIGINT NOT NULL,
            latest BIGINT NOT NULL,
            PRIMARY KEY (element, community, month)
        )",
    ),
    (
        21,
        "CREATE INDEX IF NOT EXISTS kpi_months_by_community ON kpi_months (community, month)",
    ),
    (
        22,
        "CREATE INDEX IF NOT EXISTS kpi_months_latest ON kpi_months (community, month) WHERE latest = 1",
    ),
    (
        23,
        // Every column a read of balances needs (`db::conn::rollup`), so that it is an
        // index-only scan; it replaces `kpi_months_by_community`, its prefix.
        "CREATE INDEX IF NOT EXISTS kpi_months_balances
             ON kpi_months (community, month, element, to_end, in_month, latest)",
    ),
    (24, "DROP INDEX IF EXISTS kpi_months_by_community"),
    (
        40,
        // A community's monthly report (see `rules/reporting.rs`); key `community/YYYY-MM`.
        "CREATE TABLE IF NOT EXISTS report_view (
            report_key TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            month TEXT NOT NULL,
            submitted_on TEXT NOT NULL,
            on_time BIGINT NOT NULL,
            submissions BIGINT NOT NULL,
            approval TEXT NOT NULL
        )",
    ),
    (
        41,
        "CREATE INDEX IF NOT EXISTS report_view_by_month ON report_view (month, community)",
    ),
    (
        42,
        // The figures of a locked month as they stood when it was approved (see
        // `approved.rs`): per community, month `YYYY-MM` and element.
        "CREATE TABLE IF NOT EXISTS approved_figures (
            community TEXT NOT NULL,
            month TEXT NOT NULL,
            element TEXT NOT NULL,
            in_month BIGINT NOT NULL,
            to_end BIGINT NOT NULL,
            PRIMARY KEY (month, community, element)
        )",
    ),
    (
        43,
        // Persons counted by DISTINCT elements (see `rules.rs` count_person): one row
        // per element, community, day and pseudonymous person id.
        "CREATE TABLE IF NOT EXISTS kpi_persons (
            person_key TEXT PRIMARY KEY,
            element TEXT NOT NULL,
            community TEXT NOT NULL,
            day TEXT NOT NULL,
            person TEXT NOT NULL
        )",
    ),
    (
        44,
        "CREATE INDEX IF NOT EXISTS kpi_persons_by_community ON kpi_persons (community, day, element, person)",
    ),
    (
        45,
        // The latest care visit (see `rules/care.rs`), for the residents due for one.
        "ALTER TABLE resident_view ADD COLUMN last_visited TEXT NOT NULL DEFAULT ''",
    ),
    (
        46,
        // Plan adherence (see `rules/activities.rs`): the item an activity delivers,
        // the items of a draft not yet published, and every planned item's month.
        "ALTER TABLE activity_view ADD COLUMN planned_item TEXT NOT NULL DEFAULT ''",
    ),
    (
        47,
        "ALTER TABLE activity_view ADD COLUMN planned_month TEXT NOT NULL DEFAULT ''",
    ),
    (48, "ALTER TABLE plan_view ADD COLUMN draft TEXT NOT NULL DEFAULT ''"),
    (
        49,
        "CREATE TABLE IF NOT EXISTS plan_item_view (
            item_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            month TEXT NOT NULL,
            target BIGINT NOT NULL
        )",
    ),
    (
        50,
        // What the community page shows (see `dashboard/public.rs`), none of it
        // personal: board updates, one row per board and day (key `<board id>/<day>`,
        // see `rules/activities.rs`); ...
        "CREATE TABLE IF NOT EXISTS board_update_view (
            update_key TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            updated_on TEXT NOT NULL,
            topic TEXT NOT NULL,
            content TEXT NOT NULL
        )",
    ),
    (
        51,
        "CREATE INDEX IF NOT EXISTS board_update_view_by_community ON board_update_view (community, updated_on)",
    ),
    (
        52,
        // ... volunteer teams with their member count, never the members
        // (`rules/teams.rs`); ...
        "CREATE TABLE IF NOT EXISTS team_view (
            team_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            formed_on TEXT NOT NULL,
            name TEXT NOT NULL,
            purpose TEXT NOT NULL,
            category TEXT NOT NULL,
            members BIGINT NOT NULL
        )",
    ),
    (
        53,
        "CREATE INDEX IF NOT EXISTS team_view_by_community ON team_view (community, formed_on)",
    ),
    (
        54,
        // ... and good deeds, `published` while they stand published (`rules/deeds.rs`).
        "CREATE TABLE IF NOT EXISTS good_deed_view (
            deed_id TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            happened_on TEXT NOT NULL,
            title TEXT NOT NULL,
            story TEXT NOT NULL,
            published BIGINT NOT NULL
        )",
    ),
    (
        55,
        "CREATE INDEX IF NOT EXISTS good_deed_view_by_community ON good_deed_view (community, published, happened_on)",
    ),
    (
        60,
        // The dashboard's one-time login links already redeemed (see `links.rs`).
        "CREATE TABLE IF NOT EXISTS login_links_used (
            jti TEXT PRIMARY KEY,
            expires_at BIGINT NOT NULL
        )",
    ),
    (
        61,
        // Which street's rollup each community's KPI deltas are added to (see
        // `streets.rs`); `whole` = 1 when it holds all of them.
        "CREATE TABLE IF NOT EXISTS street_members (
            street TEXT NOT NULL,
            community TEXT NOT NULL,
            whole BIGINT NOT NULL,
            PRIMARY KEY (street, community)
        )",
    ),
];

/// The migration after which `kpi_months` is filled from the `kpi_facts` already there.
const MONTHS_FILLED: i64 = 20;

/// The byte-string type `BYTES` stands for in a migration: the one SQL type the two
/// backends spell differently.
fn bytes_type(postgres: bool) -> &'static str {
    if postgres {
        "BYTEA"
    } else {
        "BLOB"
    }
}

/// Serialises concurrent migrations of one PostgreSQL database (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x6369_7669_7461_7301;

/// Every statement planned for its values: a generic plan is made once per connection
/// from the statistics of that moment, and read models start empty, so the plan of a
/// `key = ANY($1)` lookup made then scans the whole table, and keeps doing so as it
/// grows until an ANALYZE replaces it (see the event store's connection options).
pub(crate) const CUSTOM_PLANS: &str = "SET plan_cache_mode TO force_custom_plan";

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
                if !sqlite {
                    sqlx::query(CUSTOM_PLANS).execute(&mut *conn).await?;
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

/// Where batches go: on PostgreSQL a small native pool of its own in the same schema
/// (`public` when none is named), on SQLite `pool` itself.
pub async fn open_writer(
    database_url: &str,
    pg_schema: Option<&str>,
    pool: &AnyPool,
) -> anyhow::Result<Writer> {
    if database_url.starts_with("sqlite:") {
        return Ok(Writer::Any(pool.clone()));
    }
    let schema = valid_schema(pg_schema.unwrap_or("public"))?;
    let search_path = format!("SET search_path TO {schema}");
    let pool = PgPoolOptions::new()
        // Batches are applied one at a time per process.
        .max_connections(2)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                sqlx::query(&search_path).execute(&mut *conn).await?;
                sqlx::query(CUSTOM_PLANS).execute(conn).await?;
                Ok(())
            })
        })
        .connect(database_url)
        .await
        .context("failed to connect to the projection database")?;
    Ok(Writer::Pg { pool, schema })
}

fn valid_schema(name: &str) -> anyhow::Result<String> {
    civitas_kernel::store::schema_name(name)
        .map(str::to_owned)
        .map_err(|e| anyhow::anyhow!("{e}"))
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

async fn migrate(pool: &AnyPool, postgres: bool) -> anyhow::Result<()> {
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
    let mut newly = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !applied.contains(v)) {
        let sql = sql.replace("BYTES", bytes_type(postgres));
        sqlx::query(&sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO projection_schema (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        newly.push(*version);
    }
    if newly.contains(&MONTHS_FILLED) {
        super::kpi::fill_months(&mut Conn::Any(&mut tx))
            .await
            .context("filling kpi_months")?;
    }
    tx.commit().await?;
    // One line for the whole migration, not one per version.
    tracing::debug!(versions = ?newly, "projection schema migrated");
    Ok(())
}
