use chrono::Utc;
use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{AppendRequest, ExpectedVersion, Metadata, NewEvent};
use civitas_platform::auth::Role;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_testkit::TestServer;
use tonic::Code;

use super::*;

async fn store_with_one_event(dir: &std::path::Path, name: &str) -> Arc<dyn EventStore> {
    let store = SqliteEventStore::open(&dir.join(format!("{name}.db")))
        .await
        .expect("open store");
    let org = OrgTree::demo().path_of("xingfu").expect("community");
    store
        .append(AppendRequest {
            stream_id: format!("{name}-1"),
            expected: ExpectedVersion::NoStream,
            metadata: Metadata {
                org,
                actor: "staff".into(),
                correlation_id: "c".into(),
                causation_id: "c".into(),
                traceparent: String::new(),
            },
            events: vec![NewEvent::new("ThingHappened", 1, Utc::now(), vec![1])],
            idempotency: None,
        })
        .await
        .expect("append");
    Arc::new(store)
}

#[tokio::test]
async fn one_server_serves_each_log_by_name() {
    let dir = civitas_testkit::temp_dir();
    let log = EventLog::of(
        [
            (
                "residents".to_owned(),
                store_with_one_event(dir.path(), "residents").await,
            ),
            (
                "safety".to_owned(),
                store_with_one_event(dir.path(), "safety").await,
            ),
        ],
        OrgTree::demo(),
    );
    let server = TestServer::start(|services, limits, auth| {
        services.add(log.server(limits, auth));
    })
    .await;
    let mut client = EventLogServiceClient::new(server.channel_as(Role::Admin, "gulou").await);

    let unnamed = client
        .read_stream(ReadStreamRequest {
            stream_id: "safety-1".into(),
            after_version: 0,
            service: String::new(),
        })
        .await
        .expect_err("several logs: the service must be named");
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert!(unnamed.message().contains("service"), "{unnamed:?}");

    let read = client
        .read_stream(ReadStreamRequest {
            stream_id: "safety-1".into(),
            after_version: 0,
            service: "safety".into(),
        })
        .await
        .expect("read")
        .into_inner();
    assert_eq!(read.envelopes.len(), 1);
    assert_eq!(read.envelopes[0].service, "safety");

    let mut stream = client
        .subscribe(SubscribeRequest {
            stop_at_end: true,
            service: "residents".into(),
            ..Default::default()
        })
        .await
        .expect("subscribe")
        .into_inner();
    let mut seen = Vec::new();
    while let Some(item) = stream.message().await.expect("stream") {
        let envelope = item.envelope.expect("envelope");
        seen.push((envelope.service, envelope.stream_id));
    }
    assert_eq!(seen, [("residents".to_owned(), "residents-1".to_owned())]);

    let unknown = client
        .subscribe(SubscribeRequest {
            service: "nowhere".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown log");
    assert_eq!(unknown.code(), Code::InvalidArgument);
}
