//! Test support shared by every crate: a fresh PostgreSQL database per test, a real
//! gRPC server with authenticated clients ([`TestServer`]), a private nats-server and the
//! `eventually!` macro for effects that arrive asynchronously.
//!
//! Tests that need PostgreSQL fail, loudly and with instructions, when it is absent:
//! a skipped test would hide exactly the failures these tests exist to find.

pub mod browser;
pub mod grpc;
pub mod hostile;
mod nats;

use std::time::Duration;

pub use grpc::{connect, connect_with, test_token, AuthChannel, TestServer};
pub use nats::{free_port, NatsServer};

use sqlx::{Connection, Executor, PgConnection};

/// The admin URL used to create test databases: `DATABASE_URL` if set, else the local
/// server every development machine and CI runs.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database created for one test and dropped (best effort) when the value drops.
#[derive(Debug)]
pub struct FreshDb {
    /// Connection URL of the new database.
    pub url: String,
    /// Its name.
    pub name: String,
    admin: String,
}

/// Creates an empty database with a random name.
///
/// Fails with a message naming the server and how to start it when PostgreSQL is
/// unreachable.
pub async fn fresh_postgres_db() -> anyhow::Result<FreshDb> {
    let admin = admin_url();
    let mut conn = PgConnection::connect(&admin).await.map_err(|e| {
        anyhow::anyhow!(
            "this test needs PostgreSQL at {admin} (set DATABASE_URL to use another server): {e}; \
             start the local one with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        )
    })?;
    let name = format!("civitas_test_{}", uuid::Uuid::new_v4().simple());
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("DATABASE_URL {admin} has no database path"),
    };
    Ok(FreshDb { url, name, admin })
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        // Dropping needs its own runtime: Drop cannot await, and the test's runtime may be
        // shutting down. A leftover database on failure is harmless and helps debugging.
        let admin = self.admin.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// How long `eventually!` waits by default.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Retries an async check until it returns `Ok`, or panics with the last error after the
/// patience runs out (default [`PATIENCE`]). Never a bare sleep.
///
/// ```text
/// let kpis = eventually!(async {
///     let v = client.get_kpis(..).await?.into_inner();
///     anyhow::ensure!(v.applied_events >= 3, "applied {}", v.applied_events);
///     Ok(v)
/// });
/// ```
#[macro_export]
macro_rules! eventually {
    ($check:expr) => {
        $crate::eventually!($check, $crate::PATIENCE)
    };
    ($check:expr, $patience:expr) => {{
        let deadline = ::std::time::Instant::now() + $patience;
        loop {
            let result: ::anyhow::Result<_> = $check.await;
            match result {
                Ok(value) => break value,
                Err(e) if ::std::time::Instant::now() >= deadline => {
                    panic!("eventually!: still failing after {:?}: {e:#}", $patience)
                }
                Err(_) => ::tokio::time::sleep(::std::time::Duration::from_millis(25)).await,
            }
        }
    }};
}

/// A temporary directory for a test's data (removed on drop).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("civitas-test-")
        .tempdir()
        .expect("create temp dir")
}

/// A valid 18-character mainland resident ID number for its 17 leading digits (the
/// GB 11643 check character appended).
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).expect("digit") * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}
