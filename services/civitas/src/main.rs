//! The `civitas` command: parses flags, starts telemetry, runs the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use civitas::{secrets, Application, UpConfig};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::{OrgLevel, OrgTree};
use clap::{Parser, Subcommand};

/// civitas: run and monitor the creation of civilized communities across a district.
#[derive(Parser)]
#[command(name = "civitas", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        /// Optional TOML config file (overridden by CIVITAS_* env and flags).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a bearer token signed with a data directory's key.
    Token {
        #[arg(long, default_value = "./civitas-data")]
        data_dir: PathBuf,
        /// staff | district | analyst | admin
        #[arg(long)]
        role: Role,
        /// Org unit code the token is scoped to (a community for staff).
        #[arg(long)]
        org: String,
        /// Lifetime, e.g. 30m, 8h, 7d.
        #[arg(long, default_value = "8h", value_parser = civitas::duration::parse_duration)]
        ttl: std::time::Duration,
        /// Token subject (who the holder is).
        #[arg(long, default_value = "cli")]
        subject: String,
        /// Org tree TOML file used to check the org unit [default: the demo district].
        #[arg(long = "org-file")]
        org_file: Option<PathBuf>,
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
            let _telemetry = civitas_platform::telemetry::init("civitas")?;
            up(cfg).await
        }
        Command::Token {
            data_dir,
            role,
            org,
            ttl,
            subject,
            org_file,
        } => {
            let tree = match org_file {
                Some(path) => OrgTree::load(&path)
                    .with_context(|| format!("failed to load org tree {}", path.display()))?,
                None => OrgTree::demo(),
            };
            let unit = tree
                .unit(&org)
                .with_context(|| format!("unknown org unit {org:?}"))?;
            if role == Role::Staff && unit.level != OrgLevel::Community {
                anyhow::bail!(
                    "a staff token must be scoped to a community, {org:?} is a {}",
                    unit.level
                );
            }
            let key_path = data_dir.join(secrets::SIGNING_KEY_FILE);
            if !key_path.exists() {
                anyhow::bail!(
                    "no signing key at {}: start `civitas up --data-dir {}` once first",
                    key_path.display(),
                    data_dir.display()
                );
            }
            let keys = TokenKeys::new(&secrets::load(&key_path)?);
            println!("{}", keys.issue(&subject, role, &org, ttl)?);
            Ok(())
        }
    }
}

async fn up(cfg: UpConfig) -> anyhow::Result<()> {
    let data_dir = cfg.data_dir.clone();
    let app = Application::build(cfg).await?;
    println!(
        "civitas is up: gRPC on {} (health, reflection, residents, insights)",
        app.local_addr()
    );
    println!("data directory: {}", data_dir.display());
    println!(
        "get a token:    civitas token --data-dir {} --role staff --org xingfu",
        data_dir.display()
    );
    println!("stop with Ctrl-C");
    app.run_until_stopped(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    eprintln!("civitas stopped");
    Ok(())
}
