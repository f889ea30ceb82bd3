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
//!   consumer restarted after a stop applies its backlog: 5000 events per batch
//!   (`APPLY_BENCH_BATCH` to change it).
//!
//! It prints events/s for each, the ratios, and a digest of every read-model table,
//! KPI fact, stream version and checkpoint, for comparing two builds' results.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use civitas_kernel::RecordedEvent;
use civitas_projection::Projection;
use common::generate::generate;
use common::*;

/// Rows per baseline statement.
const BASELINE_ROWS: usize = 1000;

/// Events per batch of the rebuild (as `civitas rebuild` reads its event logs) and of
/// the catch-up (as the consumer fetches); `APPLY_BENCH_BATCH` overrides the latter.
const REPLAY_BATCH: usize = 5000;
static CATCH_UP_BATCH: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::env::var("APPLY_BENCH_BATCH").map_or(5000, |n| n.parse().expect("a batch size"))
});

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

/// A digest of every table a rebuild must reproduce, and its row count.
async fn digest(url: &str) -> (u64, usize) {
    let all = rows(url, TABLE_ROWS).await;
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
    let (hash, count) = digest(&db.url).await;
    println!("digest    {hash:016x} over {count} rows");
    Ok(())
}
