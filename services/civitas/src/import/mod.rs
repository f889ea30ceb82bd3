//! `civitas import households|residents FILE`: registers the rows of an existing
//! register (CSV or .xlsx, the column layout in `columns.rs` and the README) through
//! `ResidentsService`, so the token's scope and the service's validation apply to each.
//!
//! Every row is checked locally first with the service's own value types; `--dry-run`
//! stops there. Each row is sent with an idempotency key derived from the request it
//! stands for, so a second run (after a failure, or by mistake) creates nothing twice:
//! the service answers a repeated key with the first result, marked `replayed`.
//!
//! Residents name their household by the register's 户号, which the service does not
//! know: the households import writes a `户号,household_id` list (by default beside the
//! file, `NAME.ids.csv`), and the residents import reads it (`--households`).

mod columns;
mod sheet;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use civitas_platform::auth::BearerToken;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};

pub use columns::{Column, HOUSEHOLD_COLUMNS, RESIDENT_COLUMNS};

use columns::{GuardianRef, HouseholdRef, Layout, ResidentRow, HOUSEHOLD_NO};

/// Which register a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Households,
    Residents,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Households => "households",
            Kind::Residents => "residents",
        }
    }
}

/// The server a client subcommand talks to, and the token it sends.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// gRPC URL of `civitas up` or `serve residents`.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub url: String,
    /// Bearer token of staff of the community (`civitas token --role staff`); not
    /// needed for --dry-run.
    #[arg(long, env = "CIVITAS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

type Residents = ResidentsServiceClient<InterceptedService<Channel, BearerToken>>;

impl ServerArgs {
    async fn residents(&self) -> anyhow::Result<Residents> {
        let token = self
            .token
            .as_deref()
            .context("a token is needed: --token or CIVITAS_TOKEN (civitas token)")?;
        let channel = Channel::from_shared(self.url.clone())
            .with_context(|| format!("invalid url {}", self.url))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .connect()
            .await
            .with_context(|| format!("cannot reach {}", self.url))?;
        Ok(ResidentsServiceClient::with_interceptor(
            channel,
            BearerToken::new(token),
        ))
    }
}

/// `civitas import`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportConfig {
    /// Which register the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The register: CSV (UTF-8, with or without BOM) or .xlsx.
    pub file: PathBuf,
    #[command(flatten)]
    pub server: ServerArgs,
    /// households: where to write the 户号,household_id list (entries already in the
    /// file are kept) [default: FILE with the extension .ids.csv].
    #[arg(long)]
    pub ids: Option<PathBuf>,
    /// residents: the 户号,household_id list the households import wrote (needed when
    /// rows name their household by 户号 rather than 户ID).
    #[arg(long)]
    pub households: Option<PathBuf>,
    /// The sheet to read [default: the first].
    #[arg(long)]
    pub sheet: Option<String>,
    /// Check every row and report the bad ones; send nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Show no progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

impl ImportConfig {
    /// The arguments for `kind` and `file`, everything else as clap defaults it.
    pub fn new(kind: Kind, file: impl Into<PathBuf>, url: &str, token: Option<String>) -> Self {
        ImportConfig {
            kind,
            file: file.into(),
            server: ServerArgs {
                url: url.to_owned(),
                token,
            },
            ids: None,
            households: None,
            sheet: None,
            dry_run: false,
            quiet: false,
        }
    }

    /// Where the households import writes its id list.
    pub fn ids_path(&self) -> PathBuf {
        self.ids
            .clone()
            .unwrap_or_else(|| self.file.with_extension("ids.csv"))
    }
}

