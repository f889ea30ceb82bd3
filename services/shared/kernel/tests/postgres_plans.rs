//! The PostgreSQL store keeps finding streams by index while it grows from empty.
//!
//! A prepared statement's generic plan is made once per connection from the
//! statistics of that moment. A store starts empty, so the plan made then for the
//! committer's `stream_id = ANY($1)` lookup is a sequential scan, and it stayed one
//! while the table grew until an ANALYZE happened to replace it: in a fresh database
//! every append batch read the whole event table. The store's connections plan each
//! statement for its values (`plan_cache_mode = force_custom_plan`).

use sqlx::Row;

mod common;
use common::postgres_store;

/// The committer's lookup, prepared on an empty table and used a few times (when
/// PostgreSQL would switch to a generic plan), then explained over 20,000 events.
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
    sqlx::query(
        "PREPARE lookup(text[]) AS SELECT stream_id, max(stream_version) FROM events
         WHERE stream_id = ANY($1) GROUP BY stream_id",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    for _ in 0..8 {
        sqlx::query("EXECUTE lookup(ARRAY['household-none'])")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
             district, street, community, occurred_at, actor, correlation_id, causation_id,
             traceparent, payload)
         SELECT gen_random_uuid(), 'household-' || n, 1, 'HouseholdRegistered', 1, 'gulou',
             'huafeng', 'xingfu', now(), 'test', 'c', 'c', '', '\\x00'
         FROM generate_series(1, 20000) AS n",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let plan: Vec<String> = sqlx::query("EXPLAIN EXECUTE lookup(ARRAY['household-7'])")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("Index"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}
