//! One active instance at a time: a lease is a PostgreSQL session advisory lock held on
//! a dedicated connection. A standby waits for it and takes over when the holder's
//! connection ends (clean stop, crash or network loss). The holder watches its
//! connection beside its work, busy or idle, and stops the work when the lease is lost,
//! before a standby can start the same work. The relay holds one per service, the
//! projection consumer one per read-model schema.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// How often a standby tries the lock.
const TRY_EVERY: Duration = Duration::from_millis(500);
/// How often the holder makes sure its lock connection is still alive.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How long that check may take before the lease counts as lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// A held lease; released when [`Lease::hold`] returns (or the connection ends).
pub struct Lease {
    name: String,
    key: i64,
    conn: PgConnection,
}

impl Lease {
    /// Waits until the lease `name` is this instance's; `None` when `shutdown` comes
    /// first.
    pub async fn acquire(
        pool: &PgPool,
        name: &str,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Lease>> {
        // A connection of its own, outside the pool: the session lock lives exactly as
        // long as this connection.
        let mut conn = pool
            .acquire()
            .await
            .with_context(|| format!("failed to get a connection for the {name} lease"))?
            .detach();
        let key = lock_key(name);
        loop {
            let acquired: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut conn)
                .await
                .with_context(|| format!("failed to try the {name} lease"))?;
            if acquired {
                tracing::info!(lease = name, "lease taken");
                return Ok(Some(Lease {
                    name: name.to_owned(),
                    key,
                    conn,
                }));
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(None),
                () = tokio::time::sleep(TRY_EVERY) => {}
            }
        }
    }

    /// Runs `work` while the lease holds: its result, or an error once the lease is
    /// lost (the work is then dropped). Releases the lease either way.
    pub async fn hold<T>(
        mut self,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let result = tokio::select! {
            result = work => result,
            lost = watch(&mut self.conn, &self.name) => Err(lost),
        };
        // Unlock explicitly on a clean stop; on a dead connection PostgreSQL releases it.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.conn)
            .await;
        result
    }
}

/// Checks the lock connection every [`CHECK_EVERY`]; returns why once it is gone.
async fn watch(conn: &mut PgConnection, name: &str) -> anyhow::Error {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let check = sqlx::query("SELECT 1").execute(&mut *conn);
        match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return anyhow::Error::new(e).context(format!("{name} lease connection lost"))
            }
            Err(_) => {
                return anyhow::anyhow!(
                    "{name} lease connection did not answer within {CHECK_TIMEOUT:?}"
                )
            }
        }
    }
}

/// A stable advisory lock key per lease name (FNV-1a).
pub(crate) fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_standby_takes_over() {
        let db = civitas_testkit::fresh_postgres_db()
            .await
            .expect("database");
        let pool = PgPool::connect(&db.url).await.expect("pool");
        let stop = CancellationToken::new();
        let first = Lease::acquire(&pool, "test-lease", &stop)
            .await
            .expect("try")
            .expect("free lease");
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn(first.hold(async move {
            let _ = released.await;
            anyhow::Ok(())
        }));
        // The standby waits while the first holds.
        let standby_stop = CancellationToken::new();
        let standby = {
            let pool = pool.clone();
            let standby_stop = standby_stop.clone();
            tokio::spawn(async move { Lease::acquire(&pool, "test-lease", &standby_stop).await })
        };
        tokio::time::sleep(TRY_EVERY * 3).await;
        assert!(
            !standby.is_finished(),
            "a standby must wait while the lease is held"
        );
        release.send(()).expect("release");
        holder.await.expect("join").expect("work done");
        let second = tokio::time::timeout(Duration::from_secs(5), standby)
            .await
            .expect("the standby takes over")
            .expect("join")
            .expect("try");
        assert!(second.is_some());
        // Another name is another lease.
        assert!(Lease::acquire(&pool, "other-lease", &stop)
            .await
            .expect("try")
            .is_some());
    }
}