/// A refused row: its number as the spreadsheet shows it, the column, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: usize,
    /// The column as the file names it and the request field, e.g. `网格 (grid)`.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "row {}: {}", self.row, self.reason)
        } else {
            write!(f, "row {}, {}: {}", self.row, self.field, self.reason)
        }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub kind: Kind,
    pub file: PathBuf,
    pub dry_run: bool,
    /// Data rows read (blank rows and the header not counted).
    pub read: usize,
    /// Rows that passed the local checks.
    pub valid: usize,
    /// Registrations the service made now.
    pub created: usize,
    /// Rows the service had registered already under the same idempotency key.
    pub already_present: usize,
    /// Every problem of every refused row, by row.
    pub problems: Vec<Problem>,
    /// Headers the import does not know (their cells were not read).
    pub ignored_columns: Vec<String>,
    /// households: 户号 → household id of every row created or already present.
    pub household_ids: BTreeMap<String, String>,
    /// residents: the ID number → resident id of every row created or already present.
    pub resident_ids: BTreeMap<String, String>,
    /// Where the household id list was written, and how many entries it holds.
    pub ids_written: Option<(PathBuf, usize)>,
    /// Why the import stopped before the last row, if it did.
    pub stopped: Option<String>,
}

impl ImportReport {
    /// Rows refused, locally or by the service.
    pub fn refused(&self) -> usize {
        let rows: BTreeSet<usize> = self.problems.iter().map(|p| p.row).collect();
        rows.len()
    }

    /// Whether every row went in (or, for a dry run, would be sent).
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.stopped.is_none()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        if self.dry_run {
            writeln!(
                f,
                "{file}: {} rows read, {} valid, {} refused (dry run: nothing was sent)",
                self.read,
                self.valid,
                self.refused()
            )?;
        } else {
            writeln!(
                f,
                "{file}: {} rows read, {} created, {} already present, {} refused",
                self.read,
                self.created,
                self.already_present,
                self.refused()
            )?;
        }
        if !self.ignored_columns.is_empty() {
            writeln!(f, "columns not read: {}", self.ignored_columns.join(", "))?;
        }
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        if let Some(why) = &self.stopped {
            writeln!(f, "stopped: {why}")?;
        }
        if let Some((path, entries)) = &self.ids_written {
            writeln!(
                f,
                "household ids ({entries}) written to {}: pass it to `civitas import residents --households`",
                path.display()
            )?;
        }
        Ok(())
    }
}

/// Reads, checks and (unless `dry_run`) sends the register.
pub async fn run(config: &ImportConfig) -> anyhow::Result<ImportReport> {
    match (config.kind, &config.ids, &config.households) {
        (Kind::Households, _, Some(_)) => {
            anyhow::bail!("--households goes with `import residents`")
        }
        (Kind::Residents, Some(_), _) => anyhow::bail!("--ids goes with `import households`"),
        _ => {}
    }
    let rows = sheet::read(&config.file, config.sheet.as_deref())?;
    let mut report = ImportReport {
        kind: config.kind,
        file: config.file.clone(),
        dry_run: config.dry_run,
        read: 0,
        valid: 0,
        created: 0,
        already_present: 0,
        problems: Vec::new(),
        ignored_columns: Vec::new(),
        household_ids: BTreeMap::new(),
        resident_ids: BTreeMap::new(),
        ids_written: None,
        stopped: None,
    };
    match config.kind {
        Kind::Households => households(config, &rows, &mut report).await?,
        Kind::Residents => residents(config, &rows, &mut report).await?,
    }
    report.problems.sort_by_key(|p| p.row);
    Ok(report)
}

async fn households(
    config: &ImportConfig,
    rows: &[sheet::SheetRow],
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let layout = Layout::find(
        HOUSEHOLD_COLUMNS,
        rows,
        &[
            &[HOUSEHOLD_NO],
            &["grid"],
            &["building"],
            &["address", "room"],
        ],
    )?;
    let (plan, problems) = columns::households(&layout, rows);
    start(report, &layout, rows, plan.len(), problems);
    if config.dry_run {
        return Ok(());
    }
    let ids_path = config.ids_path();
    let mut ids = read_ids(&ids_path, false)?;
    let client = config.server.residents().await?;
    let progress = progress_bar(config, plan.len());
    for row in plan {
        progress.inc(1);
        let mut request = row.request.clone();
        request.options = Some(options(Kind::Households, &request));
        let call = || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.register_household(request).await }
        };
        match send(call).await {
            Ok(answer) => {
                report.count(answer.result.as_ref());
                report
                    .household_ids
                    .insert(row.household_no.clone(), answer.household_id);
            }
            Err(status) => {
                if !report.refuse(row.number, &status, &layout) {
                    break;
                }
            }
        }
    }
    progress.finish_and_clear();
    if !report.household_ids.is_empty() {
        ids.extend(report.household_ids.clone());
        write_ids(&ids_path, &ids)?;
        report.ids_written = Some((ids_path, ids.len()));
    }
    Ok(())
}

