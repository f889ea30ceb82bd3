use chrono::Utc;
use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{AppendRequest, ExpectedVersion, Metadata, NewEvent};
use civitas_platform::auth::Role;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_testkit::TestServer;
use tonic::Code;

use super::*;

/// Appends one event to `stream_id` in xingfu, whatever the stream's version.
pub(super) async fn append_one(store: &dyn EventStore, stream_id: &str) {
    let org = OrgTree::demo().path_of("xingfu").expect("community");
    store
        .append(AppendRequest {
            stream_id: stream_id.to_owned(),
            expected: ExpectedVersion::Any,
            metadata: Metadata {
                org,
                actor: "staff".into(),
                correlation_id: "c".into(),
                causation_id: "c".into(),
                traceparent: String::new(),
            },
            events: vec![NewEvent::new("ThingHappened", 1, Utc::now(), vec![1])],
            idempotency: None,
            companions: Vec::new(),
        })
        .await
        .expect("append");
}

pub(super) async fn store_with_one_event(dir: &std::path::Path, name: &str) -> Arc<dyn EventStore> {
    let store = SqliteEventStore::open(&dir.join(format!("{name}.db")))
        .await
        .expect("open store");
    append_one(&store, &format!("{name}-1")).await;
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

#[tokio::test]
async fn stream_heads_page_from_a_checkpoint_within_the_callers_scope() {
    let dir = civitas_testkit::temp_dir();
    let store = store_with_one_event(dir.path(), "residents").await;
    for stream in ["residents-2", "residents-1", "residents-2"] {
        append_one(store.as_ref(), stream).await;
    }
    let log = EventLog::new("residents", store.clone(), OrgTree::demo());
    let server = TestServer::start(|services, limits, auth| {
        services.add(log.server(limits, auth));
    })
    .await;
    let mut admin = EventLogServiceClient::new(server.channel_as(Role::Admin, "gulou").await);
    let heads = |page: &ListStreamHeadsResponse| -> Vec<(String, u64)> {
        let heads = page.heads.iter();
        heads.map(|h| (h.stream_id.clone(), h.version)).collect()
    };

    let first = admin
        .list_stream_heads(ListStreamHeadsRequest {
            max_events: 3,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    assert_eq!(
        heads(&first),
        [("residents-1".to_owned(), 2), ("residents-2".to_owned(), 1)]
    );
    assert!(!first.at_end, "a full page may have more after it");
    assert!(first.newest_event_at.is_some());

    let second = admin
        .list_stream_heads(ListStreamHeadsRequest {
            after_xid: first.next_xid,
            after_position: first.next_position,
            max_events: 3,
            ..Default::default()
        })
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(heads(&second), [("residents-2".to_owned(), 2)]);
    assert!(second.at_end);
    assert!(second.relay_pending_since.is_none(), "no relay here");

    let mut other = EventLogServiceClient::new(server.channel_as(Role::Staff, "heping").await);
    let hidden = other
        .list_stream_heads(ListStreamHeadsRequest::default())
        .await
        .expect("another community's page")
        .into_inner();
    assert!(hidden.heads.is_empty(), "{hidden:?}");
    assert_eq!(
        (hidden.next_xid, hidden.next_position),
        (second.next_xid, second.next_position),
        "events out of scope still move the page on"
    );
}
