//! Fault scenarios with real processes: the built `civitas` binary (`serve residents`,
//! `serve projection`, `rebuild`), a private nats-server and a fresh PostgreSQL
//! database per scenario. Processes are killed with SIGKILL mid-load and started again;
//! each scenario checks what must survive and prints its figures as one
//! `RELIABILITY | scenario | size | checked | result` line (run with `--nocapture`).
//!
//! The NATS scenarios run against a single nats-server and against the shipped 3-node
//! cluster (`deploy/nats/`, see `faults/cluster.rs`).
//!
//! The short form (default, for CI) keeps each scenario within about a minute on two
//! cores; `CIVITAS_FAULTS=long` runs the sizes RELIABILITY.md reports. The binary is
//! the one cargo built beside the test, or `CIVITAS_BIN`.

#[path = "faults/check.rs"]
mod check;
#[path = "faults/cluster.rs"]
mod cluster;
#[path = "faults/cluster_killed.rs"]
mod cluster_killed;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/overload.rs"]
mod overload;
#[path = "faults/procs.rs"]
mod procs;

use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_e2e::Cluster;
use cluster_killed::Victim;
use load::Progress;
use procs::Process;

/// One scenario at a time: each drives the machine's cores on its own, so its figures
/// are its own and no scenario runs out of patience because another one is loading.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sizes of one form of the suite.
struct Size {
    long: bool,
    commands: u64,
    kills: u64,
}

impl Size {
    fn from_env() -> Size {
        match std::env::var("CIVITAS_FAULTS").as_deref() {
            Ok("long") => Size {
                long: true,
                commands: 50_000,
                kills: 10,
            },
            Ok("short") | Err(_) => Size {
                long: false,
                commands: 2_000,
                kills: 3,
            },
            Ok(other) => panic!("CIVITAS_FAULTS={other}: expected `short` or `long`"),
        }
    }

    /// How long a scenario may wait for the projection to catch up.
    fn patience(&self) -> Duration {
        Duration::from_secs(if self.long { 600 } else { 60 })
    }
}

/// Prints a scenario's figures as a RELIABILITY.md table row.
fn report(scenario: &str, size: &str, checked: &str, result: &str) {
    println!("RELIABILITY | {scenario} | {size} | {checked} | {result}");
}

/// `--event-log <service>=<url>` for the projection.
fn event_log(service: &str, process: &Process) -> Vec<String> {
    vec![
        "--event-log".to_owned(),
        format!("{service}={}", process.url),
    ]
}

/// Borrowed `(name, value)` pairs, as [`Process::serve`] takes its environment.
fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Starts load in the background: `commands` residents commands at concurrency 16.
fn start_load(
    cluster: &Cluster,
    residents: &Process,
    commands: u64,
    tag: u32,
) -> (Arc<Progress>, tokio::task::JoinHandle<load::LoadReport>) {
    let progress = Arc::new(Progress::default());
    let task = tokio::spawn(load::run(
        residents.channel(),
        cluster.keys.clone(),
        commands,
        16,
        tag,
        progress.clone(),
        Duration::from_secs(60),
    ));
    (progress, task)
}

