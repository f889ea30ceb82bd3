//! The `civitas` command: reads its flags (`cli.rs`), starts telemetry, runs the library.

use std::process::ExitCode;

use civitas::keys::{self, TokenRequest};
use civitas::{Application, UpConfig};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use clap::Parser;

mod cli;

use cli::{Bench, Cli, Command, ParkedAction, StreamAction};

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
            http_listen,
            org,
            kpi_catalog,
            config,
            demo,
        } => {
            let mut cfg: UpConfig = civitas_platform::config::load(config.as_deref())?;
            if demo {
                cfg.data_dir =
                    civitas::simulate::demo::data_dir(data_dir.as_deref(), &cfg.data_dir)?;
            } else if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if http_listen.is_some() {
                cfg.http_listen = http_listen;
            }
            if org.is_some() {
                cfg.org_file = org;
            }
            if kpi_catalog.is_some() {
                cfg.kpi_catalog = kpi_catalog;
            }
            cfg.validate()?;
            let _telemetry = civitas_platform::telemetry::init("civitas")?;
            up(cfg, demo).await
        }
        Command::Serve {
            service,
            database_url,
            nats_url,
            listen,
            metrics_listen,
            http_listen,
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
            if http_listen.is_some() {
                cfg.http_listen = http_listen;
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
        Command::Import(config) => {
            let report = civitas::import::run(&config).await?;
            print!("{report}");
            if report.stopped.is_some() {
                anyhow::bail!("the import stopped before its last row");
            }
            if !report.is_clean() {
                anyhow::bail!("{} of {} rows refused", report.refused(), report.read);
            }
            Ok(())
        }
        Command::Simulate(config) => {
            let report = civitas::simulate::run(&config).await?;
            print!("{report}");
            if !report.is_clean() {
                anyhow::bail!("{} commands refused", report.total().refused);
            }
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
                baseline_database_url,
                baseline_nats_url,
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
                let baseline = match (baseline_database_url, baseline_nats_url) {
                    (Some(db), Some(nats)) => {
                        let took =
                            civitas::bench_baseline::run(&db, &nats, commands, concurrency).await?;
                        let rate = commands as f64 / took.as_secs_f64().max(1e-9);
                        println!(
                            "baseline            {rate:.0} commands/s (INSERT, then publish and \
                             await the ack; no gRPC)"
                        );
                        Some(rate)
                    }
                    _ => None,
                };
                let report = civitas::bench_pipeline::run(&config).await?;
                println!("{report}");
                if let Some(base) = baseline {
                    println!("pipeline/baseline   {:.2}x", report.throughput() / base);
                }
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
            login,
        } => {
            let request = TokenRequest {
                data_dir,
                role,
                org,
                ttl,
                subject,
                org_file,
                login,
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

async fn up(cfg: UpConfig, demo: bool) -> anyhow::Result<()> {
    let data_dir = cfg.data_dir.clone();
    let org_file = cfg.org_file.clone();
    if demo {
        civitas::simulate::demo::mark(&data_dir)?;
    }
    let app = Application::build(cfg).await?;
    if demo {
        return up_demo(app, data_dir, org_file).await;
    }
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

/// `up --demo`: serves, seeds the demo data on its first start, says loudly that it is
/// DEMO data.
async fn up_demo(
    app: Application,
    data_dir: std::path::PathBuf,
    org_file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use civitas::simulate::demo;
    let addr = app.local_addr();
    let keys = app.token_keys();
    let dashboard = app.dashboard_addr();
    let serving = tokio::spawn(app.run_until_stopped(shutdown_signal()));
    println!("civitas is up on DEMO data: gRPC on {addr}");
    println!(
        "data directory: {} (DEMO data, marked by {})",
        data_dir.display(),
        demo::MARKER
    );
    if !demo::is_seeded(&data_dir) {
        println!(
            "first start: simulating {} months of {} communities (seed {}), this takes a while...",
            demo::MONTHS,
            demo::COMMUNITIES,
            demo::SEED
        );
        if let Some(report) = demo::seed(&data_dir, addr, keys.clone(), org_file.clone()).await? {
            print!("{report}");
        }
    }
    println!("*** DEMO DATA: simulated, not a real register ***");
    if let Some(dashboard) = dashboard {
        // The district office's one-time link: the printed URL opens the demo district.
        let tree = match &org_file {
            Some(path) => OrgTree::load(path)?,
            None => OrgTree::demo(),
        };
        let root = &tree.root().code;
        let ticket = keys.issue_login_link(
            "demo-district-office",
            Role::District,
            root,
            std::time::Duration::from_secs(8 * 3600),
        )?;
        println!(
            "open to sign in as the district office (one-time link, 15 minutes):\n  {}/login/link?ticket={ticket}",
            civitas_platform::grpc::local_url(dashboard)
        );
        println!(
            "another link:   civitas token --login --data-dir {} --role district --org {root}",
            data_dir.display()
        );
    }
    println!(
        "get a token:    civitas token --data-dir {} --role staff --org xingfu",
        data_dir.display()
    );
    println!("stop with Ctrl-C");
    serving.await??;
    eprintln!("civitas stopped");
    Ok(())
}