async fn residents(
    config: &ImportConfig,
    rows: &[sheet::SheetRow],
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let layout = Layout::find(
        RESIDENT_COLUMNS,
        rows,
        &[
            &[HOUSEHOLD_NO, "household_id"],
            &["name"],
            &["id_number"],
            &["residence_type"],
        ],
    )?;
    let household_ids = match &config.households {
        Some(path) => Some(read_ids(path, true)?),
        None => None,
    };
    let today = civitas_platform::command::district_day(chrono::Utc::now());
    let (mut plan, problems) = columns::residents(&layout, rows, household_ids.as_ref(), today);
    start(report, &layout, rows, plan.len(), problems);
    if config.dry_run {
        return Ok(());
    }
    if household_ids.is_none()
        && plan
            .iter()
            .any(|r| matches!(r.household, HouseholdRef::Number(_)))
    {
        anyhow::bail!(
            "rows name their household by {}: pass the list `civitas import households` wrote \
             with --households FILE",
            layout.label(HOUSEHOLD_NO)
        );
    }
    let household_ids = household_ids.unwrap_or_default();
    // Guardians named by ID number first register themselves, then their wards.
    plan.sort_by_key(|r| matches!(r.guardian, Some(GuardianRef::IdNumber(_))));
    let client = config.server.residents().await?;
    let progress = progress_bar(config, plan.len());
    for row in plan {
        progress.inc(1);
        let request = match resolve(&client, &row, &household_ids, report).await {
            Ok(request) => request,
            Err(problem) => {
                report.problems.push(Problem {
                    row: row.number,
                    field: layout.label(problem.0),
                    reason: problem.1,
                });
                continue;
            }
        };
        let call = || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.register_resident(request).await }
        };
        match send(call).await {
            Ok(answer) => {
                report.count(answer.result.as_ref());
                report
                    .resident_ids
                    .insert(row.id_number().to_owned(), answer.resident_id);
            }
            Err(status) => {
                if !report.refuse(row.number, &status, &layout) {
                    break;
                }
            }
        }
    }
    progress.finish_and_clear();
    Ok(())
}

/// The request of a residents row with its household and guardian ids filled in, or
/// the field to blame and why not.
async fn resolve(
    client: &Residents,
    row: &ResidentRow,
    household_ids: &BTreeMap<String, String>,
    report: &ImportReport,
) -> Result<api::RegisterResidentRequest, (&'static str, String)> {
    let mut request = row.request.clone();
    request.household_id = match &row.household {
        HouseholdRef::Id(id) => id.clone(),
        HouseholdRef::Number(no) => household_ids.get(no).cloned().ok_or_else(|| {
            (
                HOUSEHOLD_NO,
                format!("{no} is not in the household id list"),
            )
        })?,
    };
    request.guardian_resident_id = match &row.guardian {
        None => String::new(),
        Some(GuardianRef::Id(id)) => id.clone(),
        Some(GuardianRef::IdNumber(number)) => match report.resident_ids.get(number) {
            Some(id) => id.clone(),
            None => {
                let call = || {
                    let mut client = client.clone();
                    let request = api::FindResidentByIdNumberRequest {
                        id_number: number.clone(),
                    };
                    async move { client.find_resident_by_id_number(request).await }
                };
                let found = send(call).await;
                match found {
                    Ok(found) => found.resident.map(|r| r.resident_id).unwrap_or_default(),
                    Err(status) if status.code() == Code::NotFound => {
                        return Err((
                            "guardian_id_number",
                            "no resident has this ID number: register the guardian first \
                             (a row of this file, or before)"
                                .to_owned(),
                        ))
                    }
                    Err(status) => return Err(("guardian_id_number", status.message().to_owned())),
                }
            }
        },
    };
    request.options = Some(options(Kind::Residents, &request));
    Ok(request)
}

