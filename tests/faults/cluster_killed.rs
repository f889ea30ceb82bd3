//! The 3-node cluster form of "NATS killed" (the tests are in `faults.rs`): the
//! scenario's body, apart from the cluster itself (`cluster.rs`).

use super::*;
use crate::cluster::NatsCluster;

/// Which node the 3-node cluster scenario kills.
#[derive(Clone, Copy)]
pub enum Victim {
    /// A node that leads no stream when the services start and is not in their seed
    /// list: the stream loses a replica, no client loses its connection.
    Replica,
    /// The node leading the stream at half the load, with the services given all three
    /// nodes as compose gives them: the stream elects a new leader while the relay
    /// publishes, and a client connected to that node reconnects elsewhere.
    StreamLeader,
}

/// The 3-node cluster form of "NATS killed": the shipped configs (`sync_interval:
/// always` where the server knows it), the stream created with 3 replicas by `civitas
/// stream ensure` as `operations`, `serve residents` and `serve projection` as their own
/// NATS users. One node is killed with SIGKILL at half the load and restarted on its
/// store a second later. The read models must equal a clean rebuild (what NATS lost is
/// healed from the event log) and the restarted node must catch up; the stream is
/// compared with the store and reported.
pub async fn node_killed(victim: Victim, tag: u32) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let size = Size::from_env();
    // The database and keys; the cluster's own single nats-server stays idle here.
    let cluster = Cluster::start().await;
    let mut nats = NatsCluster::start().await;
    println!("NATS cluster: {}", nats.ensure_stream().await);
    let js = nats.jetstream("projection").await;
    let replicas = js
        .get_stream(&nats.stream.name)
        .await
        .expect("the stream")
        .get_info()
        .await
        .expect("stream info")
        .config
        .num_replicas;
    assert_eq!(
        replicas, 3,
        "the shipped setup (docker-compose.yml's stream settings) makes the stream R3"
    );

    let all: Vec<usize> = (0..3).collect();
    let (seeds, replica) = match victim {
        Victim::Replica => {
            let (leader, _) = nats.leaders(&js).await;
            let node = all
                .iter()
                .copied()
                .find(|&i| nats.name(i) != leader)
                .expect("a node that does not lead the stream");
            (
                all.iter().copied().filter(|&i| i != node).collect(),
                Some(node),
            )
        }
        Victim::StreamLeader => (all.clone(), None),
    };
    let urls = nats.urls_of(&seeds);
    let (residents_env, projection_env) =
        (nats.client_env("residents"), nats.client_env("projection"));
    let residents =
        Process::serve_on(&cluster, &urls, "residents", &[], &pairs(&residents_env)).await;
    let projection = Process::serve_on(
        &cluster,
        &urls,
        "projection",
        &event_log("residents", &residents),
        &pairs(&projection_env),
    )
    .await;

    let (progress, load) = start_load(&cluster, &residents, size.commands, tag);
    progress.reached(size.commands / 2).await;
    let (stream_leader, consumer_leader) = nats.leaders(&js).await;
    let node = replica.unwrap_or_else(|| nats.node(&stream_leader));
    let killed = nats.name(node).to_owned();
    let led: Vec<&str> = [
        (stream_leader == killed).then_some("the stream"),
        (consumer_leader.as_deref() == Some(killed.as_str()))
            .then_some("the projection's consumer"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let role = if led.is_empty() {
        "a follower of the stream and of the projection's consumer".to_owned()
    } else {
        format!("leading {}", led.join(" and "))
    };
    nats.kill(node);
    tokio::time::sleep(Duration::from_secs(1)).await;
    nats.restart(node).await;
    let current = nats.watch_current(&js, size.patience());
    let load = load.await.expect("load");

    // From the end of the load: the projection catching up, then the rebuild; the relay
    // publishing its last events.
    let pool = check::pool(&cluster).await;
    let relay_done = async {
        let waiting = Instant::now();
        civitas_testkit::eventually!(
            async {
                let left = check::unpublished(&pool, "residents").await;
                anyhow::ensure!(left == 0, "the relay has {left} events left to publish");
                Ok(())
            },
            size.patience()
        );
        waiting.elapsed()
    };
    let ((rows, catch_up, _), published) = tokio::join!(
        assert_equals_rebuild(&cluster, &residents, &size),
        relay_done
    );
    let current = current.await.expect("the restarted node catches up");
    let stored = check::store_ids(&pool, "residents").await;
    let stream = check::StreamContents::read_from(&js, &nats.stream.name).await;
    let compared = stream.compare(&stored);
    let (leader_after, _) = nats.leaders(&js).await;
    report(
        &format!(
            "NATS killed (3-node cluster, {})",
            match victim {
                Victim::Replica => "a replica",
                Victim::StreamLeader => "the stream leader",
            }
        ),
        &format!(
            "{} commands; nats-server {} ({}), stream R{replicas}; kill -9 of {killed} ({role}) \
             at half, restarted on its store after 1 s; services given {}",
            load.commands,
            nats.version,
            if nats.sync_always {
                "sync_interval: always"
            } else {
                "default fsync interval: 2.9 lacks sync_interval"
            },
            match victim {
                Victim::Replica => "the other two nodes",
                Victim::StreamLeader => "all three nodes (compose's seed list)",
            }
        ),
        "read models = `civitas rebuild`; the restarted node catches up; stream vs store",
        &format!(
            "equal, {rows} rows, caught up {:.1} s after the load ({:.0} commands/s); \
             {killed} current again {:.1} s (stream) and {:.1} s (consumer) after its restart, \
             stream leader {leader_after} afterwards; relay done {:.1} s after the load; \
             stream {} of {} stored events ({} missing, {} repeated, {} not in the store); \
             {} commands retried",
            catch_up.as_secs_f64(),
            load.rate(),
            current.stream.as_secs_f64(),
            current.consumer.as_secs_f64(),
            published.as_secs_f64(),
            stream.messages,
            stored.len(),
            compared.missing.len(),
            compared.repeated.len(),
            compared.foreign.len(),
            load.retries
        ),
    );
    drop(projection);
}
