//! The `civitas` command: parses flags, starts telemetry, runs the library.

use std::path::PathBuf;
use std::process::ExitCode;

use civitas::keys::{self, TokenRequest};
use civitas::{Application, UpConfig};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use clap::{Parser, Subcommand};

/// civitas: run and monitor the creation of civilized communities across a district.
///
/// `up` runs everything in one process on SQLite; `serve` runs one service on
/// PostgreSQL and NATS JetStream.
#[derive(Parser)]
#[command(name = "civitas", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where `civitas parked` finds the projection.
#[derive(clap::Args, Debug)]
struct ProjectionAt {
    /// PostgreSQL URL of the distributed projection (else the embedded data directory).
    #[arg(long)]
    database_url: Option<String>,
    /// The projection's schema (distributed mode).
    #[arg(long, default_value = "projection")]
    schema: String,
    /// The embedded data directory.
    #[arg(long, default_value = "./civitas-data")]
    data_dir: PathBuf,
}

impl ProjectionAt {
    fn location(self) -> civitas::parked::Location {
        match self.database_url {
            Some(url) => civitas::parked::Location::Postgres {
                url,
                schema: self.schema,
            },
            None => civitas::parked::Location::DataDir(self.data_dir),
        }
    }
}

#[derive(Subcommand, Debug)]
enum ParkedAction {
    /// List parked events, oldest first.
    List {
        #[command(flatten)]
        at: ProjectionAt,
    },
    /// Apply parked events again (all, or those named by --id); applied ones leave the list.
    Retry {
        #[command(flatten)]
        at: ProjectionAt,
        #[arg(long = "id")]
        ids: Vec<uuid::Uuid>,
    },
}

