//! The tailer over a real SQLite event store: catches up, follows new appends, resumes
//! from its checkpoint after a restart, and flows past a poison event.

mod common;

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent, OrgPath};
use civitas_projection::{run_tailer, Projection, StoreGapFiller};
use civitas_proto::events::v1::ResidenceType::{Floating, Permanent};
use civitas_testkit::eventually;
use common::*;
use tokio_util::sync::CancellationToken;

/// Appends an event that happened in xingfu at noon on `on`.
async fn append(store: &dyn EventStore, on: &str, draft: Draft) {
    let request = AppendRequest {
        stream_id: draft.stream,
        expected: ExpectedVersion::Any,
        metadata: Metadata {
            org: OrgPath {
                district: "gulou".into(),
                street: "huafeng".into(),
                community: "xingfu".into(),
            },
            actor: "staff-1".into(),
            ..Default::default()
        },
        events: vec![NewEvent::new(draft.event_type, 1, noon(on), draft.payload)],
        idempotency: None,
        companions: Vec::new(),
    };
    store.append(request).await.expect("append");
}

async fn residents(projection: &Projection) -> anyhow::Result<f64> {
    let values = projection
        .values(&["xingfu".into()], day("2026-11-30"), day("2026-11-30"))
        .await?;
    Ok(values["residents"])
}

fn spawn(
    projection: &Projection,
    store: &Arc<SqliteEventStore>,
    shutdown: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let store: Arc<dyn EventStore> = store.clone();
    let gaps = Arc::new(StoreGapFiller::new(store.clone()));
    tokio::spawn(run_tailer(
        projection.clone(),
        "residents",
        store,
        gaps,
        shutdown.clone(),
    ))
}

#[tokio::test]
async fn tailer_follows_the_store_and_resumes_after_restart() {
    let dir = civitas_testkit::temp_dir();
    let store = Arc::new(
        SqliteEventStore::open(&dir.path().join("events.db"))
            .await
            .expect("open store"),
    );
    let url = format!("sqlite://{}/projection.db?mode=rwc", dir.path().display());
    let projection = Projection::open(&url).await.unwrap();

    // Events committed before the tailer starts are caught up.
    for i in 0..3 {
        let registered = resident_registered(&format!("r{i}"), "h1", Floating);
        append(store.as_ref(), "2026-11-02", registered).await;
    }
    let shutdown = CancellationToken::new();
    let tailer = spawn(&projection, &store, &shutdown);
    eventually!(async {
        let n = residents(&projection).await?;
        anyhow::ensure!(n == 3.0, "residents {n}");
        Ok(())
    });

    // New appends wake the tailer.
    append(store.as_ref(), "2026-11-05", resident_moved_out("r0")).await;
    append(store.as_ref(), "2026-11-05", household_registered("h1")).await;
    eventually!(async {
        let applied = projection.applied_events().await?;
        anyhow::ensure!(applied == 5, "applied {applied}");
        Ok(())
    });
    assert_eq!(residents(&projection).await.unwrap(), 2.0);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), tailer)
        .await
        .expect("tailer stops on shutdown")
        .unwrap();

    // A restarted tailer (fresh handle on the same database) continues from the checkpoint.
    let registered = resident_registered("r9", "h1", Permanent);
    append(store.as_ref(), "2026-11-06", registered).await;
    let reopened = Projection::open(&url).await.unwrap();
    assert_eq!(reopened.checkpoint("residents").await.unwrap().position, 5);
    let shutdown = CancellationToken::new();
    let tailer = spawn(&reopened, &store, &shutdown);
    eventually!(async {
        let applied = reopened.applied_events().await?;
        anyhow::ensure!(applied == 6, "applied {applied}");
        Ok(())
    });
    assert_eq!(
        residents(&reopened).await.unwrap(),
        3.0,
        "nothing counted twice"
    );
    assert_eq!(reopened.checkpoint("residents").await.unwrap().position, 6);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), tailer)
        .await
        .expect("tailer stops on shutdown")
        .unwrap();
}

#[tokio::test]
async fn tailer_parks_a_poison_event_and_applies_the_next() {
    let dir = civitas_testkit::temp_dir();
    let store = Arc::new(
        SqliteEventStore::open(&dir.path().join("events.db"))
            .await
            .expect("open store"),
    );
    let url = format!("sqlite://{}/projection.db?mode=rwc", dir.path().display());
    let projection = Projection::open(&url).await.unwrap();
    let shutdown = CancellationToken::new();
    let tailer = spawn(&projection, &store, &shutdown);

    let garbage = Draft::raw("resident-r1", "ResidentRegistered", vec![0xff, 0xff, 0xff]);
    append(store.as_ref(), "2026-11-02", garbage).await;
    let registered = resident_registered("r2", "h1", Floating);
    append(store.as_ref(), "2026-11-02", registered).await;
    eventually!(
        async {
            let n = residents(&projection).await?;
            anyhow::ensure!(n == 1.0, "residents {n}");
            Ok(())
        },
        Duration::from_secs(1)
    );
    let parked = projection.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:#?}");
    assert_eq!(parked[0].event.stream_id, "resident-r1");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), tailer)
        .await
        .expect("tailer stops on shutdown")
        .unwrap();
}
