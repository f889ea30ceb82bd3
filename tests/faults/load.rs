//! Command load for the fault scenarios: residents commands over gRPC (a household,
//! then residents in it, every other one with a care category), spread over the 12
//! demo communities. Every command carries an idempotency key, so a command retried
//! after a crash (UNAVAILABLE, a reset stream) is counted, and stored, once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_e2e::id_number;
use civitas_platform::auth::{BearerToken, Role, TokenKeys};
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1::{CareCategory, ResidenceType};
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::Code;

pub type Residents = ResidentsServiceClient<InterceptedService<Channel, BearerToken>>;

/// The demo district's communities.
pub fn communities() -> Vec<String> {
    let tree = civitas_platform::org::OrgTree::demo();
    tree.communities_under(&tree.root().code)
        .iter()
        .map(|c| c.code.clone())
        .collect()
}

/// A staff client of `community` on `channel`.
pub fn staff(channel: &Channel, keys: &TokenKeys, community: &str) -> Residents {
    let token = civitas_testkit::test_token(keys, Role::Staff, community);
    ResidentsServiceClient::with_interceptor(channel.clone(), BearerToken::new(&token))
}

/// What a load run did.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub commands: u64,
    pub retries: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn rate(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Progress shared with whoever injects faults meanwhile.
#[derive(Default)]
pub struct Progress {
    pub acked: AtomicU64,
    pub retries: AtomicU64,
}

impl Progress {
    pub fn acked(&self) -> u64 {
        self.acked.load(Ordering::Acquire)
    }

    /// Waits until at least `n` commands were acknowledged.
    pub async fn reached(&self, n: u64) {
        while self.acked() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Runs `commands` commands, `concurrency` at a time, against the residents service
/// behind `channel`; `tag` makes the idempotency keys and ID numbers of one run unique.
/// A transient failure is retried (same key) for up to `patience`; any other is a
/// failure of the scenario.
pub async fn run(
    channel: Channel,
    keys: Arc<TokenKeys>,
    commands: u64,
    concurrency: usize,
    tag: u32,
    progress: Arc<Progress>,
    patience: Duration,
) -> LoadReport {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let communities = communities();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let client = staff(&channel, &keys, &communities[w % communities.len()]);
            let (next, progress) = (next.clone(), progress.clone());
            tokio::spawn(async move {
                let mut worker = Worker {
                    client,
                    household: None,
                    resident: None,
                    latencies: Vec::new(),
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= commands {
                        return worker.latencies;
                    }
                    let t = Instant::now();
                    worker.command(tag, i, &progress, patience).await;
                    worker.latencies.push(t.elapsed());
                    progress.acked.fetch_add(1, Ordering::Release);
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("a load worker panicked"));
    }
    latencies.sort();
    LoadReport {
        commands: latencies.len() as u64,
        retries: progress.retries.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        latencies,
    }
}

struct Worker {
    client: Residents,
    household: Option<String>,
    resident: Option<String>,
    latencies: Vec<Duration>,
}

impl Worker {
    /// Command `i`: a household first, then residents into it, every other one followed
    /// by a care category; a new household every 8 residents.
    async fn command(&mut self, tag: u32, i: u64, progress: &Progress, patience: Duration) {
        let options = Some(WriteOptions {
            idempotency_key: format!("load-{tag}-{i}"),
            expected_version: None,
        });
        let deadline = Instant::now() + patience;
        loop {
            let mut client = self.client.clone();
            let result = match (&self.household, &self.resident) {
                (Some(_), Some(resident)) if i % 2 == 1 => client
                    .assign_care_category(api::AssignCareCategoryRequest {
                        options: options.clone(),
                        resident_id: resident.clone(),
                        category: CareCategory::LivingAlone as i32,
                    })
                    .await
                    .map(|_| Step::CareAssigned),
                (Some(household), _) if !i.is_multiple_of(16) => client
                    .register_resident(api::RegisterResidentRequest {
                        options: options.clone(),
                        household_id: household.clone(),
                        name: format!("居民{tag}-{i}"),
                        id_number: id_number(&first17(tag, i)),
                        residence_type: if i.is_multiple_of(3) {
                            ResidenceType::Floating
                        } else {
                            ResidenceType::Permanent
                        } as i32,
                        ..Default::default()
                    })
                    .await
                    .map(|r| Step::Resident(r.into_inner().resident_id)),
                _ => client
                    .register_household(api::RegisterHouseholdRequest {
                        options: options.clone(),
                        address: format!("故障路 {tag}-{i} 号"),
                        grid: format!("G-{:02}", i % 20),
                        building: format!("{}栋", i % 30),
                        ..Default::default()
                    })
                    .await
                    .map(|r| Step::Household(r.into_inner().household_id)),
            };
            match result {
                Ok(Step::Household(id)) => {
                    self.household = Some(id);
                    self.resident = None;
                    return;
                }
                Ok(Step::Resident(id)) => {
                    self.resident = Some(id);
                    return;
                }
                Ok(Step::CareAssigned) => {
                    self.resident = None;
                    return;
                }
                Err(status) if transient(status.code()) && Instant::now() < deadline => {
                    progress.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(status) => panic!("command {i} failed: {status:?}"),
            }
        }
    }
}

enum Step {
    Household(String),
    Resident(String),
    CareAssigned,
}

/// Failures a crashed or restarting process causes; retried with the same key.
pub fn transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
    )
}

/// 17 leading ID-number digits unique per (tag, i): adults born from 1950 on.
fn first17(tag: u32, i: u64) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("date")
        + chrono::Duration::days((i / 1000) as i64 + 400 * i64::from(tag % 40));
    format!("110105{}{:03}", born.format("%Y%m%d"), i % 1000)
}

/// The `q` quantile of sorted durations, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}
