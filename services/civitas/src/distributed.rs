//! `civitas serve <service>`: one service per process on PostgreSQL and NATS JetStream.
//!
//! A write service appends to its own schema, serves its event log, and runs the relay
//! (one active per service, the others stand by). The projection consumes the events
//! stream, heals gaps from the services' event logs, and serves `InsightsService`.
//! Every process serves health, reflection and, when asked, Prometheus `/metrics`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use civitas_kernel::store::PostgresEventStore;
use civitas_kernel::EventStore;
use civitas_platform::app::WriteApp;
use civitas_platform::auth::{AuthInterceptor, BearerToken, Role, TokenKeys, TokenLifetimes};
use civitas_platform::config::{InvalidSetting, Secret};
use civitas_platform::grpc::{self, ServerLimits, Services};
use civitas_platform::org::OrgTree;
use civitas_platform::secrets;
use civitas_platform::write::Shell;
use civitas_projection::consumer::{ConsumerConfig, EventLogGapFiller};
use civitas_projection::indicators::Catalog;
use civitas_projection::reconcile::{ReconcileConfig, RemoteLog, SourceLog};
use civitas_projection::Projection;
use civitas_residents::crypto::MasterKey;
use civitas_residents::keystore::KeyStore;
use civitas_streams::{EventLog, NatsSettings, RelayConfig};
use civitas_volunteering::residence::RemoteResidence;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

mod leader;

use leader::{consume_while_leader, Leader};

/// The services `civitas serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    Residents,
    Activities,
    Volunteering,
    Safety,
    Projection,
}

impl ServiceKind {
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Residents => "residents",
            ServiceKind::Activities => "activities",
            ServiceKind::Volunteering => "volunteering",
            ServiceKind::Safety => "safety",
            ServiceKind::Projection => "projection",
        }
    }
}

/// Configuration of one distributed service (defaults → `--config` TOML → `CIVITAS_*`
/// env → flags).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServeConfig {
    pub database_url: String,
    pub listen: String,
    /// Prometheus `/metrics` listen address; none = no metrics endpoint.
    pub metrics_listen: Option<String>,
    /// Projection only: the dashboard's HTTP listen address (`CIVITAS_HTTP_LISTEN`);
    /// none = no dashboard.
    pub http_listen: Option<String>,
    pub org_file: Option<PathBuf>,
    /// Hex token signing key shared by every service (`CIVITAS_SIGNING_KEY`).
    pub signing_key: Option<Secret>,
    /// Hex master key of the residents service (`CIVITAS_MASTER_KEY`).
    pub master_key: Option<Secret>,
    /// Alternatively, a directory holding `signing.key` / `master.key` (as `civitas up`
    /// creates them).
    pub keys_dir: Option<PathBuf>,
    pub nats: NatsSettings,
    /// Service name → event log gRPC URL. The projection reads every write service's
    /// (healing gaps, reconcile); volunteering reads the residents one (a resident
    /// volunteer must live in the caller's community).
    pub event_logs: BTreeMap<String, String>,
    /// Projection only: the KPI catalog TOML; the shipped `deploy/kpi/catalog.toml`
    /// when absent.
    pub kpi_catalog: Option<PathBuf>,
    /// Projection only: durable consumer name.
    pub durable: String,
    /// Projection only: the PostgreSQL schema of the read models.
    pub projection_schema: String,
    /// Projection only: how often the projection compares its stream versions with
    /// each event log's heads, healing last events it never received.
    #[serde(with = "civitas_platform::grpc::duration_text")]
    pub reconcile_interval: Duration,
    pub limits: ServerLimits,
    /// The longest token lifetimes accepted (and issued, for the projection's own).
    pub tokens: TokenLifetimes,
    pub max_db_connections: u32,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
            listen: "127.0.0.1:50051".to_owned(),
            metrics_listen: None,
            http_listen: None,
            org_file: None,
            signing_key: None,
            master_key: None,
            keys_dir: None,
            nats: NatsSettings {
                url: "nats://127.0.0.1:4222".to_owned(),
                ..NatsSettings::default()
            },
            event_logs: BTreeMap::new(),
            kpi_catalog: None,
            durable: "projection".to_owned(),
            projection_schema: "projection".to_owned(),
            reconcile_interval: ReconcileConfig::default().interval,
            limits: ServerLimits::default(),
            tokens: TokenLifetimes::default(),
            max_db_connections: 16,
        }
    }
}

