//! A real gRPC server for one test: whatever services the test adds, served by the
//! platform's own assembly (limits, health, reflection) on 127.0.0.1:0, and clients
//! that carry a token of any role.

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::store::SqliteEventStore;
use civitas_platform::app::WriteApp;
use civitas_platform::auth::{AuthInterceptor, BearerToken, Role, TokenKeys};
use civitas_platform::grpc::{self, ServerLimits, Services};
use civitas_platform::org::OrgTree;
use civitas_platform::write::Shell;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The signing key of every test server (tests never read a real one).
pub const TEST_SIGNING_KEY: &[u8; 32] = b"civitas-test-signing-key-32bytes";

/// An authenticated channel: what a generated client is built on.
pub type AuthChannel = InterceptedService<Channel, BearerToken>;

/// A running server; it stops when the value drops.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    keys: Arc<TokenKeys>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The data a served app writes, removed with the server.
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Serves what `add` adds, with default limits and the test signing key.
    pub async fn start(add: impl FnOnce(&mut Services, &ServerLimits, AuthInterceptor)) -> Self {
        Self::start_with(ServerLimits::default(), add).await
    }

    /// Serves the write service `build` makes over a fresh SQLite event store (in a
    /// temporary directory that goes with the server) and the demo org tree.
    pub async fn serve_app<A: WriteApp>(build: impl FnOnce(Shell) -> A) -> Self {
        let dir = crate::temp_dir();
        let store = SqliteEventStore::open(&dir.path().join("events.db"))
            .await
            .expect("open a test event store");
        let app = build(Shell::new(Arc::new(store), OrgTree::demo()));
        let mut server =
            Self::start(|services, limits, auth| app.add_to(services, limits, auth)).await;
        server._dir = Some(dir);
        server
    }

    /// The same with other limits.
    pub async fn start_with(
        limits: ServerLimits,
        add: impl FnOnce(&mut Services, &ServerLimits, AuthInterceptor),
    ) -> Self {
        let keys = Arc::new(TokenKeys::new(TEST_SIGNING_KEY));
        let mut services = Services::default();
        add(&mut services, &limits, AuthInterceptor::new(keys.clone()));
        let listener = grpc::bind("127.0.0.1:0").await.expect("bind a free port");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = grpc::serve(listener, services, &limits, shutdown).await {
                panic!("test server failed: {e:#}");
            }
        });
        Self {
            url,
            keys,
            stop: Some(stop),
            _dir: None,
        }
    }

    /// A token for `role` at org unit `org`, valid for ten minutes.
    pub fn token(&self, role: Role, org: &str) -> String {
        test_token(&self.keys, role, org)
    }

    /// A plain channel to the server.
    pub async fn channel(&self) -> Channel {
        connect(&self.url).await
    }

    /// A channel that sends a token of `role` at `org`.
    pub async fn channel_as(&self, role: Role, org: &str) -> AuthChannel {
        self.channel_with(Some(&self.token(role, org))).await
    }

    /// A channel that sends this token, or none.
    pub async fn channel_with(&self, token: Option<&str>) -> AuthChannel {
        connect_with(&self.url, token).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A token signed with `keys` for `role` at org unit `org`, valid for ten minutes; its
/// subject is `<role>-<org>`. For servers a test starts some other way than
/// [`TestServer`] (the whole application, a `civitas serve` service).
pub fn test_token(keys: &TokenKeys, role: Role, org: &str) -> String {
    keys.issue(
        &format!("{role}-{org}"),
        role,
        org,
        Duration::from_secs(600),
    )
    .expect("issue a test token")
}

/// A plain channel to the server at `url` (`http://host:port`).
pub async fn connect(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .expect("server url")
        .connect()
        .await
        .expect("connect to the test server")
}

/// A channel to the server at `url` that sends this token, or none.
pub async fn connect_with(url: &str, token: Option<&str>) -> AuthChannel {
    let bearer = token.map_or_else(BearerToken::none, BearerToken::new);
    InterceptedService::new(connect(url).await, bearer)
}
