//! The PostgreSQL store keeps finding streams by index while it grows from empty.
//!
//! A prepared statement's generic plan is made once per connection from the
//! statistics of that moment. A store starts empty, so the plan made then for the
//! committer's `stream_id = ANY($1)` lookup is a sequential scan, and it stayed one
//! while the table grew until an ANALYZE happened to replace it: in a fresh database
//! every append batch read the whole event table. The store's connections plan each
//! statement for its values (`plan_cache_mode = force_custom_plan`). Planned for its
//! values but without statistics, `stream_id = ANY($1)` over a batch of 64 streams was
//! still a sequential scan; the lookup now probes the index once per stream.
//!
//! And `read_all` pages through the log in index order: ordered by the selected
//! `xid::text::bigint` rather than the column, every page sorted all the events after
//! it, so a replay of 60,000 events spent 89 ms a page in the sort (7,600 events/s).

use sqlx::Row;

mod common;
use common::postgres_store;

/// 20,000 events of one transaction each, as a grown store holds them.
const GROWN: &str =
    "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
         district, street, community, occurred_at, actor, correlation_id, causation_id,
         traceparent, payload)
     SELECT gen_random_uuid(), 'household-' || n, 1, 'HouseholdRegistered', 1, 'gulou',
         'huafeng', 'xingfu', now(), 'test', 'c', 'c', '', '\\x00'
     FROM generate_series(1, 20000) AS n";

async fn plan_of(conn: &mut sqlx::PgConnection, explain: &str) -> String {
    let plan: Vec<String> = sqlx::query(explain)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
    plan.join("\n")
}

/// The committer's lookup, prepared on an empty table and used a few times (when
/// PostgreSQL would switch to a generic plan), then explained for a batch of 64
/// streams over 20,000 events that no ANALYZE has seen (autovacuum off or behind).
#[tokio::test]
async fn a_store_grown_from_empty_still_finds_streams_by_index() {
    let (store, _db) = postgres_store().await;
    let mut conn = store.pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "force_custom_plan");
    sqlx::query("ANALYZE events")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(&format!(
        "PREPARE lookup(text[]) AS {}",
        civitas_kernel::store::POSTGRES_STREAM_VERSIONS
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    for _ in 0..8 {
        sqlx::query("EXECUTE lookup(ARRAY['household-none'])")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query(GROWN).execute(&mut *conn).await.unwrap();
    let batch: Vec<String> = (1..=64).map(|n| format!("'household-{n}'")).collect();
    let explain = format!("EXPLAIN EXECUTE lookup(ARRAY[{}])", batch.join(", "));
    let plan = plan_of(&mut conn, &explain).await;
    assert!(plan.contains("Index"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
    // And it answers: the streams with events and their versions, none for the others.
    let found: Vec<(String, i64)> = sqlx::query_as(civitas_kernel::store::POSTGRES_STREAM_VERSIONS)
        .bind(["household-7", "household-none", "household-20000"])
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        found,
        [
            ("household-7".to_owned(), 1),
            ("household-20000".to_owned(), 1)
        ]
    );
}

/// A page from the start of a grown log is read in the index's order, without
/// sorting what follows it.
#[tokio::test]
async fn read_all_pages_in_index_order_without_sorting_the_log() {
    let (store, _db) = postgres_store().await;
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query(GROWN).execute(&mut *conn).await.unwrap();
    sqlx::query("ANALYZE events")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(&format!(
        "PREPARE page(text, int8, int8) AS {}",
        civitas_kernel::store::POSTGRES_READ_ALL
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let plan = plan_of(&mut conn, "EXPLAIN EXECUTE page('0', 0, 500)").await;
    assert!(plan.contains("events_xid_position"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
}
