//! The Worklist service and the new data elements over the demo org tree: staff lists
//! scoped like GetKpis, and activity, volunteering and safety elements rolled up from
//! community to street to district. On both backends.

mod common;

use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::{Insights, Worklist};
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::{
    ActivityCategory as Ac, IncidentCategory as Ic, IncidentSeverity as Is,
};
use civitas_proto::insights::v1::worklist_service_client::WorklistServiceClient;
use civitas_proto::insights::v1::worklist_service_server::WorklistService;
use civitas_proto::insights::v1::*;
use common::areas::*;
use common::*;
use tonic::{Code, Request, Status};

fn staff() -> Caller {
    caller(Role::Staff, "xingfu")
}

fn district() -> Caller {
    caller(Role::District, "gulou")
}

/// xingfu and heping (street huafeng) and chaoyang (street dongjie), each with an
/// activity, a volunteer with a pending record, incidents and rectifications.
async fn seeded(backend: Backend) -> (TestDb, Worklist, Insights) {
    let mut log = Log::default();
    for (i, community) in ["xingfu", "heping", "chaoyang"].into_iter().enumerate() {
        let n = i + 1;
        let (a, v, inc, k) = (
            &format!("a{n}"),
            &format!("v{n}"),
            &format!("i{n}"),
            &format!("k{n}"),
        );
        let mut push = |on, draft| log.push_in(community, on, draft);
        let start = format!("2026-12-0{n}T02:00:00Z");
        push(
            "2026-11-20",
            activity_scheduled(a, Ac::FilmScreening, &start),
        );
        push("2026-11-21", participant_registered(a, "r1", 1));
        push("2026-11-01", volunteer_registered(v));
        let submitted_on = format!("2026-11-0{n}");
        let minutes = 60 * n as u32;
        push(
            "2026-11-02",
            hours_submitted(v, &format!("rec{n}"), minutes, &submitted_on),
        );
        let reported_at = format!("2026-11-10T0{n}:00:00Z");
        push(
            "2026-11-10",
            incident_reported(inc, Ic::Fire, Is::Serious, &reported_at),
        );
        let deadline = format!("2026-11-1{n}");
        push(
            "2026-11-05",
            rectification_ordered(k, "2026-11-05", &deadline),
        );
    }
    // xingfu: a closed film night, a resolved minor theft, a verified rectification,
    // approved hours and a star.
    log.push(
        "2026-11-07",
        activity_scheduled("a9", Ac::FilmScreening, "2026-11-07T11:00:00Z"),
    );
    log.push("2026-11-07", participant_registered("a9", "r1", 1));
    log.push("2026-11-07", participant_registered("a9", "r2", 2));
    log.push("2026-11-07", participant_checked_in("a9", "r1"));
    log.push("2026-11-07", participant_checked_in("a9", ""));
    log.push(
        "2026-11-07",
        activity_closed("a9", Ac::FilmScreening, 2, 1, 1),
    );
    log.push(
        "2026-11-11",
        incident_reported("i8", Ic::Theft, Is::Minor, "2026-11-11T01:00:00Z"),
    );
    log.push("2026-11-11", incident_dispatched("i8"));
    log.push(
        "2026-11-12",
        incident_reported("i9", Ic::Dispute, Is::Minor, "2026-11-12T01:00:00Z"),
    );
    let resolved = incident_resolved("i9", "2026-11-12T01:00:00Z", "2026-11-12T05:00:00Z");
    log.push("2026-11-12", resolved);
    log.push(
        "2026-11-05",
        rectification_ordered("k9", "2026-11-05", "2026-11-08"),
    );
    log.push(
        "2026-11-07",
        rectification_verified("k9", "2026-11-07", "2026-11-08"),
    );
    log.push(
        "2026-11-03",
        hours_submitted("v1", "rec9", 6000, "2026-11-03"),
    );
    let approved = hours_approved("v1", "rec9", 6000, "2026-11-03", "2026-11-04", 6000);
    log.push("2026-11-04", approved);
    log.push("2026-11-04", star_level_changed("v1", 0, 1));
    // heping: a major incident escalated from serious, reported in December.
    let major = incident_reported("i7", Ic::PublicOrder, Is::Major, "2026-12-02T01:00:00Z");
    log.push_in("heping", "2026-12-02", major);
    let db = applied(backend, "all", &log).await;
    let tree = OrgTree::demo();
    let worklist = Worklist::new(db.projection.clone(), tree.clone());
    let insights = Insights::new(db.projection.clone(), tree);
    (db, worklist, insights)
}

