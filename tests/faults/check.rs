//! What the fault scenarios check: read models as table dumps (equal to a clean
//! rebuild's), event stores against the JetStream stream (every committed event
//! published once), and the projection having caught up with the stores.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use civitas_e2e::Cluster;
use civitas_proto::events::v1::Envelope;
use futures::StreamExt;
use prost::Message;

/// The projection's own bookkeeping, which differs by design between a live
/// projection (NATS positions, apply times) and a rebuild; every other table is a read
/// model and must be equal.
const BOOKKEEPING: [&str; 4] = [
    "projection_checkpoints",
    "projection_freshness",
    "projection_schema",
    "parked_events",
];

pub async fn pool(cluster: &Cluster) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&cluster.db.url)
        .await
        .expect("connect to the test database")
}

/// Every row of every read-model table of `schema`, as sorted JSON text per table.
pub async fn dump(pool: &sqlx::PgPool, schema: &str) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .expect("list tables");
    assert!(!tables.is_empty(), "schema {schema} has no tables");
    let mut dump = BTreeMap::new();
    for table in tables {
        if BOOKKEEPING.contains(&table.as_str()) {
            continue;
        }
        let query = format!("SELECT row_to_json(t)::text FROM {schema}.{table} t ORDER BY 1");
        let rows: Vec<String> = sqlx::query_scalar(&query)
            .fetch_all(pool)
            .await
            .expect("dump a table");
        dump.insert(table, rows);
    }
    dump
}

