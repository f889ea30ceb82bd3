//! `civitas bench pipeline`: drives gRPC commands against a running distributed
//! deployment and prints measured commands/s, command latency (p50/p99) and projection
//! lag (command acknowledged → visible in `GetKpis`).
//!
//! Lag is sampled by a prober: every few milliseconds it notes how many events had been
//! acknowledged so far, and the time at which the projection's `applied_events` first
//! reaches that number is the lag of that sample.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use civitas_platform::auth::{BearerToken, Role, TokenKeys};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::GetKpisRequest;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use civitas_proto::residents::v1::RegisterHouseholdRequest;
use tonic::transport::Channel;

/// What to drive.
#[derive(Clone)]
pub struct PipelineBenchConfig {
    pub residents_url: String,
    pub projection_url: String,
    pub signing_key: civitas_platform::secrets::KeyBytes,
    pub commands: usize,
    pub concurrency: usize,
    /// Commands per second to offer (open loop); `None` = as fast as they are answered.
    pub rate: Option<f64>,
    /// Prometheus `/metrics` URLs of the processes involved, scraped at the end for the
    /// per-stage breakdown.
    pub metrics_urls: Vec<String>,
}

/// Measured figures.
#[derive(Debug, Clone)]
pub struct PipelineBenchReport {
    pub commands: usize,
    pub concurrency: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub lag_p50: Duration,
    pub lag_p99: Duration,
    pub lag_samples: usize,
    /// Per-stage lag quantiles from `/metrics`, one line per stage.
    pub stages: Vec<String>,
}

