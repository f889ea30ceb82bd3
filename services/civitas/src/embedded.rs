//! `civitas up`: every service and the projection in one process, on SQLite files in a
//! data directory, on one gRPC port. No other program is needed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use civitas_kernel::store::SqliteEventStore;
use civitas_platform::app::WriteApp;
use civitas_platform::auth::{AuthInterceptor, TokenKeys, TokenLifetimes};
use civitas_platform::config::InvalidSetting;
use civitas_platform::grpc::{self, ServerLimits, Services};
use civitas_platform::org::OrgTree;
use civitas_platform::secrets;
use civitas_platform::write::Shell;
use civitas_projection::dashboard::{Activities, Dashboard};
use civitas_projection::indicators::Catalog;
use civitas_projection::reconcile::{run_reconcile, ReconcileConfig, SourceLog, StoreLog};
use civitas_projection::{Projection, StoreGapFiller};
use civitas_residents::crypto::MasterKey;
use civitas_residents::keystore::KeyStore;
use civitas_streams::EventLog;
use civitas_volunteering::residence::StoreResidence;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Configuration of the embedded mode (defaults → `--config` TOML → `CIVITAS_*` env →
/// flags).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct UpConfig {
    /// Where the SQLite files and keys live.
    pub data_dir: PathBuf,
    /// gRPC listen address; port 0 picks a free port.
    pub listen: String,
    /// The dashboard's HTTP listen address (`CIVITAS_HTTP_LISTEN`). Unset: the gRPC
    /// host on port 8080, or on a free port when gRPC's port is 0; `off` serves none.
    pub http_listen: Option<String>,
    /// Org tree TOML; the demo district when absent.
    pub org_file: Option<PathBuf>,
    /// KPI catalog TOML (elements, indicators, legends, targets, alerts); the shipped
    /// `deploy/kpi/catalog.toml` when absent.
    pub kpi_catalog: Option<PathBuf>,
    pub limits: ServerLimits,
    /// The longest token lifetimes accepted.
    pub tokens: TokenLifetimes,
    /// How often the projection compares its stream versions with each store's heads
    /// (and records how fresh each service's figures are).
    #[serde(with = "civitas_platform::grpc::duration_text")]
    pub reconcile_interval: Duration,
}

impl Default for UpConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./civitas-data"),
            listen: "127.0.0.1:50051".to_owned(),
            http_listen: None,
            org_file: None,
            kpi_catalog: None,
            limits: ServerLimits::default(),
            tokens: TokenLifetimes::default(),
            reconcile_interval: ReconcileConfig::default().interval,
        }
    }
}

impl UpConfig {
    /// Where the dashboard listens, if anywhere (see [`UpConfig::http_listen`]).
    pub fn dashboard_listen(&self) -> Option<String> {
        match self.http_listen.as_deref().map(str::trim) {
            Some("off" | "") => None,
            Some(addr) => Some(addr.to_owned()),
            None => {
                let (host, port) = self.listen.rsplit_once(':')?;
                let default = civitas_projection::dashboard::DEFAULT_LISTEN;
                let (_, default_port) = default.rsplit_once(':')?;
                Some(format!(
                    "{host}:{}",
                    if port == "0" { "0" } else { default_port }
                ))
            }
        }
    }

    /// Refuses, naming the setting, a configuration `up` cannot start with. The keys are
    /// checked when read from (or created in) the data directory.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(InvalidSetting::new("data_dir", "must not be empty"));
        }
        if self.reconcile_interval.is_zero() {
            return Err(InvalidSetting::new(
                "reconcile_interval",
                "must be greater than 0",
            ));
        }
        civitas_platform::config::validate_limits(&self.limits, "limits")?;
        self.tokens.validate("tokens")
    }
}

/// The embedded application, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    local_addr: std::net::SocketAddr,
    /// The dashboard and its listener, unless it is off.
    dashboard: Option<(TcpListener, Dashboard)>,
    keys: Arc<TokenKeys>,
    tree: OrgTree,
    /// The four write services; the projection tails each one's store.
    apps: Vec<Box<dyn WriteApp>>,
    projection: Projection,
    limits: ServerLimits,
    reconcile: ReconcileConfig,
}

