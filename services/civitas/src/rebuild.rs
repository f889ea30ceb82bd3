//! `civitas rebuild`: rebuilds the projection's read models from zero, from the write
//! services' event logs (the systems of record, not NATS), into a fresh PostgreSQL
//! schema, then swaps it in for the live one by renaming schemas in one transaction.
//!
//! Events are applied per service in the store's order, in large batches (one
//! transaction each, with the checkpoint), through the same code as the live
//! projection — so the result equals an incrementally built projection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use civitas_kernel::store::schema_name;
use civitas_kernel::RecordedEvent;
use civitas_platform::auth::BearerToken;
use civitas_projection::consumer::EventLogGapFiller;
use civitas_projection::Projection;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_proto::eventlog::v1::SubscribeRequest;
use sqlx::Executor;
use tonic::transport::Channel;

/// What to rebuild from and where.
#[derive(Debug, Clone)]
pub struct RebuildConfig {
    pub database_url: String,
    /// Service name → event log URL.
    pub event_logs: Vec<(String, String)>,
    /// A token that may read every community (role admin).
    pub token: String,
    /// The live schema to replace.
    pub live_schema: String,
    /// Where to build; replaced if it exists.
    pub build_schema: String,
    /// Rename `build_schema` to `live_schema` at the end (the old one is dropped).
    pub swap: bool,
    /// Events per transaction.
    pub batch: usize,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    pub events: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "rebuilt {} events in {:.2} s: {:.0} events/s",
            self.events,
            secs,
            self.events as f64 / secs
        )
    }
}

/// Runs a rebuild.
pub async fn run(config: &RebuildConfig) -> anyhow::Result<RebuildReport> {
    let admin = sqlx::PgPool::connect(&config.database_url)
        .await
        .context("failed to connect to PostgreSQL")?;
    admin
        .execute(
            format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                schema_name(&config.build_schema)?
            )
            .as_str(),
        )
        .await
        .context("failed to clear the build schema")?;
    let projection = Projection::open_in(&config.database_url, Some(&config.build_schema)).await?;
    let gaps = Arc::new(EventLogGapFiller::new(&config.event_logs, &config.token)?);
    let started = Instant::now();
    let mut events = 0;
    for (service, url) in &config.event_logs {
        events += replay(
            &projection,
            service,
            url,
            &config.token,
            config.batch,
            gaps.as_ref(),
        )
        .await?;
    }
    let elapsed = started.elapsed();
    if config.swap {
        swap(&admin, &config.live_schema, &config.build_schema).await?;
    }
    Ok(RebuildReport { events, elapsed })
}

async fn replay(
    projection: &Projection,
    service: &str,
    url: &str,
    token: &str,
    batch: usize,
    gaps: &EventLogGapFiller,
) -> anyhow::Result<u64> {
    let channel = Channel::from_shared(url.to_owned())
        .with_context(|| format!("invalid event log url {url}"))?
        .connect()
        .await
        .with_context(|| format!("failed to reach the {service} event log at {url}"))?;
    let mut client = EventLogServiceClient::with_interceptor(channel, BearerToken::new(token))
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut stream = client
        .subscribe(SubscribeRequest {
            after_xid: 0,
            after_position: 0,
            stop_at_end: true,
            service: service.to_owned(),
        })
        .await
        .with_context(|| format!("failed to subscribe to the {service} event log"))?
        .into_inner();
    let mut pending: Vec<RecordedEvent> = Vec::with_capacity(batch);
    let mut total = 0;
    while let Some(message) = stream
        .message()
        .await
        .with_context(|| format!("{service} event log stream failed"))?
    {
        let envelope = message
            .envelope
            .context("an event log message without an envelope")?;
        pending.push(civitas_proto::convert::recorded_of(envelope)?);
        if pending.len() >= batch {
            total += flush(projection, service, &mut pending, gaps).await?;
        }
    }
    total += flush(projection, service, &mut pending, gaps).await?;
    Ok(total)
}

async fn flush(
    projection: &Projection,
    service: &str,
    pending: &mut Vec<RecordedEvent>,
    gaps: &EventLogGapFiller,
) -> anyhow::Result<u64> {
    if pending.is_empty() {
        return Ok(0);
    }
    let stats = projection.apply_batch(service, pending, gaps).await?;
    pending.clear();
    Ok(stats.applied)
}

async fn swap(pool: &sqlx::PgPool, live: &str, built: &str) -> anyhow::Result<()> {
    let (live, built) = (schema_name(live)?, schema_name(built)?);
    let retired = format!("{live}_retired");
    let retired = schema_name(&retired)?;
    let mut tx = pool.begin().await?;
    tx.execute(format!("DROP SCHEMA IF EXISTS {retired} CASCADE").as_str())
        .await?;
    let live_exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(live)
            .fetch_one(&mut *tx)
            .await?;
    if live_exists {
        tx.execute(format!("ALTER SCHEMA {live} RENAME TO {retired}").as_str())
            .await?;
    }
    tx.execute(format!("ALTER SCHEMA {built} RENAME TO {live}").as_str())
        .await?;
    tx.execute(format!("DROP SCHEMA IF EXISTS {retired} CASCADE").as_str())
        .await?;
    tx.commit()
        .await
        .context("failed to swap the rebuilt schema in")
}