/// The code of an error that was expected.
fn code<T: std::fmt::Debug>(result: Result<T, Status>) -> Code {
    result.expect_err("an error").code()
}

async fn upcoming_activities_and_attendance(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let window = |org_unit: &str| ListUpcomingActivitiesRequest {
        org_unit: org_unit.into(),
        from: Some(timestamp(at("2026-12-01T00:00:00Z"))),
        to: Some(timestamp(at("2026-12-31T00:00:00Z"))),
        ..Default::default()
    };
    let upcoming = |who: Caller, request| {
        let service = service.clone();
        async move {
            let r = service.list_upcoming_activities(&who, request).await;
            r.unwrap().activities
        }
    };
    let ids = |list: &[WorklistActivity]| -> Vec<String> {
        list.iter().map(|a| a.activity_id.clone()).collect()
    };
    let activities = upcoming(staff(), window("")).await;
    assert_eq!(
        ids(&activities),
        ["a1"],
        "own community, scheduled, within the window"
    );
    let a1 = &activities[0];
    assert_eq!(
        (
            a1.community.as_str(),
            a1.category.as_str(),
            a1.status.as_str(),
            a1.capacity,
            a1.registered
        ),
        ("xingfu", "film_screening", "scheduled", 30, 1)
    );
    assert_eq!(a1.starts_at, Some(timestamp(at("2026-12-01T02:00:00Z"))));

    let street = upcoming(district(), window("huafeng")).await;
    assert_eq!(
        ids(&street),
        ["a1", "a2"],
        "the street's communities, earliest first"
    );

    let attendance = |id: &str| {
        let request = GetActivityAttendanceRequest {
            activity_id: id.into(),
        };
        let service = service.clone();
        async move { service.get_activity_attendance(&staff(), request).await }
    };
    let att = attendance("a9").await.unwrap();
    let activity = att.activity.as_ref().unwrap();
    assert_eq!(
        (
            activity.status.as_str(),
            activity.registered,
            activity.checked_in
        ),
        ("closed", 2, 2)
    );
    assert_eq!(
        (att.walk_ins, att.registered_attended, att.show_up_rate),
        (1, 1, 0.5)
    );

    assert_eq!(code(attendance("a3").await), Code::PermissionDenied);
    assert_eq!(code(attendance("nope").await), Code::NotFound);
    let mut backwards = window("");
    std::mem::swap(&mut backwards.from, &mut backwards.to);
    let r = service.list_upcoming_activities(&staff(), backwards).await;
    assert_eq!(code(r), Code::InvalidArgument);
}

