//! Rebuilding in memory (`Projection::rebuild`) leaves exactly the tables that
//! applying the same batches one by one leaves, on SQLite and PostgreSQL: with
//! redelivered events, a gap healed from the event log, a poison event parked, and
//! with the fold written out midway when it outgrows its memory bound.

mod common;

use civitas_kernel::RecordedEvent;
use civitas_projection::{ApplyStats, Projection};
use civitas_proto::events::v1::{BoardTopic, VolunteerServiceCategory};
use common::areas::*;
use common::generate::{generate, COMMUNITIES};
use common::*;

/// What the community page shows, which the generated year has none of: per community
/// a team whose members come and go and good deeds recorded, published and some
/// retracted, over the last two batches.
fn public_records(log: &mut Log) {
    let on = "2026-12-29";
    for round in 0..20 {
        for (i, community) in COMMUNITIES.iter().enumerate() {
            let team = format!("{community}-team");
            let team_event = match round {
                0 => team_formed(&team, "Team", "Purpose", VolunteerServiceCategory::Repair),
                r if r % 5 == 4 => team_member_removed(&team, &format!("v{}", r - 1)),
                r => team_member_added(&team, &format!("v{r}")),
            };
            log.push_in(community, on, team_event);
            let deed = format!("{community}-deed-{}", round / 3);
            let deed_event = match round % 3 {
                0 => good_deed_recorded(&deed, "Title", "Story", on),
                1 => good_deed_published(&deed, on),
                _ if (round + i) % 2 == 0 => good_deed_retracted(&deed),
                _ => {
                    let board = format!("{community}-board");
                    publicity_board_updated_about(&board, on, BoardTopic::Economy, "Prices")
                }
            };
            log.push_in(community, on, deed_event);
        }
    }
}

/// Batches of a district's events as a consumer could see them: each batch repeats the
/// last events of the one before, one event is lost (the gap filler has it) and one
/// cannot be decoded.
fn batches() -> (Vec<Vec<RecordedEvent>>, FixedGaps) {
    let mut log = generate(3000);
    public_records(&mut log);
    log.push(
        "2026-12-30",
        Draft::raw("volunteer-x", "HoursApproved", vec![0xff; 3]),
    );
    let gaps = FixedGaps {
        events: log.events.clone(),
        ..Default::default()
    };
    let mut events = log.events;
    // A later event of the same stream follows, so the loss shows as a gap.
    let lost = (1000..events.len())
        .find(|&i| {
            events[i + 1..]
                .iter()
                .any(|e| e.stream_id == events[i].stream_id)
        })
        .expect("a stream with two events");
    events.remove(lost);
    let batches = (0..events.len())
        .step_by(250)
        .map(|start| events[start.saturating_sub(10)..(start + 250).min(events.len())].to_vec())
        .collect();
    (batches, gaps)
}

/// Applies every batch to a fresh projection, batch by batch or rebuilt in memory
/// holding at most `rows`; returns the tables and the summed stats.
async fn built(backend: Backend, rebuild: Option<usize>) -> (Vec<String>, ApplyStats) {
    let (batches, gaps) = batches();
    let db = backend.open().await;
    let mut total = ApplyStats::default();
    let mut add = |s: ApplyStats| {
        total.applied += s.applied;
        total.duplicates += s.duplicates;
        total.gap_filled += s.gap_filled;
        total.parked += s.parked;
    };
    match rebuild {
        None => {
            for batch in &batches {
                add(db
                    .projection
                    .apply_batch("all", batch, &gaps)
                    .await
                    .unwrap());
            }
        }
        Some(rows) => {
            let mut rebuild = db.projection.rebuild().await.unwrap().holding_at_most(rows);
            for batch in &batches {
                add(rebuild.apply("all", batch, &gaps).await.unwrap());
            }
            rebuild.finish().await.unwrap();
        }
    }
    assert_eq!(db.projection.parked().await.unwrap().len(), 1);
    (rows(&db.url, TABLE_ROWS).await, total)
}

async fn a_rebuild_equals_applying_batch_by_batch(backend: Backend) {
    let (batched, stats) = built(backend, None).await;
    assert_eq!(
        (stats.duplicates > 0, stats.gap_filled, stats.parked),
        (true, 1, 1),
        "{stats:?}"
    );
    assert!(batched.len() > 3000, "{} rows", batched.len());
    for public in [
        "xingfu-team|xingfu|",
        "xingfu-deed-0|xingfu|",
        "xingfu-board/",
    ] {
        assert!(
            batched.iter().any(|r| r.starts_with(public)),
            "{public}… is compared"
        );
    }
    for rows in [None, Some(2000)] {
        let (rebuilt, rebuilt_stats) = built(backend, Some(rows.unwrap_or(usize::MAX))).await;
        assert_eq!(rebuilt_stats, stats, "holding at most {rows:?} rows");
        assert!(
            rebuilt == batched,
            "holding at most {rows:?} rows: tables differ"
        );
    }
}

async fn a_rebuild_needs_an_empty_projection(backend: Backend) {
    let mut log = Log::default();
    log.push("2026-11-02", household_registered("h1"));
    let db = applied(backend, "residents", &log).await;
    let refused = db.projection.rebuild().await.err().expect("refused");
    assert!(refused.to_string().contains("empty"), "{refused}");
    let _: &Projection = &db.projection;
}

on_both_backends!(
    a_rebuild_equals_applying_batch_by_batch,
    a_rebuild_needs_an_empty_projection,
);
