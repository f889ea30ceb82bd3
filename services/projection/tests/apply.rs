//! Applying batches through the storage layer, on SQLite and PostgreSQL: the KPI rules,
//! duplicate and gap handling, checkpoints and rebuild determinism.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use civitas_kernel::Checkpoint;
use civitas_projection::{ApplyStats, Projection, ProjectionError};
use civitas_proto::events::v1::{CareCategory, ResidenceType};
use common::*;
use sqlx::Row;

/// The non-zero values of `communities` for the period `first..=last`.
async fn values(
    p: &Projection,
    communities: &[&str],
    first: &str,
    last: &str,
) -> Vec<(String, f64)> {
    let communities: Vec<String> = communities.iter().map(|c| c.to_string()).collect();
    let all = p
        .values(&communities, day(first), day(last))
        .await
        .expect("values");
    all.into_iter().filter(|(_, v)| *v != 0.0).collect()
}

/// The non-zero values of xingfu on one day.
async fn on(p: &Projection, d: &str) -> Vec<(String, f64)> {
    values(p, &["xingfu"], d, d).await
}

fn expect(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = list.iter().map(|(e, n)| (e.to_string(), *n)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn stats(applied: u64, duplicates: u64, gap_filled: u64, unknown: u64) -> ApplyStats {
    ApplyStats {
        applied,
        duplicates,
        gap_filled,
        unknown,
    }
}

async fn registration_counts_households_residents_and_types(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Permanent),
    );
    log.push(
        "resident-r2",
        "xingfu",
        "2026-11-03",
        registered("r2", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r3",
        "heping",
        "2026-11-03",
        registered("r3", "h9", ResidenceType::Floating),
    );

    assert_eq!(
        p.apply_batch("residents", &log.events, &NoGaps)
            .await
            .unwrap(),
        stats(4, 0, 0, 0)
    );

    assert_eq!(
        on(p, "2026-11-01").await,
        vec![],
        "nothing before the first event"
    );
    assert_eq!(
        on(p, "2026-11-02").await,
        expect(&[
            ("households", 1.0),
            ("residents", 1.0),
            ("residents.permanent", 1.0)
        ])
    );
    assert_eq!(
        values(p, &["xingfu"], "2026-11-01", "2026-11-30").await,
        expect(&[
            ("households", 1.0),
            ("residents", 2.0),
            ("residents.permanent", 1.0),
            ("residents.floating", 1.0)
        ])
    );
    assert_eq!(
        values(p, &["xingfu", "heping"], "2026-11-01", "2026-11-30").await,
        expect(&[
            ("households", 1.0),
            ("residents", 3.0),
            ("residents.permanent", 1.0),
            ("residents.floating", 2.0)
        ])
    );
    assert_eq!(
        p.checkpoint("residents").await.unwrap(),
        Checkpoint {
            xid: 0,
            position: 4
        }
    );
    assert_eq!(p.checkpoint("activities").await.unwrap(), Checkpoint::START);
    assert_eq!(p.applied_events().await.unwrap(), 4);
}

async fn move_out_removes_the_resident_from_every_count(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        assigned("r1", CareCategory::Minor),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        assigned("r1", CareCategory::Disabled),
    );
    log.push("resident-r1", "xingfu", "2026-11-10", moved_out("r1"));
    p.apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();

    let before = expect(&[
        ("residents", 1.0),
        ("residents.floating", 1.0),
        ("residents.care.minor", 1.0),
        ("residents.care.disabled", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-09").await, before);
    assert_eq!(on(p, "2026-11-10").await, vec![]);
    assert_eq!(
        values(p, &["xingfu"], "2026-11-01", "2026-11-30").await,
        vec![],
        "a stock is its value at the period's end"
    );
}

async fn type_change_moves_the_resident_between_types(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-20",
        type_changed("r1", ResidenceType::Floating, ResidenceType::Permanent),
    );
    p.apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();

    assert_eq!(
        on(p, "2026-11-19").await,
        expect(&[("residents", 1.0), ("residents.floating", 1.0)])
    );
    assert_eq!(
        on(p, "2026-11-20").await,
        expect(&[("residents", 1.0), ("residents.permanent", 1.0)])
    );
}

async fn care_categories_are_assigned_and_revoked(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Permanent),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::LivingAlone),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::Over80WithoutPension),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::LivingAlone),
    );
    log.push(
        "resident-r2",
        "xingfu",
        "2026-11-03",
        registered("r2", "h1", ResidenceType::Permanent),
    );
    log.push(
        "resident-r2",
        "xingfu",
        "2026-11-04",
        assigned("r2", CareCategory::LivingAlone),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-05",
        revoked("r1", CareCategory::LivingAlone),
    );
    p.apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();

    assert_eq!(
        on(p, "2026-11-04").await,
        expect(&[
            ("residents", 2.0),
            ("residents.permanent", 2.0),
            ("residents.care.living_alone", 2.0),
            ("residents.care.over_80_without_pension", 1.0),
        ])
    );
    assert_eq!(
        on(p, "2026-11-05").await,
        expect(&[
            ("residents", 2.0),
            ("residents.permanent", 2.0),
            ("residents.care.living_alone", 1.0),
            ("residents.care.over_80_without_pension", 1.0),
        ])
    );
}

