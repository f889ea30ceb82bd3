//! The relay: publishes a write service's committed events to JetStream, in the store's
//! gap-safe order, and moves its checkpoint only after the acks.
//!
//! - One relay per service at a time: it holds a PostgreSQL advisory lock on a dedicated
//!   connection; a standby instance waits for the lock and takes over when the holder's
//!   connection dies.
//! - Publishes are pipelined: a whole batch is sent before any ack is awaited. Each
//!   message carries `Nats-Msg-Id = event_id`, so a batch re-sent after a crash is
//!   dropped as duplicate by JetStream inside its window (and by the projection's
//!   per-stream versions beyond it).
//! - The checkpoint lives in the service's own schema, next to its events.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use async_nats::HeaderMap;
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use prost::Message as _;
use sqlx::{Executor, PgPool};
use tokio_util::sync::CancellationToken;

use crate::subject::StreamSettings;

/// How a relay runs.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The producing service, e.g. "residents" (subject token and checkpoint key).
    pub service: String,
    pub stream: StreamSettings,
    /// Events read and published per round.
    pub batch: usize,
    /// How often to look for new events when nothing signalled an append.
    pub idle_poll: Duration,
}

impl RelayConfig {
    /// Defaults for `service`.
    pub fn new(service: &str, stream: StreamSettings) -> Self {
        Self {
            service: service.to_owned(),
            stream,
            batch: 1000,
            idle_poll: Duration::from_millis(50),
        }
    }
}

/// Runs the relay until `shutdown`: waits for the relay lock, then publishes forever,
/// retrying (with backoff) whatever fails.
pub async fn run_relay(
    config: RelayConfig,
    store: Arc<dyn EventStore>,
    pool: PgPool,
    js: jetstream::Context,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match relay_while_leader(&config, &store, &pool, &js, &shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(service = %config.service, error = %format!("{e:#}"), "relay interrupted, retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Takes the lock (waiting as a standby), then relays until shutdown or an error.
async fn relay_while_leader(
    config: &RelayConfig,
    store: &Arc<dyn EventStore>,
    pool: &PgPool,
    js: &jetstream::Context,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    ensure_checkpoint_table(pool).await?;
    // A connection of its own, outside the pool: the session lock lives exactly as long
    // as this connection, and dropping it (or losing it) releases the lock.
    let mut lock_conn = pool
        .acquire()
        .await
        .context("failed to get a connection for the relay lock")?
        .detach();
    let key = lock_key(&config.service);
    loop {
        let acquired: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut lock_conn)
            .await
            .context("failed to try the relay lock")?;
        if acquired {
            break;
        }
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    tracing::info!(service = %config.service, "relay lock taken, publishing");
    let result = publish_loop(config, store, pool, js, shutdown, &mut lock_conn).await;
    // Unlock explicitly on a clean stop; on a dead connection PostgreSQL releases it.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut lock_conn)
        .await;
    result
}

async fn publish_loop(
    config: &RelayConfig,
    store: &Arc<dyn EventStore>,
    pool: &PgPool,
    js: &jetstream::Context,
    shutdown: &CancellationToken,
    lock_conn: &mut sqlx::PgConnection,
) -> anyhow::Result<()> {
    let mut appended = store.appended();
    let mut checkpoint = load_checkpoint(pool, &config.service).await?;
    let mut last_liveness = tokio::time::Instant::now();
    loop {
        if shutdown.is_cancelled() {
            return Ok(());
        }
        let events = store
            .read_all(checkpoint, config.batch)
            .await
            .context("failed to read events")?;
        if events.is_empty() {
            // The lock lives as long as its connection: check it now and then, so a
            // relay whose connection died stops before a standby starts publishing.
            if last_liveness.elapsed() > Duration::from_secs(2) {
                sqlx::query("SELECT 1")
                    .execute(&mut *lock_conn)
                    .await
                    .context("relay lock connection lost")?;
                last_liveness = tokio::time::Instant::now();
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = appended.changed() => {}
                () = tokio::time::sleep(config.idle_poll) => {}
            }
            continue;
        }
        publish_batch(config, js, &events).await?;
        let last = events.last().map_or(checkpoint, |e| e.checkpoint);
        save_checkpoint(pool, &config.service, last).await?;
        metrics::counter!("civitas_relay_published_total", "service" => config.service.clone())
            .increment(events.len() as u64);
        checkpoint = last;
    }
}

/// Publishes a batch with every ack in flight at once, then awaits them all.
pub async fn publish_batch(
    config: &RelayConfig,
    js: &jetstream::Context,
    events: &[RecordedEvent],
) -> anyhow::Result<()> {
    let mut acks = Vec::with_capacity(events.len());
    for event in events {
        let subject = config
            .stream
            .subject(&config.service, &event.org, &event.event_type);
        let payload = civitas_proto::convert::envelope_of(&config.service, event).encode_to_vec();
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.event_id.to_string().as_str());
        if !event.traceparent.is_empty() {
            headers.insert("traceparent", event.traceparent.as_str());
        }
        let ack = js
            .publish_with_headers(subject, headers, payload.into())
            .await
            .context("failed to publish an event")?;
        acks.push(ack);
    }
    for ack in acks {
        ack.await
            .context("JetStream did not acknowledge an event")?;
    }
    Ok(())
}

async fn ensure_checkpoint_table(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    tx.execute(
        format!(
            "SELECT pg_advisory_xact_lock({})",
            civitas_kernel::store::DDL_LOCK_KEY
        )
        .as_str(),
    )
    .await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS relay_checkpoints (
            service TEXT PRIMARY KEY,
            xid BIGINT NOT NULL,
            position BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    tx.commit()
        .await
        .context("failed to create the relay checkpoint table")
}

/// The relay's checkpoint (the start when it never ran).
pub async fn load_checkpoint(pool: &PgPool, service: &str) -> anyhow::Result<Checkpoint> {
    ensure_checkpoint_table(pool).await?;
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT xid, position FROM relay_checkpoints WHERE service = $1")
            .bind(service)
            .fetch_optional(pool)
            .await
            .context("failed to read the relay checkpoint")?;
    Ok(row.map_or(Checkpoint::START, |(xid, position)| Checkpoint {
        xid: u64::try_from(xid).unwrap_or(0),
        position: u64::try_from(position).unwrap_or(0),
    }))
}

async fn save_checkpoint(pool: &PgPool, service: &str, at: Checkpoint) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO relay_checkpoints (service, xid, position) VALUES ($1, $2, $3)
         ON CONFLICT (service) DO UPDATE SET xid = excluded.xid, position = excluded.position, updated_at = now()",
    )
    .bind(service)
    .bind(i64::try_from(at.xid).unwrap_or(i64::MAX))
    .bind(i64::try_from(at.position).unwrap_or(i64::MAX))
    .execute(pool)
    .await
    .context("failed to save the relay checkpoint")?;
    Ok(())
}

/// A stable advisory lock key per service (FNV-1a of "civitas-relay:<service>").
fn lock_key(service: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "civitas-relay:".bytes().chain(service.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}