impl Application {
    /// Validates the configuration, binds the port, and opens (or creates) the data
    /// directory, its keys and stores.
    pub async fn build(config: UpConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let tree = match &config.org_file {
            Some(path) => OrgTree::load(path)
                .with_context(|| format!("failed to load org tree {}", path.display()))?,
            None => OrgTree::demo(),
        };
        // A bad catalog ends the start with every problem named, before anything binds.
        let catalog = Catalog::configured(config.kpi_catalog.as_deref(), &tree)?;
        // Bind first: a busy port should fail before anything is written to disk.
        let listener = grpc::bind(&config.listen).await?;
        let local_addr = listener
            .local_addr()
            .context("failed to read the bound address")?;
        let http = match config.dashboard_listen() {
            Some(addr) => Some(civitas_projection::dashboard::bind(&addr).await?),
            None => None,
        };
        let dir = &config.data_dir;
        create_private_dir(dir)?;
        let signing = secrets::load_or_create(&dir.join(secrets::SIGNING_KEY_FILE), 32)?;
        let master = secrets::load_or_create(&dir.join(secrets::MASTER_KEY_FILE), 32)?;
        let master = master_key(&master)?;

        // Embedded mode has no NATS, so no event size limit (`None`).
        let shell = |service: &'static str| {
            let tree = tree.clone();
            async move {
                let store = SqliteEventStore::open(&dir.join(format!("{service}.db")))
                    .await
                    .with_context(|| format!("failed to open the {service} store"))?;
                anyhow::Ok(Shell::new(Arc::new(store), tree))
            }
        };
        // The keys live in the residents store's file: the store writes a key with its
        // event, in one transaction. Keys of a data directory from before that are moved in.
        let residents = shell(civitas_residents::NAME).await?;
        let keystore = KeyStore::open(&sqlite_url(&dir.join("residents.db")), None)
            .await
            .context("failed to open the residents key store")?;
        if keystore
            .adopt_file(&dir.join("residents-keys.db"))
            .await
            .context("failed to move residents-keys.db into residents.db")?
        {
            tracing::info!("residents keys moved from residents-keys.db into residents.db");
        }
        // Volunteering checks resident volunteers against the residents store itself.
        let residence = Arc::new(StoreResidence::new(residents.shared_store()));
        let apps: Vec<Box<dyn WriteApp>> = vec![
            Box::new(civitas_residents::app(residents, keystore, master)),
            Box::new(civitas_activities::app(
                shell(civitas_activities::NAME).await?,
            )),
            Box::new(civitas_volunteering::app(
                shell(civitas_volunteering::NAME).await?,
                residence,
            )),
            Box::new(civitas_safety::app(shell(civitas_safety::NAME).await?)),
        ];
        let projection = Projection::open(&sqlite_url(&dir.join("projection.db")))
            .await
            .context("failed to open the projection")?
            .with_catalog(catalog);
        tracing::info!(data_dir = %dir.display(), "stores open, schemas migrated");
        let keys = Arc::new(TokenKeys::with_lifetimes(&signing, config.tokens));
        // The dashboard beside gRPC, over the same projection and keys.
        let dashboard = http.map(|listener| {
            // Its approvals go to this process's own gRPC server, like any client's.
            let activities = Activities::connect_lazy(&grpc::local_url(local_addr))?;
            let dashboard = Dashboard::new(projection.clone(), tree.clone(), keys.clone())
                .with_csrf_secret(&signing)
                .with_activities(activities);
            anyhow::Ok((listener, dashboard))
        });
        let dashboard = dashboard.transpose()?;

        Ok(Self {
            listener,
            local_addr,
            dashboard,
            keys,
            tree,
            apps,
            projection,
            limits: config.limits,
            reconcile: ReconcileConfig::every(config.reconcile_interval),
        })
    }

    /// The bound port (useful when listening on port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }

    /// The dashboard's bound address, unless it is off.
    pub fn dashboard_addr(&self) -> Option<std::net::SocketAddr> {
        let (listener, _) = self.dashboard.as_ref()?;
        listener.local_addr().ok()
    }

    /// The token keys of this data directory (tests issue tokens with them).
    pub fn token_keys(&self) -> Arc<TokenKeys> {
        self.keys.clone()
    }

    /// Serves until `shutdown` completes, then stops the projection tailers cleanly.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let tailers: Vec<_> = self
            .apps
            .iter()
            .map(|app| {
                let store = app.store();
                tokio::spawn(civitas_projection::run_tailer(
                    self.projection.clone(),
                    app.name(),
                    store.clone(),
                    Arc::new(StoreGapFiller::new(store)),
                    stop.clone(),
                ))
            })
            .collect();
        let logs = self
            .apps
            .iter()
            .map(|app| Arc::new(StoreLog::new(app.name(), app.store())) as Arc<dyn SourceLog>)
            .collect();
        let reconciling = tokio::spawn(run_reconcile(
            self.projection.clone(),
            logs,
            self.reconcile,
            stop.clone(),
        ));
        let auth = AuthInterceptor::new(self.keys.clone());
        let mut services = Services::default();
        for app in &self.apps {
            app.add_to(&mut services, &self.limits, auth.clone());
        }
        // One event log for the four stores: a request names the service it reads.
        let logs = self
            .apps
            .iter()
            .map(|app| (app.name().to_owned(), app.store()));
        let log = EventLog::of(logs, self.tree.clone())
            .with_max_subscriptions(self.limits.max_subscriptions_per_caller)
            .with_shutdown(stop.clone());
        services.add(log.server(&self.limits, auth.clone()));
        let dashboard = self.dashboard.map(|(listener, dashboard)| {
            let stopped = stop.clone().cancelled_owned();
            civitas_projection::dashboard::spawn(listener, &dashboard, "dashboard:      ", stopped)
        });
        self.projection
            .add_to(&mut services, &self.limits, auth, self.tree.clone());
        // Shutdown cancels `stop` first: subscriptions to the event log end, so the
        // server can finish.
        let stopping = stop.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.cancel();
        };
        let served = grpc::serve(self.listener, services, &self.limits, shutdown).await;
        stop.cancel();
        for tailer in tailers {
            let _ = tailer.await;
        }
        let _ = reconciling.await;
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

/// Creates the data directory readable by its owner only (it holds keys and personal
/// data, encrypted or not).
pub(crate) fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("failed to create data dir {}", dir.display()))
}

/// The residents master key from its bytes: AES-256 takes exactly 32.
pub(crate) fn master_key(bytes: &[u8]) -> anyhow::Result<MasterKey> {
    MasterKey::from_bytes(bytes).map_err(|_| {
        let reason = format!("must be exactly 32 bytes, got {}", bytes.len());
        InvalidSetting::new("master_key", reason).into()
    })
}

fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}
