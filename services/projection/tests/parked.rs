//! Poison events, on SQLite and PostgreSQL: an event that cannot be decoded is parked
//! with its reason, its stream moves on and the rest of the batch applies; parked
//! events are listed and retried.

mod common;

use civitas_projection::{ApplyStats, Projection};
use civitas_proto::events::v1::CareCategory::Minor;
use civitas_proto::events::v1::ResidenceType::{Floating, Permanent};
use common::*;

/// Household h1, then resident r1 whose payload is garbage, then resident r2.
fn with_poison() -> Log {
    let mut log = Log::default();
    log.push("2026-11-02", household_registered("h1"));
    let garbage = Draft::raw("resident-r1", "ResidentRegistered", vec![0xff, 0xff, 0xff]);
    log.push("2026-11-02", garbage);
    log.push("2026-11-02", resident_registered("r2", "h1", Permanent));
    log
}

async fn on(p: &Projection, d: &str) -> Vec<(String, f64)> {
    values(p, &["xingfu"], d, d).await
}

async fn a_poison_event_is_parked_and_the_rest_flow(backend: Backend) {
    let mut log = with_poison();
    let db = backend.open().await;
    let p = &db.projection;

    let stats = p.apply_batch("residents", &log.events, &NoGaps).await;
    let expected = ApplyStats {
        applied: 2,
        parked: 1,
        ..ApplyStats::default()
    };
    assert_eq!(stats.unwrap(), expected);
    let registered = expect(&[
        ("households", 1.0),
        ("residents", 1.0),
        ("residents.permanent", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-02").await, registered);
    assert_eq!(p.checkpoint("residents").await.unwrap().position, 3);
    assert_eq!(p.applied_events().await.unwrap(), 2);

    let parked = p.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:#?}");
    assert_eq!(parked[0].event, log.events[1], "the whole envelope is kept");
    assert_eq!(parked[0].source, "residents");
    assert!(!parked[0].is_gap());
    let reason = &parked[0].reason;
    assert!(
        reason.contains("ResidentRegistered") && reason.contains("does not decode"),
        "{reason}"
    );

    // The poison event's stream moved on: its next version applies, no gap.
    let from = log.events.len();
    log.push("2026-11-03", care_category_assigned("r2", Minor));
    log.push("2026-11-03", resident_registered("r1", "h1", Floating));
    let next = p.apply_batch("residents", &log.events[from..], &NoGaps);
    assert_eq!(next.await.unwrap().applied, 2);
    assert_eq!(
        on(p, "2026-11-03").await,
        expect(&[
            ("households", 1.0),
            ("residents", 2.0),
            ("residents.permanent", 1.0),
            ("residents.floating", 1.0),
            ("residents.care.minor", 1.0),
        ])
    );

    // Nothing changed, so a retry keeps it parked, reason and all.
    let retried = p.retry_parked(None).await.unwrap();
    assert!(retried.applied.is_empty());
    assert_eq!(retried.still_parked, parked);
    assert_eq!(p.parked().await.unwrap(), parked);
}

async fn an_unknown_schema_version_is_parked(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    log.events[0].schema_version = 2;
    log.push("2026-11-02", household_registered("h1"));
    let db = backend.open().await;
    let p = &db.projection;

    let stats = p.apply_batch("residents", &log.events, &NoGaps).await;
    assert_eq!(
        (stats.unwrap().applied, p.parked().await.unwrap().len()),
        (1, 1)
    );
    let reason = p.parked().await.unwrap()[0].reason.clone();
    assert!(reason.contains("schema_version 2"), "{reason}");
    assert_eq!(on(p, "2026-11-02").await, expect(&[("households", 1.0)]));
}

async fn a_repaired_event_applies_on_retry(backend: Backend) {
    let log = with_poison();
    let db = backend.open().await;
    let p = &db.projection;
    p.apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();
    let poison = log.events[1].event_id;

    // An admin repairs the payload in place.
    let good = resident_registered("r1", "h1", Floating).payload;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE parked_events SET payload = $1 WHERE event_id = $2")
        .bind(good)
        .bind(poison.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let retried = p.retry_parked(Some(&[poison])).await.unwrap();
    assert_eq!(retried.applied, vec![poison]);
    assert_eq!(retried.still_parked, vec![]);
    assert_eq!(p.parked().await.unwrap(), vec![]);
    assert_eq!(
        on(p, "2026-11-02").await,
        expect(&[
            ("households", 1.0),
            ("residents", 2.0),
            ("residents.permanent", 1.0),
            ("residents.floating", 1.0),
        ])
    );
    assert_eq!(p.applied_events().await.unwrap(), 3);
    assert_eq!(p.checkpoint("residents").await.unwrap().position, 3);
}

on_both_backends!(
    a_poison_event_is_parked_and_the_rest_flow,
    an_unknown_schema_version_is_parked,
    a_repaired_event_applies_on_retry,
);
