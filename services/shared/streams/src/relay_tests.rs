use std::sync::OnceLock;

use chrono::Utc;
use civitas_kernel::store::PostgresEventStore;
use civitas_kernel::{AppendRequest, ExpectedVersion, Metadata, NewEvent, OrgPath};
use civitas_testkit::{eventually, FreshDb, NatsServer};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::Connection as _;

use super::*;
use crate::jetstream::{max_event_bytes, RELAY_OVERHEAD_BYTES};

/// The test binary's metrics recorder, to read what the relay reports.
fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("install the metrics recorder")
    })
}

/// A metric's value for one service; 0 when it was never recorded.
fn metric(name: &str, service: &str) -> f64 {
    let prefix = format!("{name}{{service=\"{service}\"}} ");
    metrics()
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

/// A service's event store in a fresh database and a private NATS server with its
/// events stream: everything a relay needs.
struct Setup {
    _db: FreshDb,
    _nats: NatsServer,
    client: async_nats::Client,
    store: PostgresEventStore,
    config: RelayConfig,
}

impl Setup {
    async fn start(service: &str, nats: NatsServer) -> Setup {
        metrics();
        let db = civitas_testkit::fresh_postgres_db()
            .await
            .expect("fresh PostgreSQL database");
        let store = PostgresEventStore::connect(&db.url, service, 4)
            .await
            .expect("event store");
        let client = async_nats::connect(&nats.url).await.expect("connect");
        let config = RelayConfig::new(service, StreamSettings::default());
        crate::ensure_stream(&jetstream::new(client.clone()), &config.stream)
            .await
            .expect("stream");
        Setup {
            _db: db,
            _nats: nats,
            client,
            store,
            config,
        }
    }

    /// Appends one event of `payload_bytes` to its own stream; returns its id.
    async fn append(&self, stream_id: &str, payload_bytes: usize) -> Uuid {
        let event = NewEvent::new("ThingHappened", 1, Utc::now(), vec![7; payload_bytes]);
        let id = event.event_id;
        self.store
            .append(AppendRequest {
                stream_id: stream_id.to_owned(),
                expected: ExpectedVersion::NoStream,
                metadata: Metadata {
                    org: OrgPath {
                        district: "gulou".into(),
                        street: "huafeng".into(),
                        community: "xingfu".into(),
                    },
                    actor: "staff".into(),
                    correlation_id: "c".into(),
                    causation_id: "c".into(),
                    traceparent: String::new(),
                },
                events: vec![event],
                idempotency: None,
                companions: Vec::new(),
            })
            .await
            .expect("append");
        id
    }

    fn spawn_relay(&self, stop: &CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(run_relay(
            self.config.clone(),
            Arc::new(self.store.clone()),
            self.store.pool().clone(),
            jetstream::new(self.client.clone()),
            stop.clone(),
        ))
    }

    fn failures(&self) -> f64 {
        metric("civitas_relay_publish_failures_total", &self.config.service)
    }

    /// The ids of the events in the stream, in stream order.
    async fn published(&self) -> anyhow::Result<Vec<String>> {
        let stream = jetstream::new(self.client.clone())
            .get_stream(&self.config.stream.name)
            .await?;
        let last = stream.get_info().await?.state.last_sequence;
        let mut ids = Vec::new();
        for sequence in 1..=last {
            let message = stream.get_raw_message(sequence).await?;
            let id = message.headers.get("Nats-Msg-Id").map(|v| v.to_string());
            ids.push(id.unwrap_or_default());
        }
        Ok(ids)
    }

    /// The backend holding this service's relay lock, if any.
    async fn lock_holder(&self) -> Option<i32> {
        // pg_locks shows a bigint key as its high half (classid) and low half (objid).
        let key = crate::lease::lock_key(&format!("civitas-relay:{}", self.config.service)) as u64;
        sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid::bigint = $1 AND objid::bigint = $2",
        )
        .bind((key >> 32) as i64)
        .bind((key & 0xffff_ffff) as i64)
        .fetch_optional(self.store.pool())
        .await
        .expect("read pg_locks")
    }
}

#[tokio::test]
async fn an_event_that_cannot_be_published_holds_back_the_rest_and_says_so() {
    let nats = NatsServer::with_max_payload(32 * 1024).expect("private nats-server");
    let t = Setup::start("stuck_relay", nats).await;
    assert_eq!(
        max_event_bytes(&t.client).await.expect("server info"),
        32 * 1024 - RELAY_OVERHEAD_BYTES,
        "the limit comes from the server's INFO"
    );
    let first = t.append("thing-1", 100).await;
    let oversized = t.append("thing-2", 40 * 1024).await;
    let after = t.append("thing-3", 100).await;

    let stop = CancellationToken::new();
    let relay = t.spawn_relay(&stop);
    eventually!(async {
        let failures = t.failures();
        anyhow::ensure!(failures >= 3.0, "{failures} failed attempts so far");
        Ok(())
    });

    assert_eq!(
        t.published().await.expect("read the stream"),
        [first.to_string()],
        "the event before the stuck one is published, {oversized} and {after} are not"
    );
    let stored = t.store.read_all(Checkpoint::START, 1).await.expect("read");
    assert_eq!(
        load_checkpoint(t.store.pool(), &t.config.service)
            .await
            .expect("checkpoint"),
        stored[0].checkpoint,
        "the checkpoint moved past the published event only"
    );
    let stuck = metric("civitas_relay_stuck_seconds", &t.config.service);
    assert!(stuck > 0.0, "stuck for {stuck} s");

    stop.cancel();
    relay.await.expect("relay stops");
}

