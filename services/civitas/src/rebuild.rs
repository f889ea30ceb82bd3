//! `civitas rebuild`: rebuilds the projection's read models from zero, from the write
//! services' event logs (the systems of record, not NATS), into a fresh PostgreSQL
//! schema, then swaps it in for the live one while the live projection keeps running,
//! without dropping anything it applies meanwhile.
//!
//! 1. **Replay** ([`replay`]): each event log from its start to its end, folded in
//!    memory and written once (`Projection::rebuild`), through the same rules as the
//!    live projection — so the result equals an incrementally built projection.
//! 2. **Catch up** ([`Replayed::swap`]): each log again from where the rebuilt schema
//!    stands, batch by batch, for what was committed during the replay.
//! 3. **Swap**, in one transaction that holds the live schema's writer lock
//!    (`civitas_projection::lock_writers`): a last catch-up, then the schema renames.
//!    A live batch waits for that lock before it touches a table, so none lands in
//!    the old schema after the last catch-up read the logs; every event a live batch
//!    applied before was already in its log's gap-safe order (the relay read it from
//!    there), so the last catch-up has it. Once the lock is released the waiting
//!    batch runs against the new schema, where its events are duplicates or the next
//!    versions, and the consumer goes on from its own position in the stream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use civitas_kernel::store::schema_name;
use civitas_kernel::{Checkpoint, RecordedEvent};
use civitas_platform::auth::BearerToken;
use civitas_projection::consumer::EventLogGapFiller;
use civitas_projection::{lock_writers, Projection, Rebuild};
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
    /// Events per batch read from a log (and per transaction while catching up).
    pub batch: usize,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    /// Events applied: replayed, then caught up.
    pub events: u64,
    /// Of `events`, those applied after the replay (committed while it ran).
    pub caught_up: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "rebuilt {} events in {:.2} s: {:.0} events/s ({} caught up after the replay)",
            self.events,
            secs,
            self.events as f64 / secs,
            self.caught_up
        )
    }
}

/// Runs a rebuild: [`replay`], then [`Replayed::swap`] unless `config.swap` is off.
pub async fn run(config: &RebuildConfig) -> anyhow::Result<RebuildReport> {
    let replayed = replay(config).await?;
    if config.swap {
        replayed.swap().await
    } else {
        Ok(replayed.report())
    }
}

/// A schema rebuilt up to the logs' ends as the replay found them, not swapped in yet.
pub struct Replayed {
    config: RebuildConfig,
    admin: sqlx::PgPool,
    projection: Projection,
    gaps: Arc<EventLogGapFiller>,
    started: Instant,
    events: u64,
    caught_up: u64,
}

/// Replays every event log into a fresh `build_schema`.
pub async fn replay(config: &RebuildConfig) -> anyhow::Result<Replayed> {
    let build = schema_name(&config.build_schema)?;
    let admin = sqlx::PgPool::connect(&config.database_url)
        .await
        .context("failed to connect to PostgreSQL")?;
    admin
        .execute(format!("DROP SCHEMA IF EXISTS {build} CASCADE").as_str())
        .await
        .context("failed to clear the build schema")?;
    let projection = Projection::open_in(&config.database_url, Some(build)).await?;
    let token = BearerToken::new(&config.token);
    let gaps = Arc::new(EventLogGapFiller::new(&config.event_logs, &token)?);
    let started = Instant::now();
    let mut rebuild = projection.rebuild().await?;
    let mut events = 0;
    for (service, url) in &config.event_logs {
        let mut into = Target::Fold(&mut rebuild);
        events += read(config, service, url, Checkpoint::START, &mut into, &gaps).await?;
    }
    rebuild.finish().await?;
    Ok(Replayed {
        config: config.clone(),
        admin,
        projection,
        gaps,
        started,
        events,
        caught_up: 0,
    })
}

/// Carries the approved figures of every month still locked after the rebuild over
/// from the live schema: they are what the offices approved, taken when the approval
/// was applied, and a replay (which reads the logs one after another, not in commit
/// order) could not take them again at the same point. A month the live schema does not
/// hold as locked keeps the figures the replay reached.
async fn keep_approved_figures(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    live: &str,
    built: &str,
) -> anyhow::Result<()> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = $1 AND table_name = 'approved_figures')",
    )
    .bind(live)
    .fetch_one(&mut **tx)
    .await?;
    if !has_table {
        return Ok(());
    }
    let held = format!(
        "SELECT DISTINCT community, month FROM {live}.approved_figures \
         WHERE (community, month) IN \
           (SELECT community, month FROM {built}.report_view WHERE approval <> '')"
    );
    tx.execute(
        format!("DELETE FROM {built}.approved_figures WHERE (community, month) IN ({held})")
            .as_str(),
    )
    .await?;
    tx.execute(
        format!(
            "INSERT INTO {built}.approved_figures (community, month, element, in_month, to_end) \
             SELECT community, month, element, in_month, to_end FROM {live}.approved_figures \
             WHERE (community, month) IN ({held})"
        )
        .as_str(),
    )
    .await
    .context("failed to carry the approved figures over")?;
    Ok(())
}

