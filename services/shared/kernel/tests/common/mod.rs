//! Shared by the kernel's store tests: a PostgreSQL store on a fresh database, the org
//! unit every test appends in, idempotency keys, and a row written behind the store's
//! back (as another process would).

#![allow(dead_code)] // each test binary uses its own subset

pub mod batch;

use civitas_kernel::store::PostgresEventStore;
use civitas_kernel::{AppendRequest, Idempotency, OrgPath};
use civitas_testkit::FreshDb;
use sqlx::PgConnection;

/// A PostgreSQL store in schema `residents` of a fresh database (dropped with the
/// [`FreshDb`]).
pub async fn postgres_store() -> (PostgresEventStore, FreshDb) {
    let db = civitas_testkit::fresh_postgres_db()
        .await
        .expect("fresh PostgreSQL database");
    let store = PostgresEventStore::connect(&db.url, "residents", 16)
        .await
        .expect("connect postgres store");
    (store, db)
}

/// The community the tests append in.
pub fn org() -> OrgPath {
    OrgPath {
        district: "gulou".into(),
        street: "huafeng".into(),
        community: "xingfu".into(),
    }
}

/// `r` with an idempotency key and request fingerprint.
pub fn keyed(mut r: AppendRequest, key: &str, fingerprint: &str) -> AppendRequest {
    r.idempotency = Some(Idempotency {
        key: key.into(),
        fingerprint: fingerprint.into(),
    });
    r
}

/// Inserts one event row (`stream` at `version`, of `event_type`) on `conn`, bypassing
/// the store; in a transaction the caller keeps open, it takes a transaction id early.
pub async fn insert_row(conn: &mut PgConnection, stream: &str, version: i64, event_type: &str) {
    sqlx::query(
        "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, district, street, \
         community, occurred_at, actor, correlation_id, causation_id, traceparent, payload) \
         VALUES ($1, $2, $3, $4, 1, 'd', 's', 'c', now(), 'a', '', '', '', '\\x01')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(stream)
    .bind(version)
    .bind(event_type)
    .execute(conn)
    .await
    .expect("insert a row behind the store");
}