async fn erasure_keeps_counts_right(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        assigned("r1", CareCategory::EmptyNest),
    );
    log.push(
        "resident-r2",
        "xingfu",
        "2026-11-02",
        registered("r2", "h1", ResidenceType::Permanent),
    );
    log.push("resident-r2", "xingfu", "2026-11-05", moved_out("r2"));
    p.apply_batch("residents", &log.events[..4], &NoGaps)
        .await
        .unwrap();
    let after_move_out = expect(&[
        ("residents", 1.0),
        ("residents.floating", 1.0),
        ("residents.care.empty_nest", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-06").await, after_move_out);

    log.push("resident-r2", "xingfu", "2026-11-06", erased("r2"));
    p.apply_batch("residents", &log.events[4..], &NoGaps)
        .await
        .unwrap();
    assert_eq!(
        on(p, "2026-11-06").await,
        after_move_out,
        "erasing a moved-out resident changes nothing"
    );

    log.push("resident-r1", "xingfu", "2026-11-07", erased("r1"));
    p.apply_batch("residents", &log.events[5..], &NoGaps)
        .await
        .unwrap();
    assert_eq!(
        on(p, "2026-11-06").await,
        after_move_out,
        "history before the erasure stays"
    );
    assert_eq!(on(p, "2026-11-07").await, vec![]);
}

async fn duplicates_are_skipped(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::Minor),
    );
    p.apply_batch("residents", &log.events[..2], &NoGaps)
        .await
        .unwrap();

    // Redelivery overlapping the first batch, with a duplicate inside the batch too.
    let mut again = log.events.clone();
    again.push(log.events[2].clone());
    assert_eq!(
        p.apply_batch("residents", &again, &NoGaps).await.unwrap(),
        stats(1, 3, 0, 0)
    );
    assert_eq!(
        p.apply_batch("residents", &log.events, &NoGaps)
            .await
            .unwrap(),
        stats(0, 3, 0, 0)
    );

    assert_eq!(
        on(p, "2026-11-03").await,
        expect(&[
            ("households", 1.0),
            ("residents", 1.0),
            ("residents.floating", 1.0),
            ("residents.care.minor", 1.0)
        ])
    );
    assert_eq!(p.applied_events().await.unwrap(), 3);
    assert_eq!(p.checkpoint("residents").await.unwrap().position, 3);
}

async fn gaps_are_filled_before_applying(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::Minor),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-04",
        type_changed("r1", ResidenceType::Floating, ResidenceType::Permanent),
    );
    log.push("household-h1", "xingfu", "2026-11-04", household("h1"));
    let gaps = FixedGaps {
        events: log.events.clone(),
        ..Default::default()
    };

    // The transport lost versions 1 and 2 of the resident's stream.
    let stats_ = p
        .apply_batch("nats", &log.events[2..], &gaps)
        .await
        .unwrap();
    assert_eq!(stats_, stats(4, 0, 2, 0));
    assert_eq!(gaps.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        on(p, "2026-11-04").await,
        expect(&[
            ("households", 1.0),
            ("residents", 1.0),
            ("residents.permanent", 1.0),
            ("residents.care.minor", 1.0)
        ])
    );
    // The lost events arriving late are duplicates now.
    assert_eq!(
        p.apply_batch("nats", &log.events[..2], &gaps)
            .await
            .unwrap(),
        stats(0, 2, 0, 0)
    );
    assert_eq!(p.applied_events().await.unwrap(), 4);
}

async fn an_unfillable_gap_fails_the_whole_batch(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Floating),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::Minor),
    );
    log.push("resident-r1", "xingfu", "2026-11-04", moved_out("r1"));
    let batch = [log.events[0].clone(), log.events[3].clone()];

    let err = p.apply_batch("nats", &batch, &NoGaps).await.unwrap_err();
    assert!(
        matches!(&err, ProjectionError::GapFill { stream_id, .. } if stream_id == "resident-r1"),
        "{err:?}"
    );

    let partial = FixedGaps {
        events: log.events[1..2].to_vec(),
        ..Default::default()
    };
    let err = p.apply_batch("nats", &batch, &partial).await.unwrap_err();
    assert!(
        matches!(&err, ProjectionError::Gap { stream_id, expected: 2, found: 3 } if stream_id == "resident-r1"),
        "{err:?}"
    );

    assert_eq!(
        p.checkpoint("nats").await.unwrap(),
        Checkpoint::START,
        "the checkpoint stays"
    );
    assert_eq!(
        on(p, "2026-11-30").await,
        vec![],
        "nothing of the batch is applied"
    );
    assert_eq!(p.applied_events().await.unwrap(), 0);
}

