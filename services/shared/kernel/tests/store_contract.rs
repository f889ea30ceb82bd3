//! One contract, two stores: every test here runs against SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{
    AppendError, AppendRequest, Checkpoint, EventStore, ExpectedVersion, Idempotency, Metadata,
    NewEvent,
};

mod common;
use common::{insert_row, keyed, org, postgres_store};

/// A store under test plus whatever keeps its backing storage alive.
struct Subject {
    store: Arc<dyn EventStore>,
    _keep: Box<dyn std::any::Any + Send>,
}

async fn sqlite() -> Subject {
    let dir = civitas_testkit::temp_dir();
    let store = SqliteEventStore::open(&dir.path().join("events.db"))
        .await
        .expect("open sqlite store");
    Subject {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

async fn postgres() -> Subject {
    let (store, db) = postgres_store().await;
    Subject {
        store: Arc::new(store),
        _keep: Box::new(db),
    }
}

fn metadata() -> Metadata {
    Metadata {
        org: org(),
        actor: "staff-1".into(),
        correlation_id: "corr-1".into(),
        causation_id: "cause-1".into(),
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
    }
}

fn event(n: u8) -> NewEvent {
    NewEvent::new(
        "ThingHappened",
        1,
        Utc.with_ymd_and_hms(2026, 11, 2, 8, 30, 0).unwrap(),
        vec![n, 1, 2, 3],
    )
}

fn request(stream: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        stream_id: stream.into(),
        expected,
        metadata: metadata(),
        events,
        idempotency: None,
        companions: Vec::new(),
    }
}

/// Pages through `read_all` until `n` events arrived. On PostgreSQL a commit becomes
/// readable only once every older transaction in the cluster has ended (other tests run
/// concurrently), so readers poll, as the real tailers do.
async fn read_until(
    store: &dyn EventStore,
    after: Checkpoint,
    n: usize,
    page: usize,
) -> Vec<civitas_kernel::RecordedEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen: Vec<civitas_kernel::RecordedEvent> = Vec::new();
    while seen.len() < n {
        let from = seen.last().map_or(after, |e| e.checkpoint);
        let batch = store.read_all(from, page).await.expect("read all");
        assert!(batch.len() <= page, "page larger than asked");
        if batch.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {n} events became readable",
                seen.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        seen.extend(batch);
    }
    seen
}