async fn volunteer_lists(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let request = ListPendingHourApprovalsRequest {
        org_unit: "huafeng".into(),
        ..Default::default()
    };
    let pending = service
        .list_pending_hour_approvals(&district(), request)
        .await
        .unwrap();
    let rows: Vec<_> = pending
        .approvals
        .iter()
        .map(|a| {
            (
                a.record_id.as_str(),
                a.volunteer_id.as_str(),
                a.minutes,
                a.submitted_on,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("rec1", "v1", 60, date("2026-11-01")),
            ("rec2", "v2", 120, date("2026-11-02")),
        ]
    );

    let hours = |who: Caller| {
        let service = service.clone();
        async move {
            let r = service.list_volunteer_hours(&who, Default::default()).await;
            r.unwrap().volunteers
        }
    };
    let volunteers = hours(staff()).await;
    assert_eq!(volunteers.len(), 1);
    let v1 = &volunteers[0];
    assert_eq!(
        (
            v1.volunteer_id.as_str(),
            v1.approved_minutes,
            v1.approved_hours,
            v1.star_level,
            v1.pending_records
        ),
        ("v1", 6000, 100.0, 1, 1)
    );
    let all = hours(district()).await;
    let ids: Vec<_> = all.iter().map(|v| v.volunteer_id.as_str()).collect();
    assert_eq!(ids, ["v1", "v2", "v3"], "most hours first");
}

async fn safety_lists(backend: Backend) {
    let (db, service, _) = seeded(backend).await;
    let open = service
        .list_open_incidents(&staff(), Default::default())
        .await
        .unwrap();
    let rows: Vec<_> = open
        .incidents
        .iter()
        .map(|i| {
            (
                i.incident_id.as_str(),
                i.state.as_str(),
                i.category.as_str(),
                i.alert,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("i8", "dispatched", "theft", false),
            ("i1", "reported", "fire", true)
        ]
    );

    let overdue = |who: Caller, org_unit: &str, as_of: &str| {
        let request = ListOverdueRectificationsRequest {
            org_unit: org_unit.into(),
            as_of: date(as_of),
            ..Default::default()
        };
        let service = service.clone();
        async move {
            let r = service.list_overdue_rectifications(&who, request).await;
            r.unwrap()
        }
    };
    let r = overdue(district(), "gulou", "2026-11-13").await;
    let rows: Vec<_> = r
        .rectifications
        .iter()
        .map(|k| {
            (
                k.rectification_id.as_str(),
                k.community.as_str(),
                k.days_overdue,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("k1", "xingfu", 2), ("k2", "heping", 1)],
        "deadline before as_of, open only (k9 was verified), most overdue first"
    );
    assert_eq!(r.as_of, date("2026-11-13"));
    let r = overdue(staff(), "", "2026-11-11").await;
    assert_eq!(
        r.rectifications.len(),
        0,
        "due on the 11th is not overdue that day"
    );

    // The catalog's grace days: with one, k2 (due the 12th) is not overdue on the 13th.
    let shipped = civitas_projection::indicators::SHIPPED_TOML;
    let graceful = shipped.replace(
        "rectification_grace_days = 0",
        "rectification_grace_days = 1",
    );
    assert_ne!(graceful, shipped, "the shipped catalog has no grace");
    let catalog = civitas_projection::indicators::Catalog::parse(&graceful, "test").unwrap();
    let lenient = Worklist::new(db.projection.clone().with_catalog(catalog), OrgTree::demo());
    let request = ListOverdueRectificationsRequest {
        org_unit: "gulou".into(),
        as_of: date("2026-11-13"),
        ..Default::default()
    };
    let r = lenient
        .list_overdue_rectifications(&district(), request)
        .await
        .unwrap();
    let ids: Vec<_> = r
        .rectifications
        .iter()
        .map(|k| k.rectification_id.as_str())
        .collect();
    assert_eq!(ids, ["k1"]);

    let alerts = |period: &str| {
        let request = ListAlertsRequest {
            org_unit: String::new(),
            period: period.into(),
            ..Default::default()
        };
        let service = service.clone();
        async move { service.list_alerts(&district(), request).await }
    };
    let r = alerts("202611").await.unwrap();
    let ids: Vec<_> = r.alerts.iter().map(|a| a.incident_id.as_str()).collect();
    assert_eq!(ids, ["i3", "i2", "i1"], "fires of November, newest first");
    let r = alerts("202612").await.unwrap();
    let rows: Vec<_> = r
        .alerts
        .iter()
        .map(|a| (a.incident_id.as_str(), a.severity.as_str()))
        .collect();
    assert_eq!(rows, [("i7", "major")]);
    assert_eq!(code(alerts("2026M12").await), Code::InvalidArgument);
}

async fn lists_are_scoped_by_token(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let heping = ListOpenIncidentsRequest {
        org_unit: "heping".into(),
        ..Default::default()
    };
    let r = service.list_open_incidents(&staff(), heping).await;
    assert_eq!(code(r), Code::PermissionDenied);
    let huafeng = ListPendingHourApprovalsRequest {
        org_unit: "huafeng".into(),
        ..Default::default()
    };
    let r = service.list_pending_hour_approvals(&staff(), huafeng).await;
    assert_eq!(code(r), Code::PermissionDenied);
    let xingfu_this_year = ListAlertsRequest {
        org_unit: "xingfu".into(),
        period: "2026".into(),
        ..Default::default()
    };
    let dongjie = caller(Role::District, "dongjie");
    let r = service.list_alerts(&dongjie, xingfu_this_year).await;
    assert_eq!(code(r), Code::PermissionDenied);
    let atlantis = ListVolunteerHoursRequest {
        org_unit: "atlantis".into(),
        ..Default::default()
    };
    let r = service.list_volunteer_hours(&district(), atlantis).await;
    assert_eq!(code(r), Code::NotFound);
    let anonymous = Request::new(ListOpenIncidentsRequest::default());
    let r = WorklistService::list_open_incidents(&service, anonymous).await;
    assert_eq!(code(r), Code::Unauthenticated);

    let street = service
        .list_open_incidents(&dongjie, Default::default())
        .await
        .unwrap();
    assert!(
        street.incidents.iter().all(|i| i.community == "chaoyang"),
        "{street:?}"
    );
    assert_eq!(street.incidents.len(), 1);
}

async fn new_elements_roll_up_the_tree(backend: Backend) {
    let (_db, _, insights) = seeded(backend).await;
    let kpis = |unit: &str, period: &str| {
        let request = GetKpisRequest {
            org_unit: unit.into(),
            period: period.into(),
        };
        let insights = insights.clone();
        async move {
            let who = caller(Role::District, "gulou");
            insights.get_kpis(&who, request).await.unwrap()
        }
    };
    let elements = [
        "incidents.reported",
        "incidents.reported.fire",
        "incidents.major",
        "rectifications.open",
        "volunteers.registered",
        "volunteers.stars.0",
        "activities.film_screenings",
    ];
    let mut at_level = Vec::new();
    for unit in ["xingfu", "huafeng", "gulou"] {
        let r = kpis(unit, "202611").await;
        let unit = r.org_unit.unwrap();
        at_level.push(elements.map(|e| value(&unit, e)));
        for e in elements {
            let children: f64 = r.children.iter().map(|c| value(c, e)).sum();
            if !r.children.is_empty() {
                assert_eq!(
                    children,
                    value(&unit, e),
                    "{e}: children add up to {}",
                    unit.code
                );
            }
        }
    }
    assert_eq!(
        at_level,
        [
            [3.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0],
            [4.0, 2.0, 0.0, 2.0, 2.0, 1.0, 1.0],
            [5.0, 3.0, 0.0, 3.0, 3.0, 2.0, 1.0],
        ]
    );
    let december = kpis("gulou", "202612").await.org_unit.unwrap();
    assert_eq!(value(&december, "incidents.major"), 1.0);
    assert_eq!(
        value(&december, "incidents.reported"),
        1.0,
        "flows stay in their period"
    );
    assert_eq!(
        value(&december, "rectifications.open"),
        3.0,
        "stocks carry over"
    );
    assert_eq!(
        december
            .values
            .iter()
            .find(|v| v.element == "rectifications.open")
            .unwrap()
            .aggregation,
        "LAST"
    );
}

/// 25 rows where a page holds 10: three pages, every row once, in the list's order,
/// for lists ordered ascending (pending approvals, open incidents) and descending
/// (volunteer hours, alerts); a page over the cap is refused naming page_size.
async fn lists_page_without_losing_or_repeating_rows(backend: Backend) {
    let mut log = Log::default();
    for n in 0..25u32 {
        let (v, inc) = (&format!("v{n:02}"), &format!("i{n:02}"));
        log.push("2026-11-01", volunteer_registered(v));
        // Ties in the sort key (same minutes, same day) are ordered by id.
        let minutes = 60 * (n % 4 + 1);
        let record = hours_submitted(v, &format!("rec{n:02}"), minutes, "2026-11-02");
        log.push("2026-11-02", record);
        let reported_at = format!("2026-11-10T{:02}:00:00Z", n % 6);
        log.push(
            "2026-11-10",
            incident_reported(inc, Ic::Fire, Is::Serious, &reported_at),
        );
    }
    let db = applied(backend, "all", &log).await;
    let service = Worklist::new(db.projection.clone(), OrgTree::demo());
    let who = staff();

    /// Follows the tokens of one list from its first page; its pages' row ids.
    macro_rules! pages {
        ($rpc:ident, $request:ident, $rows:ident, $id:ident) => {{
            let mut pages: Vec<Vec<String>> = Vec::new();
            let mut page_token = String::new();
            loop {
                let request = $request {
                    page_size: 10,
                    page_token,
                    ..Default::default()
                };
                let r = service.$rpc(&who, request).await.unwrap();
                pages.push(r.$rows.iter().map(|row| row.$id.clone()).collect());
                if r.next_page_token.is_empty() {
                    break pages;
                }
                page_token = r.next_page_token;
            }
        }};
    }
    let check = |name: &str, pages: Vec<Vec<String>>, whole: Vec<String>| {
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 5],
            "{name}"
        );
        assert_eq!(pages.concat(), whole, "{name}: every row once, in order");
    };
    let sorted_by = |key: &dyn Fn(u32) -> (i64, String)| {
        let mut ids: Vec<u32> = (0..25).collect();
        ids.sort_by_key(|n| key(*n));
        ids
    };

    let pending = pages!(
        list_pending_hour_approvals,
        ListPendingHourApprovalsRequest,
        approvals,
        record_id
    );
    let whole = (0..25).map(|n| format!("rec{n:02}")).collect();
    check("pending approvals", pending, whole);

    let hours = pages!(
        list_volunteer_hours,
        ListVolunteerHoursRequest,
        volunteers,
        volunteer_id
    );
    // No hours approved yet: all tie, by id.
    let whole = (0..25).map(|n| format!("v{n:02}")).collect();
    check("volunteer hours", hours, whole);

    let incidents = pages!(
        list_open_incidents,
        ListOpenIncidentsRequest,
        incidents,
        incident_id
    );
    let by_report = sorted_by(&|n| (i64::from(n % 6), format!("i{n:02}")));
    let whole = by_report.iter().map(|n| format!("i{n:02}")).collect();
    check("open incidents", incidents, whole);

    let mut alerts: Vec<Vec<String>> = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListAlertsRequest {
            org_unit: String::new(),
            period: "202611".into(),
            page_size: 10,
            page_token,
        };
        let r = service.list_alerts(&who, request).await.unwrap();
        alerts.push(r.alerts.iter().map(|a| a.incident_id.clone()).collect());
        if r.next_page_token.is_empty() {
            break;
        }
        page_token = r.next_page_token;
    }
    // Newest first, ties by id.
    let newest_first = sorted_by(&|n| (-i64::from(n % 6), format!("i{n:02}")));
    let whole = newest_first.iter().map(|n| format!("i{n:02}")).collect();
    check("alerts", alerts, whole);

    let too_many = ListOpenIncidentsRequest {
        page_size: 1_001,
        ..Default::default()
    };
    let status = service
        .list_open_incidents(&who, too_many)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "invalid page_size: must be at most 1000");
}

/// What the binary mounts: the Worklist server behind the auth interceptor.
#[tokio::test]
async fn projection_serves_the_worklist_behind_auth() {
    let (server, _db) = served().await;
    let channel = server.channel_as(Role::Staff, "xingfu").await;
    let open = WorklistServiceClient::new(channel)
        .list_open_incidents(ListOpenIncidentsRequest::default())
        .await
        .unwrap();
    assert_eq!(open.into_inner().incidents.len(), 0);
    let err = WorklistServiceClient::new(server.channel_with(None).await)
        .list_open_incidents(ListOpenIncidentsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
}

on_both_backends!(
    upcoming_activities_and_attendance,
    volunteer_lists,
    safety_lists,
    lists_are_scoped_by_token,
    new_elements_roll_up_the_tree,
    lists_page_without_losing_or_repeating_rows,
);
