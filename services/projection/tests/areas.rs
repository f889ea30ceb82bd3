//! Applying activities, volunteering and safety events through the storage layer, on
//! SQLite and PostgreSQL: their data elements (flows and stocks), the read-model rows,
//! what the community page reads (board updates, teams, published good deeds), and
//! rebuild determinism.

mod common;

use civitas_projection::{Projection, PublicBoardUpdate, PublicDeed, PublicTeam};
use civitas_proto::events::v1::{
    ActivityCategory as Ac, BoardTopic as Bt, IncidentCategory as Ic, IncidentSeverity as Is,
    VolunteerServiceCategory as Vs,
};
use common::areas::*;
use common::*;

/// The non-zero values of xingfu for `first..=last` whose code starts with `prefix`.
async fn xingfu(p: &Projection, first: &str, last: &str, prefix: &str) -> Vec<(String, f64)> {
    let all = values(p, &["xingfu"], first, last).await;
    all.into_iter()
        .filter(|(e, _)| e.starts_with(prefix))
        .collect()
}

/// Activities in xingfu: a film night closed, a class cancelled, a plan published twice.
fn activities_log() -> Log {
    let mut log = Log::default();
    log.push("2026-01-05", annual_plan_published("xingfu", 2026, 1, 12));
    log.push("2026-06-01", annual_plan_amended("xingfu", 2026, 2));
    log.push("2026-06-02", annual_plan_published("xingfu", 2026, 2, 15));
    let film_night = activity_scheduled("a1", Ac::FilmScreening, "2026-11-07T11:00:00Z");
    log.push("2026-11-01", film_night);
    log.push("2026-11-02", participant_registered("a1", "r1", 1));
    log.push("2026-11-03", participant_registered("a1", "r2", 2));
    log.push("2026-11-07", participant_checked_in("a1", "r1"));
    log.push("2026-11-07", participant_checked_in("a1", ""));
    log.push(
        "2026-11-07",
        activity_closed("a1", Ac::FilmScreening, 2, 1, 1),
    );
    let class = activity_scheduled("a2", Ac::CitizenSchoolClass, "2026-11-20T01:00:00Z");
    log.push("2026-11-01", class);
    log.push(
        "2026-11-10",
        activity_cancelled("a2", Ac::CitizenSchoolClass),
    );
    log.push("2026-11-04", publicity_board_updated("b1", "2026-11-04"));
    log.push("2026-03-01", facility_registered("f1", 200));
    log
}

async fn activities_feed_their_elements(backend: Backend) {
    let db = backend.open().await;
    let p = &db.projection;
    let log = activities_log();
    let stats = p
        .apply_batch("activities", &log.events, &NoGaps)
        .await
        .unwrap();
    assert_eq!((stats.applied, stats.unknown), (13, 0));

    assert_eq!(
        xingfu(p, "2026-11-01", "2026-11-30", "").await,
        expect(&[
            ("activities.held", 1.0),
            ("activities.held.film_screening", 1.0),
            ("activities.attendance", 2.0),
            ("activities.registered_at_close", 2.0),
            ("activities.registered_attended", 1.0),
            ("activities.film_screenings", 1.0),
            ("activities.cancelled", 1.0),
            ("plan.items_published", 15.0),
            ("publicity.board_updates", 1.0),
            ("publicity.board_updates.health_education", 1.0),
            ("facilities.area_m2", 200.0),
            // The facility is a service station: its area is the station's too.
            ("facilities.station_area_m2", 200.0),
        ])
    );
    assert_eq!(
        xingfu(p, "2026-05-01", "2026-05-31", "plan.").await,
        expect(&[("plan.items_published", 12.0)]),
        "before the amended plan was re-published"
    );
    assert_eq!(
        xingfu(p, "2026-12-01", "2026-12-31", "activities.").await,
        vec![],
        "flows stay in their period"
    );
}

