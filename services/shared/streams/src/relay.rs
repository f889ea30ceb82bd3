//! The relay: publishes a write service's committed events to JetStream, in the store's
//! gap-safe order, and moves its checkpoint only after the acks.
//!
//! - One relay per service at a time: it holds a PostgreSQL advisory lock on a dedicated
//!   connection; a standby instance waits for the lock and takes over when the holder's
//!   connection dies. The holder checks that connection every 2 s however busy it is,
//!   and stops publishing as soon as it is gone.
//! - Publishes are pipelined: a whole batch is sent before any ack is awaited. Each
//!   message carries `Nats-Msg-Id = event_id`, so a batch re-sent after a crash is
//!   dropped as duplicate by JetStream inside its window (and by the projection's
//!   per-stream versions beyond it).
//! - An event that cannot be published is retried, with backoff, for as long as it
//!   takes: skipping it would break the order every consumer relies on, and the store
//!   is the system of record. Every later event of the service waits behind it, so the
//!   relay says so loudly: an ERROR naming the event (at most every 10 s), the gauge
//!   `civitas_relay_stuck_seconds` and the counter `civitas_relay_publish_failures_total`.
//!   The write shell refuses events too large to publish, so size alone should never
//!   cause this.
//! - The checkpoint lives in the service's own schema, next to its events, and only
//!   moves forward.
//! - When committed events wait behind a transaction held open elsewhere in the
//!   cluster, the relay says so and names it ([`crate::horizon`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use async_nats::HeaderMap;
use civitas_kernel::uuid::Uuid;
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use prost::Message as _;
use sqlx::{Executor, PgPool};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::horizon::Horizon;
use crate::lease::Lease;
use crate::subject::StreamSettings;

/// Longest wait between two attempts, at the lock or at an event.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a relay stuck on one event repeats its ERROR.
const STUCK_LOG_EVERY: Duration = Duration::from_secs(10);

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
                backoff = (backoff * 2).min(MAX_BACKOFF);
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
    let lease_name = format!("civitas-relay:{}", config.service);
    let Some(lease) = Lease::acquire(pool, &lease_name, shutdown).await? else {
        return Ok(());
    };
    tracing::info!(service = %config.service, "relay lock taken, publishing");
    // The lease watches its connection beside the publishing, so a relay whose
    // connection died stops, busy or idle, before a standby publishes too.
    let result = lease
        .hold(publish_loop(config, store, pool, js, shutdown))
        .await;
    stuck_gauge(config).set(0.0);
    result
}

async fn publish_loop(
    config: &RelayConfig,
    store: &Arc<dyn EventStore>,
    pool: &PgPool,
    js: &jetstream::Context,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut appended = store.appended();
    let mut checkpoint = load_checkpoint(pool, &config.service).await?;
    let mut stuck: Option<Stuck> = None;
    let mut horizon = Horizon::default();
    loop {
        if shutdown.is_cancelled() {
            return Ok(());
        }
        let events = store
            .read_all(checkpoint, config.batch)
            .await
            .context("failed to read events")?;
        if events.is_empty() {
            horizon.idle(pool, &config.service, checkpoint).await;
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = appended.changed() => {}
                () = tokio::time::sleep(config.idle_poll) => {}
            }
            continue;
        }
        let result = publish_batch(config, js, &events).await;
        let published = result
            .as_ref()
            .map_or_else(|f| f.published, |()| events.len());
        if let Some(last) = published.checked_sub(1).map(|i| events[i].checkpoint) {
            save_checkpoint(pool, &config.service, last).await?;
            metrics::counter!("civitas_relay_published_total", "service" => config.service.clone())
                .increment(published as u64);
            // The second stage of the pipeline's lag: committed → acknowledged by NATS.
            let lag = metrics::histogram!("civitas_relay_lag_seconds", "service" => config.service.clone());
            for event in &events[..published] {
                lag.record(event.seconds_since_recorded());
            }
            checkpoint = last;
            horizon.moved(&config.service);
        }
        match result {
            Ok(()) => {
                if let Some(cleared) = stuck.take() {
                    tracing::info!(
                        service = %config.service,
                        event_id = %cleared.event_id,
                        attempts = cleared.attempts,
                        "relay published the event it was stuck on"
                    );
                    stuck_gauge(config).set(0.0);
                }
            }
            Err(failure) => {
                let wait = Stuck::on(&mut stuck, &failure).failed(config, &failure);
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// An event the relay keeps failing to publish.
struct Stuck {
    event_id: Uuid,
    since: Instant,
    attempts: u64,
    last_logged: Option<Instant>,
    backoff: Duration,
}

impl Stuck {
    /// The record for `failure`'s event: the current one, or a fresh one when the relay
    /// was not stuck or was stuck on another event.
    fn on<'a>(stuck: &'a mut Option<Stuck>, failure: &PublishFailure) -> &'a mut Stuck {
        if stuck
            .as_ref()
            .is_none_or(|s| s.event_id != failure.event_id)
        {
            *stuck = Some(Stuck {
                event_id: failure.event_id,
                since: Instant::now(),
                attempts: 0,
                last_logged: None,
                backoff: Duration::from_millis(100),
            });
        }
        stuck.as_mut().expect("set above")
    }

    /// Counts one more failed attempt, says so, and returns how long to wait.
    fn failed(&mut self, config: &RelayConfig, failure: &PublishFailure) -> Duration {
        self.attempts += 1;
        let stuck_for = self.since.elapsed();
        metrics::counter!("civitas_relay_publish_failures_total", "service" => config.service.clone())
            .increment(1);
        stuck_gauge(config).set(stuck_for.as_secs_f64());
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= STUCK_LOG_EVERY)
        {
            tracing::error!(
                service = %config.service,
                event_id = %failure.event_id,
                stream_id = %failure.stream_id,
                attempts = self.attempts,
                stuck_seconds = stuck_for.as_secs(),
                error = %failure.source,
                "relay cannot publish an event; retrying it, and every later event of the service waits"
            );
            self.last_logged = Some(Instant::now());
        }
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        wait
    }
}