impl ServeConfig {
    /// Refuses, naming the setting, a configuration `kind` cannot start with: a missing,
    /// non-hex or short key (an empty `CIVITAS_SIGNING_KEY` would let anyone sign an
    /// admin token), a zero limit or pool size, a schema name outside the one rule.
    /// Key files in `keys_dir` are checked when read, still before anything is bound.
    pub fn validate(&self, kind: ServiceKind) -> Result<(), InvalidSetting> {
        let mut keys = vec![("signing_key", &self.signing_key, secrets::SIGNING_KEY_FILE)];
        if kind == ServiceKind::Residents {
            keys.push(("master_key", &self.master_key, secrets::MASTER_KEY_FILE));
        }
        for (setting, inline, file) in keys {
            match (inline, &self.keys_dir) {
                (Some(value), _) => {
                    secrets::decode_setting(value, setting)?;
                }
                (None, Some(_)) => {}
                (None, None) => {
                    return Err(InvalidSetting::new(
                        setting,
                        format!("required (hex), or keys_dir with {file}"),
                    ))
                }
            }
        }
        civitas_platform::config::validate_limits(&self.limits, "limits")?;
        self.tokens.validate("tokens")?;
        if self.max_db_connections == 0 {
            return Err(InvalidSetting::new(
                "max_db_connections",
                "must be greater than 0",
            ));
        }
        if kind == ServiceKind::Volunteering && !self.event_logs.contains_key("residents") {
            return Err(InvalidSetting::new(
                "event_logs.residents",
                "required for volunteering (--event-log residents=URL): resident \
                 volunteers are checked against the residents event log",
            ));
        }
        if kind != ServiceKind::Projection && self.http_listen.is_some() {
            return Err(InvalidSetting::new(
                "http_listen",
                "only the projection serves the dashboard",
            ));
        }
        if kind == ServiceKind::Projection {
            civitas_kernel::store::schema_name(&self.projection_schema)
                .map_err(|e| InvalidSetting::new("projection_schema", e.to_string()))?;
            if self.durable.is_empty() {
                return Err(InvalidSetting::new("durable", "must not be empty"));
            }
            if self.reconcile_interval.is_zero() {
                return Err(InvalidSetting::new(
                    "reconcile_interval",
                    "must be greater than 0",
                ));
            }
        }
        Ok(())
    }

    /// The token signing key: `signing_key`, else `keys_dir/signing.key`.
    fn signing_key(&self) -> anyhow::Result<secrets::KeyBytes> {
        let (inline, dir) = (self.signing_key.as_ref(), self.keys_dir.as_deref());
        let key = secrets::resolve(inline, dir, secrets::SIGNING_KEY_FILE, "signing_key")?;
        Ok(key)
    }

    /// The residents master key: `master_key`, else `keys_dir/master.key`.
    fn master_key(&self) -> anyhow::Result<MasterKey> {
        let (inline, dir) = (self.master_key.as_ref(), self.keys_dir.as_deref());
        let bytes = secrets::resolve(inline, dir, secrets::MASTER_KEY_FILE, "master_key")?;
        crate::embedded::master_key(&bytes)
    }
}

/// One running distributed service.
pub struct ServiceApp {
    listener: TcpListener,
    local_addr: std::net::SocketAddr,
    /// Projection only: the dashboard and its listener.
    dashboard: Option<(TcpListener, civitas_projection::dashboard::Dashboard)>,
    services: Services,
    limits: ServerLimits,
    background: Vec<Box<dyn FnOnce(CancellationToken) -> JoinHandle<()> + Send>>,
    /// Cancelled when shutdown begins: ends the background tasks and the event log's
    /// subscriptions, which would otherwise hold the server open.
    stop: CancellationToken,
}

