//! Live subscriptions are bounded: a cap per caller, idle polling that backs off, and
//! an end when the server shuts down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use civitas_kernel::{AppendError, AppendOutcome, AppendRequest, Idempotency, StoreError};
use civitas_platform::auth::Role;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_testkit::{AuthChannel, TestServer};
use tonic::{Code, Streaming};

use super::tests::{append_one, store_with_one_event};
use super::*;

/// A store that counts its `read_all` calls.
struct Counting {
    inner: Arc<dyn EventStore>,
    reads: AtomicUsize,
}

#[async_trait::async_trait]
impl EventStore for Counting {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        self.inner.append(request).await
    }
    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id).await
    }
    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_all(after, limit).await
    }
    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        self.inner.idempotent_outcome(idempotency).await
    }
    fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.appended()
    }
}

async fn serve(log: EventLog) -> TestServer {
    TestServer::start(|services, limits, auth| {
        services.add(log.server(limits, auth));
    })
    .await
}

async fn follow(
    client: &mut EventLogServiceClient<AuthChannel>,
) -> Result<Streaming<SubscribeResponse>, Status> {
    let request = SubscribeRequest::default();
    Ok(client.subscribe(request).await?.into_inner())
}

#[tokio::test]
async fn subscriptions_are_capped_per_caller() {
    let dir = civitas_testkit::temp_dir();
    let store = store_with_one_event(dir.path(), "residents").await;
    let log = EventLog::new("residents", store, OrgTree::demo()).with_max_subscriptions(2);
    let server = serve(log.clone()).await;
    let mut admin = EventLogServiceClient::new(server.channel_as(Role::Admin, "gulou").await);
    let mut district = EventLogServiceClient::new(server.channel_as(Role::District, "gulou").await);

    let first = follow(&mut admin).await.expect("first");
    let _second = follow(&mut admin).await.expect("second");
    let refused = follow(&mut admin)
        .await
        .expect_err("a third of the same caller");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("max_subscriptions_per_caller"),
        "{refused:?}"
    );
    let _other = follow(&mut district)
        .await
        .expect("another caller has its own cap");

    drop(first);
    civitas_testkit::eventually!(async {
        anyhow::ensure!(log.subscriptions.held("admin-gulou") < 2, "slot still held");
        Ok(())
    });
    follow(&mut admin)
        .await
        .expect("a closed subscription frees its slot");
}

#[tokio::test]
async fn an_idle_subscription_backs_off_and_wakes_on_an_append() {
    let dir = civitas_testkit::temp_dir();
    let inner = store_with_one_event(dir.path(), "residents").await;
    let store = Arc::new(Counting {
        inner: inner.clone(),
        reads: AtomicUsize::new(0),
    });
    let log = EventLog::new("residents", store.clone(), OrgTree::demo());
    let server = serve(log).await;
    let mut admin = EventLogServiceClient::new(server.channel_as(Role::Admin, "gulou").await);
    let mut stream = follow(&mut admin).await.expect("subscribe");
    stream.message().await.expect("first").expect("an event");

    // Idle for 1.6 s: polling every 100 ms would read 16 times; backing off
    // (100, 200, 400, 800 ms) reads about 5.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let reads = store.reads.load(Ordering::SeqCst);
    assert!(reads <= 8, "{reads} reads while idle");

    let appended = Instant::now();
    append_one(inner.as_ref(), "residents-2").await;
    let next = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("the append arrives")
        .expect("stream")
        .expect("an event");
    assert_eq!(next.envelope.expect("envelope").stream_id, "residents-2");
    assert!(
        appended.elapsed() < Duration::from_millis(700),
        "an append in this process wakes the subscription, took {:?}",
        appended.elapsed()
    );
}

#[tokio::test]
async fn subscriptions_end_when_the_server_shuts_down() {
    let dir = civitas_testkit::temp_dir();
    let store = store_with_one_event(dir.path(), "residents").await;
    let shutdown = CancellationToken::new();
    let log = EventLog::new("residents", store, OrgTree::demo()).with_shutdown(shutdown.clone());
    let server = serve(log.clone()).await;
    let mut admin = EventLogServiceClient::new(server.channel_as(Role::Admin, "gulou").await);
    let mut stream = follow(&mut admin).await.expect("subscribe");
    stream.message().await.expect("first").expect("an event");

    shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(2), stream.message())
        .await
        .expect("the subscription ends at shutdown");
    let status = ended.expect_err("ended with a status");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    civitas_testkit::eventually!(async {
        anyhow::ensure!(
            log.subscriptions.held("admin-gulou") == 0,
            "slot still held"
        );
        Ok(())
    });
}
