//! A configuration `civitas` cannot run with is refused at start, before any port is
//! bound or store opened, with one line naming the setting and its variable.

use std::process::Command;
use std::time::Duration;

use civitas::distributed::{ServeConfig, ServiceApp, ServiceKind};
use civitas::{Application, UpConfig};
use civitas_platform::config::Secret;

/// Nothing answers here: a start that got as far as connecting would fail differently.
const NOWHERE_DB: &str = "postgres://nobody@127.0.0.1:1/none";
const NOWHERE_NATS: &str = "nats://127.0.0.1:1";

fn hex_key(bytes: usize) -> String {
    "ab".repeat(bytes)
}

/// Runs `civitas serve activities` with only `CIVITAS_SIGNING_KEY` set; its stderr.
fn serve_with_signing_key(key: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_civitas"))
        .args(["serve", "activities", "--listen", "127.0.0.1:0"])
        .args(["--database-url", NOWHERE_DB, "--nats-url", NOWHERE_NATS])
        .env_clear()
        .env("CIVITAS_SIGNING_KEY", key)
        .output()
        .expect("run the civitas binary");
    assert!(!output.status.success(), "serve started with key {key:?}");
    String::from_utf8(output.stderr).expect("utf-8 stderr")
}

#[test]
fn serve_refuses_an_empty_or_short_signing_key() {
    for (key, got) in [("", 0), (hex_key(31).as_str(), 31)] {
        assert_eq!(
            serve_with_signing_key(key),
            format!(
                "error: invalid setting signing_key (CIVITAS_SIGNING_KEY): must be at least 32 \
                 bytes, got {got}\n"
            )
        );
    }
    assert_eq!(
        serve_with_signing_key("not hex"),
        "error: invalid setting signing_key (CIVITAS_SIGNING_KEY): must be hex\n"
    );
}

fn serve_config() -> ServeConfig {
    let mut config = ServeConfig {
        listen: "127.0.0.1:0".to_owned(),
        database_url: NOWHERE_DB.to_owned(),
        signing_key: Some(Secret::new(hex_key(32))),
        master_key: Some(Secret::new(hex_key(32))),
        ..ServeConfig::default()
    };
    config.nats.url = NOWHERE_NATS.to_owned();
    config
}

fn refusal(kind: ServiceKind, change: impl FnOnce(&mut ServeConfig)) -> String {
    let mut config = serve_config();
    change(&mut config);
    config.validate(kind).expect_err("refused").to_string()
}

#[test]
fn serve_config_refusals_name_the_setting() {
    for kind in [ServiceKind::Residents, ServiceKind::Projection] {
        assert_eq!(serve_config().validate(kind), Ok(()));
    }
    assert_eq!(
        refusal(ServiceKind::Safety, |c| c.signing_key = None),
        "invalid setting signing_key (CIVITAS_SIGNING_KEY): required (hex), or keys_dir with \
         signing.key"
    );
    assert_eq!(
        refusal(ServiceKind::Residents, |c| c.master_key = None),
        "invalid setting master_key (CIVITAS_MASTER_KEY): required (hex), or keys_dir with \
         master.key"
    );
    assert_eq!(
        refusal(ServiceKind::Residents, |c| c.master_key =
            Some(Secret::new(hex_key(16)))),
        "invalid setting master_key (CIVITAS_MASTER_KEY): must be at least 32 bytes, got 16"
    );
    assert_eq!(
        refusal(ServiceKind::Activities, |c| c.limits.request_timeout =
            Duration::ZERO),
        "invalid setting limits.request_timeout (CIVITAS_LIMITS__REQUEST_TIMEOUT): must be \
         greater than 0"
    );
    assert_eq!(
        refusal(ServiceKind::Activities, |c| c.limits.max_message_bytes = 0),
        "invalid setting limits.max_message_bytes (CIVITAS_LIMITS__MAX_MESSAGE_BYTES): must be \
         greater than 0"
    );
    assert_eq!(
        refusal(ServiceKind::Volunteering, |c| c.max_db_connections = 0),
        "invalid setting max_db_connections (CIVITAS_MAX_DB_CONNECTIONS): must be greater than 0"
    );
    assert_eq!(
        refusal(ServiceKind::Volunteering, |c| c.event_logs.clear()),
        "invalid setting event_logs.residents (CIVITAS_EVENT_LOGS__RESIDENTS): required for \
         volunteering (--event-log residents=URL): resident volunteers are checked against the \
         residents event log"
    );
    assert_eq!(
        refusal(ServiceKind::Projection, |c| c.projection_schema =
            "read-models".to_owned()),
        "invalid setting projection_schema (CIVITAS_PROJECTION_SCHEMA): invalid schema name \
         \"read-models\": a lowercase ascii letter, then lowercase letters, digits or _, at most \
         63 bytes"
    );
    assert_eq!(
        refusal(ServiceKind::Projection, |c| c.durable = String::new()),
        "invalid setting durable (CIVITAS_DURABLE): must not be empty"
    );
}

