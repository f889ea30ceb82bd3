//! `civitas bench append`: measures the PostgreSQL event store's append throughput
//! against the floor it is meant to beat.
//!
//! For each concurrency level, `concurrency` workers append `events` events in total,
//! one event per command, each command to a fresh stream with
//! `ExpectedVersion::NoStream`, a ~200-byte payload and full metadata, through the
//! kernel's group-committing store. The baseline writes the same rows with plain
//! single-row `INSERT`s (one autocommit transaction per row) into an identical table,
//! from as many workers over a pool of the same size; the two alternate in rounds so
//! both see the same background load. Everything runs in a fresh schema pair that is
//! dropped at the end; the report holds measured figures only, and each level checks
//! that exactly the reported number of events landed.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use civitas_kernel::store::PostgresEventStore;
use civitas_kernel::uuid::Uuid;
use civitas_kernel::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent, OrgPath};
use civitas_platform::org::OrgTree;
use rand::RngCore;
use sqlx::{Connection, PgConnection, PgPool};

/// Each level alternates kernel and baseline this many times.
const ROUNDS: usize = 4;

/// What to measure.
#[derive(Debug, Clone)]
pub struct AppendBenchConfig {
    /// PostgreSQL server (the benchmark creates and drops its own schemas there).
    pub database_url: String,
    /// Events appended per concurrency level, by each of the two writers.
    pub events: usize,
    /// Concurrency levels: concurrent commands and pool size.
    pub concurrency: Vec<usize>,
}

impl Default for AppendBenchConfig {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
            events: 20_000,
            concurrency: vec![1, 8, 32],
        }
    }
}

/// Measured throughput at one concurrency level.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendBenchRow {
    pub concurrency: usize,
    /// Events per second through `EventStore::append`.
    pub kernel_per_sec: f64,
    /// Events per second with one autocommit `INSERT` per event.
    pub raw_per_sec: f64,
}

impl AppendBenchRow {
    /// Kernel throughput as a multiple of the raw baseline.
    pub fn ratio(&self) -> f64 {
        self.kernel_per_sec / self.raw_per_sec
    }
}

/// The result of [`run`]; `Display` prints it as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendBenchReport {
    pub events: usize,
    pub rows: Vec<AppendBenchRow>,
}

impl fmt::Display for AppendBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "append throughput: {} events per level, one event per command, fresh streams",
            self.events
        )?;
        writeln!(
            f,
            "{:>11}  {:>15}  {:>15}  {:>10}",
            "concurrency", "kernel events/s", "raw INSERT ev/s", "kernel/raw"
        )?;
        for row in &self.rows {
            writeln!(
                f,
                "{:>11}  {:>15.0}  {:>15.0}  {:>9.2}x",
                row.concurrency,
                row.kernel_per_sec,
                row.raw_per_sec,
                row.ratio()
            )?;
        }
        Ok(())
    }
}

/// Runs every concurrency level in a fresh schema pair and drops it afterwards.
pub async fn run(config: &AppendBenchConfig) -> anyhow::Result<AppendBenchReport> {
    anyhow::ensure!(config.events > 0, "events must be positive");
    anyhow::ensure!(
        !config.concurrency.is_empty() && !config.concurrency.contains(&0),
        "concurrency levels must be positive"
    );
    let schema = format!("bench_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let raw_schema = format!("{schema}_raw");
    let measured = measure_all(config, &schema, &raw_schema).await;
    let mut admin = PgConnection::connect(&config.database_url)
        .await
        .context("failed to connect to drop the benchmark schemas")?;
    for s in [&schema, &raw_schema] {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("failed to drop schema {s}"))?;
    }
    measured
}

async fn measure_all(
    config: &AppendBenchConfig,
    schema: &str,
    raw_schema: &str,
) -> anyhow::Result<AppendBenchReport> {
    let mut rows = Vec::new();
    for (level, &concurrency) in config.concurrency.iter().enumerate() {
        let pool_size = u32::try_from(concurrency).context("concurrency out of range")?;
        let kernel = PostgresEventStore::connect(&config.database_url, schema, pool_size)
            .await
            .context("failed to open the kernel store")?;
        // A second store only to get an identical `events` table through the migrations.
        let raw = PostgresEventStore::connect(&config.database_url, raw_schema, pool_size)
            .await
            .context("failed to open the baseline table")?;
        let kernel = Arc::new(kernel);
        let prefix = format!("l{level}");
        warm_up(&kernel, raw.pool(), concurrency, &format!("{prefix}w")).await?;
        // Alternate the two writers in rounds so that both see the same background load
        // (WAL flush latency on a shared machine drifts by a factor of two within minutes).
        let (mut kernel_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            let events = share(config.events, ROUNDS, round);
            let (k, r) = (format!("{prefix}k{round}"), format!("{prefix}r{round}"));
            kernel_time += measure_kernel(&kernel, concurrency, events, &k).await?;
            raw_time += measure_raw(raw.pool(), concurrency, events, &r).await?;
        }
        let events = config.events as f64;
        let row = AppendBenchRow {
            concurrency,
            kernel_per_sec: events / kernel_time.as_secs_f64(),
            raw_per_sec: events / raw_time.as_secs_f64(),
        };
        tracing::info!(
            concurrency,
            kernel = row.kernel_per_sec,
            raw = row.raw_per_sec,
            "append bench level done"
        );
        rows.push(row);
        expect_rows(kernel.pool(), &format!("{prefix}k"), config.events).await?;
        expect_rows(raw.pool(), &format!("{prefix}r"), config.events).await?;
    }
    Ok(AppendBenchReport {
        events: config.events,
        rows,
    })
}

