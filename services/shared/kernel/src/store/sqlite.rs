//! The SQLite event store (embedded mode).
//!
//! All appends go through one writer connection, so position order is commit order and
//! a reader can simply take rows by position. Readers use their own connections (WAL
//! mode lets them read while the writer writes).

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqlitePool};
use tokio::sync::watch;

use super::sql::{self, AppendRows, Statement, StoreColumns};
use super::{
    position_after, to_u64, AppendError, AppendOutcome, AppendRequest, EventStore, Idempotency,
    StoreError,
};
use crate::envelope::{Checkpoint, NewEvent, RecordedEvent};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const SELECT_COLUMNS: &str = "position, event_id, stream_id, stream_version, event_type, schema_version, district, \
     street, community, occurred_at, recorded_at, actor, correlation_id, causation_id, traceparent, payload";

/// An event store in one SQLite file.
#[derive(Clone)]
pub struct SqliteEventStore {
    writer: SqlitePool,
    readers: SqlitePool,
    appended: watch::Sender<u64>,
}

impl SqliteEventStore {
    /// Opens (creating if needed) the store at `path` and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Companion rows may hold secrets (wrapped keys): what an update or delete
            // frees is overwritten, not left in the file's free pages.
            .pragma("secure_delete", "ON");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| {
                StoreError(
                    anyhow::Error::new(e).context(format!("failed to open {}", path.display())),
                )
            })?;
        MIGRATOR.run(&writer).await.map_err(|e| {
            StoreError(anyhow::Error::new(e).context("failed to migrate the event store"))
        })?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            writer,
            readers,
            appended: watch::channel(0).0,
        })
    }
}

/// The rows of one append: each carries the same `recorded_at`, taken when it began.
struct Rows {
    recorded_at: i64,
}

impl AppendRows for Rows {
    type Db = Sqlite;

    fn event_insert<'q>(&'q self, event: &'q NewEvent) -> Statement<'q, Sqlite> {
        sqlx::query(
            "INSERT INTO events (event_id, schema_version, occurred_at, recorded_at, stream_id, stream_version, \
             event_type, payload, district, street, community, actor, correlation_id, causation_id, traceparent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(event.event_id.to_string())
        .bind(i64::from(event.schema_version))
        .bind(micros(event.occurred_at))
        .bind(self.recorded_at)
    }

    fn key_insert(&self) -> Statement<'_, Sqlite> {
        sqlx::query(
            "INSERT INTO idempotency_keys (recorded_at, key, fingerprint, stream_id, version) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.recorded_at)
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v)
        .ok_or_else(|| StoreError(anyhow::anyhow!("timestamp {v} out of range")))
}

fn decode(row: &SqliteRow) -> Result<RecordedEvent, StoreError> {
    let event_id: String = row.try_get("event_id")?;
    let own = StoreColumns {
        event_id: event_id
            .parse()
            .map_err(|e| StoreError(anyhow::Error::new(e).context("corrupt event id")))?,
        schema_version: u32::try_from(row.try_get::<i64, _>("schema_version")?).unwrap_or(0),
        occurred_at: from_micros(row.try_get("occurred_at")?)?,
        recorded_at: from_micros(row.try_get("recorded_at")?)?,
        checkpoint: Checkpoint {
            xid: 0,
            position: to_u64(row.try_get("position")?, "position")?,
        },
    };
    sql::decode(row, own)
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from)?;
        let rows = Rows {
            recorded_at: micros(Utc::now()),
        };
        let outcome = sql::append_in(&mut *tx, &request, &rows).await?;
        if outcome.replayed {
            return Ok(outcome);
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.appended.send_modify(|n| *n += 1);
        Ok(outcome)
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        sql::read_stream(&self.readers, SELECT_COLUMNS, decode, stream_id).await
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "SELECT {SELECT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        );
        let query = sqlx::query(&query)
            .bind(position_after(after))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        sql::fetch_events(&self.readers, decode, query).await
    }

    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        sql::stored_outcome(&self.readers, idempotency).await
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}
