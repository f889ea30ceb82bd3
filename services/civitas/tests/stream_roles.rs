//! The events stream's two roles, against a private nats-server running the shipped
//! accounts (`deploy/nats/accounts.conf`, passwords filled in): a write service's NATS
//! user may not create or change the stream, so against a missing stream it stops with
//! one line saying who creates it; `civitas stream ensure` as `operations` creates and
//! updates it; the write service then starts on it as it is and publishes its events.

use std::process::{Command, Output};
use std::time::Duration;

use civitas::distributed::{ServeConfig, ServiceApp, ServiceKind};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::config::Secret;
use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;
use civitas_proto::safety::v1::safety_service_client::SafetyServiceClient;
use civitas_streams::{NatsSettings, StreamError, StreamSettings};
use civitas_testkit::{eventually, NatsServer};

const USERS: [&str; 8] = [
    "operations",
    "residents",
    "activities",
    "volunteering",
    "safety",
    "projection",
    "analyst_gulou",
    "sys",
];
const STREAM: &str = "CIVITAS_EVENTS";
const NOWHERE_DB: &str = "postgres://nobody@127.0.0.1:1/none";

fn password(user: &str) -> String {
    format!("pw-{user}")
}

fn signing_key() -> String {
    "ab".repeat(32)
}

/// A nats-server with the shipped accounts and permissions.
fn shipped_accounts() -> NatsServer {
    let mut config = include_str!("../../../deploy/nats/accounts.conf").to_owned();
    for user in USERS {
        let variable = format!("${}_NATS_PASSWORD", user.to_uppercase());
        assert!(config.contains(&variable), "accounts.conf reads {variable}");
        config = config.replace(&variable, &format!("\"{}\"", password(user)));
    }
    NatsServer::with_config(&config).expect("start nats-server with the shipped accounts")
}

fn nats(server: &NatsServer, user: &str) -> NatsSettings {
    NatsSettings {
        url: server.url.clone(),
        user: Some(user.to_owned()),
        password: Some(Secret::new(password(user))),
        stream: StreamSettings::default(),
    }
}

/// Runs the civitas binary with only these variables.
fn civitas(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_civitas"));
    command.args(args).env_clear();
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run the civitas binary")
}

fn stream_ensure(server: &NatsServer, duplicate_window: &str) -> Output {
    civitas(
        &[
            "stream",
            "ensure",
            "--nats-url",
            &server.url,
            "--user",
            "operations",
        ],
        &[
            ("CIVITAS_NATS__PASSWORD", password("operations")),
            (
                "CIVITAS_NATS__STREAM__DUPLICATE_WINDOW",
                duplicate_window.to_owned(),
            ),
        ],
    )
}

async fn stream_info(server: &NatsServer) -> async_nats::jetstream::stream::Info {
    let client = civitas_streams::connect(&nats(server, "operations"))
        .await
        .expect("connect as operations");
    let mut stream = async_nats::jetstream::new(client)
        .get_stream(STREAM)
        .await
        .expect("the stream exists");
    stream.info().await.expect("stream info").clone()
}

#[tokio::test]
async fn operations_creates_the_stream_and_services_only_use_it() {
    let server = shipped_accounts();

    // A write service against a missing stream: one line, naming the way out.
    let refused = civitas(
        &["serve", "safety", "--listen", "127.0.0.1:0"],
        &[
            ("CIVITAS_SIGNING_KEY", signing_key()),
            ("CIVITAS_DATABASE_URL", NOWHERE_DB.to_owned()),
            ("CIVITAS_NATS__URL", server.url.clone()),
            ("CIVITAS_NATS__USER", "safety".to_owned()),
            ("CIVITAS_NATS__PASSWORD", password("safety")),
            ("RUST_LOG", "off".to_owned()),
        ],
    );
    assert!(!refused.status.success(), "serve started without a stream");
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "error: stream CIVITAS_EVENTS does not exist and this NATS user may not create it: \
         create it with `civitas stream ensure` as the operations user\n"
    );

    // Operations creates it, then changes a setting.
    let created = stream_ensure(&server, "2m");
    assert!(created.status.success(), "{created:?}");
    assert_eq!(
        String::from_utf8_lossy(&created.stdout),
        "stream CIVITAS_EVENTS: subjects civitas.evt.>, 1 replicas, duplicate window 120s, \
         0 messages\n"
    );
    let updated = stream_ensure(&server, "1m");
    assert!(updated.status.success(), "{updated:?}");
    assert_eq!(
        stream_info(&server).await.config.duplicate_window,
        Duration::from_secs(60)
    );

    // The service's user may not change it, whatever its settings say.
    let safety = civitas_streams::connect(&nats(&server, "safety"))
        .await
        .expect("connect as safety");
    let js = async_nats::jetstream::new(safety);
    let wider = StreamSettings {
        duplicate_window: Duration::from_secs(300),
        ..StreamSettings::default()
    };
    match civitas_streams::ensure_stream(&js, &wider).await {
        Err(StreamError::Refused { subject, .. }) => {
            assert_eq!(subject, "$JS.API.STREAM.UPDATE.CIVITAS_EVENTS")
        }
        other => panic!("safety changed the stream: {:?}", other.map(|_| ())),
    }

    // The service starts on the stream as it is (its settings differ: it only warns)
    // and publishes its events.
    let db = civitas_testkit::fresh_postgres_db()
        .await
        .expect("database");
    let mut config = ServeConfig {
        listen: "127.0.0.1:0".to_owned(),
        database_url: db.url.clone(),
        signing_key: Some(Secret::new(signing_key())),
        nats: nats(&server, "safety"),
        ..ServeConfig::default()
    };
    config.nats.stream = wider;
    let app = ServiceApp::build(ServiceKind::Safety, config)
        .await
        .expect("safety starts on the existing stream");
    let addr = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let keys = TokenKeys::new(&hex_bytes(&signing_key()));
    let token = civitas_testkit::test_token(&keys, Role::Staff, "xingfu");
    let mut client =
        SafetyServiceClient::new(civitas_testkit::connect_with(&addr, Some(&token)).await);
    client
        .report_incident(api::ReportIncidentRequest {
            category: ev::IncidentCategory::Theft as i32,
            severity: ev::IncidentSeverity::Minor as i32,
            grid: "G-03".into(),
            building: "5栋".into(),
            location: "east gate bike shed".into(),
            occurred_at: Some(civitas_proto::convert::timestamp(
                chrono::Utc::now() - chrono::Duration::hours(1),
            )),
            ..Default::default()
        })
        .await
        .expect("report an incident");
    let info = eventually!(async {
        let info = stream_info(&server).await;
        anyhow::ensure!(info.state.messages == 1, "{} messages", info.state.messages);
        Ok(info)
    });
    assert_eq!(info.config.duplicate_window, Duration::from_secs(60));

    let _ = stop.send(());
    running.await.expect("join").expect("clean shutdown");
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}
