//! How fast the projection applies events into PostgreSQL, against what the same
//! database takes as plain multi-row inserts.
//!
//! ```text
//! cargo run --release -p civitas-projection --example apply_bench [-- EVENTS]
//! ```
//!
//! EVENTS (default 100000, or `APPLY_BENCH_EVENTS`) residents, activities,
//! volunteering and safety events of one district over a year are generated, then in
//! fresh PostgreSQL databases (`civitas_testkit::fresh_postgres_db`, `DATABASE_URL` to
//! use another server):
//!
//! - **baseline**: EVENTS rows into a scratch table, 1000-row `INSERT`s, one
//!   transaction each;
//! - **rebuild**: EVENTS events into empty read models through `Projection::rebuild`
//!   (folded in memory, written once), fed 5000 events at a time;
//! - **catch-up**: the next EVENTS events of the same district through
//!   `Projection::apply_batch` on top of the read models the rebuild left, as a
//!   consumer restarted after a stop applies its backlog: in batches of the consumer's
//!   `consumer::BATCH` (`APPLY_BENCH_BATCH` to change it);
//! - **through NATS**, end to end: the same backlog published to a private
//!   nats-server's JetStream stream (as the relays would have while the projection was
//!   stopped), then read by a plain pull consumer that acknowledges each message (the
//!   baseline of this phase: the raw consume), then by the projection's own consumer
//!   (`run_consumer`, default settings) on top of the same history rebuilt in another
//!   fresh database, timed until its checkpoint reaches the stream's last message.
//!
//! It prints events/s for each, the ratios, and a digest of every read-model table,
//! KPI fact, stream version and checkpoint, for comparing two builds' results; it
//! fails unless the NATS phase leaves the same rows as the catch-up (checkpoints
//! aside: each source keeps its own).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use civitas_kernel::RecordedEvent;
use civitas_projection::consumer::{self, run_consumer, ConsumerConfig, EventLogGapFiller};
use civitas_projection::Projection;
use civitas_streams::StreamSettings;
use common::generate::generate;
use common::*;
use futures::StreamExt;
use prost::Message as _;
use tokio_util::sync::CancellationToken;

/// Rows per baseline statement.
const BASELINE_ROWS: usize = 1000;

/// Events per batch of the rebuild (as `civitas rebuild` reads its event logs) and of
/// the catch-up (as the consumer fetches); `APPLY_BENCH_BATCH` overrides the latter.
const REPLAY_BATCH: usize = 5000;
static CATCH_UP_BATCH: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::env::var("APPLY_BENCH_BATCH").map_or(consumer::BATCH, |n| n.parse().expect("a batch size"))
});

/// The service the NATS phase publishes every event as (the consumer checks that an
/// envelope's service matches its subject, nothing more).
const SERVICE: &str = "bench";

/// Events (or rows) per second.
fn rate(n: usize, seconds: f64) -> f64 {
    n as f64 / seconds
}

/// The baseline: one row per event into a scratch table, 1000-row statements.
async fn baseline(url: &str, events: &[RecordedEvent]) -> anyhow::Result<f64> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    sqlx::query(
        "CREATE TABLE scratch (event_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL,
             community TEXT NOT NULL, day TEXT NOT NULL, version BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    for chunk in events.chunks(BASELINE_ROWS) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p = r * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        let sql = format!("INSERT INTO scratch VALUES {}", tuples.join(", "));
        let mut query = sqlx::query(&sql).persistent(false);
        for e in chunk {
            let day = e.occurred_at.format("%Y-%m-%d").to_string();
            query = query
                .bind(e.event_id.to_string())
                .bind(&e.stream_id)
                .bind(&e.org.community)
                .bind(day)
                .bind(e.stream_version as i64);
        }
        let mut tx = pool.begin().await?;
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    pool.close().await;
    Ok(seconds)
}