impl PipelineBenchReport {
    /// Commands answered per second.
    pub fn throughput(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for PipelineBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "commands            {} at concurrency {}",
            self.commands, self.concurrency
        )?;
        writeln!(f, "throughput          {:.0} commands/s", self.throughput())?;
        writeln!(
            f,
            "command latency     p50 {:.2} ms, p99 {:.2} ms",
            ms(self.p50),
            ms(self.p99)
        )?;
        write!(
            f,
            "projection lag      p50 {:.1} ms, p99 {:.1} ms ({} samples)",
            ms(self.lag_p50),
            ms(self.lag_p99),
            self.lag_samples
        )?;
        for stage in &self.stages {
            write!(f, "\n{stage}")?;
        }
        Ok(())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the benchmark: `commands` RegisterHousehold calls spread over the demo tree's
/// communities, `concurrency` at a time.
pub async fn run(config: &PipelineBenchConfig) -> anyhow::Result<PipelineBenchReport> {
    let keys = TokenKeys::new(&config.signing_key);
    let tree = civitas_platform::org::OrgTree::demo();
    let communities: Vec<String> = tree
        .communities_under(&tree.root().code)
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let residents = connect(&config.residents_url).await?;
    let projection = connect(&config.projection_url).await?;
    let admin = keys.issue(
        "bench",
        Role::Admin,
        &tree.root().code,
        Duration::from_secs(3600),
    )?;
    let mut insights =
        InsightsServiceClient::with_interceptor(projection, BearerToken::new(&admin));
    // The probe asks for one community: the applied count is global, and a small
    // answer keeps the probe from loading the projection it measures.
    let probe_unit = communities.first().cloned().unwrap_or_default();
    let baseline = applied(&mut insights, &probe_unit).await?;

    let acked = Arc::new(AtomicU64::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    let prober = tokio::spawn(probe_lag(
        insights.clone(),
        probe_unit,
        baseline,
        acked.clone(),
        done.clone(),
    ));

    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..config.concurrency.max(1) {
        let next = next.clone();
        let acked = acked.clone();
        let total = config.commands as u64;
        let rate = config.rate;
        let channel = residents.clone();
        let tokens: Vec<String> = communities
            .iter()
            .map(|c| keys.issue("bench", Role::Staff, c, Duration::from_secs(3600)))
            .collect::<Result<_, _>>()?;
        workers.push(tokio::spawn(async move {
            let clients: Vec<_> = tokens
                .iter()
                .map(|t| {
                    ResidentsServiceClient::with_interceptor(channel.clone(), BearerToken::new(t))
                })
                .collect();
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                if let Some(rate) = rate {
                    // Open loop: command i is due at i / rate seconds.
                    let due = started + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let mut client = clients[i as usize % clients.len()].clone();
                let request = RegisterHouseholdRequest {
                    address: format!("基准路 {i} 号"),
                    grid: format!("G-{:02}", i % 20),
                    building: format!("{}栋", i % 30),
                    ..Default::default()
                };
                let t = Instant::now();
                client
                    .register_household(request)
                    .await
                    .context("a command failed")?;
                latencies.push(t.elapsed());
                acked.fetch_add(1, Ordering::Release);
            }
        }));
    }
    let mut latencies = Vec::with_capacity(config.commands);
    for worker in workers {
        latencies.extend(worker.await.context("worker panicked")??);
    }
    let elapsed = started.elapsed();
    done.notify_one();
    let mut lags = prober.await.context("prober panicked")??;
    latencies.sort();
    lags.sort();
    let mut stages = Vec::new();
    for url in &config.metrics_urls {
        let text = scrape(url).await?;
        stages.extend(stage_lines(url, &text));
    }
    Ok(PipelineBenchReport {
        commands: latencies.len(),
        concurrency: config.concurrency,
        elapsed,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        lag_p50: percentile(&lags, 0.50),
        lag_p99: percentile(&lags, 0.99),
        lag_samples: lags.len(),
        stages,
    })
}

async fn connect(url: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(url.to_owned())
        .with_context(|| format!("invalid url {url}"))?
        .connect()
        .await
        .with_context(|| format!("failed to connect to {url}"))
}

type Insights =
    InsightsServiceClient<tonic::service::interceptor::InterceptedService<Channel, BearerToken>>;

async fn applied(insights: &mut Insights, unit: &str) -> anyhow::Result<u64> {
    let response = insights
        .get_kpis(GetKpisRequest {
            org_unit: unit.to_owned(),
            period: chrono::Utc::now().format("%Y").to_string(),
        })
        .await
        .context("GetKpis failed")?;
    Ok(response.into_inner().applied_events)
}

/// Samples (time, events acknowledged) every 5 ms and finds when each sample became
/// visible; ends once the commands are done and the last sample is visible.
async fn probe_lag(
    mut insights: Insights,
    unit: String,
    baseline: u64,
    acked: Arc<AtomicU64>,
    done: Arc<tokio::sync::Notify>,
) -> anyhow::Result<Vec<Duration>> {
    let mut pending: std::collections::VecDeque<(Instant, u64)> = Default::default();
    let mut lags = Vec::new();
    let mut finished = false;
    let deadline_after_done = Duration::from_secs(60);
    let mut done_at: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let target = acked.load(Ordering::Acquire);
        if pending.back().map_or(target > 0, |(_, n)| target > *n) {
            pending.push_back((now, target));
        }
        let visible = applied(&mut insights, &unit)
            .await?
            .saturating_sub(baseline);
        let seen_at = Instant::now();
        while let Some((at, n)) = pending.front().copied() {
            if visible >= n {
                lags.push(seen_at.duration_since(at));
                pending.pop_front();
            } else {
                break;
            }
        }
        if finished && pending.is_empty() {
            return Ok(lags);
        }
        if let Some(t) = done_at {
            anyhow::ensure!(
                t.elapsed() < deadline_after_done,
                "the projection did not catch up within 60 s"
            );
        }
        tokio::select! {
            () = done.notified(), if !finished => {
                finished = true;
                done_at = Some(Instant::now());
            }
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The stages of the pipeline's lag, as the processes record them.
const STAGES: &[(&str, &str)] = &[
    ("civitas_command_commit_seconds", "command → commit"),
    ("civitas_relay_lag_seconds", "commit → NATS ack (relay)"),
    (
        "civitas_projection_consumer_lag_seconds",
        "NATS → applied (consumer)",
    ),
    ("civitas_projection_lag_seconds", "commit → applied (whole)"),
];

/// GETs a `/metrics` page over plain HTTP/1.0 (the exporters here speak nothing else).
async fn scrape(url: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("metrics url {url} must start with http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, "metrics"));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .with_context(|| format!("failed to connect to {url}"))?;
    let request = format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await?;
    Ok(body)
}

/// One line per stage found in `text`: its p50 and p99 (summed over labels by taking
/// the largest, which is the slowest service).
fn stage_lines(url: &str, text: &str) -> Vec<String> {
    let quantile = |metric: &str, q: &str| -> Option<f64> {
        text.lines()
            .filter(|l| l.starts_with(metric) && l.contains(&format!("quantile=\"{q}\"")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .reduce(f64::max)
    };
    STAGES
        .iter()
        .filter_map(|(metric, label)| {
            let p50 = quantile(metric, "0.5")?;
            let p99 = quantile(metric, "0.99")?;
            Some(format!(
                "  {label:<28} p50 {:.1} ms, p99 {:.1} ms ({url})",
                p50 * 1000.0,
                p99 * 1000.0
            ))
        })
        .collect()
}