/// Warms both writers up (connections, prepared statements) without timing them.
async fn warm_up(
    kernel: &Arc<PostgresEventStore>,
    raw: &PgPool,
    concurrency: usize,
    prefix: &str,
) -> anyhow::Result<()> {
    measure_kernel(kernel, concurrency, concurrency * 4, prefix).await?;
    measure_raw(raw, concurrency, concurrency * 4, prefix).await?;
    Ok(())
}

async fn measure_kernel(
    store: &Arc<PostgresEventStore>,
    concurrency: usize,
    events: usize,
    prefix: &str,
) -> anyhow::Result<Duration> {
    timed_workers(concurrency, "kernel", |worker| {
        let store = Arc::clone(store);
        let sample = Sample::new(prefix, worker);
        async move {
            for i in 0..share(events, concurrency, worker) {
                let request = sample.request(i);
                store
                    .append(request)
                    .await
                    .context("kernel append failed")?;
            }
            anyhow::Ok(())
        }
    })
    .await
}

async fn measure_raw(
    pool: &PgPool,
    concurrency: usize,
    events: usize,
    prefix: &str,
) -> anyhow::Result<Duration> {
    timed_workers(concurrency, "raw", |worker| {
        let pool = pool.clone();
        let sample = Sample::new(prefix, worker);
        async move {
            // Each worker holds its connection like any client would; checking one
            // out per statement would add the pool's ping round trip.
            let mut conn = pool.acquire().await.context("raw connection")?;
            for i in 0..share(events, concurrency, worker) {
                let r = sample.request(i);
                let (meta, event) = (&r.metadata, &r.events[0]);
                sqlx::query(
                    "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, \
                     district, street, community, occurred_at, actor, correlation_id, causation_id, \
                     traceparent, payload) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(event.event_id)
                .bind(&r.stream_id)
                .bind(1_i64)
                .bind(&event.event_type)
                .bind(1_i32)
                .bind(&meta.org.district)
                .bind(&meta.org.street)
                .bind(&meta.org.community)
                .bind(event.occurred_at)
                .bind(&meta.actor)
                .bind(&meta.correlation_id)
                .bind(&meta.causation_id)
                .bind(&meta.traceparent)
                .bind(&event.payload)
                .execute(&mut *conn)
                .await
                .context("raw insert failed")?;
            }
            anyhow::Ok(())
        }
    })
    .await
}

/// Starts `concurrency` workers at once, `work(worker)` each, and times them until the
/// last one finished; the first failure is the result.
async fn timed_workers<W, F>(concurrency: usize, what: &str, work: W) -> anyhow::Result<Duration>
where
    W: Fn(usize) -> F,
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| tokio::spawn(work(worker)))
        .collect();
    for worker in workers {
        worker
            .await
            .with_context(|| format!("{what} worker panicked"))??;
    }
    Ok(started.elapsed())
}

/// Worker `worker`'s part of `events`.
fn share(events: usize, concurrency: usize, worker: usize) -> usize {
    events / concurrency + usize::from(worker < events % concurrency)
}

/// Checks that a level wrote exactly what it reported.
async fn expect_rows(pool: &PgPool, prefix: &str, expected: usize) -> anyhow::Result<()> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id LIKE $1")
        .bind(format!("{prefix}%"))
        .fetch_one(pool)
        .await?;
    anyhow::ensure!(
        usize::try_from(count).ok() == Some(expected),
        "{prefix}: expected {expected} events, found {count}"
    );
    Ok(())
}

/// One worker's command template: a realistic envelope around a random payload.
struct Sample {
    prefix: String,
    worker: usize,
    org: OrgPath,
    payload: Vec<u8>,
}

impl Sample {
    fn new(prefix: &str, worker: usize) -> Self {
        let mut payload = vec![0; 200];
        rand::thread_rng().fill_bytes(&mut payload);
        Self {
            prefix: prefix.to_owned(),
            worker,
            org: OrgTree::demo()
                .path_of("xingfu")
                .expect("a community of the demo district"),
            payload,
        }
    }

    fn request(&self, i: usize) -> AppendRequest {
        let correlation = Uuid::now_v7().to_string();
        AppendRequest {
            stream_id: format!("{}-{}-{i}", self.prefix, self.worker),
            expected: ExpectedVersion::NoStream,
            metadata: Metadata {
                org: self.org.clone(),
                actor: format!("staff-{}", self.worker),
                causation_id: correlation.clone(),
                correlation_id: correlation,
                traceparent: format!(
                    "00-{}-{:016x}-01",
                    Uuid::new_v4().simple(),
                    rand::random::<u64>()
                ),
            },
            events: vec![NewEvent::new(
                "VolunteerHoursSubmitted",
                1,
                Utc::now(),
                self.payload.clone(),
            )],
            idempotency: None,
            companions: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        for (events, concurrency) in [(20_000, 1), (20_000, 32), (7, 3), (2, 8)] {
            let total: usize = (0..concurrency)
                .map(|w| share(events, concurrency, w))
                .sum();
            assert_eq!(total, events);
        }
    }
}