#[derive(Subcommand, Debug)]
enum StreamAction {
    /// Create the events stream, or bring its subjects, replicas and duplicate window to
    /// the settings (CIVITAS_NATS__STREAM__*), as a NATS user allowed to: `operations`
    /// in deploy/nats/accounts.conf. Write services only use the stream.
    Ensure {
        /// NATS URL, e.g. nats://127.0.0.1:4222 (a comma-separated list for a cluster).
        #[arg(long)]
        nats_url: Option<String>,
        /// NATS user [CIVITAS_NATS__USER].
        #[arg(long)]
        user: Option<String>,
        /// NATS password; prefer CIVITAS_NATS__PASSWORD (a command line is visible to
        /// other users of the machine).
        #[arg(long)]
        password: Option<String>,
        /// Optional TOML config file (overridden by CIVITAS_* env and flags).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Start every service and the projection in one process (SQLite, no servers needed).
    Up {
        /// Data directory for the SQLite files and keys [default: ./civitas-data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// gRPC listen address [default: 127.0.0.1:50051].
        #[arg(long)]
        listen: Option<String>,
        /// Org tree TOML file [default: the demo district].
        #[arg(long)]
        org: Option<PathBuf>,
        /// KPI catalog TOML file [default: the shipped deploy/kpi/catalog.toml].
        #[arg(long)]
        kpi_catalog: Option<PathBuf>,
        /// Optional TOML config file (overridden by CIVITAS_* env and flags).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run one service on PostgreSQL and NATS JetStream (distributed mode).
    Serve {
        service: civitas::distributed::ServiceKind,
        /// PostgreSQL URL (each service uses its own schema).
        #[arg(long)]
        database_url: Option<String>,
        /// NATS URL, e.g. nats://127.0.0.1:4222.
        #[arg(long)]
        nats_url: Option<String>,
        /// gRPC listen address [default: 127.0.0.1:50051].
        #[arg(long)]
        listen: Option<String>,
        /// Prometheus /metrics listen address (no endpoint when absent).
        #[arg(long)]
        metrics_listen: Option<String>,
        /// Org tree TOML file [default: the demo district].
        #[arg(long)]
        org: Option<PathBuf>,
        /// Directory with signing.key (and master.key for residents), as `keys` creates;
        /// CIVITAS_SIGNING_KEY / CIVITAS_MASTER_KEY (hex), when set, take precedence.
        #[arg(long)]
        keys_dir: Option<PathBuf>,
        /// SERVICE=URL of a service's event log, repeatable: the projection reads every
        /// write service's, volunteering the residents one.
        #[arg(long = "event-log", value_parser = parse_event_log)]
        event_logs: Vec<(String, String)>,
        /// Projection: KPI catalog TOML file [default: the shipped deploy/kpi/catalog.toml].
        #[arg(long)]
        kpi_catalog: Option<PathBuf>,
        /// Optional TOML config file (overridden by CIVITAS_* env and flags).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Rebuild the projection's read models from the services' event logs into a fresh
    /// schema and swap it in.
    Rebuild {
        #[arg(long)]
        database_url: String,
        /// SERVICE=URL of each write service's event log, repeatable.
        #[arg(long = "event-log", value_parser = parse_event_log, required = true)]
        event_logs: Vec<(String, String)>,
        /// Directory with signing.key (CIVITAS_SIGNING_KEY, hex, takes precedence).
        #[arg(long)]
        keys_dir: Option<PathBuf>,
        /// Build only; do not swap the result in.
        #[arg(long)]
        no_swap: bool,
    },
    /// Write the KPI values and indicators of an org unit and every unit below it to a
    /// CSV file (InsightsService.ExportCsv).
    Export(civitas::export::ExportConfig),
    /// List or retry the events the projection parked because it could not apply them.
    Parked {
        #[command(subcommand)]
        action: ParkedAction,
    },
    /// Operations on the NATS events stream.
    Stream {
        #[command(subcommand)]
        action: StreamAction,
    },
    /// Print decoded events from NATS as JSON lines (an example analytics consumer).
    Tail {
        #[arg(long, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// Subject filter, e.g. 'civitas.evt.residents.>' or 'civitas.evt.*.gulou.>'.
        #[arg(long, default_value = "civitas.evt.>")]
        subject: String,
        #[arg(long, env = "CIVITAS_NATS__USER")]
        user: Option<String>,
        #[arg(long, env = "CIVITAS_NATS__PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Start from the first stored event instead of new ones.
        #[arg(long)]
        from_start: bool,
        /// Stop after this many events.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value = "CIVITAS_EVENTS")]
        stream_name: String,
    },
    /// Create the signing and master keys in a directory (for `serve --keys-dir`);
    /// existing keys are kept.
    Keys {
        #[arg(long, default_value = "./civitas-keys")]
        dir: PathBuf,
    },
    /// Write the protobuf descriptor set of every civitas proto to stdout.
    DescriptorSet,
    /// Measure: `append` (event store vs plain INSERTs) or `pipeline` (a running
    /// distributed deployment).
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
    /// Print a bearer token signed with a data directory's key.
    Token {
        #[arg(long, default_value = "./civitas-data")]
        data_dir: PathBuf,
        /// staff | district | analyst | admin | service (event logs only)
        #[arg(long)]
        role: Role,
        /// Org unit code the token is scoped to (a community for staff).
        #[arg(long)]
        org: String,
        /// Lifetime, e.g. 30m, 8h, 7d: at most 12h for people, 30d for services.
        #[arg(long, default_value = "8h", value_parser = civitas_platform::config::parse_duration)]
        ttl: std::time::Duration,
        /// Token subject (who the holder is).
        #[arg(long, default_value = "cli")]
        subject: String,
        /// Org tree TOML file used to check the org unit [default: the demo district].
        #[arg(long = "org-file")]
        org_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Kernel append vs plain single-row INSERTs at several concurrencies.
    Append {
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        database_url: String,
        /// Events per concurrency level.
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// Concurrency levels, comma separated.
        #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
        concurrency: Vec<usize>,
    },
    /// Commands/s, latency and projection lag against running services.
    Pipeline {
        #[arg(long)]
        residents: String,
        #[arg(long)]
        projection: String,
        /// Directory with signing.key (CIVITAS_SIGNING_KEY, hex, takes precedence).
        #[arg(long)]
        keys_dir: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        commands: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Offer this many commands per second (open loop) instead of as fast as they
        /// are answered.
        #[arg(long)]
        rate: Option<f64>,
        /// A `/metrics` URL to scrape at the end for the per-stage lag (repeatable).
        #[arg(long = "metrics")]
        metrics_urls: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up {
            data_dir,
            listen,
            org,
            kpi_catalog,
            config,
        } => {
            let mut cfg: UpConfig = civitas_platform::config::load(config.as_deref())?;
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if org.is_some() {
                cfg.org_file = org;
            }
            if kpi_catalog.is_some() {
                cfg.kpi_catalog = kpi_catalog;
            }
            cfg.validate()?;
            let _telemetry = civitas_platform::telemetry::init("civitas")?;
            up(cfg).await
        }
        Command::Serve {
            service,
            database_url,
            nats_url,
            listen,
            metrics_listen,
            org,
            keys_dir,
            event_logs,
            kpi_catalog,
            config,
        } => {
            let mut cfg: civitas::distributed::ServeConfig =
                civitas_platform::config::load(config.as_deref())?;
            if let Some(v) = database_url {
                cfg.database_url = v;
            }
            if let Some(v) = nats_url {
                cfg.nats.url = v;
            }
            if let Some(v) = listen {
                cfg.listen = v;
            }
            if metrics_listen.is_some() {
                cfg.metrics_listen = metrics_listen;
            }
            if org.is_some() {
                cfg.org_file = org;
            }
            if keys_dir.is_some() {
                cfg.keys_dir = keys_dir;
            }
            cfg.event_logs.extend(event_logs);
            if kpi_catalog.is_some() {
                cfg.kpi_catalog = kpi_catalog;
            }
            cfg.validate(service)?;
            let _telemetry = civitas_platform::telemetry::init(service.name())?;
            serve(service, cfg).await
        }
        Command::Rebuild {
            database_url,
            event_logs,
            keys_dir,
            no_swap,
        } => {
            let _telemetry = civitas_platform::telemetry::init("civitas-rebuild")?;
            let signing = keys::signing_key(keys_dir.as_deref())?;
            let tree = OrgTree::demo();
            let token = TokenKeys::new(&signing).issue(
                "rebuild",
                Role::Service,
                &tree.root().code,
                std::time::Duration::from_secs(86_400),
            )?;
            let config = civitas::rebuild::RebuildConfig {
                database_url,
                event_logs,
                token,
                live_schema: "projection".to_owned(),
                build_schema: "projection_rebuild".to_owned(),
                swap: !no_swap,
                batch: 5_000,
            };
            println!("{}", civitas::rebuild::run(&config).await?);
            Ok(())
        }
        Command::Export(config) => {
            let written = civitas::export::run(&config).await?;
            println!("wrote {written} bytes to {}", config.out.display());
            Ok(())
        }
        Command::Parked { action } => {
            let (where_, ids) = match action {
                ParkedAction::List { at } => (at, None),
                ParkedAction::Retry { at, ids } => (at, Some(ids)),
            };
            let location = where_.location();
            let report = match ids {
                None => civitas::parked::list(&location).await?,
                Some(ids) => civitas::parked::retry(&location, &ids).await?,
            };
            print!("{report}");
            Ok(())
        }
        Command::Stream {
            action:
                StreamAction::Ensure {
                    nats_url,
                    user,
                    password,
                    config,
                },
        } => {
            let mut cfg: civitas::stream::StreamConfig =
                civitas_platform::config::load(config.as_deref())?;
            if let Some(v) = nats_url {
                cfg.nats.url = v;
            }
            if user.is_some() {
                cfg.nats.user = user;
            }
            if let Some(v) = password {
                cfg.nats.password = Some(civitas_platform::config::Secret::new(v));
            }
            let _telemetry = civitas_platform::telemetry::init("civitas-stream")?;
            println!("{}", civitas::stream::ensure(&cfg).await?);
            Ok(())
        }
        Command::Tail {
            nats_url,
            subject,
            user,
            password,
            from_start,
            limit,
            stream_name,
        } => {
            let config = civitas::tail::TailConfig {
                nats_url,
                subject,
                user,
                password,
                from_start,
                limit,
                stream: civitas_streams::StreamSettings {
                    name: stream_name,
                    ..Default::default()
                },
            };
            civitas::tail::run(&config, &mut std::io::stdout()).await
        }
        Command::Keys { dir } => {
            keys::create_keys_dir(&dir)?;
            println!(
                "keys in {} (signing.key, master.key; mode 0600)",
                dir.display()
            );
            Ok(())
        }
        Command::DescriptorSet => {
            use std::io::Write;
            std::io::stdout().write_all(civitas_proto::FILE_DESCRIPTOR_SET)?;
            Ok(())
        }
        Command::Bench { bench } => match bench {
            Bench::Append {
                database_url,
                events,
                concurrency,
            } => {
                let config = civitas::bench_append::AppendBenchConfig {
                    database_url,
                    events,
                    concurrency,
                };
                println!("{}", civitas::bench_append::run(&config).await?);
                Ok(())
            }
            Bench::Pipeline {
                residents,
                projection,
                keys_dir,
                commands,
                concurrency,
                rate,
                metrics_urls,
            } => {
                let config = civitas::bench_pipeline::PipelineBenchConfig {
                    residents_url: residents,
                    projection_url: projection,
                    signing_key: keys::signing_key(Some(&keys_dir))?,
                    commands,
                    concurrency,
                    rate,
                    metrics_urls,
                };
                println!("{}", civitas::bench_pipeline::run(&config).await?);
                Ok(())
            }
        },
        Command::Token {
            data_dir,
            role,
            org,
            ttl,
            subject,
            org_file,
        } => {
            let request = TokenRequest {
                data_dir,
                role,
                org,
                ttl,
                subject,
                org_file,
            };
            println!("{}", keys::issue_token(&request)?);
            Ok(())
        }
    }
}

async fn serve(
    service: civitas::distributed::ServiceKind,
    cfg: civitas::distributed::ServeConfig,
) -> anyhow::Result<()> {
    let app = civitas::distributed::ServiceApp::build(service, cfg).await?;
    println!(
        "civitas {} is up: gRPC on {}",
        service.name(),
        app.local_addr()
    );
    app.run_until_stopped(shutdown_signal()).await?;
    eprintln!("civitas {} stopped", service.name());
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn parse_event_log(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((service, url)) if !service.is_empty() && !url.is_empty() => {
            Ok((service.to_owned(), url.to_owned()))
        }
        _ => Err(format!("expected SERVICE=URL, got {text:?}")),
    }
}

async fn up(cfg: UpConfig) -> anyhow::Result<()> {
    let data_dir = cfg.data_dir.clone();
    let app = Application::build(cfg).await?;
    println!(
        "civitas is up: gRPC on {} (residents, activities, volunteering, safety, event log, insights, worklist; health, reflection)",
        app.local_addr()
    );
    println!("data directory: {}", data_dir.display());
    println!(
        "get a token:    civitas token --data-dir {} --role staff --org xingfu",
        data_dir.display()
    );
    println!("stop with Ctrl-C");
    app.run_until_stopped(shutdown_signal()).await?;
    eprintln!("civitas stopped");
    Ok(())
}
