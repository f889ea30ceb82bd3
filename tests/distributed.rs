//! End to end in distributed mode: residents and projection as `civitas serve` services
//! on a fresh PostgreSQL database and a private nats-server. Commands over gRPC →
//! events on NATS (checked by an independent subscriber) → KPIs through
//! `InsightsService`; a projection restarted mid-stream, and one that meets a duplicate
//! and a lost message, end with the same read models as a clean run.

#[path = "deployment.rs"]
mod deployment;

use std::collections::BTreeMap;
use std::time::Duration;

use civitas::distributed::ServiceKind;
use civitas_e2e::{Cluster, Spawned};
use civitas_platform::auth::{BearerToken, Role};
use civitas_proto::events::v1::Envelope;
use deployment::*;
use futures::StreamExt;
use prost::Message;

#[tokio::test]
async fn commands_reach_nats_and_kpis_without_personal_data() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let projection = projection(&cluster, &residents, "projection", "projection").await;

    // An independent subscriber on the subject tree, as an analytics consumer would.
    let mut sub = cluster.subscribe_all().await;

    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    let ids = register(&mut staff, 3, 1).await;
    let events = 1 + 3 + 2;

    let mut seen = Vec::new();
    while seen.len() < events {
        let message = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("event on NATS")
            .expect("message");
        let envelope = Envelope::decode(message.payload.clone()).expect("envelope");
        let headers = message.headers.clone().expect("headers");
        assert_eq!(
            headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()),
            Some(envelope.event_id.clone())
        );
        assert_eq!(
            message.subject.as_str(),
            format!(
                "{}.residents.gulou.huafeng.xingfu.{}",
                cluster.stream.subject_prefix, envelope.event_type
            )
        );
        for (i, _) in ids.iter().enumerate() {
            let name = format!("居民1-{i}");
            assert!(
                !contains(&message.payload, name.as_bytes()),
                "a name in clear on NATS"
            );
        }
        assert!(
            !contains(&message.payload, "华峰路 1 号".as_bytes()),
            "an address in clear on NATS"
        );
        seen.push(envelope.event_type);
    }
    assert_eq!(
        seen.iter().filter(|t| *t == "ResidentRegistered").count(),
        3
    );

    let district = cluster.token(Role::District, "gulou");
    let values =
        civitas_testkit::eventually!(kpis(&projection, &district, "huafeng", events as u64));
    assert_eq!(values["households"], 1.0);
    assert_eq!(values["residents"], 3.0);
    assert_eq!(values["residents.floating"], 1.0);
    assert_eq!(values["residents.care.living_alone"], 2.0);
    projection.stop().await;
    residents.stop().await;
}

