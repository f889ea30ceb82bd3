//! The PostgreSQL event store (distributed mode).
//!
//! Each service owns a schema; the pool's `search_path` selects it, so migrations and
//! queries never name it. Gap-safe reading: every row records the transaction id that
//! appended it, and readers only take rows whose transaction id is below the oldest one
//! still running (`pg_snapshot_xmin`). A transaction that took its id early and commits
//! late therefore holds readers back instead of being skipped.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Executor, PgPool, Postgres, Row, Transaction};
use std::str::FromStr;
use tokio::sync::watch;

use super::{
    check_fingerprint, to_i64, to_u64, AppendError, AppendOutcome, AppendRequest, EventStore,
    Idempotency, StoreError,
};
use crate::envelope::{Checkpoint, OrgPath, RecordedEvent};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const SELECT_COLUMNS: &str = "position, xid::text::bigint AS xid, event_id, stream_id, stream_version, event_type, \
     schema_version, district, street, community, occurred_at, recorded_at, actor, correlation_id, causation_id, \
     traceparent, payload";

/// An event store in one PostgreSQL schema.
#[derive(Clone)]
pub struct PostgresEventStore {
    pool: PgPool,
    appended: watch::Sender<u64>,
}

impl PostgresEventStore {
    /// Connects, creates the schema if needed and runs the migrations.
    pub async fn connect(
        url: &str,
        schema: &str,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let pool = schema_pool(url, schema, max_connections).await?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError(anyhow::Error::new(e).context("failed to migrate the event store"))
        })?;
        Ok(Self {
            pool,
            appended: watch::channel(0).0,
        })
    }

    /// The underlying pool (for tests and for the relay's checkpoint table).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn current_version(
        executor: impl Executor<'_, Database = Postgres>,
        stream_id: &str,
    ) -> Result<u64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
                .bind(stream_id)
                .fetch_one(executor)
                .await?;
        to_u64(version.unwrap_or(0), "stream version")
    }

    async fn stored_outcome(
        executor: impl Executor<'_, Database = Postgres>,
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

    /// The body of one append inside an open transaction. Returns the outcome, or the
    /// stored outcome when the idempotency key was already used.
    async fn append_in(
        tx: &mut Transaction<'_, Postgres>,
        request: &AppendRequest,
    ) -> Result<AppendOutcome, AppendError> {
        if let Some(idem) = &request.idempotency {
            if let Some(outcome) = Self::stored_outcome(&mut **tx, idem).await? {
                return Ok(outcome);
            }
        }
        let actual = Self::current_version(&mut **tx, &request.stream_id).await?;
        if !request.expected.admits(actual) {
            return Err(AppendError::Conflict {
                stream_id: request.stream_id.clone(),
                expected: request.expected,
                actual,
            });
        }
        let meta = &request.metadata;
        let mut version = actual;
        for event in &request.events {
            version += 1;
            sqlx::query(
                "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, district, \
                 street, community, occurred_at, actor, correlation_id, causation_id, traceparent, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(event.event_id)
            .bind(&request.stream_id)
            .bind(to_i64(version, "stream version")?)
            .bind(&event.event_type)
            .bind(i32::try_from(event.schema_version).unwrap_or(i32::MAX))
            .bind(&meta.org.district)
            .bind(&meta.org.street)
            .bind(&meta.org.community)
            .bind(event.occurred_at)
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
            sqlx::query("INSERT INTO idempotency_keys (key, fingerprint, stream_id, version) VALUES ($1, $2, $3, $4)")
                .bind(&idem.key)
                .bind(&idem.fingerprint)
                .bind(&request.stream_id)
                .bind(to_i64(version, "stream version")?)
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

    /// Turns a unique violation raced by a concurrent append into its business meaning.
    async fn resolve_race(
        &self,
        request: &AppendRequest,
        error: AppendError,
    ) -> Result<AppendOutcome, AppendError> {
        let Some(constraint) = unique_violation(&error) else {
            return Err(error);
        };
        match (constraint.as_str(), &request.idempotency) {
            ("idempotency_keys_pkey", Some(idem)) => {
                match Self::stored_outcome(&self.pool, idem).await? {
                    Some(outcome) => Ok(outcome),
                    None => Err(error),
                }
            }
            ("events_stream_version_unique", _) => Err(AppendError::Conflict {
                stream_id: request.stream_id.clone(),
                expected: request.expected,
                actual: Self::current_version(&self.pool, &request.stream_id).await?,
            }),
            _ => Err(error),
        }
    }
}

/// A pool whose connections use `schema` (created if missing) as their search path.
pub(crate) async fn schema_pool(
    url: &str,
    schema: &str,
    max_connections: u32,
) -> Result<PgPool, StoreError> {
    if schema.is_empty()
        || !schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StoreError(anyhow::anyhow!(
            "invalid schema name {schema:?}: use [a-z0-9_]"
        )));
    }
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError(anyhow::Error::new(e).context("invalid PostgreSQL URL")))?
        .options([("search_path", schema)])
        .log_statements(tracing::log::LevelFilter::Trace);
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
    tx.execute(format!("SELECT pg_advisory_xact_lock({})", super::DDL_LOCK_KEY).as_str())
        .await?;
    tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
        .await?;
    tx.commit().await?;
    Ok(pool)
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

fn unique_violation(error: &AppendError) -> Option<String> {
    let AppendError::Store(StoreError(inner)) = error else {
        return None;
    };
    let db = inner.downcast_ref::<sqlx::Error>()?.as_database_error()?;
    (db.code().as_deref() == Some("23505")).then(|| db.constraint().unwrap_or_default().to_owned())
}

fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    Ok(RecordedEvent {
        event_id: row.try_get("event_id")?,
        stream_id: row.try_get("stream_id")?,
        stream_version: to_u64(row.try_get("stream_version")?, "stream version")?,
        event_type: row.try_get("event_type")?,
        schema_version: u32::try_from(row.try_get::<i32, _>("schema_version")?).unwrap_or(0),
        org: OrgPath {
            district: row.try_get("district")?,
            street: row.try_get("street")?,
            community: row.try_get("community")?,
        },
        occurred_at: row.try_get::<DateTime<Utc>, _>("occurred_at")?,
        recorded_at: row.try_get::<DateTime<Utc>, _>("recorded_at")?,
        actor: row.try_get("actor")?,
        correlation_id: row.try_get("correlation_id")?,
        causation_id: row.try_get("causation_id")?,
        traceparent: row.try_get("traceparent")?,
        payload: row.try_get("payload")?,
        checkpoint: Checkpoint {
            xid: to_u64(row.try_get("xid")?, "xid")?,
            position: to_u64(row.try_get("position")?, "position")?,
        },
    })
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let outcome = match Self::append_in(&mut tx, &request).await {
            Ok(outcome) => outcome,
            Err(e) => {
                drop(tx);
                return self.resolve_race(&request, e).await;
            }
        };
        if outcome.replayed {
            return Ok(outcome);
        }
        if let Err(e) = tx.commit().await {
            return self
                .resolve_race(&request, AppendError::Store(e.into()))
                .await;
        }
        self.appended.send_modify(|n| *n += 1);
        Ok(outcome)
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "SELECT {SELECT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version"
        );
        let rows = sqlx::query(&query)
            .bind(stream_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "SELECT {SELECT_COLUMNS} FROM events \
             WHERE (xid, position) > ($1::text::xid8, $2) \
               AND xid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY xid, position LIMIT $3"
        );
        let rows = sqlx::query(&query)
            .bind(after.xid.to_string())
            .bind(to_i64(after.position, "position")?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        Self::stored_outcome(&self.pool, idempotency).await
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}