async fn read_everything(store: &dyn EventStore, n: usize) -> Vec<civitas_kernel::RecordedEvent> {
    let all = read_until(store, Checkpoint::START, n, 10_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let more = store
        .read_all(all.last().map_or(Checkpoint::START, |e| e.checkpoint), 10)
        .await
        .expect("read");
    assert!(more.is_empty(), "expected exactly {n} events, found more");
    all
}

async fn round_trip(s: Subject) {
    let events = vec![event(1), event(2)];
    let out = s
        .store
        .append(request("s-1", ExpectedVersion::NoStream, events.clone()))
        .await
        .expect("append");
    assert_eq!((out.version, out.replayed), (2, false));
    let read = s.store.read_stream("s-1").await.expect("read");
    assert_eq!(read.len(), 2);
    for (i, (got, sent)) in read.iter().zip(&events).enumerate() {
        assert_eq!(got.event_id, sent.event_id);
        assert_eq!(got.stream_version, i as u64 + 1);
        assert_eq!(got.event_type, "ThingHappened");
        assert_eq!(got.schema_version, 1);
        assert_eq!(got.occurred_at, sent.occurred_at);
        assert_eq!(got.payload, sent.payload);
        assert_eq!(got.org, metadata().org);
        assert_eq!(got.actor, "staff-1");
        assert_eq!(got.correlation_id, "corr-1");
        assert_eq!(got.causation_id, "cause-1");
        assert_eq!(got.traceparent, metadata().traceparent);
    }
    assert!(s
        .store
        .read_stream("absent")
        .await
        .expect("read")
        .is_empty());
}

async fn expected_versions_are_enforced(s: Subject) {
    s.store
        .append(request("s-1", ExpectedVersion::NoStream, vec![event(1)]))
        .await
        .expect("first");
    let again = s
        .store
        .append(request("s-1", ExpectedVersion::NoStream, vec![event(2)]))
        .await;
    assert!(
        matches!(again, Err(AppendError::Conflict { actual: 1, .. })),
        "{again:?}"
    );
    let stale = s
        .store
        .append(request("s-1", ExpectedVersion::Exact(0), vec![event(2)]))
        .await;
    assert!(
        matches!(stale, Err(AppendError::Conflict { actual: 1, .. })),
        "{stale:?}"
    );
    let ok = s
        .store
        .append(request("s-1", ExpectedVersion::Exact(1), vec![event(2)]))
        .await
        .expect("exact");
    assert_eq!(ok.version, 2);
    let any = s
        .store
        .append(request("s-1", ExpectedVersion::Any, vec![event(3)]))
        .await
        .expect("any");
    assert_eq!(any.version, 3);
    assert_eq!(s.store.read_stream("s-1").await.expect("read").len(), 3);
}

async fn concurrent_appends_one_winner(s: Subject) {
    s.store
        .append(request("s-1", ExpectedVersion::NoStream, vec![event(0)]))
        .await
        .expect("seed");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = s.store.clone();
            tokio::spawn(async move {
                store
                    .append(request("s-1", ExpectedVersion::Exact(1), vec![event(i)]))
                    .await
            })
        })
        .collect();
    let (mut won, mut conflicts) = (0, 0);
    for t in tasks {
        match t.await.expect("join") {
            Ok(out) => {
                assert_eq!(out.version, 2);
                won += 1;
            }
            Err(AppendError::Conflict { actual: 2, .. }) => conflicts += 1,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!((won, conflicts), (1, 15));
    assert_eq!(s.store.read_stream("s-1").await.expect("read").len(), 2);
}

async fn idempotent_retry_appends_once(s: Subject) {
    // Each attempt decides afresh, so its events have new ids; only the key is the same.
    let attempt = || {
        keyed(
            request("s-1", ExpectedVersion::NoStream, vec![event(1)]),
            "k-1",
            "f",
        )
    };
    let first = s.store.append(attempt()).await.expect("first");
    assert!(!first.replayed);
    let retry = s
        .store
        .append(attempt())
        .await
        .expect("retry is not a conflict");
    assert_eq!(
        (retry.stream_id.as_str(), retry.version, retry.replayed),
        ("s-1", 1, true)
    );
    let lookup = s
        .store
        .idempotent_outcome(&Idempotency {
            key: "k-1".into(),
            fingerprint: "f".into(),
        })
        .await;
    assert_eq!(lookup.expect("lookup"), Some(retry));
    let other = s
        .store
        .append(keyed(
            request("s-2", ExpectedVersion::NoStream, vec![event(2)]),
            "k-1",
            "g",
        ))
        .await;
    assert!(
        matches!(other, Err(AppendError::IdempotencyMismatch { .. })),
        "{other:?}"
    );
    read_everything(&*s.store, 1).await;
}

async fn concurrent_retries_append_once(s: Subject) {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = s.store.clone();
            // Different target streams: only the idempotency key can stop the duplicates.
            let r = keyed(
                request(&format!("s-{i}"), ExpectedVersion::Any, vec![event(i)]),
                "same-key",
                "f",
            );
            tokio::spawn(async move { store.append(r).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("join").expect("append or replay"));
    }
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1);
    let winner = outcomes
        .iter()
        .find(|o| !o.replayed)
        .expect("one winner")
        .stream_id
        .clone();
    assert!(outcomes.iter().all(|o| o.stream_id == winner));
    read_everything(&*s.store, 1).await;
}

async fn read_all_pages_in_order(s: Subject) {
    for i in 0..25u8 {
        let stream = format!("s-{}", i % 5);
        s.store
            .append(request(&stream, ExpectedVersion::Any, vec![event(i)]))
            .await
            .expect("append");
    }
    let seen = read_until(&*s.store, Checkpoint::START, 25, 7).await;
    assert_eq!(seen.len(), 25);
    assert!(
        seen.windows(2).all(|w| w[0].checkpoint < w[1].checkpoint),
        "strictly increasing checkpoints"
    );
    let payloads: Vec<u8> = seen.iter().map(|e| e.payload[0]).collect();
    assert_eq!(payloads, (0..25).collect::<Vec<u8>>(), "commit order");
}

