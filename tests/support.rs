//! Shared helpers for the end-to-end tests: start the embedded application on a free
//! port in a temp dir, make authenticated clients, build valid resident ID numbers.

use civitas::{Application, UpConfig};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
pub use civitas_testkit::id_number;
use civitas_testkit::AuthChannel;
use tonic::transport::Channel;
use tonic::Status;

/// A running embedded application and what tests need to talk to it.
pub struct RunningApp {
    pub addr: String,
    /// The dashboard's address (`up` serves one on a free port here).
    pub dashboard: Option<std::net::SocketAddr>,
    pub keys: std::sync::Arc<TokenKeys>,
    pub data_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningApp {
    /// Builds and starts `civitas up`'s application on 127.0.0.1:0.
    pub async fn start() -> RunningApp {
        Self::start_with(|_| {}).await
    }

    /// The same, with the configuration changed by `configure` first.
    pub async fn start_with(configure: impl FnOnce(&mut UpConfig)) -> RunningApp {
        let data_dir = civitas_testkit::temp_dir();
        let mut config = UpConfig {
            data_dir: data_dir.path().to_path_buf(),
            listen: "127.0.0.1:0".to_owned(),
            ..UpConfig::default()
        };
        configure(&mut config);
        let app = Application::build(config)
            .await
            .expect("build the embedded application");
        let addr = format!("http://127.0.0.1:{}", app.port());
        let dashboard = app.dashboard_addr();
        let keys = app.token_keys();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        RunningApp {
            addr,
            dashboard,
            keys,
            data_dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A token for `role` scoped to `org`.
    pub fn token(&self, role: Role, org: &str) -> String {
        civitas_testkit::test_token(&self.keys, role, org)
    }

    pub async fn channel(&self) -> Channel {
        civitas_testkit::connect(&self.addr).await
    }

    /// A residents client that sends this token, or none.
    pub async fn residents(&self, token: Option<String>) -> ResidentsServiceClient<AuthChannel> {
        ResidentsServiceClient::new(
            civitas_testkit::connect_with(&self.addr, token.as_deref()).await,
        )
    }

    /// An insights client that sends this token, or none.
    pub async fn insights(&self, token: Option<String>) -> InsightsServiceClient<AuthChannel> {
        InsightsServiceClient::new(
            civitas_testkit::connect_with(&self.addr, token.as_deref()).await,
        )
    }

    /// Stops the application and waits for a clean shutdown.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("clean shutdown");
        }
    }
}

/// Registers a household at `address` in the caller's community: its id.
pub async fn register_household(
    client: &mut ResidentsServiceClient<AuthChannel>,
    address: &str,
) -> String {
    let request = civitas_proto::residents::v1::RegisterHouseholdRequest {
        address: address.to_owned(),
        grid: "G-01".into(),
        building: "1栋".into(),
        ..Default::default()
    };
    client
        .register_household(request)
        .await
        .expect("household")
        .into_inner()
        .household_id
}

/// The current month as a DHIS2 period ("202611") in the district's time zone.
pub fn this_month() -> String {
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    now.format("%Y%m").to_string()
}

/// The field names in a status's google.rpc.BadRequest details.
pub fn bad_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A distributed service (`civitas serve`) running as a task in the test process.
pub struct Spawned {
    pub addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Spawned {
    /// Builds and starts one service on 127.0.0.1:0.
    pub async fn serve(
        kind: civitas::distributed::ServiceKind,
        config: civitas::distributed::ServeConfig,
    ) -> Spawned {
        let app = civitas::distributed::ServiceApp::build(kind, config)
            .await
            .expect("build the service");
        let addr = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Spawned {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn channel(&self) -> Channel {
        civitas_testkit::connect(&self.addr).await
    }

    /// Stops the service and waits until its background tasks ended.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("clean shutdown");
        }
    }
}

/// What a distributed test shares: a fresh database, a private NATS server, keys.
pub struct Cluster {
    pub db: civitas_testkit::FreshDb,
    pub nats: civitas_testkit::NatsServer,
    pub keys_dir: tempfile::TempDir,
    pub keys: std::sync::Arc<TokenKeys>,
    pub stream: civitas_streams::StreamSettings,
}

impl Cluster {
    pub async fn start() -> Cluster {
        let db = civitas_testkit::fresh_postgres_db()
            .await
            .expect("fresh PostgreSQL database");
        let nats = civitas_testkit::NatsServer::start().expect("private nats-server");
        let keys_dir = civitas_testkit::temp_dir();
        civitas::keys::create_keys_dir(keys_dir.path()).expect("signing and master key");
        let signing = civitas_platform::secrets::load(&keys_dir.path().join("signing.key"))
            .expect("signing key");
        let id = uuid::Uuid::new_v4().simple().to_string();
        let stream = civitas_streams::StreamSettings {
            name: format!("T_{}", id.to_uppercase()),
            subject_prefix: format!("t{id}.evt"),
            ..civitas_streams::StreamSettings::default()
        };
        let keys = std::sync::Arc::new(TokenKeys::new(&signing));
        Cluster {
            db,
            nats,
            keys_dir,
            keys,
            stream,
        }
    }

    /// The configuration every service of this cluster shares.
    pub fn config(&self) -> civitas::distributed::ServeConfig {
        let mut config = civitas::distributed::ServeConfig {
            database_url: self.db.url.clone(),
            listen: "127.0.0.1:0".to_owned(),
            keys_dir: Some(self.keys_dir.path().to_path_buf()),
            ..Default::default()
        };
        config.nats.url = self.nats.url.clone();
        config.nats.stream = self.stream.clone();
        config
    }

    pub fn token(&self, role: Role, org: &str) -> String {
        civitas_testkit::test_token(&self.keys, role, org)
    }

    /// A plain subscriber on the cluster's whole subject tree (as an analytics consumer
    /// would be), registered with the server before it returns.
    pub async fn subscribe_all(&self) -> async_nats::Subscriber {
        let nats = async_nats::connect(&self.nats.url)
            .await
            .expect("connect to NATS");
        let sub = nats
            .subscribe(format!("{}.>", self.stream.subject_prefix))
            .await
            .expect("subscribe");
        nats.flush().await.expect("flush");
        sub
    }
}

/// The services a server lists through reflection (v1), sorted.
pub async fn reflected_services(channel: Channel) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("message")
        .expect("one response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!(
            "unexpected reflection response {:?}",
            response.message_response
        );
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}