async fn volunteering_feeds_its_elements(backend: Backend) {
    let mut log = Log::default();
    for v in ["v1", "v2", "v3"] {
        log.push("2026-11-01", volunteer_registered(v));
    }
    log.push("2026-11-02", volunteer_verified("v1"));
    log.push(
        "2026-11-03",
        hours_submitted("v1", "rec1", 6000, "2026-11-03"),
    );
    let approved = hours_approved("v1", "rec1", 6000, "2026-11-03", "2026-11-05", 6000);
    log.push("2026-11-05", approved);
    log.push("2026-11-05", star_level_changed("v1", 0, 1));
    log.push(
        "2026-11-06",
        hours_submitted("v1", "rec2", 90, "2026-11-06"),
    );
    let approved = hours_approved("v1", "rec2", 90, "2026-11-06", "2026-11-20", 6090);
    log.push("2026-11-20", approved);
    log.push("2026-11-21", hours_reversed("v1", "rec2", 90, 6000));
    log.push(
        "2026-11-22",
        hours_submitted("v1", "rec3", 30, "2026-11-22"),
    );
    log.push("2026-11-25", volunteer_deactivated("v3"));
    let db = applied(backend, "volunteering", &log).await;
    let p = &db.projection;

    assert_eq!(
        xingfu(p, "2026-11-01", "2026-11-30", "volunteer").await,
        expect(&[
            ("volunteers.registered", 2.0),
            ("volunteers.verified", 1.0),
            ("volunteering.approved_minutes", 6000.0),
            ("volunteering.approvals", 2.0),
            ("volunteering.approvals_within_7_days", 1.0),
            ("volunteers.stars.0", 1.0),
            ("volunteers.stars.1", 1.0),
        ])
    );
    assert_eq!(
        xingfu(p, "2026-11-01", "2026-11-01", "volunteers.stars").await,
        expect(&[("volunteers.stars.0", 3.0)]),
        "registered volunteers start without a star"
    );

    let volunteers = rows(&db.url, &["SELECT volunteer_id || '|' || status || '|' || CAST(approved_minutes AS TEXT) || '|' || CAST(star_level AS TEXT) || '|' || CAST(pending_records AS TEXT) FROM volunteer_view ORDER BY volunteer_id"]).await;
    assert_eq!(
        volunteers,
        [
            "v1|verified|6000|1|1",
            "v2|registered|0|0|0",
            "v3|deactivated|0|0|0"
        ]
    );
    let pending = rows(
        &db.url,
        &["SELECT record_id || '|' || volunteer_id || '|' || submitted_on FROM pending_approval_view"],
    )
    .await;
    assert_eq!(pending, ["rec3|v1|2026-11-22"]);
}

async fn safety_feeds_its_elements(backend: Backend) {
    let mut log = Log::default();
    let (nov2, nov3, nov4) = (
        "2026-11-02T02:00:00Z",
        "2026-11-03T02:00:00Z",
        "2026-11-04T02:00:00Z",
    );
    log.push(
        "2026-11-02",
        incident_reported("i1", Ic::Theft, Is::Minor, nov2),
    );
    log.push("2026-11-02", incident_dispatched("i1"));
    log.push("2026-11-03", incident_resolved("i1", nov2, nov3));
    log.push(
        "2026-11-04",
        incident_reported("i2", Ic::Fire, Is::Major, nov4),
    );
    log.push(
        "2026-11-08",
        incident_resolved("i2", nov4, "2026-11-08T02:00:00Z"),
    );
    let dispute = incident_reported("i3", Ic::Dispute, Is::Serious, "2026-11-09T02:00:00Z");
    log.push("2026-11-09", dispute);
    log.push("2026-11-05", patrol_completed("p1", 4, 90));
    log.push("2026-11-05", inspection_recorded("n1", true));
    log.push("2026-11-05", inspection_recorded("n2", false));
    log.push(
        "2026-11-05",
        rectification_ordered("k1", "2026-11-05", "2026-11-12"),
    );
    log.push(
        "2026-11-05",
        rectification_ordered("k2", "2026-11-05", "2026-11-12"),
    );
    log.push(
        "2026-11-10",
        rectification_verified("k1", "2026-11-10", "2026-11-12"),
    );
    let db = applied(backend, "safety", &log).await;
    let p = &db.projection;

    let month = |prefix| xingfu(p, "2026-11-01", "2026-11-30", prefix);
    assert_eq!(
        month("incidents").await,
        expect(&[
            ("incidents.reported", 3.0),
            ("incidents.reported.theft", 1.0),
            ("incidents.reported.fire", 1.0),
            ("incidents.reported.dispute", 1.0),
            ("incidents.severity.minor", 1.0),
            ("incidents.severity.serious", 1.0),
            ("incidents.severity.major", 1.0),
            ("incidents.major", 1.0),
            ("incidents.resolved", 2.0),
            ("incidents.resolved_within_48h", 1.0),
        ])
    );
    let mut rest = month("patrols").await;
    rest.extend(month("inspections").await);
    rest.extend(month("rectifications").await);
    assert_eq!(
        rest,
        [
            expect(&[
                ("patrols.completed", 1.0),
                ("patrols.minutes", 90.0),
                ("patrols.participants", 4.0)
            ]),
            expect(&[("inspections.passed", 1.0), ("inspections.failed", 1.0)]),
            expect(&[
                ("rectifications.ordered", 2.0),
                ("rectifications.verified", 1.0),
                ("rectifications.verified_on_time", 1.0),
                ("rectifications.open", 1.0),
            ]),
        ]
        .concat()
    );
    let incidents = rows(&db.url, &["SELECT incident_id || '|' || category || '|' || severity || '|' || state || '|' || reported_at || '|' || CAST(alert AS TEXT) FROM incident_view ORDER BY incident_id"]).await;
    assert_eq!(
        incidents,
        [
            "i1|theft|minor|resolved|2026-11-02T02:00:00Z|0",
            "i2|fire|major|resolved|2026-11-04T02:00:00Z|1",
            "i3|dispute|serious|reported|2026-11-09T02:00:00Z|0",
        ]
    );
}

