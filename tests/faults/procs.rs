//! The built `civitas` binary as child processes: `civitas serve <service>` on a port
//! of its own against a [`Cluster`]'s database, nats-server and keys (or other NATS
//! servers), killed with SIGKILL and started again on the same port; `civitas rebuild`
//! for a clean copy of the read models. Every child is killed when its handle drops,
//! even on panic.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use civitas_e2e::Cluster;
use tonic::transport::Channel;

/// The `civitas` binary: `CIVITAS_BIN` if set (e.g. a release build), else the one
/// cargo built beside this test (`target/<profile>/civitas`).
pub fn civitas_bin() -> PathBuf {
    if let Ok(path) = std::env::var("CIVITAS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/faults-<hash> → target/<profile>/civitas
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("civitas"))
        .expect("the test runs from target/<profile>/deps");
    assert!(
        bin.exists(),
        "the fault tests drive the built civitas binary, and {} is missing: run \
         `cargo build -p civitas --bin civitas` first (cargo test --workspace builds it), \
         or set CIVITAS_BIN",
        bin.display()
    );
    bin
}

/// One `civitas serve` child process.
pub struct Process {
    pub name: String,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
    log: tempfile::NamedTempFile,
}

impl Process {
    /// Starts `civitas serve <service>` on a free port with the cluster's database,
    /// NATS server, stream and keys, plus `args` and `env`; waits until it serves
    /// gRPC health.
    pub async fn serve(
        cluster: &Cluster,
        service: &str,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Process {
        Self::serve_on(cluster, &cluster.nats.url, service, args, env).await
    }

    /// [`Process::serve`] against other NATS servers than the cluster's own: `nats_url`
    /// is one URL or a comma-separated seed list, as `--nats-url` takes it; `env` gives
    /// what those servers need (user, password, stream settings), overriding the
    /// cluster's stream.
    pub async fn serve_on(
        cluster: &Cluster,
        nats_url: &str,
        service: &str,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Process {
        let port = civitas_testkit::free_port().expect("free port");
        let mut all_args: Vec<String> = [
            "serve",
            service,
            "--database-url",
            &cluster.db.url,
            "--nats-url",
            nats_url,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--keys-dir",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        all_args.push(cluster.keys_dir.path().display().to_string());
        all_args.extend(args.iter().cloned());
        let mut all_env = vec![
            (
                "CIVITAS_NATS__STREAM__NAME".to_owned(),
                cluster.stream.name.clone(),
            ),
            (
                "CIVITAS_NATS__STREAM__SUBJECT_PREFIX".to_owned(),
                cluster.stream.subject_prefix.clone(),
            ),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ];
        all_env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut process = Process {
            name: service.to_owned(),
            url: format!("http://127.0.0.1:{port}"),
            args: all_args,
            env: all_env,
            child: None,
            log: tempfile::NamedTempFile::new().expect("log file"),
        };
        process.start().await;
        process
    }

    /// Starts the child (again) and waits until it serves.
    async fn start(&mut self) {
        let log = self.log.reopen().expect("log file");
        let mut command = Command::new(civitas_bin());
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        self.child = Some(
            command
                .spawn()
                .unwrap_or_else(|e| panic!("failed to start {}: {e}", civitas_bin().display())),
        );
        self.wait_serving().await;
    }

    /// Waits (at most 60 s) until the process answers gRPC health with SERVING.
    async fn wait_serving(&mut self) {
        use tonic_health::pb::health_client::HealthClient;
        use tonic_health::pb::HealthCheckRequest;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "civitas serve {} exited at start with {status}:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            let healthy = async {
                let channel = Channel::from_shared(self.url.clone())?.connect().await?;
                let r = HealthClient::new(channel)
                    .check(HealthCheckRequest::default())
                    .await?;
                anyhow::Ok(r.into_inner().status == 1)
            };
            if let Ok(Ok(true)) = tokio::time::timeout(Duration::from_secs(2), healthy).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "civitas serve {} did not serve within 60 s:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: SIGKILL, then reap it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the process and starts it again on the same port; waits until it serves.
    pub async fn restart(&mut self) {
        self.kill();
        self.start().await;
    }

    /// The process id of the running child.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Resident set size now, in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    /// A channel that connects lazily, so it survives the process's restarts.
    pub fn channel(&self) -> Channel {
        lazy_channel(&self.url)
    }

    /// The last 4 KiB of the process's output, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut file = self.log.reopen().expect("log file");
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        text
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A channel to `url` that connects on first use and reconnects after a restart.
pub fn lazy_channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .expect("url")
        .connect_timeout(Duration::from_secs(2))
        .connect_lazy()
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`).
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Runs `civitas rebuild --no-swap`: the read models from the event logs alone, into
/// the schema `projection_rebuild`. Returns the line it prints (events and rate).
pub async fn rebuild(cluster: &Cluster, event_logs: &[(&str, &Process)]) -> String {
    let mut command = tokio::process::Command::new(civitas_bin());
    command
        .args(["rebuild", "--no-swap", "--database-url", &cluster.db.url])
        .arg("--keys-dir")
        .arg(cluster.keys_dir.path())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    for (service, process) in event_logs {
        command.args(["--event-log", &format!("{service}={}", process.url)]);
    }
    let output = tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("civitas rebuild within 300 s")
        .expect("run civitas rebuild");
    assert!(
        output.status.success(),
        "civitas rebuild failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