async fn unknown_events_advance_their_stream(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        ("ResidentNicknamed", vec![1, 2, 3]),
    );
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        registered("r1", "h1", ResidenceType::Permanent),
    );
    assert_eq!(
        p.apply_batch("residents", &log.events, &NoGaps)
            .await
            .unwrap(),
        stats(2, 0, 0, 1)
    );
    assert_eq!(
        on(p, "2026-11-02").await,
        expect(&[("residents", 1.0), ("residents.permanent", 1.0)])
    );
}

async fn an_undecodable_payload_stops_the_batch(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let mut log = Log::default();
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-02",
        ("ResidentRegistered", vec![0xff, 0xff, 0xff]),
    );
    let err = p
        .apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProjectionError::Decode { version: 1, event_type, .. } if event_type == "ResidentRegistered"),
        "{err:?}"
    );
    assert_eq!(p.checkpoint("residents").await.unwrap(), Checkpoint::START);
    assert_eq!(on(p, "2026-11-02").await, vec![]);
}

/// Every row of the read model tables, in key order.
async fn dump(url: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT element || '|' || community || '|' || day || '|' || CAST(value AS TEXT) FROM kpi_facts ORDER BY element, community, day",
        "SELECT resident_id || '|' || community || '|' || household_id || '|' || residence_type || '|' || care_categories || '|' || CAST(active AS TEXT) FROM resident_view ORDER BY resident_id",
        "SELECT stream_id || '|' || CAST(version AS TEXT) FROM projection_stream_versions ORDER BY stream_id",
    ] {
        for row in sqlx::query(sql).fetch_all(&pool).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    pool.close().await;
    out
}

async fn rebuilds_are_identical_whatever_the_batching(backend: Backend) {
    let mut log = Log::default();
    for i in 0..6 {
        let (r, h) = (format!("r{i}"), format!("h{}", i / 2));
        let community = if i % 2 == 0 { "xingfu" } else { "heping" };
        if i % 2 == 0 {
            log.push(
                &format!("household-{h}"),
                community,
                "2026-11-01",
                household(&h),
            );
        }
        log.push(
            &format!("resident-{r}"),
            community,
            "2026-11-01",
            registered(&r, &h, ResidenceType::Floating),
        );
        log.push(
            &format!("resident-{r}"),
            community,
            "2026-11-02",
            assigned(&r, CareCategory::Minor),
        );
        log.push(
            &format!("resident-{r}"),
            community,
            "2026-11-02",
            revoked(&r, CareCategory::Minor),
        );
        if i % 3 == 0 {
            log.push(
                &format!("resident-{r}"),
                community,
                "2026-11-03",
                moved_out(&r),
            );
        }
    }
    let whole = backend.open().await;
    whole
        .projection
        .apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();
    let single = backend.open().await;
    for event in &log.events {
        single
            .projection
            .apply_batch("residents", std::slice::from_ref(event), &NoGaps)
            .await
            .unwrap();
    }
    let (a, b) = (dump(&whole.url).await, dump(&single.url).await);
    assert!(
        a.iter()
            .any(|r| r.starts_with("residents.care.minor|xingfu|2026-11-02|0")),
        "{a:#?}"
    );
    assert_eq!(a, b);
}

async fn reopening_keeps_state(backend: Backend) {
    let db = backend.open().await;
    let mut log = Log::default();
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    db.projection
        .apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();
    let reopened = Projection::open(&db.url)
        .await
        .expect("migrations run once");
    assert_eq!(reopened.checkpoint("residents").await.unwrap().position, 1);
    assert_eq!(
        on(&reopened, "2026-11-02").await,
        expect(&[("households", 1.0)])
    );
    let all: BTreeMap<String, f64> = reopened
        .values(&["nowhere".into()], day("2026-11-02"), day("2026-11-02"))
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        civitas_projection::catalog::ELEMENTS.len(),
        "every element, zero when no facts"
    );
}

on_both_backends!(
    registration_counts_households_residents_and_types,
    move_out_removes_the_resident_from_every_count,
    type_change_moves_the_resident_between_types,
    care_categories_are_assigned_and_revoked,
    erasure_keeps_counts_right,
    duplicates_are_skipped,
    gaps_are_filled_before_applying,
    an_unfillable_gap_fails_the_whole_batch,
    unknown_events_advance_their_stream,
    an_undecodable_payload_stops_the_batch,
    rebuilds_are_identical_whatever_the_batching,
    reopening_keeps_state,
);