/// Asserts that two dumps are equal, naming the first differing rows of each table.
pub fn assert_same(live: &BTreeMap<String, Vec<String>>, clean: &BTreeMap<String, Vec<String>>) {
    let mut differences = Vec::new();
    for table in live.keys().chain(clean.keys()).collect::<BTreeSet<_>>() {
        let empty = Vec::new();
        let a: BTreeSet<&String> = live.get(table).unwrap_or(&empty).iter().collect();
        let b: BTreeSet<&String> = clean.get(table).unwrap_or(&empty).iter().collect();
        let only_live: Vec<_> = a.difference(&b).take(3).collect();
        let only_clean: Vec<_> = b.difference(&a).take(3).collect();
        let (na, nb) = (
            live.get(table).map_or(0, Vec::len),
            clean.get(table).map_or(0, Vec::len),
        );
        if na != nb || !only_live.is_empty() || !only_clean.is_empty() {
            differences.push(format!(
                "{table}: {na} rows live, {nb} rebuilt; only live {only_live:?}; only rebuilt {only_clean:?}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "the read models differ from a clean rebuild:\n{}",
        differences.join("\n")
    );
}

/// Rows in a dump, all tables together.
pub fn rows(dump: &BTreeMap<String, Vec<String>>) -> usize {
    dump.values().map(Vec::len).sum()
}

/// Events in a write service's store.
pub async fn store_count(pool: &sqlx::PgPool, service: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {service}.events"))
        .fetch_one(pool)
        .await
        .expect("count the store");
    n as u64
}

/// The event ids in a write service's store.
pub async fn store_ids(pool: &sqlx::PgPool, service: &str) -> Vec<String> {
    sqlx::query_scalar(&format!("SELECT event_id::text FROM {service}.events"))
        .fetch_all(pool)
        .await
        .expect("read the store's event ids")
}

/// Events of a write service's store its relay has not yet published: those after
/// the relay's checkpoint, which moves only once JetStream acknowledged them.
pub async fn unpublished(pool: &sqlx::PgPool, service: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {service}.events e WHERE NOT EXISTS ( \
           SELECT 1 FROM {service}.relay_checkpoints c WHERE c.service = $1 \
           AND (e.xid::text::bigint, e.position) <= (c.xid, c.position))"
    ))
    .bind(service)
    .fetch_one(pool)
    .await
    .expect("count the unpublished events");
    n as u64
}

/// Waits until the projection in `schema` has applied every event of the stores:
/// the sum of its stream versions equals the events stored (each event is one version
/// of one stream).
pub async fn caught_up(pool: &sqlx::PgPool, schema: &str, services: &[&str], patience: Duration) {
    let mut stored = 0;
    for service in services {
        stored += store_count(pool, service).await;
    }
    let query = format!(
        "SELECT COALESCE(sum(version), 0)::bigint FROM {schema}.projection_stream_versions"
    );
    civitas_testkit::eventually!(
        async {
            let applied: i64 = sqlx::query_scalar(&query).fetch_one(pool).await?;
            anyhow::ensure!(
                applied as u64 == stored,
                "projection {schema} applied {applied} of {stored} stored events"
            );
            Ok(())
        },
        patience
    );
}

/// What the JetStream stream holds, by event id (from `Nats-Msg-Id`, checked against
/// the envelope).
pub struct StreamContents {
    pub messages: u64,
    pub ids: BTreeMap<String, u32>,
}

impl StreamContents {
    /// Reads every message of the cluster's stream with an ephemeral pull consumer.
    pub async fn read(cluster: &Cluster) -> StreamContents {
        let nats = async_nats::connect(&cluster.nats.url)
            .await
            .expect("connect to NATS");
        Self::read_from(&async_nats::jetstream::new(nats), &cluster.stream.name).await
    }

    /// Reads every message of `stream` with an ephemeral pull consumer. It is named, so
    /// that a user with the projection's grants may create it
    /// (`$JS.API.CONSUMER.*.<stream>.>` in deploy/nats/accounts.conf), and uniquely, so
    /// that a second read never resumes a first one's position.
    pub async fn read_from(js: &async_nats::jetstream::Context, stream: &str) -> StreamContents {
        use async_nats::jetstream::consumer::{pull, AckPolicy};
        let mut stream = js.get_stream(stream).await.expect("the events stream");
        let messages = stream.info().await.expect("stream info").state.messages;
        // Right after a node of a cluster restarts, the JetStream API may time out for
        // a few seconds (a new meta or stream leader settling): try for up to a minute.
        let mut attempts = 0;
        let consumer = loop {
            let created = stream
                .create_consumer(pull::Config {
                    name: Some(format!("faults-reader-{}", uuid::Uuid::new_v4().simple())),
                    ack_policy: AckPolicy::None,
                    ..Default::default()
                })
                .await;
            match created {
                Ok(consumer) => break consumer,
                Err(e) if attempts < 12 => {
                    attempts += 1;
                    eprintln!("creating a reading consumer: {e}; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                Err(e) => panic!("a reading consumer after {attempts} retries: {e}"),
            }
        };
        let mut deliveries = consumer.messages().await.expect("deliveries");
        let mut ids = BTreeMap::new();
        for _ in 0..messages {
            let message = tokio::time::timeout(Duration::from_secs(10), deliveries.next())
                .await
                .expect("the next stream message within 10 s")
                .expect("a message")
                .expect("a readable message");
            let envelope = Envelope::decode(message.payload.clone()).expect("an envelope");
            let msg_id = message
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_owned());
            assert_eq!(msg_id.as_deref(), Some(envelope.event_id.as_str()));
            *ids.entry(envelope.event_id).or_insert(0) += 1;
        }
        StreamContents { messages, ids }
    }

    /// How the stream's events differ from the `stored` event ids.
    pub fn compare(&self, stored: &[String]) -> Comparison {
        let stored: BTreeSet<&String> = stored.iter().collect();
        Comparison {
            missing: stored
                .iter()
                .filter(|id| !self.ids.contains_key(**id))
                .map(|id| id.to_string())
                .collect(),
            repeated: self
                .ids
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(id, _)| id.clone())
                .collect(),
            foreign: self
                .ids
                .keys()
                .filter(|id| !stored.contains(id))
                .cloned()
                .collect(),
        }
    }

    /// Asserts that the stream holds every stored event exactly once, and nothing else.
    pub fn assert_exactly(&self, stored: &[String]) {
        let Comparison {
            missing,
            repeated,
            foreign,
        } = self.compare(stored);
        assert!(
            missing.is_empty() && repeated.is_empty() && foreign.is_empty(),
            "stream {} messages, store {} events; missing {:?}, repeated {:?}, \
             not in the store {:?}",
            self.messages,
            stored.len(),
            &missing[..missing.len().min(5)],
            &repeated[..repeated.len().min(5)],
            &foreign[..foreign.len().min(5)],
        );
        assert_eq!(
            self.messages as usize,
            stored.len(),
            "stream count = store count"
        );
    }
}

/// Event ids on the stream and in a store, compared.
pub struct Comparison {
    /// Stored, not on the stream.
    pub missing: Vec<String>,
    /// On the stream more than once.
    pub repeated: Vec<String>,
    /// On the stream, not stored.
    pub foreign: Vec<String>,
}