async fn rebuilds_are_identical_whatever_the_batching(backend: Backend) {
    let mut log = activities_log();
    let mut push = |on, draft| log.push_in("heping", on, draft);
    push("2026-11-01", volunteer_registered("v1"));
    push(
        "2026-11-02",
        hours_submitted("v1", "rec1", 60, "2026-11-02"),
    );
    let approved = hours_approved("v1", "rec1", 60, "2026-11-02", "2026-11-03", 60);
    push("2026-11-03", approved);
    let theft = incident_reported("i1", Ic::Theft, Is::Minor, "2026-11-02T02:00:00Z");
    push("2026-11-02", theft);
    push(
        "2026-11-05",
        rectification_ordered("k1", "2026-11-05", "2026-11-12"),
    );
    let dump = [
        KPI_ROWS,
        KPI_MONTH_ROWS,
        "SELECT activity_id || '|' || status || '|' || CAST(registered AS TEXT) || '|' || CAST(checked_in AS TEXT) || '|' || starts_at FROM activity_view ORDER BY activity_id",
        "SELECT plan_key || '|' || CAST(item_count AS TEXT) FROM plan_view ORDER BY plan_key",
        "SELECT volunteer_id || '|' || CAST(approved_minutes AS TEXT) || '|' || CAST(pending_records AS TEXT) FROM volunteer_view ORDER BY volunteer_id",
        "SELECT record_id FROM pending_approval_view ORDER BY record_id",
        "SELECT incident_id || '|' || state FROM incident_view ORDER BY incident_id",
        "SELECT rectification_id || '|' || state FROM rectification_view ORDER BY rectification_id",
    ];
    let (a, b) = rebuilt_both_ways(backend, &log, &dump).await;
    assert!(
        a.contains(&"a1|closed|2|2|2026-11-07T11:00:00Z".to_owned()),
        "{a:#?}"
    );
    assert!(a.contains(&"xingfu/2026|15".to_owned()), "{a:#?}");
    assert!(
        !a.iter().any(|r| r == "rec1"),
        "approved records leave the pending list"
    );
    assert_eq!(a, b);
}

/// More activities in one batch than one statement can bind (11 values a row): the
/// rows are written in several statements, all of them.
async fn a_batch_beyond_the_bind_limit_is_split(backend: Backend) {
    let mut log = Log::default();
    for i in 0..3000 {
        let starts_at = "2026-11-20T01:00:00Z";
        let scheduled = activity_scheduled(&format!("a{i}"), Ac::FilmScreening, starts_at);
        log.push("2026-11-01", scheduled);
    }
    let db = applied(backend, "activities", &log).await;
    let sql = ["SELECT CAST(COUNT(*) AS TEXT) FROM activity_view"];
    assert_eq!(rows(&db.url, &sql).await, vec!["3000".to_owned()]);
    assert_eq!(db.projection.applied_events().await.unwrap(), 3000);
}

/// The community page's records in xingfu and heping: twelve board updates in xingfu
/// (two on one board and day), teams whose members come and go, and good deeds
/// recorded, published, retracted and published again.
fn public_log() -> Log {
    let mut log = Log::default();
    for d in 1..=11 {
        let on = format!("2026-11-{d:02}");
        let update = publicity_board_updated_about("b1", &on, Bt::Science, &format!("Notice {d}"));
        log.push(&on, update);
    }
    // The same board again on the 11th: the later update stands.
    let politics = publicity_board_updated_about("b1", "2026-11-11", Bt::Politics, "Party history");
    log.push("2026-11-11", politics);
    let other = publicity_board_updated_about("b2", "2026-11-12", Bt::Unspecified, "Fire safety");
    log.push("2026-11-12", other);
    let heping = publicity_board_updated_about("b3", "2026-11-13", Bt::Economy, "Prices");
    log.push_in("heping", "2026-11-13", heping);

    let care = team_formed("t1", "Sunset visitors", "Weekly visits", Vs::EmptyNestCare);
    log.push("2026-11-01", care);
    for v in ["v1", "v2", "v3"] {
        log.push("2026-11-02", team_member_added("t1", v));
    }
    log.push("2026-11-03", team_member_removed("t1", "v2"));
    let repair = team_formed("t2", "Fix-it corner", "Repairs on Saturdays", Vs::Repair);
    log.push("2026-11-04", repair);
    let tutors = team_formed("t3", "Homework club", "After school", Vs::Tutoring);
    log.push_in("heping", "2026-11-04", tutors);

    let deed = |id: &str, on: &str| {
        good_deed_recorded(id, &format!("Title {id}"), &format!("Story {id}"), on)
    };
    // Recorded only: not on the page.
    log.push("2026-11-05", deed("d1", "2026-11-04"));
    // Published: on the page.
    log.push("2026-11-05", deed("d2", "2026-11-02"));
    log.push("2026-11-06", good_deed_published("d2", "2026-11-06"));
    // Published, then retracted: off the page again.
    log.push("2026-11-05", deed("d3", "2026-11-03"));
    log.push("2026-11-06", good_deed_published("d3", "2026-11-06"));
    log.push("2026-11-07", good_deed_retracted("d3"));
    // Published, retracted, published again: on the page.
    log.push("2026-11-05", deed("d4", "2026-11-05"));
    log.push("2026-11-06", good_deed_published("d4", "2026-11-06"));
    log.push("2026-11-07", good_deed_retracted("d4"));
    log.push("2026-11-08", good_deed_published("d4", "2026-11-08"));
    // Heping's own.
    log.push_in("heping", "2026-11-05", deed("d5", "2026-11-05"));
    log.push_in(
        "heping",
        "2026-11-06",
        good_deed_published("d5", "2026-11-06"),
    );
    log
}

