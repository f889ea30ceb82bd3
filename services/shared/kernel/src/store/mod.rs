//! The event store contract and its two implementations.
//!
//! An append is one transaction: the optimistic concurrency check on
//! (stream_id, stream_version), the events, the idempotency record, and the request's
//! [`Companion`] rows. A retried command with the same idempotency key gets the first
//! outcome back and writes nothing.

use async_trait::async_trait;

use crate::envelope::{Checkpoint, Metadata, NewEvent, RecordedEvent};

mod postgres;
mod sql;
mod sqlite;

pub use postgres::{
    PostgresEventStore, READ_ALL as POSTGRES_READ_ALL, STREAM_VERSIONS as POSTGRES_STREAM_VERSIONS,
};
pub use sqlite::SqliteEventStore;

/// A PostgreSQL schema name was refused by [`schema_name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid schema name {0:?}: a lowercase ascii letter, then lowercase letters, digits or _, \
     at most 63 bytes"
)]
pub struct InvalidSchemaName(pub String);

/// The one rule for every civitas PostgreSQL schema name (event stores, key stores, read
/// models): a lowercase ascii letter, then `[a-z0-9_]`, at most 63 bytes (PostgreSQL's
/// identifier limit). Such a name needs no quoting, so it is safe to splice into DDL.
pub fn schema_name(name: &str) -> Result<&str, InvalidSchemaName> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    match valid {
        true => Ok(name),
        false => Err(InvalidSchemaName(name.to_owned())),
    }
}

/// PostgreSQL advisory lock key taken (transaction-scoped) around every civitas DDL
/// statement, so processes starting together do not race on `CREATE ... IF NOT EXISTS`.
pub const DDL_LOCK_KEY: i64 = 0x000C_171A_5DD1;

/// The statement that takes [`DDL_LOCK_KEY`] until the end of the transaction: the first
/// statement of every transaction that runs civitas DDL on PostgreSQL.
pub fn ddl_lock_statement() -> String {
    format!("SELECT pg_advisory_xact_lock({DDL_LOCK_KEY})")
}

/// The version a command expects its stream to be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version.
    Exact(u64),
}

impl ExpectedVersion {
    fn admits(self, actual: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exact(v) => actual == v,
        }
    }
}

/// A client's idempotency key with a fingerprint of the request it came with, so a
/// key reused for a different request is refused instead of silently replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

/// One command's events for one stream.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub metadata: Metadata,
    pub events: Vec<NewEvent>,
    pub idempotency: Option<Idempotency>,
    /// Rows written with the events, in the same transaction, only if they are.
    pub companions: Vec<Companion>,
}

/// A row change that must commit with an append's events or not at all, in a table
/// its owner keeps beside the events (the store's PostgreSQL schema or SQLite file)
/// and creates itself. The store writes it after the concurrency and idempotency
/// checks admitted the request, so a refused or replayed request writes no companion,
/// and a companion that cannot be written refuses its request alone.
///
/// Table and column names are code, never input: each must be a plain lowercase
/// identifier (the rule of [`schema_name`]), or the request fails.
#[derive(Clone, PartialEq, Eq)]
pub enum Companion {
    /// Inserts one row. When a unique index already holds one of its values (including
    /// a row of an append still being committed, which the index waits for), the
    /// request is refused with [`AppendError::Taken`] and none of it is written.
    Insert {
        table: &'static str,
        values: Vec<(&'static str, Value)>,
    },
    /// Sets columns of the rows whose `key` column equals its value; matching no row is
    /// not an error.
    Update {
        table: &'static str,
        set: Vec<(&'static str, Value)>,
        key: (&'static str, Value),
    },
}

/// A value of a [`Companion`] row, typed so that a NULL is one on both backends.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Companion {
    /// The table it writes.
    pub fn table(&self) -> &'static str {
        match self {
            Companion::Insert { table, .. } | Companion::Update { table, .. } => table,
        }
    }
}

/// Names the table and columns only: companion rows may hold secrets (wrapped keys).
impl std::fmt::Debug for Companion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |columns: &[(&'static str, Value)]| -> Vec<&'static str> {
            columns.iter().map(|(name, _)| *name).collect()
        };
        match self {
            Companion::Insert { table, values } => f
                .debug_struct("Insert")
                .field("table", table)
                .field("columns", &names(values))
                .finish(),
            Companion::Update { table, set, key } => f
                .debug_struct("Update")
                .field("table", table)
                .field("set", &names(set))
                .field("key", &key.0)
                .finish(),
        }
    }
}

/// The result of an append (or of the first append with the same idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    pub stream_id: String,
    /// The stream's version after the append.
    pub version: u64,
    /// True when this is the stored outcome of an earlier append with the same key.
    pub replayed: bool,
}