/// Records what the local checks found.
fn start(
    report: &mut ImportReport,
    layout: &Layout,
    rows: &[sheet::SheetRow],
    valid: usize,
    problems: Vec<Problem>,
) {
    report.read = layout.data(rows).count();
    report.valid = valid;
    report.problems = problems;
    report.ignored_columns = layout.ignored.clone();
}

impl ImportReport {
    fn count(&mut self, result: Option<&civitas_proto::common::v1::WriteResult>) {
        if result.is_some_and(|r| r.replayed) {
            self.already_present += 1;
        } else {
            self.created += 1;
        }
    }

    /// Records a row the service refused; false when no further row can succeed (the
    /// token is refused, the server is gone), which stops the import.
    fn refuse(&mut self, row: usize, status: &Status, layout: &Layout) -> bool {
        let (field, reason) = blame(status);
        // The statuses that name no field: the household (residents) or the community
        // (households) is not the caller's.
        let field = field.or_else(|| match (self.kind, status.code()) {
            (Kind::Residents, Code::NotFound | Code::PermissionDenied) => {
                Some("household_id".to_owned())
            }
            (Kind::Households, Code::PermissionDenied) => Some("community".to_owned()),
            _ => None,
        });
        let field = field.map(|f| layout.label(&f)).unwrap_or_default();
        match status.code() {
            Code::Unauthenticated | Code::Unavailable | Code::DeadlineExceeded => {
                self.stopped = Some(format!("row {row}: {}", status.message()));
                false
            }
            _ => {
                self.problems.push(Problem { row, field, reason });
                true
            }
        }
    }
}

/// The field a status blames (google.rpc.BadRequest or PreconditionFailure) and why.
fn blame(status: &Status) -> (Option<String>, String) {
    use tonic_types::StatusExt;
    if let Some(v) = status
        .get_details_bad_request()
        .and_then(|b| b.field_violations.into_iter().next())
    {
        return (Some(v.field), v.description);
    }
    if let Some(v) = status
        .get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
    {
        return (Some(v.subject), v.description);
    }
    (None, status.message().to_owned())
}

/// The write options of a row's request: an idempotency key derived from what the
/// request asks (the same row always gets the same key, another row another key).
fn options<M: Message>(kind: Kind, request: &M) -> WriteOptions {
    let digest = Sha256::new()
        .chain_update(kind.name())
        .chain_update(request.encode_to_vec())
        .finalize();
    WriteOptions {
        idempotency_key: format!("import-{}-{}", kind.name(), hex::encode(digest)),
        expected_version: None,
    }
}

/// Sends a request, again (same key, so at most once in effect) while the server
/// answers that it is busy or briefly unavailable.
async fn send<T, F, Fut>(mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, Status>>,
{
    let mut wait = Duration::from_millis(200);
    for _ in 0..4 {
        match call().await {
            Err(s) if matches!(s.code(), Code::Unavailable | Code::ResourceExhausted) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other.map(tonic::Response::into_inner),
        }
    }
    call().await.map(tonic::Response::into_inner)
}

fn progress_bar(config: &ImportConfig, rows: usize) -> indicatif::ProgressBar {
    if config.quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(rows as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed_precise}")
    {
        bar.set_style(style);
    }
    bar
}

/// Reads a `户号,household_id` list; a missing file is an empty list unless `must_exist`.
pub fn read_ids(path: &Path, must_exist: bool) -> anyhow::Result<BTreeMap<String, String>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(BTreeMap::new())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let rows =
        sheet::read_csv(&bytes).with_context(|| format!("cannot read {}", path.display()))?;
    let mut ids = BTreeMap::new();
    for row in rows.iter().skip(1) {
        match row.cells.as_slice() {
            [no, id, ..] if !no.is_empty() && !id.is_empty() => {
                ids.insert(no.clone(), id.clone());
            }
            _ => {}
        }
    }
    Ok(ids)
}

/// Writes the list through a temporary file beside it, renamed into place.
fn write_ids(path: &Path, ids: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        use std::io::Write;
        file.write_all("\u{feff}".as_bytes())?;
        let mut writer = csv::Writer::from_writer(&mut file);
        writer.write_record(["户号", "household_id"])?;
        for (no, id) in ids {
            writer.write_record([no, id])?;
        }
        writer.flush()?;
    }
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
