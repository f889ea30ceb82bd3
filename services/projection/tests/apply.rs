//! Applying batches through the storage layer, on SQLite and PostgreSQL: the KPI rules,
//! duplicate and gap handling (an unfillable gap is parked), checkpoints and rebuild
//! determinism. Poison events are in `parked.rs`.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use civitas_kernel::Checkpoint;
use civitas_projection::{ApplyStats, Projection, ProjectionError};
use civitas_proto::events::v1::CareCategory::{
    Disabled, EmptyNest, LivingAlone, Minor, Over80WithoutPension,
};
use civitas_proto::events::v1::ResidenceType::{Floating, Permanent};
use common::*;

/// The non-zero values of xingfu on one day.
async fn on(p: &Projection, d: &str) -> Vec<(String, f64)> {
    values(p, &["xingfu"], d, d).await
}

/// A fresh projection with `log` applied from `residents` in one batch, and the
/// batch's stats.
async fn apply_once(backend: Backend, log: &Log) -> (TestDb, ApplyStats) {
    let db = backend.open().await;
    let batch = db.projection.apply_batch("residents", &log.events, &NoGaps);
    let stats = batch.await.unwrap();
    (db, stats)
}

fn stats(applied: u64, duplicates: u64, gap_filled: u64, unknown: u64) -> ApplyStats {
    ApplyStats {
        applied,
        duplicates,
        gap_filled,
        unknown,
        ..ApplyStats::default()
    }
}

async fn registration_counts_households_residents_and_types(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", household_registered("h1"));
    log.push("2026-11-02", resident_registered("r1", "h1", Permanent));
    log.push("2026-11-03", resident_registered("r2", "h1", Floating));
    let elsewhere = resident_registered("r3", "h9", Floating);
    log.push_in("heping", "2026-11-03", elsewhere);

    let (db, batch) = apply_once(backend, &log).await;
    assert_eq!(batch, stats(4, 0, 0, 0));
    let p = &db.projection;

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
    let position = Checkpoint {
        xid: 0,
        position: 4,
    };
    assert_eq!(p.checkpoint("residents").await.unwrap(), position);
    assert_eq!(p.checkpoint("activities").await.unwrap(), Checkpoint::START);
    assert_eq!(p.applied_events().await.unwrap(), 4);
}