async fn checkpoints_beyond_every_position_read_nothing(s: Subject) {
    s.store
        .append(request("s-1", ExpectedVersion::Any, vec![event(1)]))
        .await
        .expect("append");
    // Out of i64's range, and never answered with an error. Whether (0, u64::MAX)
    // lies before the event depends on the store's order: PostgreSQL orders by
    // transaction id first, SQLite's transaction ids are all 0.
    let beyond = Checkpoint {
        xid: 0,
        position: u64::MAX,
    };
    s.store
        .read_all(beyond, 10)
        .await
        .expect("a read after an out-of-range position");
    let end = Checkpoint {
        xid: u64::MAX,
        position: u64::MAX,
    };
    let read = s.store.read_all(end, 10).await.expect("read after the end");
    assert!(read.is_empty(), "{read:?}");
}

async fn appended_signal_fires(s: Subject) {
    let mut rx = s.store.appended();
    let before = *rx.borrow_and_update();
    s.store
        .append(request("s-1", ExpectedVersion::Any, vec![event(1)]))
        .await
        .expect("append");
    tokio::time::timeout(std::time::Duration::from_secs(2), rx.changed())
        .await
        .expect("signal")
        .expect("sender");
    assert!(*rx.borrow() > before);
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(#[tokio::test] async fn $name() { super::$name(super::sqlite().await).await })*
        }
        mod postgres_store {
            $(#[tokio::test] async fn $name() { super::$name(super::postgres().await).await })*
        }
    };
}

contract!(
    round_trip,
    expected_versions_are_enforced,
    concurrent_appends_one_winner,
    idempotent_retry_appends_once,
    concurrent_retries_append_once,
    read_all_pages_in_order,
    checkpoints_beyond_every_position_read_nothing,
    appended_signal_fires,
);

/// A transaction that took its id first and commits last must not be skipped by a
/// reader that already saw the later commits (PostgreSQL only: SQLite has one writer).
#[tokio::test]
async fn postgres_reader_never_skips_a_late_commit() {
    let (store, _db) = postgres_store().await;
    store
        .append(request("before", ExpectedVersion::Any, vec![event(0)]))
        .await
        .expect("seed");
    let seen = read_until(&store, Checkpoint::START, 1, 100).await;
    let after = seen[0].checkpoint;

    // The slow transaction: inserts (taking its xid and an earlier position) and waits.
    let mut slow = store.pool().begin().await.expect("begin");
    insert_row(&mut slow, "slow", 1, "ThingHappened").await;

    // Later transactions commit while the slow one is open.
    for i in 1..=3 {
        store
            .append(request("fast", ExpectedVersion::Any, vec![event(i)]))
            .await
            .expect("fast append");
    }
    let while_open = store.read_all(after, 100).await.expect("read while open");
    assert!(
        while_open.is_empty(),
        "reader must wait for the open transaction, got {}",
        while_open.len()
    );

    slow.commit().await.expect("commit slow");
    let now = read_until(&store, after, 4, 100).await;
    let streams: Vec<&str> = now.iter().map(|e| e.stream_id.as_str()).collect();
    assert_eq!(streams, ["slow", "fast", "fast", "fast"]);
}

/// Aborted transactions leave no trace and do not block readers.
#[tokio::test]
async fn postgres_rolled_back_append_is_invisible() {
    let (store, _db) = postgres_store().await;
    let mut tx = store.pool().begin().await.expect("begin");
    insert_row(&mut tx, "gone", 1, "ThingHappened").await;
    tx.rollback().await.expect("rollback");
    store
        .append(request("kept", ExpectedVersion::Any, vec![event(1)]))
        .await
        .expect("append");
    let all = read_everything(&store, 1).await;
    assert_eq!(
        all.iter().map(|e| e.stream_id.as_str()).collect::<Vec<_>>(),
        ["kept"]
    );
}
