//! One bad event parks, the rest flow: an event whose payload does not decode no longer
//! stops every KPI. Embedded mode, the real application: the poison event is appended
//! to the residents store behind the service's back, then a normal command must be
//! counted within a second, and `civitas parked list` must show the poison event.

use std::time::Duration;

use chrono::Utc;
use civitas_e2e::{this_month, RunningApp};
use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};
use civitas_platform::auth::Role;
use civitas_platform::org::OrgTree;
use civitas_proto::insights::v1::GetKpisRequest;
use civitas_proto::residents::v1 as api;

#[tokio::test]
async fn a_poison_event_parks_and_the_next_command_is_counted_within_a_second() {
    let app = RunningApp::start().await;
    let store = SqliteEventStore::open(&app.data_dir.path().join("residents.db"))
        .await
        .expect("the residents store");
    let poison = NewEvent::new("HouseholdRegistered", 1, Utc::now(), vec![0xff; 7]);
    let poison_id = poison.event_id;
    store
        .append(AppendRequest {
            stream_id: "household-00000000-0000-0000-0000-0000000000aa".into(),
            expected: ExpectedVersion::NoStream,
            metadata: Metadata {
                org: OrgTree::demo().path_of("xingfu").expect("community"),
                actor: "intruder".into(),
                correlation_id: "c".into(),
                causation_id: "c".into(),
                traceparent: String::new(),
            },
            events: vec![poison],
            idempotency: None,
            companions: Vec::new(),
        })
        .await
        .expect("append the poison event");

    let mut residents = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    residents
        .register_household(api::RegisterHouseholdRequest {
            address: "华峰路 1 号".into(),
            grid: "G-01".into(),
            building: "1栋".into(),
            ..Default::default()
        })
        .await
        .expect("a normal command after the poison event");

    let insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let households = || {
        let mut insights = insights.clone();
        async move {
            let kpis = insights
                .get_kpis(GetKpisRequest {
                    org_unit: "xingfu".into(),
                    period: this_month(),
                })
                .await
                .map_err(|s| anyhow::anyhow!("{s:?}"))?
                .into_inner();
            let value = kpis
                .org_unit
                .expect("org unit")
                .values
                .into_iter()
                .find(|v| v.element == "households")
                .map_or(0.0, |v| v.value);
            anyhow::ensure!(value == 1.0, "households = {value}");
            Ok(())
        }
    };
    civitas_testkit::eventually!(households(), Duration::from_secs(1));

    let location = civitas::parked::Location::DataDir(app.data_dir.path().to_path_buf());
    let listed = civitas::parked::list(&location).await.expect("parked list");
    assert!(listed.starts_with("1 parked event(s)"), "{listed}");
    assert!(listed.contains(&poison_id.to_string()), "{listed}");
    let retried = civitas::parked::retry(&location, &[]).await.expect("retry");
    assert!(
        retried.starts_with("applied 0, still parked 1"),
        "{retried}"
    );
    app.stop().await;
}
