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
use sqlx::{Executor, Row, Sqlite, SqlitePool, Transaction};
use tokio::sync::watch;

use super::{
    check_fingerprint, to_i64, to_u64, AppendError, AppendOutcome, AppendRequest, EventStore,
    Idempotency, StoreError,
};
use crate::envelope::{Checkpoint, OrgPath, RecordedEvent};

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
            .foreign_keys(true);
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

    async fn stored_outcome(
        executor: impl Executor<'_, Database = Sqlite>,
        idem: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT fingerprint, stream_id, version FROM idempotency_keys WHERE key = $1",
        )
        .bind(&idem.key)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::from)?;
        match row {
            None => Ok(None),
            Some((fingerprint, stream_id, version)) => {
                check_fingerprint(idem, &fingerprint, stream_id, to_u64(version, "version")?)
                    .map(Some)
            }
        }
    }

    async fn append_in(
        tx: &mut Transaction<'_, Sqlite>,
        request: &AppendRequest,
    ) -> Result<AppendOutcome, AppendError> {
        if let Some(idem) = &request.idempotency {
            if let Some(outcome) = Self::stored_outcome(&mut **tx, idem).await? {
                return Ok(outcome);
            }
        }
        let actual: Option<i64> =
            sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
                .bind(&request.stream_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(StoreError::from)?;
        let actual = to_u64(actual.unwrap_or(0), "stream version")?;
        if !request.expected.admits(actual) {
            return Err(AppendError::Conflict {
                stream_id: request.stream_id.clone(),
                expected: request.expected,
                actual,
            });
        }
        let meta = &request.metadata;
        let recorded_at = micros(Utc::now());
        let mut version = actual;
        for event in &request.events {
            version += 1;
            sqlx::query(
                "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, district, \
                 street, community, occurred_at, recorded_at, actor, correlation_id, causation_id, traceparent, \
                 payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(event.event_id.to_string())
            .bind(&request.stream_id)
            .bind(to_i64(version, "stream version")?)
            .bind(&event.event_type)
            .bind(i64::from(event.schema_version))
            .bind(&meta.org.district)
            .bind(&meta.org.street)
            .bind(&meta.org.community)
            .bind(micros(event.occurred_at))
            .bind(recorded_at)
            .bind(&meta.actor)
            .bind(&meta.correlation_id)
            .bind(&meta.causation_id)
            .bind(&meta.traceparent)
            .bind(&event.payload)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
        }
        if let Some(idem) = &request.idempotency {
            sqlx::query("INSERT INTO idempotency_keys (key, fingerprint, stream_id, version, recorded_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&idem.key)
                .bind(&idem.fingerprint)
                .bind(&request.stream_id)
                .bind(to_i64(version, "stream version")?)
                .bind(recorded_at)
                .execute(&mut **tx)
                .await
                .map_err(StoreError::from)?;
        }
        Ok(AppendOutcome {
            stream_id: request.stream_id.clone(),
            version,
            replayed: false,
        })
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
    Ok(RecordedEvent {
        event_id: event_id
            .parse()
            .map_err(|e| StoreError(anyhow::Error::new(e).context("corrupt event id")))?,
        stream_id: row.try_get("stream_id")?,
        stream_version: to_u64(row.try_get("stream_version")?, "stream version")?,
        event_type: row.try_get("event_type")?,
        schema_version: u32::try_from(row.try_get::<i64, _>("schema_version")?).unwrap_or(0),
        org: OrgPath {
            district: row.try_get("district")?,
            street: row.try_get("street")?,
            community: row.try_get("community")?,
        },
        occurred_at: from_micros(row.try_get("occurred_at")?)?,
        recorded_at: from_micros(row.try_get("recorded_at")?)?,
        actor: row.try_get("actor")?,
        correlation_id: row.try_get("correlation_id")?,
        causation_id: row.try_get("causation_id")?,
        traceparent: row.try_get("traceparent")?,
        payload: row.try_get("payload")?,
        checkpoint: Checkpoint {
            xid: 0,
            position: to_u64(row.try_get("position")?, "position")?,
        },
    })
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from)?;
        let outcome = Self::append_in(&mut tx, &request).await?;
        if outcome.replayed {
            return Ok(outcome);
        }
        tx.commit().await.map_err(StoreError::from)?;
        self.appended.send_modify(|n| *n += 1);
        Ok(outcome)
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "SELECT {SELECT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version"
        );
        let rows = sqlx::query(&query)
            .bind(stream_id)
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "SELECT {SELECT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        );
        let rows = sqlx::query(&query)
            .bind(to_i64(after.position, "position")?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        Self::stored_outcome(&self.readers, idempotency).await
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}
