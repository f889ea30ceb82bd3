//! Group commit in the PostgreSQL store: concurrent appends share a transaction, yet
//! each keeps its own concurrency check, idempotency outcome and all-or-nothing events.
//!
//! Several requests land in one batch for sure by plugging the committer (see
//! `common::batch`). Events written by one batch share a transaction id, which is how
//! the tests see what was committed together.

use std::collections::{BTreeMap, BTreeSet};
use std::task::Poll;

use civitas_kernel::{AppendError, AppendOutcome, EventStore, ExpectedVersion};
use futures::stream::{FuturesUnordered, StreamExt};

mod common;
use common::batch::{
    committer_waits, hold_row, in_one_batch, plug, read_n, request, xid_of, Answer,
};
use common::{insert_row, keyed, postgres_store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_across_streams_land_with_correct_versions() {
    let (store, _db) = postgres_store().await;
    // 24 writers, each extending its own stream with 1 to 3 events per command.
    let writers: Vec<_> = (0..24)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let (stream, mut version) = (format!("s-{w}"), 0);
                for round in 0..6 {
                    let expected = if version == 0 {
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exact(version)
                    };
                    let n = 1 + (w + round) % 3;
                    let out = store
                        .append(request(&stream, expected, n))
                        .await
                        .expect("append");
                    assert_eq!((out.version, out.replayed), (version + n as u64, false));
                    version = out.version;
                }
                version
            })
        })
        .collect();
    let mut total = 0;
    for (w, writer) in writers.into_iter().enumerate() {
        let version = writer.await.expect("join");
        let stream = store.read_stream(&format!("s-{w}")).await.expect("read");
        let versions: Vec<u64> = stream.iter().map(|e| e.stream_version).collect();
        assert_eq!(versions, (1..=version).collect::<Vec<_>>());
        total += stream.len();
    }
    let all = read_n(&store, total).await;
    assert_eq!(all.len(), total);
    // In the global order every stream's versions still come 1, 2, 3, ...
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &all {
        let prev = last.insert(&e.stream_id, e.stream_version).unwrap_or(0);
        assert_eq!(e.stream_version, prev + 1, "{} out of order", e.stream_id);
    }
    let commands = 24 * 6;
    let transactions = all
        .iter()
        .map(|e| e.checkpoint.xid)
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        transactions < commands,
        "{commands} commands in {transactions} transactions: no group commit"
    );
}

#[tokio::test]
async fn same_expected_version_in_one_batch_has_one_winner_per_stream() {
    let (store, _db) = postgres_store().await;
    for s in 0..4 {
        store
            .append(request(&format!("s-{s}"), ExpectedVersion::NoStream, 1))
            .await
            .expect("seed");
    }
    let mut signal = store.appended();
    let before = *signal.borrow_and_update();
    let plug = plug(&store, "plug").await;
    let requests = (0..20)
        .map(|i| request(&format!("s-{}", i % 4), ExpectedVersion::Exact(1), 1))
        .collect();
    let answers = in_one_batch(&store, plug, requests).await;
    for s in 0..4 {
        let mine: Vec<&Answer> = answers.iter().skip(s).step_by(4).collect();
        // Arrival order decides: the first of each stream wins.
        assert!(
            matches!(
                mine[0],
                Ok(AppendOutcome {
                    version: 2,
                    replayed: false,
                    ..
                })
            ),
            "{:?}",
            mine[0]
        );
        for lost in &mine[1..] {
            assert!(
                matches!(lost, Err(AppendError::Conflict { actual: 2, .. })),
                "{lost:?}"
            );
        }
        assert_eq!(
            store
                .read_stream(&format!("s-{s}"))
                .await
                .expect("read")
                .len(),
            2
        );
    }
    let all = read_n(&store, 9).await;
    let winners: BTreeSet<u64> = all
        .iter()
        .filter(|e| e.stream_version == 2)
        .map(|e| e.checkpoint.xid)
        .collect();
    assert_eq!(winners.len(), 1, "the four winners committed together");
    assert_eq!(
        *signal.borrow_and_update() - before,
        2,
        "one signal per committed batch"
    );
}

