//! Open-loop load for the overload scenario: commands offered at a fixed rate whatever
//! the answers, each one's outcome (status code) and latency recorded, the server's
//! peak resident set size read at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_platform::auth::TokenKeys;
use civitas_proto::residents::v1::RegisterHouseholdRequest;
use tonic::Code;

use crate::load::{self, quantile_ms};
use crate::procs::{self, Process};

/// What an open-loop phase saw.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Latencies by status code, each sorted.
    pub by_code: BTreeMap<String, Vec<Duration>>,
    pub offered: u64,
    pub elapsed: Duration,
    /// The server's peak resident set size so far (`VmHWM`), KiB.
    pub max_rss_kib: u64,
}

impl Outcomes {
    pub fn count(&self, code: Code) -> usize {
        self.by_code.get(&format!("{code:?}")).map_or(0, Vec::len)
    }

    pub fn p99_ms(&self, code: Code) -> f64 {
        self.by_code
            .get(&format!("{code:?}"))
            .map_or(0.0, |l| quantile_ms(l, 0.99))
    }

    /// Answers that are neither served nor refused as overload.
    pub fn others(&self) -> BTreeMap<&String, usize> {
        self.by_code
            .iter()
            .filter(|(code, _)| {
                !["Ok", "ResourceExhausted", "Unavailable"].contains(&code.as_str())
            })
            .map(|(code, l)| (code, l.len()))
            .collect()
    }
}

/// Staff clients of the demo communities on `connections` connections to `server`.
fn clients(server: &Process, keys: &Arc<TokenKeys>, connections: usize) -> Vec<load::Residents> {
    let communities = load::communities();
    (0..connections)
        .map(|c| {
            let channel = procs::lazy_channel(&server.url);
            load::staff(&channel, keys, &communities[c % communities.len()])
        })
        .collect()
}

/// The i-th household of a phase.
fn household(tag: &str, i: u64) -> RegisterHouseholdRequest {
    RegisterHouseholdRequest {
        address: format!("过载路 {tag}-{i} 号"),
        grid: format!("G-{:02}", i % 20),
        building: format!("{}栋", i % 30),
        ..Default::default()
    }
}

/// Throughput and p99 (ms) of RegisterHousehold with `in_flight` commands outstanding
/// at all times over `connections` connections, for `duration`; every command must
/// succeed.
pub async fn closed_loop(
    server: &Process,
    keys: &Arc<TokenKeys>,
    in_flight: usize,
    duration: Duration,
    connections: usize,
    tag: &str,
) -> (f64, f64) {
    let clients = clients(server, keys, connections);
    let started = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|w| {
            let mut client = clients[w % clients.len()].clone();
            let tag = format!("{tag}-{w}");
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in 0.. {
                    if started.elapsed() >= duration {
                        break;
                    }
                    let t = Instant::now();
                    client
                        .register_household(household(&tag, i))
                        .await
                        .expect("a command below capacity");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("a worker"));
    }
    latencies.sort();
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    (rate, quantile_ms(&latencies, 0.99))
}

/// Offers `rate` RegisterHousehold commands per second for `duration` to `server`
/// over `connections` connections, whatever the answers; waits for every answer.
pub async fn offer(
    server: &Process,
    keys: &Arc<TokenKeys>,
    rate: f64,
    duration: Duration,
    connections: usize,
    tag: &str,
) -> Outcomes {
    let clients = clients(server, keys, connections);
    let pid = server.pid();
    let started = Instant::now();
    let total = (rate * duration.as_secs_f64()) as u64;
    let mut requests = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let mut client = clients[i as usize % clients.len()].clone();
        let request = household(tag, i);
        requests.push(tokio::spawn(async move {
            let t = Instant::now();
            let code = match client.register_household(request).await {
                Ok(_) => Code::Ok,
                Err(status) => status.code(),
            };
            (code, t.elapsed())
        }));
    }
    let mut outcomes = Outcomes {
        offered: total,
        ..Default::default()
    };
    for request in requests {
        let (code, latency) = request.await.expect("a request task");
        outcomes
            .by_code
            .entry(format!("{code:?}"))
            .or_default()
            .push(latency);
    }
    outcomes.elapsed = started.elapsed();
    outcomes.max_rss_kib = procs::proc_status_kib(pid, "VmHWM:");
    for latencies in outcomes.by_code.values_mut() {
        latencies.sort();
    }
    outcomes
}
