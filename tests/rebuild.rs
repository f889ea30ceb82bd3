//! `civitas rebuild` on a live distributed system: commands keep coming while the
//! event log is replayed, and the live projection applies more of them between the
//! replay and the swap. After the swap every event is counted, the live projection
//! goes on in the swapped-in schema, and its tables equal a clean rebuild's.

#[path = "deployment.rs"]
mod deployment;

use std::time::Duration;

use civitas::distributed::ServiceKind;
use civitas::rebuild::{self, RebuildConfig};
use civitas_e2e::{Cluster, Spawned};
use civitas_platform::auth::Role;
use deployment::*;

/// Events of one `register(client, 3, _)`: a household, three residents, two care
/// categories.
const PER_HOUSEHOLD: u64 = 1 + 3 + 2;

#[tokio::test]
async fn a_rebuild_under_load_drops_nothing() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let live = projection(&cluster, &residents, "projection", "projection").await;
    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    for seed in 0..4 {
        register(&mut staff, 3, seed).await;
    }
    let config = RebuildConfig {
        database_url: cluster.db.url.clone(),
        event_logs: vec![("residents".to_owned(), residents.addr.clone())],
        token: cluster.token(Role::Service, "gulou"),
        live_schema: "projection".to_owned(),
        build_schema: "projection_rebuild".to_owned(),
        swap: true,
        batch: 20,
    };

    // Commands keep coming while the log is replayed…
    let writer = tokio::spawn(async move {
        for seed in 4..10 {
            register(&mut staff, 3, seed).await;
        }
        staff
    });
    let replayed = rebuild::replay(&config).await.expect("replay");
    let mut staff = writer.await.expect("writer");
    // …and the live projection applies these to its old schema after the replay:
    // what a swap right after the replay lost.
    for seed in 10..12 {
        register(&mut staff, 3, seed).await;
    }
    let district = cluster.token(Role::District, "gulou");
    let total = 12 * PER_HOUSEHOLD;
    civitas_testkit::eventually!(kpis(&live, &district, "gulou", total));

    let report = replayed.swap().await.expect("swap");
    assert!(report.caught_up >= 2 * PER_HOUSEHOLD, "{report}");
    assert_eq!(report.events, total, "{report}");
    let values = kpis(&live, &district, "gulou", total)
        .await
        .expect("every event counted right after the swap");
    assert_eq!(values["residents"], 36.0, "{values:?}");
    assert_eq!(values["households"], 12.0, "{values:?}");

    // The live projection goes on in the swapped-in schema.
    register(&mut staff, 3, 12).await;
    let total = 13 * PER_HOUSEHOLD;
    let values = civitas_testkit::eventually!(
        kpis(&live, &district, "gulou", total),
        Duration::from_secs(20)
    );
    assert_eq!(values["residents"], 39.0, "{values:?}");

    let clean = RebuildConfig {
        build_schema: "projection_clean".to_owned(),
        swap: false,
        ..config
    };
    let report = rebuild::run(&clean).await.expect("clean rebuild");
    assert_eq!(report.events, total, "{report}");
    assert_eq!(
        dump(&cluster, "projection").await,
        dump(&cluster, "projection_clean").await
    );
    live.stop().await;
    residents.stop().await;
}
