//! Trace context travels with a command: the caller's W3C `traceparent` (gRPC
//! metadata) continues into the envelope the command appends and into the NATS message
//! headers the relay publishes. (Own test binary: it installs the global telemetry.)

use std::time::Duration;

use civitas::distributed::ServiceKind;
use civitas_e2e::{Cluster, Spawned};
use civitas_platform::auth::{BearerToken, Role};
use civitas_proto::events::v1::Envelope;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use civitas_proto::residents::v1::RegisterHouseholdRequest;
use futures::StreamExt;
use prost::Message;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn a_commands_trace_id_reaches_the_envelope_and_nats_headers() {
    let _telemetry = civitas_platform::telemetry::init("trace-test").expect("telemetry");
    let cluster = Cluster::start().await;
    let residents = Spawned::serve(ServiceKind::Residents, cluster.config()).await;
    let mut sub = cluster.subscribe_all().await;

    let mut client = ResidentsServiceClient::with_interceptor(
        residents.channel().await,
        BearerToken::new(&cluster.token(Role::Staff, "xingfu")),
    );
    let mut request = tonic::Request::new(RegisterHouseholdRequest {
        address: "华峰路 5 号".into(),
        grid: "G-01".into(),
        building: "1栋".into(),
        ..Default::default()
    });
    let traceparent = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("header"));
    client.register_household(request).await.expect("register");

    let message = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("event")
        .expect("message");
    let envelope = Envelope::decode(message.payload.clone()).expect("envelope");
    assert!(
        envelope.traceparent.contains(TRACE_ID),
        "envelope traceparent {:?}",
        envelope.traceparent
    );
    assert_ne!(
        envelope.traceparent, traceparent,
        "the server's own span is the parent of the event"
    );
    let header = message
        .headers
        .as_ref()
        .and_then(|h| h.get("traceparent"))
        .map(|v| v.as_str().to_owned());
    assert_eq!(header.as_deref(), Some(envelope.traceparent.as_str()));
    residents.stop().await;
}