async fn move_out_removes_the_resident_from_every_count(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    log.push("2026-11-02", care_category_assigned("r1", Minor));
    log.push("2026-11-02", care_category_assigned("r1", Disabled));
    log.push("2026-11-10", resident_moved_out("r1"));
    let db = applied(backend, "residents", &log).await;
    let p = &db.projection;

    let before = expect(&[
        ("residents", 1.0),
        ("residents.floating", 1.0),
        ("residents.care.minor", 1.0),
        ("residents.care.disabled", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-09").await, before);
    // Only the move itself (a flow) counts that day.
    let moved = expect(&[("population.moved_out", 1.0)]);
    assert_eq!(on(p, "2026-11-10").await, moved);
    assert_eq!(
        values(p, &["xingfu"], "2026-11-01", "2026-11-30").await,
        moved,
        "a stock is its value at the period's end, a flow its sum"
    );
}

async fn type_change_moves_the_resident_between_types(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    let change = residence_type_changed("r1", Floating, Permanent);
    log.push("2026-11-20", change);
    let db = applied(backend, "residents", &log).await;
    let p = &db.projection;

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
    let mut log = Log::default();
    log.push("2026-11-02", resident_registered("r1", "h1", Permanent));
    log.push("2026-11-03", care_category_assigned("r1", LivingAlone));
    let over_80 = care_category_assigned("r1", Over80WithoutPension);
    log.push("2026-11-03", over_80);
    log.push("2026-11-03", care_category_assigned("r1", LivingAlone));
    log.push("2026-11-03", resident_registered("r2", "h1", Permanent));
    log.push("2026-11-04", care_category_assigned("r2", LivingAlone));
    log.push("2026-11-05", care_category_revoked("r1", LivingAlone));
    let db = applied(backend, "residents", &log).await;
    let p = &db.projection;

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
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    log.push("2026-11-02", care_category_assigned("r1", EmptyNest));
    log.push("2026-11-02", resident_registered("r2", "h1", Permanent));
    log.push("2026-11-05", resident_moved_out("r2"));
    p.apply_batch("residents", &log.events[..4], &NoGaps)
        .await
        .unwrap();
    let after_move_out = expect(&[
        ("residents", 1.0),
        ("residents.floating", 1.0),
        ("residents.care.empty_nest", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-06").await, after_move_out);

    // Each erasure in a batch of its own, the day before unchanged each time.
    for (on_day, resident, why) in [
        (
            "2026-11-06",
            "r2",
            "erasing a moved-out resident changes nothing",
        ),
        ("2026-11-07", "r1", "history before the erasure stays"),
    ] {
        let from = log.events.len();
        log.push(on_day, resident_erased(resident));
        let batch = p.apply_batch("residents", &log.events[from..], &NoGaps);
        batch.await.unwrap();
        assert_eq!(on(p, "2026-11-06").await, after_move_out, "{why}");
    }
    assert_eq!(on(p, "2026-11-07").await, vec![]);
}

/// Household h1 on the 2nd with floating resident r1, a minor from the 3rd.
fn household_with_a_minor() -> Log {
    let mut log = Log::default();
    log.push("2026-11-02", household_registered("h1"));
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    log.push("2026-11-03", care_category_assigned("r1", Minor));
    log
}

async fn duplicates_are_skipped(backend: Backend) {
    let log = household_with_a_minor();
    let db = backend.open().await;
    let p = &db.projection;
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
    let batch = p.apply_batch("residents", &log.events, &NoGaps).await;
    assert_eq!(batch.unwrap(), stats(0, 3, 0, 0));

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
    log.push("2026-11-02", resident_registered("r1", "h1", Floating));
    log.push("2026-11-03", care_category_assigned("r1", Minor));
    let change = residence_type_changed("r1", Floating, Permanent);
    log.push("2026-11-04", change);
    log.push("2026-11-04", household_registered("h1"));
    let gaps = FixedGaps {
        events: log.events.clone(),
        ..Default::default()
    };

    // The transport lost versions 1 and 2 of the resident's stream.
    let batch = p.apply_batch("nats", &log.events[2..], &gaps).await;
    assert_eq!(batch.unwrap(), stats(4, 0, 2, 0));
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
    let batch = p.apply_batch("nats", &log.events[..2], &gaps).await;
    assert_eq!(batch.unwrap(), stats(0, 2, 0, 0));
    assert_eq!(p.applied_events().await.unwrap(), 4);
}

async fn a_failing_gap_filler_fails_the_whole_batch(backend: Backend) {
    let mut log = household_with_a_minor();
    let db = backend.open().await;
    let p = &db.projection;
    log.push("2026-11-04", resident_moved_out("r1"));
    let batch = [log.events[0].clone(), log.events[3].clone()];

    let err = p.apply_batch("nats", &batch, &NoGaps).await.unwrap_err();
    assert!(
        matches!(&err, ProjectionError::GapFill { stream_id, .. } if stream_id == "resident-r1"),
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
    assert_eq!(p.parked().await.unwrap(), vec![]);
}

async fn an_unfillable_gap_is_parked_and_the_stream_moves_on(backend: Backend) {
    let mut log = household_with_a_minor();
    let db = backend.open().await;
    let p = &db.projection;
    log.push("2026-11-04", resident_moved_out("r1"));
    let batch = [log.events[0].clone(), log.events[3].clone()];
    // The event log has version 1 of the resident's stream but not version 2.
    let partial = FixedGaps {
        events: log.events[1..2].to_vec(),
        ..Default::default()
    };

    let stats = p.apply_batch("nats", &batch, &partial).await.unwrap();
    assert_eq!(
        (stats.applied, stats.gap_filled, stats.parked),
        (3, 1, 1),
        "{stats:?}"
    );
    let parked = p.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:#?}");
    let marker = &parked[0];
    assert!(marker.is_gap());
    assert_eq!(
        (marker.event.stream_id.as_str(), marker.event.stream_version),
        ("resident-r1", 2)
    );
    assert_eq!(marker.missing_through, Some(2));
    assert!(marker.reason.contains("2..=2"), "{}", marker.reason);

    let registered = expect(&[
        ("households", 1.0),
        ("residents", 1.0),
        ("residents.floating", 1.0),
    ]);
    assert_eq!(on(p, "2026-11-03").await, registered, "the fetched version");
    assert_eq!(
        on(p, "2026-11-04").await,
        expect(&[("households", 1.0), ("population.moved_out", 1.0)]),
        "the version after the gap"
    );
    assert_eq!(p.checkpoint("nats").await.unwrap().position, 4);

    let retried = p.retry_parked(None).await.unwrap();
    assert!(retried.applied.is_empty(), "a gap needs the missing events");
    assert_eq!(p.parked().await.unwrap(), parked);
}

async fn unknown_events_advance_their_stream(backend: Backend) {
    let mut log = Log::default();
    let nicknamed = Draft::raw("resident-r1", "ResidentNicknamed", vec![1, 2, 3]);
    log.push("2026-11-02", nicknamed);
    log.push("2026-11-02", resident_registered("r1", "h1", Permanent));
    let (db, batch) = apply_once(backend, &log).await;
    assert_eq!(batch, stats(2, 0, 0, 1));
    let p = &db.projection;
    assert_eq!(
        on(p, "2026-11-02").await,
        expect(&[("residents", 1.0), ("residents.permanent", 1.0)])
    );
}

async fn rebuilds_are_identical_whatever_the_batching(backend: Backend) {
    let mut log = Log::default();
    for i in 0..6 {
        let (r, h) = (&format!("r{i}"), &format!("h{}", i / 2));
        let community = if i % 2 == 0 { "xingfu" } else { "heping" };
        if i % 2 == 0 {
            log.push_in(community, "2026-11-01", household_registered(h));
        }
        log.push_in(community, "2026-11-01", resident_registered(r, h, Floating));
        log.push_in(community, "2026-11-02", care_category_assigned(r, Minor));
        log.push_in(community, "2026-11-02", care_category_revoked(r, Minor));
        if i % 3 == 0 {
            log.push_in(community, "2026-11-03", resident_moved_out(r));
        }
    }
    let dump = [
        KPI_ROWS,
        KPI_MONTH_ROWS,
        "SELECT resident_id || '|' || community || '|' || household_id || '|' || residence_type || '|' || care_categories || '|' || CAST(active AS TEXT) FROM resident_view ORDER BY resident_id",
        "SELECT stream_id || '|' || CAST(version AS TEXT) FROM projection_stream_versions ORDER BY stream_id",
    ];
    let (a, b) = rebuilt_both_ways(backend, &log, &dump).await;
    assert!(
        a.iter()
            .any(|r| r.starts_with("residents.care.minor|xingfu|2026-11-02|0")),
        "{a:#?}"
    );
    assert_eq!(a, b);
}

async fn reopening_keeps_state(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", household_registered("h1"));
    let db = applied(backend, "residents", &log).await;
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
        "every element, zero when no deltas"
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
    a_failing_gap_filler_fails_the_whole_batch,
    an_unfillable_gap_is_parked_and_the_stream_moves_on,
    unknown_events_advance_their_stream,
    rebuilds_are_identical_whatever_the_batching,
    reopening_keeps_state,
);