impl Replayed {
    /// Catches the rebuilt schema up with the logs, then once more under the live
    /// schema's writer lock, and swaps it in before releasing the lock.
    pub async fn swap(mut self) -> anyhow::Result<RebuildReport> {
        self.catch_up().await?;
        let (live, built) = (
            schema_name(&self.config.live_schema)?.to_owned(),
            schema_name(&self.config.build_schema)?.to_owned(),
        );
        let mut tx = self.admin.begin().await?;
        lock_writers(&mut tx, &live)
            .await
            .context("failed to take the live projection's writer lock")?;
        self.catch_up().await?;
        let retired = format!("{live}_retired");
        let retired = schema_name(&retired)?;
        tx.execute(format!("DROP SCHEMA IF EXISTS {retired} CASCADE").as_str())
            .await?;
        let live_exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(&live)
                .fetch_one(&mut *tx)
                .await?;
        if live_exists {
            keep_approved_figures(&mut tx, &live, &built).await?;
            tx.execute(format!("ALTER SCHEMA {live} RENAME TO {retired}").as_str())
                .await?;
        }
        tx.execute(format!("ALTER SCHEMA {built} RENAME TO {live}").as_str())
            .await?;
        tx.execute(format!("DROP SCHEMA IF EXISTS {retired} CASCADE").as_str())
            .await?;
        tx.commit()
            .await
            .context("failed to swap the rebuilt schema in")?;
        Ok(self.report())
    }

    /// Applies what each log committed after the rebuilt schema's checkpoint for it.
    async fn catch_up(&mut self) -> anyhow::Result<()> {
        for (service, url) in &self.config.event_logs {
            let after = self.projection.checkpoint(service).await?;
            let mut into = Target::Apply(&self.projection);
            let n = read(&self.config, service, url, after, &mut into, &self.gaps).await?;
            self.events += n;
            self.caught_up += n;
        }
        Ok(())
    }

    pub fn report(&self) -> RebuildReport {
        RebuildReport {
            events: self.events,
            caught_up: self.caught_up,
            elapsed: self.started.elapsed(),
        }
    }
}

/// Where read events go: the in-memory fold, or batch by batch into the schema.
enum Target<'a> {
    Fold(&'a mut Rebuild),
    Apply(&'a Projection),
}

impl Target<'_> {
    async fn apply(
        &mut self,
        service: &str,
        events: &[RecordedEvent],
        gaps: &EventLogGapFiller,
    ) -> anyhow::Result<u64> {
        let stats = match self {
            Target::Fold(rebuild) => rebuild.apply(service, events, gaps).await?,
            Target::Apply(projection) => projection.apply_batch(service, events, gaps).await?,
        };
        Ok(stats.applied)
    }
}

/// Reads `service`'s log from `after` to its end, `config.batch` events at a time;
/// returns how many were applied.
async fn read(
    config: &RebuildConfig,
    service: &str,
    url: &str,
    after: Checkpoint,
    into: &mut Target<'_>,
    gaps: &EventLogGapFiller,
) -> anyhow::Result<u64> {
    let channel = Channel::from_shared(url.to_owned())
        .with_context(|| format!("invalid event log url {url}"))?
        .connect()
        .await
        .with_context(|| format!("failed to reach the {service} event log at {url}"))?;
    let mut client =
        EventLogServiceClient::with_interceptor(channel, BearerToken::new(&config.token))
            .max_decoding_message_size(64 * 1024 * 1024);
    let mut stream = client
        .subscribe(SubscribeRequest {
            after_xid: after.xid,
            after_position: after.position,
            stop_at_end: true,
            service: service.to_owned(),
        })
        .await
        .with_context(|| format!("failed to subscribe to the {service} event log"))?
        .into_inner();
    let mut pending: Vec<RecordedEvent> = Vec::with_capacity(config.batch);
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
        if pending.len() >= config.batch {
            total += into.apply(service, &pending, gaps).await?;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        total += into.apply(service, &pending, gaps).await?;
    }
    Ok(total)
}