/// Rebuilds the empty `projection` from `events`, as `civitas rebuild` does; returns
/// the seconds it took.
async fn rebuild(projection: &Projection, events: &[RecordedEvent]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut rebuild = projection.rebuild().await?;
    for batch in events.chunks(REPLAY_BATCH) {
        rebuild.apply("bench", batch, &NoGaps).await?;
    }
    rebuild.finish().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Applies `events` on top of what `projection` holds, as a restarted consumer does
/// with its backlog; returns the seconds it took.
async fn catch_up(projection: &Projection, events: &[RecordedEvent]) -> anyhow::Result<f64> {
    let started = Instant::now();
    for batch in events.chunks(*CATCH_UP_BATCH) {
        projection.apply_batch("bench", batch, &NoGaps).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Publishes `events` to the stream of `settings` (every ack awaited, in chunks).
async fn publish(
    js: &async_nats::jetstream::Context,
    settings: &StreamSettings,
    events: &[RecordedEvent],
) -> anyhow::Result<()> {
    for chunk in events.chunks(1000) {
        let mut acks = Vec::with_capacity(chunk.len());
        for event in chunk {
            let subject = settings.subject(SERVICE, &event.org, &event.event_type);
            let envelope = civitas_proto::convert::envelope_of(SERVICE, event).encode_to_vec();
            acks.push(js.publish(subject, envelope.into()).await?);
        }
        for ack in acks {
            ack.await?;
        }
    }
    Ok(())
}

/// Reads `n` messages through a plain durable pull consumer, acknowledging each;
/// returns the seconds it took.
async fn raw_consume(
    js: &async_nats::jetstream::Context,
    settings: &StreamSettings,
    n: usize,
) -> anyhow::Result<f64> {
    use async_nats::jetstream::consumer::{pull, AckPolicy};
    let stream = js.get_stream(&settings.name).await?;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("raw".into()),
            ack_policy: AckPolicy::Explicit,
            max_ack_pending: 100_000,
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(consumer::BATCH)
        .messages()
        .await?;
    for _ in 0..n {
        let message = messages
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("the pull ended"))?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Runs the projection's consumer on `projection` until its checkpoint reaches stream
/// sequence `last`; returns the seconds it took (bounded: 10 minutes).
async fn consume(
    projection: &Projection,
    js: &async_nats::jetstream::Context,
    settings: &StreamSettings,
    last: u64,
) -> anyhow::Result<f64> {
    let shutdown = CancellationToken::new();
    let gaps = Arc::new(EventLogGapFiller::new(
        &[],
        &civitas_platform::auth::BearerToken::none(),
    )?);
    let started = Instant::now();
    let running = tokio::spawn(run_consumer(
        projection.clone(),
        js.clone(),
        ConsumerConfig::new(settings.clone()),
        gaps,
        shutdown.clone(),
    ));
    loop {
        let at = projection.checkpoint(consumer::NATS_SOURCE).await?.position;
        if at >= last {
            break;
        }
        anyhow::ensure!(
            !running.is_finished(),
            "the consumer stopped at {at} of {last}"
        );
        anyhow::ensure!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "the consumer reached {at} of {last} in 10 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    shutdown.cancel();
    running.await?;
    Ok(seconds)
}

/// A digest of every table a rebuild must reproduce, and its row count; without the
/// checkpoints when `checkpoints` is false (each source keeps its own).
async fn digest(url: &str, checkpoints: bool) -> (u64, usize) {
    let tables: Vec<&str> = TABLE_ROWS
        .iter()
        .filter(|sql| checkpoints || !sql.contains("projection_checkpoints"))
        .copied()
        .collect();
    let all = rows(url, &tables).await;
    let mut hasher = DefaultHasher::new();
    all.hash(&mut hasher);
    (hasher.finish(), all.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => std::env::var("APPLY_BENCH_EVENTS").map_or(Ok(100_000), |n| n.parse())?,
    };
    let log = generate(2 * events);
    let (history, backlog) = log.events.split_at(events);
    println!("{events} events per phase, PostgreSQL");

    let scratch = civitas_testkit::fresh_postgres_db().await?;
    let base = baseline(&scratch.url, history).await?;
    println!(
        "baseline  {:>9.0} rows/s   ({base:.2} s, {BASELINE_ROWS}-row INSERTs)",
        rate(events, base)
    );

    let db = civitas_testkit::fresh_postgres_db().await?;
    let projection = Projection::open(&db.url).await?;
    let built = rebuild(&projection, history).await?;
    let caught = catch_up(&projection, backlog).await?;
    for (name, seconds, how) in [
        (
            "rebuild",
            built,
            format!("folded in memory, {REPLAY_BATCH}-event batches"),
        ),
        (
            "catch-up",
            caught,
            format!("apply_batch, {}-event batches", *CATCH_UP_BATCH),
        ),
    ] {
        println!(
            "{name:<9} {:>9.0} events/s ({seconds:.2} s, {how}), {:.2} x baseline",
            rate(events, seconds),
            base / seconds
        );
    }
    let (hash, count) = digest(&db.url, true).await;
    println!("digest    {hash:016x} over {count} rows");

    // The backlog again, end to end: published while no projection runs, then consumed.
    let nats = civitas_testkit::NatsServer::start()?;
    let js = async_nats::jetstream::new(async_nats::connect(&nats.url).await?);
    let settings = StreamSettings {
        name: "BENCH_EVENTS".into(),
        ..Default::default()
    };
    civitas_streams::jetstream::ensure_stream(&js, &settings).await?;
    publish(&js, &settings, backlog).await?;
    let raw = raw_consume(&js, &settings, backlog.len()).await?;
    println!(
        "raw       {:>9.0} msgs/s   ({raw:.2} s, JetStream pull, each message acknowledged)",
        rate(events, raw)
    );
    let second = civitas_testkit::fresh_postgres_db().await?;
    let projection = Projection::open(&second.url).await?;
    rebuild(&projection, history).await?;
    let consumed = consume(&projection, &js, &settings, backlog.len() as u64).await?;
    println!(
        "consumer  {:>9.0} events/s ({consumed:.2} s, run_consumer from NATS, batches of up to {}), \
         {:.2} x raw",
        rate(events, consumed),
        consumer::BATCH,
        raw / consumed
    );
    let applied = digest(&db.url, false).await;
    let through = digest(&second.url, false).await;
    anyhow::ensure!(
        through == applied,
        "through NATS the read models differ from the catch-up's: {through:x?} against {applied:x?}"
    );
    println!(
        "check     through NATS = catch-up, checkpoints aside ({:016x} over {} rows)",
        through.0, through.1
    );
    Ok(())
}