/// Why an append was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("stream {stream_id} is at version {actual}, expected {expected:?}")]
    Conflict {
        stream_id: String,
        expected: ExpectedVersion,
        actual: u64,
    },
    #[error("idempotency key {key} was already used for a different request")]
    IdempotencyMismatch { key: String },
    /// A unique index of `table` refused the request's [`Companion::Insert`].
    #[error("a unique value of the {table} row is taken")]
    Taken { table: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A storage failure (connection, IO, corrupt row): never a business outcome.
#[derive(Debug, thiserror::Error)]
#[error("event store failure: {0:#}")]
pub struct StoreError(#[from] pub anyhow::Error);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError(e.into())
    }
}

impl StoreError {
    /// Whether the store could not be reached or was too busy, rather than broken: the
    /// connection or pool failed, the server is shutting down or refusing connections
    /// (SQLSTATE classes 08 and 57P, 53300), or SQLite was busy or locked. A command
    /// that met such a failure may be retried (with its idempotency key, in case its
    /// commit landed before the connection broke).
    pub fn is_transient(&self) -> bool {
        self.0.chain().any(|cause| {
            cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(transient_sqlx)
        })
    }
}

fn transient_sqlx(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: connection exceptions, operator intervention (shutdown,
            // cannot connect now), too many connections. SQLite: BUSY (5), LOCKED (6).
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || code == "5"
                || code == "6"
        }),
        _ => false,
    }
}

/// An append-only store of event streams with a gap-safe global order.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends one command's events atomically; see the module docs.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError>;

    /// Every event of one stream, in version order (empty if the stream does not exist).
    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` committed events after `after`, in the gap-safe global order: an
    /// event committed late by a slow transaction is never skipped.
    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stored outcome for an idempotency key, if that key was used: lets the shell
    /// answer a retry before doing any work.
    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError>;

    /// A counter bumped after every committed append, for in-process tailers to wait on
    /// instead of polling.
    fn appended(&self) -> tokio::sync::watch::Receiver<u64>;
}

fn check_fingerprint(
    idem: &Idempotency,
    stored_fingerprint: &str,
    stream_id: String,
    version: u64,
) -> Result<AppendOutcome, AppendError> {
    if stored_fingerprint == idem.fingerprint {
        Ok(AppendOutcome {
            stream_id,
            version,
            replayed: true,
        })
    } else {
        Err(AppendError::IdempotencyMismatch {
            key: idem.key.clone(),
        })
    }
}

fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError(anyhow::anyhow!("{what} {v} out of range")))
}

/// The stored position to read after. Positions are `bigint`, so none exceeds
/// `i64::MAX`: a checkpoint beyond it (a client's, from the wire) reads as `i64::MAX`,
/// after which there is nothing at its transaction, rather than failing the read.
fn position_after(after: Checkpoint) -> i64 {
    i64::try_from(after.position).unwrap_or(i64::MAX)
}

fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError(anyhow::anyhow!("{what} {v} is negative")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_follow_one_rule() {
        for good in ["residents", "projection_rebuild", "p2", &"a".repeat(63)] {
            assert_eq!(schema_name(good), Ok(good));
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "_x",
            "2x",
            "Residents",
            "a-b",
            "a.b",
            "a b",
            "r\u{e9}s",
            long.as_str(),
        ] {
            assert_eq!(
                schema_name(bad),
                Err(InvalidSchemaName(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            schema_name("Pub").unwrap_err().to_string(),
            "invalid schema name \"Pub\": a lowercase ascii letter, then lowercase letters, digits \
             or _, at most 63 bytes"
        );
    }
}
