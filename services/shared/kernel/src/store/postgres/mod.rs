//! The PostgreSQL event store (distributed mode).
//!
//! Each service owns a schema; the pool's `search_path` selects it, so migrations and
//! queries never name it. Gap-safe reading: every row records the transaction id that
//! appended it, and readers only take rows whose transaction id is below the oldest one
//! still running (`pg_snapshot_xmin`). A transaction that took its id early and commits
//! late therefore holds readers back instead of being skipped.
//!
//! Appends are committed in groups. Here PostgreSQL commits about 2,200 single-row
//! transactions per second at one client and about 6,000 at eight, most of it spent per
//! transaction (round trips, WAL flush), while it writes 50,000 to 90,000 rows per
//! second in multi-row statements: batching is the only way past about 8,000 events per
//! second. So `append` queues the request with a reply channel, and one committer task
//! ([`group`]) writes whatever queued up meanwhile as one transaction. Each request
//! still gets its own answer: its own optimistic concurrency check, its own idempotency
//! outcome, and all or none of its events ([`plan`]); only the commit is shared
//! ([`batch`]). The events of one batch share one transaction id and have increasing
//! positions, which the gap-safe order handles like any other transaction. A queued
//! append commits even if its caller stops waiting, just as a COMMIT already sent
//! would: a client that gave up must retry with its idempotency key to learn the
//! outcome.

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Executor, PgPool, Row};
use std::str::FromStr;
use tokio::sync::{mpsc, oneshot, watch};

use super::sql::{self, StoreColumns};
use super::{
    position_after, to_u64, AppendError, AppendOutcome, AppendRequest, EventStore, Idempotency,
    StoreError,
};
use crate::envelope::{Checkpoint, RecordedEvent};

mod batch;
mod companions;
pub use batch::STREAM_VERSIONS;
mod group;
mod plan;
mod single;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The columns [`decode`] reads (a macro, so that [`READ_ALL`] is one constant).
macro_rules! select_columns {
    () => {
        "position, xid::text::bigint AS xid, event_id, stream_id, stream_version, event_type, \
         schema_version, district, street, community, occurred_at, recorded_at, actor, correlation_id, \
         causation_id, traceparent, payload"
    };
}
const SELECT_COLUMNS: &str = select_columns!();

/// What [`EventStore::read_all`] sends: `$1` the checkpoint's transaction id (as
/// text), `$2` its position, `$3` the page size. The order names the table's columns:
/// a bare `xid` would be the selected `xid::text::bigint`, which no index holds, so
/// every page would sort all the events after it (a replay quadratic in the log).
pub const READ_ALL: &str = concat!(
    "SELECT ",
    select_columns!(),
    " FROM events \
     WHERE (xid, position) > ($1::text::xid8, $2) \
       AND xid < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY events.xid, events.position LIMIT $3"
);

/// An event store in one PostgreSQL schema. Clones share one pool and one committer;
/// the committer stops when the last clone is dropped.
#[derive(Clone)]
pub struct PostgresEventStore {
    pool: PgPool,
    appended: watch::Sender<u64>,
    committer: mpsc::Sender<group::Pending>,
}

impl PostgresEventStore {
    /// Connects, creates the schema if needed, runs the migrations and starts the
    /// committer task (so it must be called inside a tokio runtime).
    pub async fn connect(
        url: &str,
        schema: &str,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let pool = schema_pool(url, schema, max_connections).await?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError(anyhow::Error::new(e).context("failed to migrate the event store"))
        })?;
        let appended = watch::channel(0).0;
        let options = schema_options(url, schema)?;
        let committer = group::start(options, pool.clone(), appended.clone()).await?;
        Ok(Self {
            pool,
            appended,
            committer,
        })
    }

    /// The underlying pool (for tests and for the relay's checkpoint table).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn committer_stopped() -> AppendError {
    StoreError(anyhow::anyhow!("the event store committer has stopped")).into()
}

/// A pool whose connections use `schema` (created if missing) as their search path.
pub(crate) async fn schema_pool(
    url: &str,
    schema: &str,
    max_connections: u32,
) -> Result<PgPool, StoreError> {
    let options = schema_options(url, schema)?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError(anyhow::Error::new(e).context(format!(
                "failed to connect to PostgreSQL at {}",
                redact_url(url)
            )))
        })?;
    // CREATE SCHEMA IF NOT EXISTS races with itself across processes; one lock for all
    // civitas DDL makes concurrent starts safe.
    let mut tx = pool.begin().await?;
    tx.execute(super::ddl_lock_statement().as_str()).await?;
    tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
        .await?;
    tx.commit().await?;
    Ok(pool)
}

/// Connection options for `schema` as the search path.
///
/// Every statement is planned for its values (`plan_cache_mode`): a prepared
/// statement's generic plan is made once per connection from the statistics of that
/// moment, and a store starts empty. The plan made then for `stream_id = ANY($1)` is a
/// sequential scan, kept while the table grows until an ANALYZE happens to replace it:
/// in a fresh database every append batch read the whole event table (4 ms per batch
/// at 20,000 events, growing with it). A custom plan costs tens of microseconds.
fn schema_options(url: &str, schema: &str) -> Result<PgConnectOptions, StoreError> {
    let schema = super::schema_name(schema).map_err(|e| StoreError(e.into()))?;
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| StoreError(anyhow::Error::new(e).context("invalid PostgreSQL URL")))?
        .options([
            ("search_path", schema),
            ("plan_cache_mode", "force_custom_plan"),
        ])
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// The URL without its password, for error messages.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let own = StoreColumns {
        event_id: row.try_get("event_id")?,
        schema_version: u32::try_from(row.try_get::<i32, _>("schema_version")?).unwrap_or(0),
        occurred_at: row.try_get("occurred_at")?,
        recorded_at: row.try_get("recorded_at")?,
        checkpoint: Checkpoint {
            xid: to_u64(row.try_get("xid")?, "xid")?,
            position: to_u64(row.try_get("position")?, "position")?,
        },
    };
    sql::decode(row, own)
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let (reply, answer) = oneshot::channel();
        self.committer
            .send(group::Pending { request, reply })
            .await
            .map_err(|_| committer_stopped())?;
        answer.await.map_err(|_| committer_stopped())?
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        sql::read_stream(&self.pool, SELECT_COLUMNS, decode, stream_id).await
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = sqlx::query(READ_ALL)
            .bind(after.xid.to_string())
            .bind(position_after(after))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        sql::fetch_events(&self.pool, decode, query).await
    }

    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        sql::stored_outcome(&self.pool, idempotency).await
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}
