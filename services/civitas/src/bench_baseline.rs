//! The naive baseline `civitas bench pipeline --baseline-database-url … --baseline-nats-url …`
//! measures in the same run: each command is one plain `INSERT` of an event-sized row
//! (its own autocommit transaction), then a JetStream publish whose ack is awaited,
//! `concurrency` at a time, without gRPC, keys, decisions or a projection. What the
//! pipeline adds over the database and the broker shows as the ratio of the two.

use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream;
use futures::StreamExt;
use sqlx::postgres::PgPoolOptions;

/// The scratch table and the stream the baseline writes (both removed at the end).
const TABLE: &str = "bench_baseline";
const STREAM: &str = "BENCH_BASELINE";

/// Runs `commands` INSERT-then-publish loops, `concurrency` at a time, against the
/// PostgreSQL database at `database_url` and the nats-server at `nats_url`; returns the
/// time they took.
pub async fn run(
    database_url: &str,
    nats_url: &str,
    commands: usize,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    let pool = PgPoolOptions::new()
        .max_connections(u32::try_from(concurrency).unwrap_or(u32::MAX))
        .connect(database_url)
        .await
        .context("baseline: connect to PostgreSQL")?;
    sqlx::query(&format!(
        "CREATE TABLE {TABLE} (id UUID PRIMARY KEY, stream TEXT NOT NULL, payload BYTEA NOT NULL)"
    ))
    .execute(&pool)
    .await?;
    let client = async_nats::connect(nats_url)
        .await
        .context("baseline: connect to NATS")?;
    let js = jetstream::new(client);
    js.create_stream(jetstream::stream::Config {
        name: STREAM.into(),
        subjects: vec!["bench.baseline.>".into()],
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("baseline: create the stream: {e}"))?;

    let payload = vec![7u8; 200];
    let insert = format!("INSERT INTO {TABLE} (id, stream, payload) VALUES ($1, $2, $3)");
    let started = Instant::now();
    let loops = futures::stream::iter(0..commands)
        .map(|n| {
            let (pool, js, payload, insert) = (&pool, &js, &payload, &insert);
            async move {
                let id = uuid::Uuid::now_v7();
                sqlx::query(insert)
                    .bind(id)
                    .bind(format!("household-{n}"))
                    .bind(payload)
                    .execute(pool)
                    .await?;
                js.publish(format!("bench.baseline.{n}"), payload.clone().into())
                    .await
                    .map_err(|e| anyhow::anyhow!("baseline: publish: {e}"))?
                    .await
                    .map_err(|e| anyhow::anyhow!("baseline: ack: {e}"))?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(concurrency);
    futures::pin_mut!(loops);
    while let Some(done) = loops.next().await {
        done?;
    }
    let elapsed = started.elapsed();

    js.delete_stream(STREAM)
        .await
        .map_err(|e| anyhow::anyhow!("baseline: delete the stream: {e}"))?;
    sqlx::query(&format!("DROP TABLE {TABLE}"))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(elapsed)
}
