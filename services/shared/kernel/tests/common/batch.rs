//! Plugging the PostgreSQL committer, so that several requests land in one batch for
//! sure: a test holds an uncommitted row that the committer's current batch must wait
//! for, queues its requests behind it, then lets go.

use std::task::Poll;

use chrono::{TimeZone, Utc};
use civitas_kernel::store::PostgresEventStore;
use civitas_kernel::{
    AppendError, AppendOutcome, AppendRequest, Checkpoint, EventStore, ExpectedVersion, Metadata,
    NewEvent, RecordedEvent,
};
use civitas_testkit::eventually;
use futures::stream::{FuturesUnordered, StreamExt};
use sqlx::{Postgres, Transaction};
use tokio::task::JoinHandle;

use super::{insert_row, org};

pub type Answer = Result<AppendOutcome, AppendError>;

pub fn event(n: u8) -> NewEvent {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 8, 30, 0).unwrap();
    NewEvent::new("ThingHappened", 1, at, vec![n; 16])
}

pub fn request(stream: &str, expected: ExpectedVersion, events: usize) -> AppendRequest {
    AppendRequest {
        stream_id: stream.into(),
        expected,
        metadata: Metadata {
            org: org(),
            actor: "staff-1".into(),
            correlation_id: format!("corr-{stream}"),
            causation_id: "cause-1".into(),
            traceparent: String::new(),
        },
        events: (0..events).map(|i| event(i as u8)).collect(),
        idempotency: None,
        companions: Vec::new(),
    }
}

/// Inserts `stream` version `version` in a transaction left open.
pub async fn hold_row(
    store: &PostgresEventStore,
    stream: &str,
    version: i64,
) -> Transaction<'static, Postgres> {
    let mut tx = store.pool().begin().await.expect("begin");
    insert_row(&mut tx, stream, version, "Held").await;
    tx
}

/// Waits until a session of this database waits on a lock: the committer's batch is
/// stuck behind a held row.
pub async fn committer_waits(store: &PostgresEventStore) {
    eventually!(async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(store.pool())
        .await?;
        anyhow::ensure!(waiting > 0, "no session waits on a lock yet");
        Ok(())
    });
}

/// A committer stuck on a batch whose only request appends to `stream`.
pub struct Plug {
    pub held: Transaction<'static, Postgres>,
    pub append: JoinHandle<Answer>,
}

pub async fn plug(store: &PostgresEventStore, stream: &str) -> Plug {
    let held = hold_row(store, stream, 1).await;
    let (s, r) = (store.clone(), request(stream, ExpectedVersion::NoStream, 1));
    let append = tokio::spawn(async move { s.append(r).await });
    committer_waits(store).await;
    Plug { held, append }
}

/// Queues `requests` behind `plug` (each is polled once, which enqueues it), lets the
/// committer go and returns the answers in request order.
pub async fn in_one_batch(
    store: &PostgresEventStore,
    plug: Plug,
    requests: Vec<AppendRequest>,
) -> Vec<Answer> {
    let mut pending: FuturesUnordered<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, r)| async move { (i, store.append(r).await) })
        .collect();
    assert!(
        matches!(futures::poll!(pending.next()), Poll::Pending),
        "committer not plugged"
    );
    plug.held.rollback().await.expect("release plug");
    let plugged = plug.append.await.expect("join");
    assert!(plugged.is_ok(), "{plugged:?}");
    let mut answers: Vec<(usize, Answer)> = pending.collect().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

pub async fn read_n(store: &PostgresEventStore, n: usize) -> Vec<RecordedEvent> {
    eventually!(async {
        let all = store.read_all(Checkpoint::START, 100_000).await?;
        anyhow::ensure!(all.len() >= n, "{} of {n} events readable", all.len());
        Ok(all)
    })
}

pub fn xid_of(events: &[RecordedEvent], stream: &str) -> u64 {
    let event = events
        .iter()
        .find(|e| e.stream_id == stream)
        .expect("stream written");
    event.checkpoint.xid
}