async fn the_community_page_reads_its_own_latest_records(backend: Backend) {
    let db = applied(backend, "all", &public_log()).await;
    let notices = db.projection.community_notices("xingfu").await.unwrap();
    let update = |on: &str, topic: &str, text: &str| PublicBoardUpdate {
        updated_on: on.into(),
        topic: topic.into(),
        text: text.into(),
    };
    let mut board = vec![
        update("2026-11-12", "other", "Fire safety"),
        update("2026-11-11", "politics", "Party history"),
    ];
    board.extend((3..=10).rev().map(|d| {
        update(
            &format!("2026-11-{d:02}"),
            "science",
            &format!("Notice {d}"),
        )
    }));
    assert_eq!(notices.board_updates, board, "the latest ten, newest first");
    let team = |name: &str, purpose: &str, category: &str, members| PublicTeam {
        name: name.into(),
        purpose: purpose.into(),
        category: category.into(),
        members,
    };
    assert_eq!(
        notices.teams,
        [
            team("Fix-it corner", "Repairs on Saturdays", "repair", 0),
            team("Sunset visitors", "Weekly visits", "empty_nest_care", 2),
        ]
    );
    let deed = |id: &str, on: &str| PublicDeed {
        title: format!("Title {id}"),
        story: format!("Story {id}"),
        happened_on: on.into(),
    };
    assert_eq!(
        notices.deeds,
        [deed("d4", "2026-11-05"), deed("d2", "2026-11-02")],
        "published ones only, by the day they happened"
    );

    let heping = db.projection.community_notices("heping").await.unwrap();
    assert_eq!(
        (heping.board_updates.len(), heping.teams.len(), heping.deeds),
        (1, 1, vec![deed("d5", "2026-11-05")])
    );
    let nowhere = db.projection.community_notices("nowhere").await.unwrap();
    assert_eq!(nowhere, Default::default());
}

/// The community page's rows are the same applied in one batch, one event per batch,
/// and rebuilt in memory.
async fn the_community_page_rows_rebuild_alike(backend: Backend) {
    let log = public_log();
    let (whole, single) = rebuilt_both_ways(backend, &log, PUBLIC_ROWS).await;
    assert_eq!(whole, single);
    let rebuilt = backend.open().await;
    let mut rebuild = rebuilt.projection.rebuild().await.unwrap();
    rebuild.apply("all", &log.events, &NoGaps).await.unwrap();
    rebuild.finish().await.unwrap();
    assert_eq!(rows(&rebuilt.url, PUBLIC_ROWS).await, whole);
    for row in [
        "b1/2026-11-11|xingfu|2026-11-11|politics|Party history",
        "t1|xingfu|2026-11-01|Sunset visitors|Weekly visits|empty_nest_care|2",
        "d1|xingfu|2026-11-04|Title d1|Story d1|0",
        "d3|xingfu|2026-11-03|Title d3|Story d3|0",
        "d4|xingfu|2026-11-05|Title d4|Story d4|1",
    ] {
        assert!(whole.contains(&row.to_owned()), "{row} in {whole:#?}");
    }
    assert_eq!(whole.len(), 13 + 3 + 5, "{whole:#?}");
}

on_both_backends!(
    the_community_page_reads_its_own_latest_records,
    the_community_page_rows_rebuild_alike,
    a_batch_beyond_the_bind_limit_is_split,
    activities_feed_their_elements,
    volunteering_feeds_its_elements,
    safety_feeds_its_elements,
    rebuilds_are_identical_whatever_the_batching,
);
