//! Why the relay waits. It reads in gap-safe order: only events whose transaction id is
//! below the oldest transaction still running anywhere in the PostgreSQL cluster. A
//! transaction held open (a stuck client, a long migration, a forgotten `BEGIN` in
//! psql) therefore holds back every later event, committed or not, until it ends.
//! Nothing is skipped, but nothing moves either, so the relay says why:
//!
//! - the gauge `civitas_relay_waiting_seconds{service}`: how long the oldest committed
//!   event has been waiting behind the horizon (0 when none waits);
//! - a WARN line, at most every 10 s, naming the transaction that holds the horizon
//!   (process id, database, age, state, the start of its query).

use std::time::Duration;

use civitas_kernel::Checkpoint;
use sqlx::PgPool;
use tokio::time::Instant;

/// Committed events waiting this long count as held back (one relay round is less).
const HELD_AFTER: Duration = Duration::from_secs(1);
/// How often an idle relay looks (a query on the events table each time).
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often a held-back relay repeats its WARN.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Watches for committed events the relay cannot read yet.
#[derive(Debug, Default)]
pub struct Horizon {
    last_check: Option<Instant>,
    last_logged: Option<Instant>,
}

/// The transaction holding the horizon back, as `pg_stat_activity` shows it.
#[derive(Debug, sqlx::FromRow)]
struct Holder {
    pid: i32,
    database: Option<String>,
    age_seconds: Option<f64>,
    state: Option<String>,
    query: Option<String>,
}

impl Horizon {
    /// Called when a read past `after` returned nothing. At most every second, checks
    /// for committed events past `after` (which the gap-safe read left out) and sets
    /// the gauge and the WARN accordingly.
    pub async fn idle(&mut self, pool: &PgPool, service: &str, after: Checkpoint) {
        if self.last_check.is_some_and(|at| at.elapsed() < CHECK_EVERY) {
            return;
        }
        self.last_check = Some(Instant::now());
        let waiting = match oldest_waiting(pool, after).await {
            Ok(waiting) => waiting,
            Err(e) => {
                tracing::debug!(service, error = %e, "could not check the relay's horizon");
                return;
            }
        };
        gauge(service).set(waiting.unwrap_or(0.0));
        let Some(seconds) = waiting.filter(|s| *s >= HELD_AFTER.as_secs_f64()) else {
            return;
        };
        if self.last_logged.is_some_and(|at| at.elapsed() < LOG_EVERY) {
            return;
        }
        self.last_logged = Some(Instant::now());
        match holder(pool).await {
            Ok(Some(h)) => tracing::warn!(
                service,
                waiting_seconds = seconds.round(),
                holder_pid = h.pid,
                holder_database = h.database.as_deref().unwrap_or(""),
                holder_age_seconds = h.age_seconds.unwrap_or_default().round(),
                holder_state = h.state.as_deref().unwrap_or(""),
                holder_query = h.query.as_deref().unwrap_or(""),
                "relay is waiting: committed events lie behind the gap-safe horizon, which an open transaction holds back"
            ),
            _ => tracing::warn!(
                service,
                waiting_seconds = seconds.round(),
                "relay is waiting: committed events lie behind the gap-safe horizon"
            ),
        }
    }

    /// Called after events were published: nothing waits behind the horizon now.
    pub fn moved(&mut self, service: &str) {
        if self.last_check.take().is_some() {
            gauge(service).set(0.0);
        }
        self.last_logged = None;
    }
}

fn gauge(service: &str) -> metrics::Gauge {
    metrics::gauge!("civitas_relay_waiting_seconds", "service" => service.to_owned())
}

/// Seconds since the oldest committed event past `after` was recorded, if any.
async fn oldest_waiting(pool: &PgPool, after: Checkpoint) -> Result<Option<f64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(recorded_at))::float8 FROM events \
         WHERE (xid, position) > ($1::text::xid8, $2)",
    )
    .bind(after.xid.to_string())
    .bind(i64::try_from(after.position).unwrap_or(i64::MAX))
    .fetch_one(pool)
    .await
}

/// The oldest transaction with an id in the cluster, other than this session's.
async fn holder(pool: &PgPool) -> Result<Option<Holder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT pid, datname AS database, \
                EXTRACT(EPOCH FROM clock_timestamp() - xact_start)::float8 AS age_seconds, \
                state, left(query, 120) AS query \
         FROM pg_stat_activity \
         WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() \
         ORDER BY age(backend_xid) DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}
