//! The `civitas` command's flags (clap): every subcommand and what it takes.

use std::path::PathBuf;

use civitas_platform::auth::Role;
use clap::{Parser, Subcommand};

/// civitas: run and monitor the creation of civilized communities across a district.
///
/// `up` runs everything in one process on SQLite; `serve` runs one service on
/// PostgreSQL and NATS JetStream.
#[derive(Parser)]
#[command(name = "civitas", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where `civitas parked` finds the projection.
#[derive(clap::Args, Debug)]
pub struct ProjectionAt {
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
    pub fn location(self) -> civitas::parked::Location {
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
pub enum ParkedAction {
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
pub enum StreamAction {
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
pub enum Command {
    /// Start every service and the projection in one process (SQLite, no servers needed).
    Up {
        /// Data directory for the SQLite files and keys [default: ./civitas-data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// gRPC listen address [default: 127.0.0.1:50051].
        #[arg(long)]
        listen: Option<String>,
        /// The dashboard's HTTP listen address [default: port 8080 on the gRPC host;
        /// `off` serves none].
        #[arg(long)]
        http_listen: Option<String>,
        /// Org tree TOML file [default: the demo district].
        #[arg(long)]
        org: Option<PathBuf>,
        /// KPI catalog TOML file [default: the shipped deploy/kpi/catalog.toml].
        #[arg(long)]
        kpi_catalog: Option<PathBuf>,
        /// Optional TOML config file (overridden by CIVITAS_* env and flags).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Run on DEMO data: a data directory of its own (`<data dir>-demo`, or an
        /// empty --data-dir), filled on first start with a simulated year of the district
        /// (`civitas simulate`) and reused afterwards. Never touches real data.
        #[arg(long)]
        demo: bool,
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
        /// The dashboard's HTTP listen address (projection only; none when absent).
        #[arg(long)]
        http_listen: Option<String>,
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
    /// Register the households or residents of an existing register (CSV or .xlsx,
    /// Chinese or English column headers; see the README) through ResidentsService.
    /// Rerunning a file creates nothing twice; exits non-zero when a row is refused.
    Import(civitas::import::ImportConfig),
    /// Drive months of a district's life (residents, activities, care, volunteering,
    /// safety, monthly reports) through the gRPC APIs of a running platform;
    /// deterministic for a seed, and rerunning a seed adds nothing twice.
    Simulate(civitas::simulate::SimulateConfig),
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
        /// Print a one-time login link to the dashboard instead of the token: usable
        /// once, within 15 minutes, for a session of --ttl. Optionally the
        /// dashboard's URL.
        #[arg(long, num_args = 0..=1, default_missing_value = "http://127.0.0.1:8080", value_name = "DASHBOARD_URL")]
        login: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum Bench {
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
        /// With `--baseline-nats-url`: first run the naive baseline against this
        /// PostgreSQL database (a plain INSERT, then a JetStream publish whose ack is
        /// awaited, per command) and print the pipeline's ratio to it.
        #[arg(long, requires = "baseline_nats_url")]
        baseline_database_url: Option<String>,
        /// The nats-server of the baseline.
        #[arg(long, requires = "baseline_database_url")]
        baseline_nats_url: Option<String>,
    },
}

pub fn parse_event_log(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((service, url)) if !service.is_empty() && !url.is_empty() => {
            Ok((service.to_owned(), url.to_owned()))
        }
        _ => Err(format!("expected SERVICE=URL, got {text:?}")),
    }
}