/// A relay retrying a stuck event never goes idle; it must still notice that its lock
/// connection died, stop, and take the lock again on a new connection.
#[tokio::test]
async fn a_busy_relay_notices_it_lost_its_lock() {
    let nats = NatsServer::with_max_payload(32 * 1024).expect("private nats-server");
    let t = Setup::start("busy_relay", nats).await;
    t.append("thing-1", 40 * 1024).await;

    let stop = CancellationToken::new();
    let relay = t.spawn_relay(&stop);
    eventually!(async {
        anyhow::ensure!(t.failures() >= 1.0, "not retrying yet");
        Ok(())
    });
    let holder = t.lock_holder().await.expect("the relay holds its lock");
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(holder)
        .fetch_one(t.store.pool())
        .await
        .expect("terminate the lock connection");
    assert!(terminated);

    eventually!(async {
        match t.lock_holder().await {
            Some(pid) if pid != holder => Ok(()),
            other => anyhow::bail!("lock holder {other:?}"),
        }
    });
    let before = t.failures();
    eventually!(async {
        anyhow::ensure!(
            t.failures() > before,
            "not retrying after taking the lock again"
        );
        Ok(())
    });

    stop.cancel();
    relay.await.expect("relay stops");
}

#[tokio::test]
async fn the_checkpoint_only_moves_forward() {
    let db = civitas_testkit::fresh_postgres_db()
        .await
        .expect("fresh PostgreSQL database");
    let pool = PgPool::connect(&db.url).await.expect("connect");
    let at = |xid, position| Checkpoint { xid, position };
    assert_eq!(
        load_checkpoint(&pool, "residents").await.expect("load"),
        Checkpoint::START
    );
    for (save, expected) in [
        (at(5, 10), at(5, 10)),
        (at(3, 20), at(5, 10)),
        (at(5, 9), at(5, 10)),
        (at(5, 11), at(5, 11)),
        (at(6, 1), at(6, 1)),
    ] {
        save_checkpoint(&pool, "residents", save)
            .await
            .expect("save");
        assert_eq!(
            load_checkpoint(&pool, "residents").await.expect("load"),
            expected,
            "after saving {save:?}"
        );
    }
}

/// A transaction held open anywhere in the cluster holds back the gap-safe horizon:
/// nothing committed after it is skipped, the waiting gauge rises while it is open, and
/// everything is published once it ends.
#[tokio::test]
async fn an_open_transaction_holds_the_relay_back_and_it_says_so() {
    let t = Setup::start(
        "held_relay",
        NatsServer::start().expect("private nats-server"),
    )
    .await;
    let first = t.append("thing-1", 10).await;
    let stop = CancellationToken::new();
    let relay = t.spawn_relay(&stop);
    eventually!(async {
        let published = t.published().await?;
        anyhow::ensure!(published == [first.to_string()], "{published:?}");
        Ok(())
    });

    // Another database of the same cluster: an open transaction with an id.
    let other = civitas_testkit::fresh_postgres_db()
        .await
        .expect("fresh PostgreSQL database");
    let mut holder = sqlx::PgConnection::connect(&other.url)
        .await
        .expect("connect");
    holder.execute("BEGIN").await.expect("begin");
    holder
        .execute("SELECT pg_current_xact_id()")
        .await
        .expect("take a transaction id");

    let held = t.append("thing-2", 10).await;
    eventually!(async {
        let waiting = metric("civitas_relay_waiting_seconds", &t.config.service);
        anyhow::ensure!(waiting >= 1.0, "waiting gauge {waiting}");
        Ok(())
    });
    assert_eq!(
        t.published().await.expect("read the stream"),
        [first.to_string()],
        "{held} waits behind the open transaction"
    );

    holder.execute("COMMIT").await.expect("commit");
    eventually!(async {
        let published = t.published().await?;
        anyhow::ensure!(
            published == [first.to_string(), held.to_string()],
            "{published:?}"
        );
        Ok(())
    });
    eventually!(async {
        let waiting = metric("civitas_relay_waiting_seconds", &t.config.service);
        anyhow::ensure!(waiting == 0.0, "waiting gauge {waiting}");
        Ok(())
    });
    stop.cancel();
    relay.await.expect("relay stops");
}
