//! `civitas up` serves the dashboard beside gRPC (on the gRPC host's port 8080 by
//! default, a free port when gRPC takes one, none when `off`), over the same projection
//! and keys; `serve` lets only the projection have one.

use std::time::Duration;

use civitas::distributed::{ServeConfig, ServiceKind};
use civitas::{Application, UpConfig};
use civitas_platform::auth::Role;
use civitas_platform::config::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A plain HTTP/1.1 GET; the whole answer as text.
async fn get(addr: std::net::SocketAddr, path: &str, cookie: Option<&str>) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{cookie}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn up_serves_the_dashboard_beside_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let config = UpConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".to_owned(),
        ..UpConfig::default()
    };
    let app = Application::build(config).await.unwrap();
    let addr = app.dashboard_addr().expect("a dashboard by default");
    assert_ne!(addr.port(), 0);
    assert_ne!(addr.port(), app.port());
    let keys = app.token_keys();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let login = get(addr, "/login", None).await;
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    assert!(login.contains("登录"));
    let home = get(addr, "/", None).await;
    assert!(home.starts_with("HTTP/1.1 303"), "{home}");
    // A token of the data directory's keys is a session.
    let token = keys
        .issue("tester", Role::District, "gulou", Duration::from_secs(600))
        .unwrap();
    let home = get(addr, "/", Some(&format!("civitas_session={token}"))).await;
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(home.contains("鼓楼区"));
    let echarts = get(addr, "/assets/echarts.min.js", None).await;
    assert!(echarts.starts_with("HTTP/1.1 200"));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_dashboard_can_be_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = UpConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".to_owned(),
        http_listen: Some("off".to_owned()),
        ..UpConfig::default()
    };
    let app = Application::build(config).await.unwrap();
    assert_eq!(app.dashboard_addr(), None);
}

#[test]
fn the_dashboard_listens_on_the_grpc_host() {
    let mut config = UpConfig::default();
    assert_eq!(config.dashboard_listen().as_deref(), Some("127.0.0.1:8080"));
    config.listen = "0.0.0.0:50051".to_owned();
    assert_eq!(config.dashboard_listen().as_deref(), Some("0.0.0.0:8080"));
    config.listen = "127.0.0.1:0".to_owned();
    assert_eq!(config.dashboard_listen().as_deref(), Some("127.0.0.1:0"));
    config.http_listen = Some("127.0.0.1:9000".to_owned());
    assert_eq!(config.dashboard_listen().as_deref(), Some("127.0.0.1:9000"));
    config.http_listen = Some("off".to_owned());
    assert_eq!(config.dashboard_listen(), None);
}

#[test]
fn only_the_projection_serves_a_dashboard() {
    let config = ServeConfig {
        signing_key: Some(Secret::new("ab".repeat(32))),
        master_key: Some(Secret::new("ab".repeat(32))),
        http_listen: Some("127.0.0.1:0".to_owned()),
        ..ServeConfig::default()
    };
    assert_eq!(config.validate(ServiceKind::Projection), Ok(()));
    let refused = config.validate(ServiceKind::Residents).unwrap_err();
    assert!(refused.to_string().contains("http_listen"), "{refused}");
}