impl ServiceApp {
    /// Validates the configuration and reads the keys, then binds the port, connects to
    /// PostgreSQL and NATS and prepares schema and stream.
    pub async fn build(kind: ServiceKind, config: ServeConfig) -> anyhow::Result<Self> {
        config.validate(kind)?;
        let keys = Arc::new(TokenKeys::with_lifetimes(
            &config.signing_key()?,
            config.tokens,
        ));
        let master = match kind {
            ServiceKind::Residents => Some(config.master_key()?),
            _ => None,
        };
        let listener = grpc::bind(&config.listen).await?;
        let local_addr = listener
            .local_addr()
            .context("failed to read the bound address")?;
        let mut http = match &config.http_listen {
            Some(addr) => Some(civitas_projection::dashboard::bind(addr).await?),
            None => None,
        };
        let mut dashboard = None;
        let tree = match &config.org_file {
            Some(path) => OrgTree::load(path)
                .with_context(|| format!("failed to load org tree {}", path.display()))?,
            None => OrgTree::demo(),
        };
        if let Some(addr) = &config.metrics_listen {
            install_metrics(addr)?;
        }
        let auth = AuthInterceptor::new(keys.clone());
        let nats = civitas_streams::connect(&config.nats).await?;
        // The largest event the relay can publish, from the server's INFO: a command
        // whose event would be larger is refused instead of wedging the relay.
        let max_event_bytes = match kind {
            ServiceKind::Projection => None,
            _ => Some(civitas_streams::max_event_bytes(&nats).await?),
        };
        let js = async_nats::jetstream::new(nats);
        prepare_stream(kind, &js, &config.nats.stream).await?;

        let stop = CancellationToken::new();
        let mut services = Services::default();
        let mut background: Vec<Box<dyn FnOnce(CancellationToken) -> JoinHandle<()> + Send>> =
            Vec::new();
        match kind {
            ServiceKind::Projection => {
                let catalog = Catalog::configured(config.kpi_catalog.as_deref(), &tree)?;
                let projection =
                    Projection::open_in(&config.database_url, Some(&config.projection_schema))
                        .await
                        .context("failed to open the projection")?
                        .with_catalog(catalog);
                tracing::info!(schema = %config.projection_schema, "projection open, schema migrated");
                // The least role that heals gaps: read the event logs, nothing else.
                // Renewed as it ages: the projection outlives a token's lifetime.
                let token = BearerToken::renewed(
                    keys.clone(),
                    "projection",
                    Role::Service,
                    &tree.root().code,
                    config.tokens.service,
                )?;
                let endpoints: Vec<(String, String)> =
                    config.event_logs.clone().into_iter().collect();
                let gaps = Arc::new(EventLogGapFiller::new(&endpoints, &token)?);
                let logs = endpoints
                    .iter()
                    .map(|(service, url)| {
                        let log = RemoteLog::new(service, url, &token)?;
                        anyhow::Ok(Arc::new(log) as Arc<dyn SourceLog>)
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                if let Some(listener) = http.take() {
                    let served = civitas_projection::dashboard::Dashboard::new(
                        projection.clone(),
                        tree.clone(),
                        keys.clone(),
                    )
                    .with_csrf_secret(&config.signing_key()?);
                    // Approvals go to the activities service, when its address is known.
                    let served = match config.event_logs.get("activities") {
                        Some(url) => served.with_activities(
                            civitas_projection::dashboard::Activities::connect_lazy(url)?,
                        ),
                        None => served,
                    };
                    dashboard = Some((listener, served));
                }
                projection.add_to(&mut services, &config.limits, auth, tree.clone());
                let mut consumer = ConsumerConfig::new(config.nats.stream.clone());
                consumer.durable = config.durable.clone();
                let leader = Leader {
                    projection,
                    js,
                    consumer,
                    gaps,
                    logs,
                    reconcile: ReconcileConfig::every(config.reconcile_interval),
                };
                // One writer per read-model schema: a second instance on the same
                // database serves queries and stands by to take over the consuming.
                let lease_pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy(&config.database_url)
                    .context("invalid database url")?;
                let lease = format!("civitas-projection:{}", config.projection_schema);
                background.push(Box::new(move |stop| {
                    tokio::spawn(consume_while_leader(lease_pool, lease, leader, stop))
                }));
            }
            write => {
                let name = write.name();
                let store = PostgresEventStore::connect(
                    &config.database_url,
                    name,
                    config.max_db_connections,
                )
                .await
                .with_context(|| format!("failed to open the {name} event store"))?;
                tracing::info!(schema = name, "event store open, schema migrated");
                let pool = store.pool().clone();
                let store: Arc<dyn EventStore> = Arc::new(store);
                let shell =
                    Shell::new(store.clone(), tree.clone()).with_max_event_bytes(max_event_bytes);
                let app: Box<dyn WriteApp> = match write {
                    ServiceKind::Residents => {
                        let keystore = KeyStore::open(&config.database_url, Some(name))
                            .await
                            .context("failed to open the residents key store")?;
                        let master = master.context("read above for residents")?;
                        Box::new(civitas_residents::app(shell, keystore, master))
                    }
                    ServiceKind::Activities => Box::new(civitas_activities::app(shell)),
                    ServiceKind::Volunteering => {
                        let url = &config.event_logs["residents"];
                        // The least role that reads the residents log: event logs only.
                        let token = BearerToken::renewed(
                            keys.clone(),
                            "volunteering",
                            Role::Service,
                            &tree.root().code,
                            config.tokens.service,
                        )?;
                        let residence = RemoteResidence::new(url, token)?;
                        Box::new(civitas_volunteering::app(shell, Arc::new(residence)))
                    }
                    ServiceKind::Safety => Box::new(civitas_safety::app(shell)),
                    ServiceKind::Projection => unreachable!("matched above"),
                };
                app.add_to(&mut services, &config.limits, auth.clone());
                let log = EventLog::new(name, store.clone(), tree.clone())
                    .with_max_subscriptions(config.limits.max_subscriptions_per_caller)
                    .with_relay(pool.clone())
                    .with_shutdown(stop.clone());
                services.add(log.server(&config.limits, auth));
                let relay = RelayConfig::new(name, config.nats.stream.clone());
                background.push(Box::new(move |stop| {
                    tokio::spawn(civitas_streams::run_relay(relay, store, pool, js, stop))
                }));
            }
        }
        Ok(Self {
            listener,
            local_addr,
            dashboard,
            services,
            limits: config.limits,
            background,
            stop,
        })
    }

    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }

    /// The dashboard's bound address (projection with `http_listen` only).
    pub fn dashboard_addr(&self) -> Option<std::net::SocketAddr> {
        let (listener, _) = self.dashboard.as_ref()?;
        listener.local_addr().ok()
    }

    /// Serves until `shutdown`, then stops the relay or consumer cleanly.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = self.stop;
        let tasks: Vec<JoinHandle<()>> = self
            .background
            .into_iter()
            .map(|start| start(stop.clone()))
            .collect();
        let dashboard = self.dashboard.map(|(listener, dashboard)| {
            let stopped = stop.clone().cancelled_owned();
            civitas_projection::dashboard::spawn(listener, &dashboard, "dashboard: ", stopped)
        });
        let stopping = stop.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.cancel();
        };
        let served = grpc::serve(self.listener, self.services, &self.limits, shutdown).await;
        stop.cancel();
        for task in tasks {
            let _ = task.await;
        }
        if let Some(dashboard) = dashboard {
            match dashboard.await {
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "dashboard stopped"),
                Err(e) => tracing::error!(error = %e, "dashboard task failed"),
                Ok(Ok(())) => {}
            }
        }
        served
    }
}