#[tokio::test]
async fn a_projection_restarted_mid_stream_equals_a_clean_one() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    let first = projection(&cluster, &residents, "projection", "projection").await;

    let writer = tokio::spawn(async move {
        for seed in 0..12 {
            register(&mut staff, 4, seed).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.stop().await; // mid-stream: some batches applied, the rest waits in NATS
    tokio::time::sleep(Duration::from_millis(200)).await;
    let restarted = projection(&cluster, &residents, "projection", "projection").await;
    writer.await.expect("writer");
    let total = 12 * (1 + 4 + 2);

    let district = cluster.token(Role::District, "gulou");
    let values = civitas_testkit::eventually!(
        kpis(&restarted, &district, "gulou", total),
        Duration::from_secs(30)
    );
    assert_eq!(values["residents"], 48.0, "{values:?}");

    // A clean projection from the start of the stream, in its own schema.
    let clean = projection(&cluster, &residents, "clean", "projection_clean").await;
    civitas_testkit::eventually!(
        kpis(&clean, &district, "gulou", total),
        Duration::from_secs(30)
    );
    assert_eq!(
        dump(&cluster, "projection").await,
        dump(&cluster, "projection_clean").await
    );
    for s in [clean, restarted, residents] {
        s.stop().await;
    }
}

#[tokio::test]
async fn duplicates_and_a_lost_message_are_healed() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    register(&mut staff, 2, 7).await; // household, 2 residents, 1 care category = 4 events

    // Wait until the relay published all four, then tamper with the stream.
    let nats = async_nats::connect(&cluster.nats.url)
        .await
        .expect("connect");
    let js = async_nats::jetstream::new(nats);
    let mut stream = js.get_stream(&cluster.stream.name).await.expect("stream");
    civitas_testkit::eventually!(async {
        let n = stream
            .info()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .state
            .messages;
        anyhow::ensure!(n == 4, "{n} of 4 messages");
        Ok(())
    });
    let mut by_type = BTreeMap::new();
    for seq in 1..=4u64 {
        let raw = stream.get_raw_message(seq).await.expect("message");
        let envelope = Envelope::decode(raw.payload.clone()).expect("envelope");
        by_type
            .entry(envelope.event_type.clone())
            .or_insert_with(Vec::new)
            .push((seq, raw));
    }
    // Lose the first resident's registration: its later CareCategoryAssigned (version 2)
    // reveals the gap. Duplicate the household registration under a new message id, as
    // a relay retry after the duplicate window would.
    let (lost_seq, lost) = by_type["ResidentRegistered"][0].clone();
    let lost_envelope = Envelope::decode(lost.payload.clone()).expect("envelope");
    stream.delete_message(lost_seq).await.expect("delete");
    let (_, household) = by_type["HouseholdRegistered"][0].clone();
    js.publish(household.subject.clone(), household.payload.clone())
        .await
        .expect("publish")
        .await
        .expect("ack");

    let projection = projection(&cluster, &residents, "projection", "projection").await;
    let district = cluster.token(Role::District, "gulou");
    let values = civitas_testkit::eventually!(kpis(&projection, &district, "xingfu", 4));
    assert_eq!(
        values["households"], 1.0,
        "the duplicate is not counted twice"
    );
    assert_eq!(
        values["residents"], 2.0,
        "the lost registration was fetched from the event log"
    );
    assert_eq!(values["residents.care.living_alone"], 1.0);
    assert!(lost_envelope.stream_id.starts_with("resident-"));
    projection.stop().await;
    residents.stop().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Each of the other write services, served on its own: a command becomes an event on
/// its subject tree and a KPI value in the projection.
#[tokio::test]
async fn activities_volunteering_and_safety_reach_nats_and_kpis() {
    use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
    use civitas_proto::activities::v1::RegisterFacilityRequest;
    use civitas_proto::events::v1::{FacilityType, IncidentCategory, IncidentSeverity};
    use civitas_proto::safety::v1::safety_service_client::SafetyServiceClient;
    use civitas_proto::safety::v1::ReportIncidentRequest;
    use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
    use civitas_proto::volunteering::v1::RegisterVolunteerRequest;

    let cluster = Cluster::start().await;
    let activities = Spawned::serve(ServiceKind::Activities, cluster.config()).await;
    // Volunteering checks resident volunteers against the residents service's log.
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let mut volunteering_config = cluster.config();
    volunteering_config
        .event_logs
        .insert("residents".to_owned(), residents.addr.clone());
    let volunteering = Spawned::serve(ServiceKind::Volunteering, volunteering_config).await;
    let safety = Spawned::serve(ServiceKind::Safety, cluster.config()).await;
    let mut config = cluster.config();
    for (name, service) in [
        ("activities", &activities),
        ("volunteering", &volunteering),
        ("safety", &safety),
    ] {
        config
            .event_logs
            .insert(name.to_owned(), service.addr.clone());
    }
    let projection = Spawned::serve(ServiceKind::Projection, config).await;

    let mut sub = cluster.subscribe_all().await;

    let staff = BearerToken::new(&cluster.token(Role::Staff, "xingfu"));
    ActivitiesServiceClient::with_interceptor(activities.channel().await, staff.clone())
        .register_facility(RegisterFacilityRequest {
            facility_type: FacilityType::ServiceStation as i32,
            name: "居家养老服务站".into(),
            area_square_meters: 200,
            ..Default::default()
        })
        .await
        .expect("facility");
    let xingfu_token = cluster.token(Role::Staff, "xingfu");
    let resident = register(&mut residents_client(&residents, &xingfu_token).await, 1, 1).await;
    let heping_token = cluster.token(Role::Staff, "heping");
    let stranger = register(&mut residents_client(&residents, &heping_token).await, 1, 2).await;
    let mut volunteers =
        VolunteeringServiceClient::with_interceptor(volunteering.channel().await, staff.clone());
    let as_volunteer = |resident_id: &str| RegisterVolunteerRequest {
        resident_id: resident_id.to_owned(),
        ..Default::default()
    };
    volunteers
        .register_volunteer(as_volunteer(&resident[0]))
        .await
        .expect("a xingfu resident volunteers in xingfu");
    let refused = volunteers
        .register_volunteer(as_volunteer(&stranger[0]))
        .await
        .expect_err("a heping resident is no xingfu volunteer");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{refused:?}");
    let twice = volunteers
        .register_volunteer(as_volunteer(&resident[0]))
        .await
        .expect_err("once per community");
    assert_eq!(twice.code(), tonic::Code::AlreadyExists, "{twice:?}");
    let occurred =
        civitas_proto::convert::timestamp(chrono::Utc::now() - chrono::Duration::minutes(5));
    let reported = SafetyServiceClient::with_interceptor(safety.channel().await, staff)
        .report_incident(ReportIncidentRequest {
            category: IncidentCategory::Fire as i32,
            severity: IncidentSeverity::Major as i32,
            grid: "G-02".into(),
            location: "3栋楼道".into(),
            occurred_at: Some(occurred),
            ..Default::default()
        })
        .await
        .expect("incident")
        .into_inner();
    assert!(reported.alert, "a major fire is an alert");

    let mut subjects = Vec::new();
    while subjects.len() < 3 {
        let message = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("event")
            .expect("message");
        let subject = message
            .subject
            .as_str()
            .trim_start_matches(&cluster.stream.subject_prefix);
        if !subject.starts_with(".residents.") {
            subjects.push(subject.to_owned());
        }
    }
    subjects.sort();
    assert_eq!(
        subjects,
        [
            ".activities.gulou.huafeng.xingfu.FacilityRegistered",
            ".safety.gulou.huafeng.xingfu.IncidentReported",
            ".volunteering.gulou.huafeng.xingfu.VolunteerRegistered",
        ]
    );
    let district = cluster.token(Role::District, "gulou");
    // Three events here, and three for each of the two residents registered above.
    let values = civitas_testkit::eventually!(kpis(&projection, &district, "huafeng", 9));
    assert_eq!(values["facilities.area_m2"], 200.0);
    assert_eq!(values["volunteers.registered"], 1.0);
    assert_eq!(values["incidents.major"], 1.0);
    assert_eq!(values["incidents.reported.fire"], 1.0);
    for s in [projection, activities, volunteering, safety, residents] {
        s.stop().await;
    }
}

/// Two residents instances share one store: one relay publishes, the other stands by
/// and takes over when the first stops; nothing is lost or published twice.
#[tokio::test]
async fn a_standby_relay_takes_over() {
    let cluster = Cluster::start().await;
    let first = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let token = cluster.token(Role::Staff, "xingfu");
    register(&mut residents_client(&first, &token).await, 1, 1).await; // 3 events

    let nats = async_nats::connect(&cluster.nats.url)
        .await
        .expect("connect");
    let js = async_nats::jetstream::new(nats);
    let count = |n: u64| {
        let (js, name) = (js.clone(), cluster.stream.name.clone());
        async move {
            let mut stream = js
                .get_stream(&name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let have = stream
                .info()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .state
                .messages;
            anyhow::ensure!(have == n, "{have} of {n} messages");
            Ok(())
        }
    };
    civitas_testkit::eventually!(count(3)); // published by the first, the lock holder

    let second = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    first.stop().await; // the holder goes away; the standby must take the lock
    let mut via_second = residents_client(&second, &token).await;
    register(&mut via_second, 2, 2).await; // 1 + 2 + 1 = 4 more
    civitas_testkit::eventually!(count(7), Duration::from_secs(20));
    second.stop().await;
}

/// Two projection instances on one schema: one consumes (it holds the schema's lease),
/// the other serves queries and stands by; when the consuming one stops mid-stream the
/// standby takes over, and the read models equal a clean projection's.
#[tokio::test]
async fn a_standby_projection_takes_over_the_lease() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    let leader = projection(&cluster, &residents, "projection", "projection").await;
    let standby = projection(&cluster, &residents, "projection", "projection").await;

    let writer = tokio::spawn(async move {
        for seed in 0..12 {
            register(&mut staff, 4, seed).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    leader.stop().await;
    writer.await.expect("writer");
    let total = 12 * (1 + 4 + 2);
    let district = cluster.token(Role::District, "gulou");
    let values = civitas_testkit::eventually!(
        kpis(&standby, &district, "gulou", total),
        Duration::from_secs(30)
    );
    assert_eq!(values["residents"], 48.0, "{values:?}");

    let clean = projection(&cluster, &residents, "clean", "projection_clean").await;
    civitas_testkit::eventually!(
        kpis(&clean, &district, "gulou", total),
        Duration::from_secs(30)
    );
    assert_eq!(
        dump(&cluster, "projection").await,
        dump(&cluster, "projection_clean").await
    );
    for s in [clean, standby, residents] {
        s.stop().await;
    }
}

/// What the README promises: a household registered in distributed mode is in
/// `GetKpis` well under a second later. Here a debug build shares two cores with the
/// other tests of this file, so the bound is two seconds: still far below the seconds
/// a missed fetch timeout used to cost (BENCHMARKS.md has the release figures).
#[tokio::test]
async fn a_registered_household_is_counted_within_moments() {
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let projection = projection(&cluster, &residents, "projection", "projection").await;
    let mut staff = residents_client(&residents, &cluster.token(Role::Staff, "xingfu")).await;
    let district = cluster.token(Role::District, "gulou");
    // Warm up: the first command and the first batch set up connections and the
    // consumer.
    register(&mut staff, 0, 1).await;
    civitas_testkit::eventually!(kpis(&projection, &district, "xingfu", 1));

    let mut slowest = Duration::ZERO;
    for (n, seed) in (2..=6).enumerate() {
        let started = std::time::Instant::now();
        register(&mut staff, 0, seed).await;
        let applied = 2 + n as u64;
        civitas_testkit::eventually!(
            kpis(&projection, &district, "xingfu", applied),
            Duration::from_secs(5)
        );
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("slowest command → GetKpis: {slowest:?}");
    assert!(
        slowest < Duration::from_secs(2),
        "a household took {slowest:?} to reach GetKpis"
    );
    projection.stop().await;
    residents.stop().await;
}
