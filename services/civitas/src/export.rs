//! `civitas export`: writes `InsightsService.ExportCsv` to a file. The chunks go to a
//! temporary file beside the target, renamed into place once the stream has ended
//! cleanly, so a broken connection never leaves half a file under the asked name.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use civitas_platform::auth::BearerToken;
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::ExportCsvRequest;
use tonic::transport::Channel;

/// What to export and where (`civitas export`'s flags).
#[derive(Debug, Clone, clap::Args)]
pub struct ExportConfig {
    /// gRPC URL of `civitas up` or `serve projection`.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub url: String,
    /// Bearer token that may read the org unit (`civitas token`).
    #[arg(long, env = "CIVITAS_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Org unit code [default: the token's own].
    #[arg(long, default_value = "", hide_default_value = true)]
    pub org_unit: String,
    /// Period: 202611, 2026Q4, 2026, … or THIS_MONTH, LAST_3_MONTHS, …
    #[arg(long, default_value = "THIS_MONTH")]
    pub period: String,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
    /// Start with a UTF-8 byte order mark, so spreadsheets read the Chinese names.
    #[arg(long)]
    pub bom: bool,
}

/// Streams the export into `config.out`; the bytes written.
pub async fn run(config: &ExportConfig) -> anyhow::Result<u64> {
    let channel = Channel::from_shared(config.url.clone())
        .with_context(|| format!("invalid url {}", config.url))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("cannot reach {}", config.url))?;
    let mut client =
        InsightsServiceClient::with_interceptor(channel, BearerToken::new(&config.token));
    let mut stream = client
        .export_csv(ExportCsvRequest {
            org_unit: config.org_unit.clone(),
            period: config.period.clone(),
            bom: config.bom,
        })
        .await
        .context("the export was refused")?
        .into_inner();
    let dir = config
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut written = 0u64;
    while let Some(chunk) = stream.message().await.context("the export broke off")? {
        file.write_all(&chunk.data)?;
        written += chunk.data.len() as u64;
    }
    file.persist(&config.out)
        .with_context(|| format!("cannot write {}", config.out.display()))?;
    Ok(written)
}