/// What a refused start says, its causes included.
fn refused<T>(built: anyhow::Result<T>) -> String {
    format!("{:#}", built.err().expect("refused"))
}

#[tokio::test]
async fn serve_refuses_a_short_key_file_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("signing.key"), hex_key(31)).unwrap();
    let config = ServeConfig {
        signing_key: None,
        keys_dir: Some(dir.path().to_path_buf()),
        ..serve_config()
    };
    assert_eq!(
        refused(ServiceApp::build(ServiceKind::Activities, config).await),
        format!(
            "invalid setting signing_key ({}): must be at least 32 bytes, got 31",
            dir.path().join("signing.key").display()
        )
    );
}

#[tokio::test]
async fn up_refuses_zero_limits_and_short_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = UpConfig {
        data_dir: data_dir.clone(),
        listen: "127.0.0.1:0".to_owned(),
        ..UpConfig::default()
    };
    let mut zero = config.clone();
    zero.limits.concurrency_limit = 0;
    let err = Application::build(zero).await.err().expect("refused");
    assert_eq!(
        err.to_string(),
        "invalid setting limits.concurrency_limit (CIVITAS_LIMITS__CONCURRENCY_LIMIT): must be \
         greater than 0"
    );
    assert!(
        !data_dir.exists(),
        "nothing is created for a refused config"
    );

    std::fs::create_dir_all(&data_dir).unwrap();
    for (file, bytes) in [("signing.key", 0), ("master.key", 31)] {
        let _ = std::fs::remove_file(data_dir.join("signing.key"));
        std::fs::write(data_dir.join(file), hex_key(bytes)).unwrap();
        assert_eq!(
            refused(Application::build(config.clone()).await),
            format!(
                "invalid key file {}: must be at least 32 bytes, got {bytes}",
                data_dir.join(file).display()
            )
        );
    }
}

/// Runs `civitas token` against a fresh keys directory; (success, stdout, stderr).
fn token(args: &[&str]) -> (bool, String, String) {
    token_with_env(args, &[])
}

/// The same with environment variables set.
fn token_with_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    civitas::keys::create_keys_dir(&dir.path().join("keys")).expect("keys");
    let output = Command::new(env!("CARGO_BIN_EXE_civitas"))
        .arg("token")
        .arg("--data-dir")
        .arg(dir.path().join("keys"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run the civitas binary");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn token_refuses_a_lifetime_beyond_the_role_maximum() {
    let (ok, _, stderr) = token(&["--role", "staff", "--org", "xingfu", "--ttl", "2d"]);
    assert!(!ok);
    assert_eq!(
        stderr,
        "error: token lifetime 2d exceeds the maximum of 12h for role staff; choose a \
         shorter --ttl\n"
    );
    let (ok, stdout, stderr) = token(&["--role", "staff", "--org", "xingfu", "--ttl", "12h"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim().split('.').count(), 3, "a JWT: {stdout}");
    let (ok, _, stderr) = token(&["--role", "service", "--org", "gulou", "--ttl", "7d"]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = token(&["--role", "service", "--org", "gulou", "--ttl", "31d"]);
    assert!(!ok);
    assert!(
        stderr.contains("maximum of 30d for role service"),
        "{stderr}"
    );

    // The maximum is the one servers are configured with.
    let longer = [("CIVITAS_TOKENS__PERSON", "1d")];
    let staff = |ttl| ["--role", "staff", "--org", "xingfu", "--ttl", ttl];
    let (ok, _, stderr) = token_with_env(&staff("20h"), &longer);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = token_with_env(&staff("2d"), &longer);
    assert!(!ok);
    assert!(stderr.contains("maximum of 1d for role staff"), "{stderr}");
}
