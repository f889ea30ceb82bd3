//! `civitas tail` against real nats-servers: a private one, and one configured with the
//! analyst grants of `deploy/nats/accounts.conf`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use civitas_proto::events::v1::{ActivityCategory, ActivityScheduled, Envelope};
use civitas_streams::StreamSettings;
use prost::Message as _;
use serde_json::Value;

use super::fixtures::{envelope, registered, TRACEPARENT};
use super::*;

/// Every step of a NATS test is bounded by this.
const BOUND: Duration = Duration::from_secs(30);

fn publish_headers(event: &Envelope) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", event.event_id.as_str());
    // The relay sends the command's trace context as a header too.
    headers.insert("traceparent", TRACEPARENT);
    headers
}

async fn publish(
    js: &jetstream::Context,
    stream: &StreamSettings,
    service: &str,
    event: &Envelope,
) {
    let org = event.org.clone().unwrap();
    let org = civitas_kernel::OrgPath {
        district: org.district,
        street: org.street,
        community: org.community,
    };
    let subject = stream.subject(service, &org, &event.event_type);
    let ack = js
        .publish_with_headers(
            subject,
            publish_headers(event),
            event.encode_to_vec().into(),
        )
        .await
        .unwrap();
    tokio::time::timeout(BOUND, ack).await.unwrap().unwrap();
}

async fn tail(config: TailConfig) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    tokio::time::timeout(BOUND, run(&config, &mut out))
        .await
        .map_err(|_| anyhow::anyhow!("tail did not finish within {BOUND:?}"))??;
    Ok(lines(&out))
}