#[tokio::test]
async fn idempotency_keys_race_inside_one_batch() {
    let (store, _db) = postgres_store().await;
    let plug = plug(&store, "plug").await;
    let requests = vec![
        keyed(request("a-0", ExpectedVersion::NoStream, 1), "k", "f"),
        keyed(request("a-1", ExpectedVersion::NoStream, 1), "k", "f"),
        keyed(request("a-2", ExpectedVersion::NoStream, 1), "k", "g"),
        keyed(request("a-3", ExpectedVersion::Any, 1), "k", "f"),
        keyed(request("b", ExpectedVersion::NoStream, 2), "other", "f"),
    ];
    let answers = in_one_batch(&store, plug, requests).await;
    let first = AppendOutcome {
        stream_id: "a-0".into(),
        version: 1,
        replayed: false,
    };
    let replay = AppendOutcome {
        replayed: true,
        ..first.clone()
    };
    assert_eq!(answers[0].as_ref().ok(), Some(&first));
    assert_eq!(answers[1].as_ref().ok(), Some(&replay));
    assert!(
        matches!(answers[2], Err(AppendError::IdempotencyMismatch { .. })),
        "{:?}",
        answers[2]
    );
    assert_eq!(answers[3].as_ref().ok(), Some(&replay));
    assert_eq!(answers[4].as_ref().map(|o| o.version).ok(), Some(2));
    let all = read_n(&store, 4).await;
    let streams: BTreeSet<&str> = all
        .iter()
        .filter(|e| e.stream_id != "plug")
        .map(|e| e.stream_id.as_str())
        .collect();
    assert_eq!(streams, BTreeSet::from(["a-0", "b"]), "the key wrote once");
    assert_eq!(xid_of(&all, "a-0"), xid_of(&all, "b"));
    // A later retry is answered from the stored key, outside any batch race.
    let retry = store
        .append(keyed(
            request("a-9", ExpectedVersion::NoStream, 1),
            "k",
            "f",
        ))
        .await;
    assert_eq!(retry.expect("retry"), replay);
}

#[tokio::test]
async fn a_conflicting_request_does_not_fail_its_batch() {
    let (store, _db) = postgres_store().await;
    store
        .append(request("taken", ExpectedVersion::NoStream, 1))
        .await
        .expect("seed");
    let plug = plug(&store, "plug").await;
    let requests = vec![
        request("fresh-1", ExpectedVersion::NoStream, 2),
        request("taken", ExpectedVersion::NoStream, 1),
        request("fresh-2", ExpectedVersion::NoStream, 1),
    ];
    let answers = in_one_batch(&store, plug, requests).await;
    assert_eq!(answers[0].as_ref().map(|o| o.version).ok(), Some(2));
    assert!(
        matches!(answers[1], Err(AppendError::Conflict { actual: 1, .. })),
        "{:?}",
        answers[1]
    );
    assert_eq!(answers[2].as_ref().map(|o| o.version).ok(), Some(1));
    let all = read_n(&store, 5).await;
    assert_eq!(xid_of(&all, "fresh-1"), xid_of(&all, "fresh-2"));
    assert_eq!(store.read_stream("taken").await.expect("read").len(), 1);
}

/// Another process commits rows the batch also writes after the batch decided: the
/// batch statement fails on the unique constraint, and the requests are redone one by
/// one so only the raced ones are refused, and a refused multi-event request leaves
/// none of its events behind.
#[tokio::test]
async fn a_batch_raced_by_another_writer_is_redone_request_by_request() {
    let (store, _db) = postgres_store().await;
    let mut raced = hold_row(&store, "raced", 1).await;
    insert_row(&mut raced, "multi", 2, "Held").await;
    let plug = plug(&store, "plug").await;
    let requests = vec![
        request("raced", ExpectedVersion::NoStream, 1),
        request("fine-1", ExpectedVersion::NoStream, 1),
        request("multi", ExpectedVersion::NoStream, 3),
        request("fine-2", ExpectedVersion::NoStream, 2),
    ];
    let mut pending: FuturesUnordered<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let store = store.clone();
            async move { (i, store.append(r).await) }
        })
        .collect();
    assert!(matches!(futures::poll!(pending.next()), Poll::Pending));
    plug.held.rollback().await.expect("release plug");
    plug.append.await.expect("join").expect("plug append");
    // The batch has read nothing of the held rows and now waits on them; commit them.
    let answers = tokio::spawn(async move {
        let mut answers: Vec<(usize, Answer)> = pending.collect().await;
        answers.sort_by_key(|(i, _)| *i);
        answers
    });
    committer_waits(&store).await;
    raced.commit().await.expect("commit the racing rows");
    let answers: Vec<Answer> = answers
        .await
        .expect("join")
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert!(
        matches!(answers[0], Err(AppendError::Conflict { actual: 1, .. })),
        "{:?}",
        answers[0]
    );
    assert_eq!(answers[1].as_ref().map(|o| o.version).ok(), Some(1));
    assert!(
        matches!(answers[2], Err(AppendError::Conflict { actual: 2, .. })),
        "{:?}",
        answers[2]
    );
    assert_eq!(answers[3].as_ref().map(|o| o.version).ok(), Some(2));
    let multi = store.read_stream("multi").await.expect("read");
    assert_eq!(
        multi
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["Held"]
    );
    assert_eq!(store.read_stream("fine-2").await.expect("read").len(), 2);
}