fn stuck_gauge(config: &RelayConfig) -> metrics::Gauge {
    metrics::gauge!("civitas_relay_stuck_seconds", "service" => config.service.clone())
}

/// The event a batch stopped at, and how many events before it JetStream acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("failed to publish event {event_id} of stream {stream_id}")]
pub struct PublishFailure {
    /// Events at the start of the batch that are acknowledged.
    pub published: usize,
    pub event_id: Uuid,
    pub stream_id: String,
    #[source]
    pub source: jetstream::context::PublishError,
}

/// Publishes a batch with every ack in flight at once, then awaits them all. Stops
/// sending at the first event that cannot be sent; an event whose ack fails may already
/// have later events of the batch behind it in the stream (duplicates and gaps are the
/// consumers' to handle, and the retry resends them with the same ids).
pub async fn publish_batch(
    config: &RelayConfig,
    js: &jetstream::Context,
    events: &[RecordedEvent],
) -> Result<(), PublishFailure> {
    let failure = |at: usize, source| PublishFailure {
        published: at,
        event_id: events[at].event_id,
        stream_id: events[at].stream_id.clone(),
        source,
    };
    let mut acks = Vec::with_capacity(events.len());
    let mut unsent = None;
    for (at, event) in events.iter().enumerate() {
        let subject = config
            .stream
            .subject(&config.service, &event.org, &event.event_type);
        let payload = civitas_proto::convert::envelope_of(&config.service, event).encode_to_vec();
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.event_id.to_string().as_str());
        if !event.traceparent.is_empty() {
            headers.insert("traceparent", event.traceparent.as_str());
        }
        match js
            .publish_with_headers(subject, headers, payload.into())
            .await
        {
            Ok(ack) => acks.push(ack),
            Err(e) => {
                unsent = Some(failure(at, e));
                break;
            }
        }
    }
    // The acks of the events sent before an unsendable one still count.
    for (at, ack) in acks.into_iter().enumerate() {
        if let Err(e) = ack.await {
            return Err(failure(at, e));
        }
    }
    unsent.map_or(Ok(()), Err)
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

/// Stores `at` unless the stored checkpoint is already at or past it: a relay that lost
/// its lock mid-batch must not move the new holder back.
async fn save_checkpoint(pool: &PgPool, service: &str, at: Checkpoint) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO relay_checkpoints (service, xid, position) VALUES ($1, $2, $3)
         ON CONFLICT (service) DO UPDATE SET xid = excluded.xid, position = excluded.position, updated_at = now()
         WHERE (relay_checkpoints.xid, relay_checkpoints.position) < (excluded.xid, excluded.position)",
    )
    .bind(service)
    .bind(i64::try_from(at.xid).unwrap_or(i64::MAX))
    .bind(i64::try_from(at.position).unwrap_or(i64::MAX))
    .execute(pool)
    .await
    .context("failed to save the relay checkpoint")?;
    Ok(())
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