fn lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_prints_the_stored_events_from_the_start() {
    let server = civitas_testkit::NatsServer::start().unwrap();
    let unique = format!("{:08x}", rand::random::<u32>());
    let stream = StreamSettings {
        name: format!("TAIL_TEST_{unique}"),
        subject_prefix: format!("tailtest{unique}.evt"),
        ..StreamSettings::default()
    };
    let client = async_nats::connect(&server.url).await.unwrap();
    let js = jetstream::new(client);
    tokio::time::timeout(BOUND, civitas_streams::ensure_stream(&js, &stream))
        .await
        .unwrap()
        .unwrap();

    let (resident, _key) = registered("r-1");
    let first = envelope(1, "gulou", "ResidentRegistered", resident.encode_to_vec());
    let scheduled = ActivityScheduled {
        activity_id: "a-1".into(),
        community: "xingfu".into(),
        category: ActivityCategory::FilmScreening as i32,
        title: "World film night".into(),
        capacity: 40,
        ..Default::default()
    };
    let mut second = envelope(2, "gulou", "ActivityScheduled", scheduled.encode_to_vec());
    second.service = "activities".into();
    second.traceparent = String::new(); // taken from the header instead
    publish(&js, &stream, "residents", &first).await;
    publish(&js, &stream, "activities", &second).await;
    // A re-sent event (same Nats-Msg-Id) is dropped by JetStream.
    publish(&js, &stream, "residents", &first).await;

    let got = tail(TailConfig {
        nats_url: server.url.clone(),
        subject: stream.all_subjects(),
        from_start: true,
        limit: Some(2),
        stream: stream.clone(),
        ..TailConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    let prefix = &stream.subject_prefix;
    assert_eq!(
        got[0]["subject"],
        format!("{prefix}.residents.gulou.huafeng.xingfu.ResidentRegistered")
    );
    assert_eq!(got[0]["stream_sequence"], 1);
    assert_eq!(got[0]["event_id"], first.event_id);
    assert_eq!(got[0]["service"], "residents");
    assert_eq!(
        got[0]["payload"]["residence_type"],
        "RESIDENCE_TYPE_FLOATING"
    );
    assert!(got[0]["payload"]["personal"]["ciphertext"].is_string());
    assert_eq!(
        got[1]["subject"],
        format!("{prefix}.activities.gulou.huafeng.xingfu.ActivityScheduled")
    );
    assert_eq!(got[1]["stream_sequence"], 2);
    assert_eq!(got[1]["event_type"], "ActivityScheduled");
    assert_eq!(got[1]["service"], "activities");
    assert_eq!(got[1]["traceparent"], TRACEPARENT);
    assert_eq!(
        got[1]["payload"]["category"],
        "ACTIVITY_CATEGORY_FILM_SCREENING"
    );
    assert_eq!(got[1]["payload"]["capacity"], 40);
    assert_eq!(got[1]["payload"]["title"], "World film night");
    // Exactly what envelope_to_json makes of the published bytes.
    let expected = envelope_to_json(
        got[0]["subject"].as_str().unwrap(),
        1,
        &first.encode_to_vec(),
    );
    assert_eq!(got[0], expected.unwrap());

    // A subject outside the stream is refused at once (a 2.10+ server would accept the
    // consumer, which then never delivers).
    let err = tail(TailConfig {
        nats_url: server.url.clone(),
        subject: "elsewhere.>".into(),
        from_start: true,
        limit: Some(1),
        stream,
        ..TailConfig::default()
    })
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("lies outside stream"),
        "{err:#}"
    );
}

#[test]
fn only_subjects_inside_the_stream_are_followed() {
    let prefix = "civitas.evt";
    for inside in [
        "civitas.evt.>",
        "civitas.evt.*.gulou.>",
        "civitas.evt.residents.gulou.huafeng.xingfu.ResidentRegistered",
        "civitas.evt.*",
    ] {
        assert!(subject_inside(inside, prefix), "{inside}");
    }
    for outside in [
        "elsewhere.>",
        "civitas.>",
        "civitas.evt",
        "civitas.*.residents.>",
        "*.evt.>",
        ">",
        "civitas.evt.",
        "civitas.evt..x",
        "civitas.evt.>.x",
        "civitas.events.>",
    ] {
        assert!(!subject_inside(outside, prefix), "{outside}");
    }
}

/// A nats-server started with a config file, killed when dropped.
struct ConfiguredServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl ConfiguredServer {
    fn start(conf: impl Fn(u16, &Path) -> String) -> ConfiguredServer {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let dir = tempfile::tempdir().unwrap();
        let port = civitas_testkit::free_port().unwrap();
        let path = dir.path().join("nats.conf");
        std::fs::write(&path, conf(port, &dir.path().join("js"))).unwrap();
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("this test needs {binary} (or NATS_SERVER_BIN): {e}"));
        let mut server = ConfiguredServer {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{binary} exited at start with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "{binary} did not listen within 10s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for ConfiguredServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The analyst's grants as in deploy/nats/accounts.conf, plus an admin user, and a
/// user with the same grants under another name (so its inbox is not granted).
fn analyst_conf(port: u16, store: &Path) -> String {
    let grants = r#"{
      publish: {
        allow: [
          "$JS.API.CONSUMER.CREATE.CIVITAS_EVENTS.*.civitas.evt.*.gulou.>"
          "$JS.FC.CIVITAS_EVENTS.>"
        ]
        deny: [
          "civitas.>"
          "$JS.API.CONSUMER.CREATE.CIVITAS_EVENTS.projection.>"
          "$JS.FC.CIVITAS_EVENTS.projection.>"
        ]
      }
      subscribe: {
        allow: ["civitas.evt.*.gulou.>", "_INBOX.analyst_gulou.>"]
      }
    }"#;
    format!(
        r#"
listen: "127.0.0.1:{port}"
jetstream {{ store_dir: "{store}" }}
accounts {{
  CIVITAS {{
jetstream: enabled
users: [
  {{ user: admin, password: admin }}
  {{ user: analyst_gulou, password: secret, permissions: {grants} }}
  {{ user: analyst_renamed, password: secret, permissions: {grants} }}
]
  }}
}}
"#,
        store = store.display()
    )
}

/// With the subscribe-only analyst grants: from the start, only the district's
/// events; live (deliver New), only what comes after; outside the district, refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_works_with_the_analyst_grants() {
    let server = ConfiguredServer::start(analyst_conf);
    let admin = async_nats::ConnectOptions::with_user_and_password("admin".into(), "admin".into())
        .retry_on_initial_connect()
        .connect(&server.url);
    let admin = tokio::time::timeout(BOUND, admin).await.unwrap().unwrap();
    let js = jetstream::new(admin);
    let stream = StreamSettings::default();
    let mut events_stream =
        tokio::time::timeout(BOUND, civitas_streams::ensure_stream(&js, &stream))
            .await
            .unwrap()
            .unwrap();
    let (a, _) = registered("r-1");
    let (b, _) = registered("r-2");
    let (c, _) = registered("r-3");
    let gulou_1 = envelope(1, "gulou", "ResidentRegistered", a.encode_to_vec());
    let taijiang = envelope(2, "taijiang", "ResidentRegistered", b.encode_to_vec());
    let gulou_2 = envelope(3, "gulou", "ResidentRegistered", c.encode_to_vec());
    for event in [&gulou_1, &taijiang, &gulou_2] {
        publish(&js, &stream, "residents", event).await;
    }
    let analyst = TailConfig {
        nats_url: server.url.clone(),
        subject: "civitas.evt.*.gulou.>".into(),
        user: Some("analyst_gulou".into()),
        password: Some("secret".into()),
        from_start: true,
        limit: Some(2),
        ..TailConfig::default()
    };

    let got = tail(analyst.clone()).await.unwrap();
    let ids: Vec<&str> = got
        .iter()
        .map(|v| v["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [gulou_1.event_id.as_str(), gulou_2.event_id.as_str()]);
    assert_eq!(got[1]["stream_sequence"], 3);

    // Live: nothing stored is delivered, the next gulou event is.
    let before = consumer_count(&mut events_stream).await;
    let live = TailConfig {
        from_start: false,
        limit: Some(1),
        ..analyst.clone()
    };
    let follower = tokio::spawn(async move {
        let mut out = Vec::new();
        run(&live, &mut out).await.map(|()| out)
    });
    let deadline = Instant::now() + BOUND;
    while consumer_count(&mut events_stream).await <= before {
        assert!(
            Instant::now() < deadline,
            "the live tail created no consumer"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (d, _) = registered("r-4");
    let gulou_3 = envelope(4, "gulou", "ResidentRegistered", d.encode_to_vec());
    let (e, _) = registered("r-5");
    let taijiang_2 = envelope(5, "taijiang", "ResidentRegistered", e.encode_to_vec());
    publish(&js, &stream, "residents", &taijiang_2).await;
    publish(&js, &stream, "residents", &gulou_3).await;
    let out = tokio::time::timeout(BOUND, follower)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let got = lines(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["event_id"], gulou_3.event_id);
    assert_eq!(got[0]["stream_sequence"], 5);

    // Another district, or the whole tree, is refused, saying why.
    for subject in ["civitas.evt.*.taijiang.>", "civitas.evt.>"] {
        let err = tail(TailConfig {
            subject: subject.into(),
            ..analyst.clone()
        })
        .await
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(err.contains("failed to create a consumer"), "{err}");
        assert!(
            err.to_lowercase()
                .contains("permissions violation for publish"),
            "{err}"
        );
    }
    // So is a user whose own inbox prefix is not granted.
    let err = tail(TailConfig {
        user: Some("analyst_renamed".into()),
        ..analyst.clone()
    })
    .await
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.to_lowercase()
            .contains("permissions violation for subscription"),
        "{err}"
    );
}

async fn consumer_count(stream: &mut jetstream::stream::Stream) -> usize {
    tokio::time::timeout(BOUND, stream.info())
        .await
        .unwrap()
        .unwrap()
        .state
        .consumer_count
}