/// Write services use the stream the operations user created (`civitas stream ensure`),
/// creating it only where their NATS user may (a development server); the projection
/// (whose NATS user may only read it) waits for it. Both retry for a while: a cluster
/// that just became healthy answers "no suitable peers" or 503 for a moment.
async fn prepare_stream(
    kind: ServiceKind,
    js: &async_nats::jetstream::Context,
    stream: &civitas_streams::StreamSettings,
) -> anyhow::Result<()> {
    let patience = Duration::from_secs(60);
    match kind {
        ServiceKind::Projection => {
            civitas_streams::with_patience(patience, || async {
                js.get_stream(&stream.name).await.map(drop).map_err(|e| {
                    anyhow::anyhow!("stream {} is not there yet: {e}", stream.name).into()
                })
            })
            .await?
        }
        _ => civitas_streams::with_patience(patience, || civitas_streams::open_stream(js, stream))
            .await
            .map(drop)?,
    }
    Ok(())
}

/// Serves Prometheus metrics at `http://<addr>/metrics`. One recorder per process: a
/// second install (several services in one test process) keeps the first.
fn install_metrics(addr: &str) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("invalid metrics address {addr}"))?;
    match metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
    {
        Ok(()) => Ok(()),
        Err(metrics_exporter_prometheus::BuildError::FailedToSetGlobalRecorder(_)) => {
            tracing::warn!("a metrics recorder is already installed in this process");
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("failed to serve metrics on {addr}"))),
    }
}
