//! The read side knows how complete it is. A stream whose last event never reached the
//! projection (deleted from JetStream before it was consumed) is healed by the
//! reconcile with the event logs, and `GetKpis` says per source service up to when its
//! values are complete — in both modes, and "no events" for a service without any.

use std::time::Duration;

use chrono::{DateTime, Utc};
use civitas::distributed::ServiceKind;
use civitas_e2e::{id_number, this_month, Cluster, RunningApp, Spawned};
use civitas_platform::auth::{BearerToken, Role};
use civitas_proto::events::v1::{CareCategory, Envelope, ResidenceType};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::{FreshnessState, GetKpisRequest, GetKpisResponse};
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use civitas_testkit::AuthChannel;
use prost::Message;

/// One household, one resident, then a care category: the resident's stream ends at
/// version 2, the care category the last event of the whole log.
async fn register(client: &mut ResidentsServiceClient<AuthChannel>) {
    let household = client
        .register_household(api::RegisterHouseholdRequest {
            address: "华峰路 9 号".into(),
            grid: "G-01".into(),
            building: "1栋".into(),
            ..Default::default()
        })
        .await
        .expect("household")
        .into_inner();
    let resident = client
        .register_resident(api::RegisterResidentRequest {
            household_id: household.household_id,
            name: "居民".into(),
            id_number: id_number("11010519600101123"),
            residence_type: ResidenceType::Permanent as i32,
            ..Default::default()
        })
        .await
        .expect("resident")
        .into_inner();
    client
        .assign_care_category(api::AssignCareCategoryRequest {
            resident_id: resident.resident_id,
            category: CareCategory::LivingAlone as i32,
            ..Default::default()
        })
        .await
        .expect("care category");
}

fn value(response: &GetKpisResponse, element: &str) -> f64 {
    let unit = response.org_unit.as_ref().expect("org unit");
    let found = unit.values.iter().find(|v| v.element == element);
    found.map(|v| v.value).expect("element")
}

fn instant(ts: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(|ts| DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?))
}

/// `service`'s freshness: its state and the newest applied event's time.
fn freshness(
    response: &GetKpisResponse,
    service: &str,
) -> anyhow::Result<(FreshnessState, Option<DateTime<Utc>>)> {
    let f = response
        .freshness
        .iter()
        .find(|f| f.service == service)
        .ok_or_else(|| anyhow::anyhow!("no freshness for {service}"))?;
    Ok((f.state(), instant(f.last_applied_event_at)))
}

/// Checks that `service`'s figures are complete and hold an event recorded after
/// `before`, and that safety (no events anywhere) says so.
fn complete_since(
    response: &GetKpisResponse,
    service: &str,
    before: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (state, applied) = freshness(response, service)?;
    anyhow::ensure!(state == FreshnessState::Complete, "{service} is {state:?}");
    anyhow::ensure!(
        applied.is_some_and(|at| at >= before),
        "{service} last applied {applied:?}, registered after {before}"
    );
    let (safety, none) = freshness(response, "safety")?;
    anyhow::ensure!(safety == FreshnessState::NoEvents, "safety is {safety:?}");
    anyhow::ensure!(none.is_none(), "safety applied {none:?}");
    Ok(())
}

#[tokio::test]
async fn a_lost_last_event_is_reconciled_and_freshness_says_so() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let safety = Spawned::serve(ServiceKind::Safety, cluster.config()).await;
    let before = Utc::now();
    let token = cluster.token(Role::Staff, "xingfu");
    let channel = civitas_testkit::connect_with(&residents.addr, Some(&token)).await;
    let mut staff = ResidentsServiceClient::new(channel);
    register(&mut staff).await;

    // Once the relay published all three, lose the last one before any projection
    // consumed it: no later version of its stream will ever reveal the gap.
    let nats = async_nats::connect(&cluster.nats.url)
        .await
        .expect("connect");
    let js = async_nats::jetstream::new(nats);
    let mut stream = js.get_stream(&cluster.stream.name).await.expect("stream");
    let last = civitas_testkit::eventually!(async {
        let state = stream
            .info()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .state
            .clone();
        anyhow::ensure!(state.messages == 3, "{} of 3 messages", state.messages);
        Ok(state.last_sequence)
    });
    let lost = stream.get_raw_message(last).await.expect("last message");
    let lost = Envelope::decode(lost.payload).expect("envelope");
    assert_eq!(
        (lost.event_type.as_str(), lost.stream_version),
        ("CareCategoryAssigned", 2)
    );
    assert!(stream.delete_message(last).await.expect("delete"));

    let mut config = cluster.config();
    config.reconcile_interval = Duration::from_millis(200);
    for (name, service) in [("residents", &residents), ("safety", &safety)] {
        config
            .event_logs
            .insert(name.to_owned(), service.addr.clone());
    }
    let projection = Spawned::serve(ServiceKind::Projection, config).await;
    let mut insights = InsightsServiceClient::with_interceptor(
        projection.channel().await,
        BearerToken::new(&cluster.token(Role::District, "gulou")),
    );
    let request = GetKpisRequest {
        org_unit: "xingfu".into(),
        period: this_month(),
    };
    let response = civitas_testkit::eventually!(
        async {
            let response = insights
                .get_kpis(request.clone())
                .await
                .map_err(|s| anyhow::anyhow!("{s:?}"))?
                .into_inner();
            let living_alone = value(&response, "residents.care.living_alone");
            anyhow::ensure!(living_alone == 1.0, "living alone: {living_alone}");
            complete_since(&response, "residents", before)?;
            // The reconcile may heal the resident's stream before the consumer has
            // applied the household's event from NATS: wait for all three.
            anyhow::ensure!(
                response.applied_events >= 3,
                "{} of 3 events applied",
                response.applied_events
            );
            Ok(response)
        },
        Duration::from_secs(10)
    );
    assert_eq!(value(&response, "residents"), 1.0);
    assert_eq!(response.applied_events, 3, "every event applied once");
    for s in [projection, safety, residents] {
        s.stop().await;
    }
}

#[tokio::test]
async fn embedded_get_kpis_says_up_to_when_each_service_is_complete() {
    let app = RunningApp::start().await;
    let mut insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let request = GetKpisRequest {
        org_unit: "gulou".into(),
        period: this_month(),
    };
    let before = Utc::now();
    let mut staff = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    register(&mut staff).await;

    civitas_testkit::eventually!(async {
        let response = insights
            .get_kpis(request.clone())
            .await
            .map_err(|s| anyhow::anyhow!("{s:?}"))?
            .into_inner();
        complete_since(&response, "residents", before)
    });
    app.stop().await;
}