/// Waits for the projection in `projection` to apply every stored residents event,
/// rebuilds the read models from the event log with `civitas rebuild`, and asserts
/// the live tables equal the rebuilt ones. Returns the rows compared and the
/// catch-up time.
async fn assert_equals_rebuild(
    cluster: &Cluster,
    residents: &Process,
    size: &Size,
) -> (usize, Duration, String) {
    let pool = check::pool(cluster).await;
    let waiting = Instant::now();
    check::caught_up(&pool, "projection", &["residents"], size.patience()).await;
    let catch_up = waiting.elapsed();
    let rebuilt = procs::rebuild(cluster, &[("residents", residents)]).await;
    let live = check::dump(&pool, "projection").await;
    let clean = check::dump(&pool, "projection_rebuild").await;
    check::assert_same(&live, &clean);
    (check::rows(&live), catch_up, rebuilt)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_killed_mid_load_equals_a_clean_rebuild() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    let cluster = Cluster::start().await;
    let residents = Process::serve(&cluster, "residents", &[], &[]).await;
    let mut projection = Process::serve(
        &cluster,
        "projection",
        &event_log("residents", &residents),
        &[],
    )
    .await;

    let (progress, load) = start_load(&cluster, &residents, size.commands, 1);
    for k in 1..=size.kills {
        progress.reached(size.commands * k / (size.kills + 1)).await;
        projection.restart().await; // kill -9, then start on the same schema
    }
    let load = load.await.expect("load");
    let (rows, catch_up, rebuilt) = assert_equals_rebuild(&cluster, &residents, &size).await;
    report(
        "projection killed",
        &format!("{} commands, {} × kill -9", load.commands, size.kills),
        "read models (every table) = `civitas rebuild` from the event log",
        &format!(
            "equal, {rows} rows; {:.0} commands/s (p99 {:.0} ms), caught up {:.1} s after the load; {rebuilt}",
            load.rate(),
            load::quantile_ms(&load.latencies, 0.99),
            catch_up.as_secs_f64()
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_service_killed_mid_load_publishes_every_event_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    let cluster = Cluster::start().await;
    let mut residents = Process::serve(&cluster, "residents", &[], &[]).await;

    let (progress, load) = start_load(&cluster, &residents, size.commands, 2);
    for k in 1..=size.kills {
        progress.reached(size.commands * k / (size.kills + 1)).await;
        residents.restart().await; // the service and its relay, kill -9
    }
    let load = load.await.expect("load");
    let pool = check::pool(&cluster).await;
    let stored = check::store_count(&pool, "residents").await;
    let waiting = Instant::now();
    civitas_testkit::eventually!(
        async {
            let stream = check::StreamContents::read(&cluster).await;
            anyhow::ensure!(
                stream.messages >= stored,
                "{} of {stored} events on the stream",
                stream.messages
            );
            Ok(())
        },
        size.patience()
    );
    let published = waiting.elapsed();
    let stream = check::StreamContents::read(&cluster).await;
    stream.assert_exactly(&check::store_ids(&pool, "residents").await);
    report(
        "write service killed",
        &format!(
            "{} commands ({} retried after a crash), {} × kill -9 of residents + relay",
            load.commands, load.retries, size.kills
        ),
        "stream count = store count; every event id once",
        &format!(
            "{stored} stored = {} on the stream, none missing or repeated; relay done {:.1} s after the load",
            stream.messages,
            published.as_secs_f64()
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_killed_mid_load_loses_nothing_from_the_read_models() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    let mut cluster = Cluster::start().await;
    let residents = Process::serve(&cluster, "residents", &[], &[]).await;
    let projection = Process::serve(
        &cluster,
        "projection",
        &event_log("residents", &residents),
        &[],
    )
    .await;

    let (progress, load) = start_load(&cluster, &residents, size.commands, 3);
    progress.reached(size.commands / 2).await;
    cluster.nats.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster
        .nats
        .restart()
        .expect("nats-server restarts on its store");
    let load = load.await.expect("load");
    let (rows, catch_up, _) = assert_equals_rebuild(&cluster, &residents, &size).await;
    let pool = check::pool(&cluster).await;
    let stored = check::store_count(&pool, "residents").await;
    let on_stream = check::StreamContents::read(&cluster).await.messages;
    report(
        "NATS killed (single server)",
        &format!(
            "{} commands, kill -9 of nats-server at half, restarted on its store after 1 s",
            load.commands
        ),
        "read models = `civitas rebuild`; stream vs store",
        &format!(
            "equal, {rows} rows, caught up {:.1} s after the load; stream {on_stream} of {stored} stored events",
            catch_up.as_secs_f64()
        ),
    );
    drop(projection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_cluster_replica_killed_mid_load_loses_nothing_from_the_read_models() {
    cluster_killed::node_killed(Victim::Replica, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_cluster_stream_leader_killed_mid_load_loses_nothing_from_the_read_models() {
    cluster_killed::node_killed(Victim::StreamLeader, 6).await;
}

/// A tiny deterministic generator (xorshift64*), so a failing order can be replayed.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_and_reordered_events_give_the_same_read_models() {
    use async_nats::jetstream::stream::Config;
    use futures::StreamExt;

    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    let cluster = Cluster::start().await;
    let residents = Process::serve(&cluster, "residents", &[], &[]).await;
    let (_, load) = start_load(&cluster, &residents, size.commands, 4);
    let load = load.await.expect("load");
    let pool = check::pool(&cluster).await;
    let stored = check::store_count(&pool, "residents").await;
    civitas_testkit::eventually!(
        async {
            let n = check::StreamContents::read(&cluster).await.messages;
            anyhow::ensure!(n == stored, "{n} of {stored} events on the stream");
            Ok(())
        },
        size.patience()
    );

    // Copy the relay's stream into a second one as a misbehaving network would deliver
    // it: 10 % of the messages again a little later (new message ids, so JetStream
    // keeps them), and 5 % swapped with their successor.
    let nats = async_nats::connect(&cluster.nats.url)
        .await
        .expect("connect to NATS");
    let js = async_nats::jetstream::new(nats);
    let prefix = format!("re{}", cluster.stream.subject_prefix);
    let name = format!("RE{}", cluster.stream.name);
    js.create_stream(Config {
        name: name.clone(),
        subjects: vec![format!("{prefix}.>")],
        ..Default::default()
    })
    .await
    .expect("the reordered stream");
    let consumer = js
        .get_stream(&cluster.stream.name)
        .await
        .expect("stream")
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            ack_policy: async_nats::jetstream::consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut deliveries = consumer.messages().await.expect("deliveries");
    let mut original = Vec::new();
    while (original.len() as u64) < stored {
        let m = deliveries
            .next()
            .await
            .expect("a message")
            .expect("readable");
        let subject =
            m.subject
                .as_str()
                .replacen(cluster.stream.subject_prefix.as_str(), &prefix, 1);
        original.push((subject, m.payload.clone()));
    }
    let mut rng = Shuffle(0x5EED_0000_0000_0001 ^ stored);
    let mut order: Vec<usize> = (0..original.len()).collect();
    let mut swapped = 0;
    let mut i = 0;
    while i + 1 < order.len() {
        if rng.chance(5) {
            order.swap(i, i + 1);
            swapped += 1;
            i += 1;
        }
        i += 1;
    }
    let mut delivered: Vec<usize> = Vec::with_capacity(order.len() * 11 / 10);
    let mut later: Vec<(usize, usize)> = Vec::new(); // (deliver at, message)
    for (at, &m) in order.iter().enumerate() {
        delivered.push(m);
        if rng.chance(10) {
            later.push((at + 1 + (rng.next() % 200) as usize, m));
        }
        while let Some(pos) = later.iter().position(|(due, _)| *due <= at) {
            delivered.push(later.swap_remove(pos).1);
        }
    }
    delivered.extend(later.iter().map(|(_, m)| *m));
    let redelivered = delivered.len() - original.len();
    for m in &delivered {
        let (subject, payload) = &original[*m];
        js.publish(subject.clone(), payload.clone())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }

    let projection = Process::serve(
        &cluster,
        "projection",
        &event_log("residents", &residents),
        &[
            ("CIVITAS_NATS__STREAM__NAME", &name),
            ("CIVITAS_NATS__STREAM__SUBJECT_PREFIX", &prefix),
        ],
    )
    .await;
    let (rows, catch_up, _) = assert_equals_rebuild(&cluster, &residents, &size).await;
    report(
        "redelivery and reorder",
        &format!(
            "{} commands, {stored} events delivered as {} messages: {redelivered} redelivered, {swapped} pairs swapped",
            load.commands,
            delivered.len()
        ),
        "read models = `civitas rebuild`",
        &format!(
            "equal, {rows} rows; applied in {:.1} s",
            catch_up.as_secs_f64()
        ),
    );
    drop(projection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_fifty_racing_commands_wins_and_a_keyed_retry_answers_the_same() {
    use civitas_proto::common::v1::WriteOptions;
    use civitas_proto::events::v1::ResidenceType;
    use civitas_proto::residents::v1 as api;
    use tonic::Code;

    let _alone = ONE_AT_A_TIME.lock().await;
    let cluster = Cluster::start().await;
    let mut residents = Process::serve(&cluster, "residents", &[], &[]).await;
    let client = load::staff(&residents.channel(), &cluster.keys, "xingfu");
    let household = client
        .clone()
        .register_household(api::RegisterHouseholdRequest {
            address: "竞争路 1 号".into(),
            grid: "G-01".into(),
            building: "1栋".into(),
            ..Default::default()
        })
        .await
        .expect("household")
        .into_inner();
    let resident = client
        .clone()
        .register_resident(api::RegisterResidentRequest {
            household_id: household.household_id.clone(),
            name: "赵六".into(),
            id_number: civitas_e2e::id_number("11010519800101123"),
            residence_type: ResidenceType::Permanent as i32,
            ..Default::default()
        })
        .await
        .expect("resident")
        .into_inner();
    let seen = resident.result.expect("result").version;

    // 50 changes, each expecting the version the client saw: exactly one may win.
    let racers: Vec<_> = (0..50)
        .map(|_| {
            let mut client = client.clone();
            let resident_id = resident.resident_id.clone();
            tokio::spawn(async move {
                client
                    .change_residence_type(api::ChangeResidenceTypeRequest {
                        options: Some(WriteOptions {
                            idempotency_key: String::new(),
                            expected_version: Some(seen),
                        }),
                        resident_id,
                        residence_type: ResidenceType::Floating as i32,
                    })
                    .await
                    .map(|_| ())
                    .map_err(|s| s.code())
            })
        })
        .collect();
    let mut won = 0;
    let mut others = Vec::new();
    for racer in racers {
        match racer.await.expect("racer") {
            Ok(()) => won += 1,
            Err(Code::Aborted) => {}
            Err(code) => others.push(code),
        }
    }
    assert_eq!(won, 1, "exactly one of 50 racing commands wins");
    assert!(others.is_empty(), "the losers are ABORTED, not {others:?}");
    let pool = check::pool(&cluster).await;
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM residents.events WHERE stream_id = $1 AND stream_version > $2",
    )
    .bind(format!("resident-{}", resident.resident_id))
    .bind(seen as i64)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(changes, 1, "one event for the one winner");

    // One keyed command sent 20 times at once, then again after a kill -9 and restart:
    // one event, one answer.
    let keyed = api::RegisterHouseholdRequest {
        options: Some(WriteOptions {
            idempotency_key: "retry-me".into(),
            expected_version: None,
        }),
        address: "重试路 2 号".into(),
        grid: "G-02".into(),
        building: "2栋".into(),
        ..Default::default()
    };
    let retries: Vec<_> = (0..20)
        .map(|_| {
            let (mut client, request) = (client.clone(), keyed.clone());
            tokio::spawn(async move { client.register_household(request).await })
        })
        .collect();
    let mut answers = std::collections::BTreeSet::new();
    for retry in retries {
        let r = retry
            .await
            .expect("retry")
            .expect("keyed command")
            .into_inner();
        let result = r.result.expect("result");
        answers.insert((r.household_id, result.stream_id, result.version));
    }
    assert_eq!(
        answers.len(),
        1,
        "20 concurrent retries, one answer: {answers:?}"
    );
    residents.restart().await; // kill -9
    let client = load::staff(&residents.channel(), &cluster.keys, "xingfu");
    let after = client
        .clone()
        .register_household(keyed.clone())
        .await
        .expect("keyed command after the restart")
        .into_inner();
    let result = after.result.expect("result");
    assert!(result.replayed, "the retry after a restart is a replay");
    let first = answers.into_iter().next().expect("an answer");
    assert_eq!(
        (after.household_id.clone(), result.stream_id, result.version),
        first,
        "the same answer after a restart"
    );
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM residents.events WHERE stream_id = $1")
            .bind(format!("household-{}", after.household_id))
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(events, 1, "one event for 21 keyed attempts and a restart");
    report(
        "concurrency",
        "50 racing commands with one expected version; 20 concurrent keyed retries + 1 after kill -9",
        "one winner, 49 ABORTED, one event; one answer and one event across the restart",
        "1 won, 49 ABORTED, 1 event; 1 answer, replayed after the restart, 1 event",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_quickly_and_the_service_recovers() {
    use tonic::Code;

    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    let cluster = Cluster::start().await;
    let residents = Process::serve(&cluster, "residents", &[], &[]).await;
    let rss_before = residents.rss_kib();

    // Capacity: closed loop with as many requests in flight as the server admits
    // (4 connections × 64), where group commit batches the most.
    let window = Duration::from_secs(if size.long { 10 } else { 5 });
    let (capacity, capacity_p99) =
        overload::closed_loop(&residents, &cluster.keys, 256, window, 4, "capacity").await;

    // Twice that, open loop, over 8 connections.
    let duration = Duration::from_secs(if size.long { 30 } else { 10 });
    let over = overload::offer(
        &residents,
        &cluster.keys,
        2.0 * capacity,
        duration,
        8,
        "over",
    )
    .await;
    let (ok, refused) = (
        over.count(Code::Ok),
        over.count(Code::ResourceExhausted) + over.count(Code::Unavailable),
    );
    let refused_p99 = over
        .p99_ms(Code::ResourceExhausted)
        .max(over.p99_ms(Code::Unavailable));
    println!(
        "overload: capacity {capacity:.0}/s (p99 {:.1} ms); offered {} at {:.0}/s in {:.1} s: {ok} served (p99 {:.1} ms), \
         {refused} refused (p99 {refused_p99:.1} ms), others {:?}; RSS {} KiB before, peak {} KiB",
        capacity_p99,
        over.offered,
        2.0 * capacity,
        over.elapsed.as_secs_f64(),
        over.p99_ms(Code::Ok),
        over.others(),
        rss_before,
        over.max_rss_kib,
    );

    // Recovery: the same closed loop as before the overload.
    let after = overload::closed_loop(&residents, &cluster.keys, 256, window, 4, "after").await;
    println!("overload: after it {:.0}/s, p99 {:.1} ms", after.0, after.1);

    assert!(
        over.others().is_empty(),
        "every answer is served or refused as overload: {:?}",
        over.others()
    );
    assert!(
        refused > 0,
        "twice the capacity is partly refused, not all queued"
    );
    assert!(
        refused_p99 < 1_000.0,
        "refusals are quick: p99 {refused_p99:.1} ms"
    );
    let timeout_ms = 10_000.0;
    assert!(
        over.p99_ms(Code::Ok) < timeout_ms / 2.0,
        "served requests keep a bounded p99: {:.1} ms",
        over.p99_ms(Code::Ok)
    );
    assert!(
        over.max_rss_kib < 1024 * 1024,
        "RSS stays under 1 GiB: {} KiB",
        over.max_rss_kib
    );
    // Recovered: every command of the closed loop after it succeeded (closed_loop
    // insists), within a bounded p99.
    assert!(
        after.1 < timeout_ms / 2.0,
        "the service recovers: p99 {:.1} ms after the overload ({:.0}/s)",
        after.1,
        after.0
    );
    report(
        "overload",
        &format!(
            "capacity {capacity:.0} commands/s measured; {:.0}/s offered for {} s ({} commands, 8 connections)",
            2.0 * capacity,
            duration.as_secs(),
            over.offered
        ),
        "excess refused quickly; served p99; peak RSS; throughput after",
        &format!(
            "{ok} served, p99 {:.0} ms; {refused} refused (RESOURCE_EXHAUSTED/UNAVAILABLE), p99 {refused_p99:.1} ms; \
             peak RSS {} MiB ({} MiB before); after: {:.0}/s, p99 {:.0} ms",
            over.p99_ms(Code::Ok),
            over.max_rss_kib / 1024,
            rss_before / 1024,
            after.0, after.1
        ),
    );
}
