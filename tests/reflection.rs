//! Reflection tells the truth: every process lists exactly the services it answers
//! (plus health and reflection), in `up` and in each `serve`, and what `up` lists it
//! answers — including the event log of each of its four services.

use civitas::distributed::ServiceKind;
use civitas_e2e::{reflected_services, Cluster, RunningApp, Spawned};
use civitas_platform::auth::BearerToken;
use civitas_platform::auth::Role;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_proto::eventlog::v1::ReadStreamRequest;
use tonic::Code;

const STANDARD: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

fn expected(own: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = own
        .iter()
        .chain(STANDARD.iter())
        .map(|s| s.to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn up_lists_and_answers_exactly_its_services() {
    let app = RunningApp::start().await;
    assert_eq!(
        reflected_services(app.channel().await).await,
        expected(&[
            "civitas.residents.v1.ResidentsService",
            "civitas.activities.v1.ActivitiesService",
            "civitas.volunteering.v1.VolunteeringService",
            "civitas.safety.v1.SafetyService",
            "civitas.eventlog.v1.EventLogService",
            "civitas.insights.v1.InsightsService",
            "civitas.insights.v1.WorklistService",
        ])
    );

    // The event log answers for each service by name, and asks for a name otherwise.
    let token = app.token(Role::Admin, "gulou");
    let mut log =
        EventLogServiceClient::with_interceptor(app.channel().await, BearerToken::new(&token));
    for service in ["residents", "activities", "volunteering", "safety"] {
        let read = log
            .read_stream(ReadStreamRequest {
                stream_id: "household-00000000-0000-0000-0000-000000000001".into(),
                after_version: 0,
                service: service.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("the {service} log answers: {e:?}"));
        assert!(read.into_inner().envelopes.is_empty());
    }
    let unnamed = log
        .read_stream(ReadStreamRequest {
            stream_id: "x".into(),
            after_version: 0,
            service: String::new(),
        })
        .await
        .expect_err("four logs: the request must name one");
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    app.stop().await;
}

#[tokio::test]
async fn each_serve_lists_exactly_its_services() {
    let cluster = Cluster::start().await;
    let cases = [
        (
            ServiceKind::Residents,
            "civitas.residents.v1.ResidentsService",
        ),
        (
            ServiceKind::Activities,
            "civitas.activities.v1.ActivitiesService",
        ),
        (
            ServiceKind::Volunteering,
            "civitas.volunteering.v1.VolunteeringService",
        ),
        (ServiceKind::Safety, "civitas.safety.v1.SafetyService"),
    ];
    for (kind, own) in cases {
        let mut config = cluster.config();
        // Volunteering needs the residents log's address to start (it connects lazily).
        config
            .event_logs
            .insert("residents".to_owned(), "http://127.0.0.1:9".to_owned());
        let service = Spawned::serve(kind, config).await;
        assert_eq!(
            reflected_services(service.channel().await).await,
            expected(&[own, "civitas.eventlog.v1.EventLogService"]),
            "serve {}",
            kind.name()
        );
        service.stop().await;
    }
    let projection = Spawned::serve(ServiceKind::Projection, cluster.config()).await;
    assert_eq!(
        reflected_services(projection.channel().await).await,
        expected(&[
            "civitas.insights.v1.InsightsService",
            "civitas.insights.v1.WorklistService",
        ]),
        "serve projection"
    );
    projection.stop().await;
}
