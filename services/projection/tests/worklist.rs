//! The Worklist service and the new data elements over the demo org tree: staff lists
//! scoped like GetKpis, and activity, volunteering and safety elements rolled up from
//! community to street to district. On both backends.

mod common;

use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::{Insights, Projection, Worklist};
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::{
    ActivityCategory as Ac, IncidentCategory as Ic, IncidentSeverity as Is,
};
use civitas_proto::insights::v1::insights_service_server::InsightsService;
use civitas_proto::insights::v1::worklist_service_server::WorklistService;
use civitas_proto::insights::v1::*;
use common::areas::*;
use common::*;
use tonic::{Code, Request};

fn as_(role: Role, org_unit: &str) -> Caller {
    Caller {
        subject: "tester".into(),
        role,
        org_unit: org_unit.into(),
    }
}

fn request<T>(who: Caller, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(who);
    request
}

fn staff() -> Caller {
    as_(Role::Staff, "xingfu")
}

fn district() -> Caller {
    as_(Role::District, "gulou")
}

/// xingfu and heping (street huafeng) and chaoyang (street dongjie), each with an
/// activity, a volunteer with a pending record, incidents and rectifications.
async fn seeded(backend: Backend) -> (TestDb, Worklist, Insights) {
    let db = backend.open().await;
    let mut log = Log::default();
    for (i, community) in ["xingfu", "heping", "chaoyang"].into_iter().enumerate() {
        let n = i + 1;
        let (a, v, inc, k) = (
            format!("a{n}"),
            format!("v{n}"),
            format!("i{n}"),
            format!("k{n}"),
        );
        let start = format!("2026-12-0{n}T02:00:00Z");
        log.push(
            &format!("activity-{a}"),
            community,
            "2026-11-20",
            scheduled(&a, Ac::FilmScreening, &start),
        );
        log.push(
            &format!("activity-{a}"),
            community,
            "2026-11-21",
            participant_registered(&a, "r1", 1),
        );
        log.push(
            &format!("volunteer-{v}"),
            community,
            "2026-11-01",
            volunteer_registered(&v),
        );
        log.push(
            &format!("volunteer-{v}"),
            community,
            "2026-11-02",
            hours_submitted(
                &v,
                &format!("rec{n}"),
                60 * n as u32,
                &format!("2026-11-0{n}"),
            ),
        );
        log.push(
            &format!("incident-{inc}"),
            community,
            "2026-11-10",
            incident_reported(
                &inc,
                Ic::Fire,
                Is::Serious,
                &format!("2026-11-10T0{n}:00:00Z"),
            ),
        );
        log.push(
            &format!("rectification-{k}"),
            community,
            "2026-11-05",
            rectification_ordered(&k, "2026-11-05", &format!("2026-11-1{n}")),
        );
    }
    // xingfu: a closed film night, a resolved minor theft, a verified rectification,
    // approved hours and a star.
    log.push(
        "activity-a9",
        "xingfu",
        "2026-11-07",
        scheduled("a9", Ac::FilmScreening, "2026-11-07T11:00:00Z"),
    );
    log.push(
        "activity-a9",
        "xingfu",
        "2026-11-07",
        participant_registered("a9", "r1", 1),
    );
    log.push(
        "activity-a9",
        "xingfu",
        "2026-11-07",
        participant_registered("a9", "r2", 2),
    );
    log.push(
        "activity-a9",
        "xingfu",
        "2026-11-07",
        checked_in("a9", "r1"),
    );
    log.push("activity-a9", "xingfu", "2026-11-07", checked_in("a9", ""));
    log.push(
        "activity-a9",
        "xingfu",
        "2026-11-07",
        activity_closed("a9", Ac::FilmScreening, 2, 1, 1),
    );
    log.push(
        "incident-i8",
        "xingfu",
        "2026-11-11",
        incident_reported("i8", Ic::Theft, Is::Minor, "2026-11-11T01:00:00Z"),
    );
    log.push(
        "incident-i8",
        "xingfu",
        "2026-11-11",
        incident_dispatched("i8"),
    );
    log.push(
        "incident-i9",
        "xingfu",
        "2026-11-12",
        incident_reported("i9", Ic::Dispute, Is::Minor, "2026-11-12T01:00:00Z"),
    );
    log.push(
        "incident-i9",
        "xingfu",
        "2026-11-12",
        incident_resolved("i9", "2026-11-12T01:00:00Z", "2026-11-12T05:00:00Z"),
    );
    log.push(
        "rectification-k9",
        "xingfu",
        "2026-11-05",
        rectification_ordered("k9", "2026-11-05", "2026-11-08"),
    );
    log.push(
        "rectification-k9",
        "xingfu",
        "2026-11-07",
        rectification_verified("k9", "2026-11-07", "2026-11-08"),
    );
    log.push(
        "volunteer-v1",
        "xingfu",
        "2026-11-03",
        hours_submitted("v1", "rec9", 6000, "2026-11-03"),
    );
    log.push(
        "volunteer-v1",
        "xingfu",
        "2026-11-04",
        hours_approved("v1", "rec9", 6000, "2026-11-03", "2026-11-04", 6000),
    );
    log.push(
        "volunteer-v1",
        "xingfu",
        "2026-11-04",
        star_changed("v1", 0, 1),
    );
    // heping: a major incident escalated from serious, reported in December.
    log.push(
        "incident-i7",
        "heping",
        "2026-12-02",
        incident_reported("i7", Ic::PublicOrder, Is::Major, "2026-12-02T01:00:00Z"),
    );
    db.projection
        .apply_batch("all", &log.events, &NoGaps)
        .await
        .unwrap();
    let tree = OrgTree::demo();
    let worklist = Worklist::new(db.projection.clone(), tree.clone());
    let insights = Insights::new(db.projection.clone(), tree);
    (db, worklist, insights)
}

async fn upcoming_activities_and_attendance(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let window = |org_unit: &str| ListUpcomingActivitiesRequest {
        org_unit: org_unit.into(),
        from: Some(timestamp(at("2026-12-01T00:00:00Z"))),
        to: Some(timestamp(at("2026-12-31T00:00:00Z"))),
    };
    let r = service
        .list_upcoming_activities(request(staff(), window("")))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = r
        .activities
        .iter()
        .map(|a| a.activity_id.as_str())
        .collect();
    assert_eq!(ids, ["a1"], "own community, scheduled, within the window");
    let a1 = &r.activities[0];
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

    let r = service
        .list_upcoming_activities(request(district(), window("huafeng")))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = r
        .activities
        .iter()
        .map(|a| a.activity_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["a1", "a2"],
        "the street's communities, earliest first"
    );

    let att = service
        .get_activity_attendance(request(
            staff(),
            GetActivityAttendanceRequest {
                activity_id: "a9".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
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

    let err = service
        .get_activity_attendance(request(
            staff(),
            GetActivityAttendanceRequest {
                activity_id: "a3".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = service
        .get_activity_attendance(request(
            staff(),
            GetActivityAttendanceRequest {
                activity_id: "nope".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    let mut backwards = window("");
    std::mem::swap(&mut backwards.from, &mut backwards.to);
    let err = service
        .list_upcoming_activities(request(staff(), backwards))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
}

async fn volunteer_lists(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let pending = service
        .list_pending_hour_approvals(request(
            district(),
            ListPendingHourApprovalsRequest {
                org_unit: "huafeng".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
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

    let hours = service
        .list_volunteer_hours(request(staff(), ListVolunteerHoursRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hours.volunteers.len(), 1);
    let v1 = &hours.volunteers[0];
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
    let all = service
        .list_volunteer_hours(request(district(), ListVolunteerHoursRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = all
        .volunteers
        .iter()
        .map(|v| v.volunteer_id.as_str())
        .collect();
    assert_eq!(ids, ["v1", "v2", "v3"], "most hours first");
}

async fn safety_lists(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let open = service
        .list_open_incidents(request(staff(), ListOpenIncidentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
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

    let overdue = |org_unit: &str, as_of: &str| ListOverdueRectificationsRequest {
        org_unit: org_unit.into(),
        as_of: date(as_of),
    };
    let r = service
        .list_overdue_rectifications(request(district(), overdue("gulou", "2026-11-13")))
        .await
        .unwrap()
        .into_inner();
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
    let r = service
        .list_overdue_rectifications(request(staff(), overdue("", "2026-11-11")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.rectifications.len(),
        0,
        "due on the 11th is not overdue that day"
    );

    let alerts = |period: &str| ListAlertsRequest {
        org_unit: String::new(),
        period: period.into(),
    };
    let r = service
        .list_alerts(request(district(), alerts("202611")))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = r.alerts.iter().map(|a| a.incident_id.as_str()).collect();
    assert_eq!(ids, ["i3", "i2", "i1"], "fires of November, newest first");
    let r = service
        .list_alerts(request(district(), alerts("202612")))
        .await
        .unwrap()
        .into_inner();
    let rows: Vec<_> = r
        .alerts
        .iter()
        .map(|a| (a.incident_id.as_str(), a.severity.as_str()))
        .collect();
    assert_eq!(rows, [("i7", "major")]);
    let err = service
        .list_alerts(request(district(), alerts("2026M12")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
}

async fn lists_are_scoped_by_token(backend: Backend) {
    let (_db, service, _) = seeded(backend).await;
    let err = service
        .list_open_incidents(request(
            staff(),
            ListOpenIncidentsRequest {
                org_unit: "heping".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = service
        .list_pending_hour_approvals(request(
            staff(),
            ListPendingHourApprovalsRequest {
                org_unit: "huafeng".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = service
        .list_alerts(request(
            as_(Role::District, "dongjie"),
            ListAlertsRequest {
                org_unit: "xingfu".into(),
                period: "2026".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = service
        .list_volunteer_hours(request(
            district(),
            ListVolunteerHoursRequest {
                org_unit: "atlantis".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    let err = service
        .list_open_incidents(Request::new(ListOpenIncidentsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");

    let street = service
        .list_open_incidents(request(
            as_(Role::District, "dongjie"),
            ListOpenIncidentsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        street.incidents.iter().all(|i| i.community == "chaoyang"),
        "{street:?}"
    );
    assert_eq!(street.incidents.len(), 1);
}

fn value(unit: &OrgUnitKpis, element: &str) -> f64 {
    unit.values
        .iter()
        .find(|v| v.element == element)
        .unwrap_or_else(|| panic!("{element} missing in {}", unit.code))
        .value
}

async fn new_elements_roll_up_the_tree(backend: Backend) {
    let (_db, _, insights) = seeded(backend).await;
    let kpis = |unit: &str, period: &str| {
        let r = request(
            as_(Role::District, "gulou"),
            GetKpisRequest {
                org_unit: unit.into(),
                period: period.into(),
            },
        );
        let insights = insights.clone();
        async move { insights.get_kpis(r).await.unwrap().into_inner() }
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

/// The server wrapper is what the binary mounts.
#[tokio::test]
async fn projection_builds_the_worklist_server() {
    let dir = civitas_testkit::temp_dir();
    let projection = Projection::open(&format!("sqlite://{}/p.db?mode=rwc", dir.path().display()))
        .await
        .unwrap();
    let _server = projection.worklist(OrgTree::demo());
}

on_both_backends!(
    upcoming_activities_and_attendance,
    volunteer_lists,
    safety_lists,
    lists_are_scoped_by_token,
    new_elements_roll_up_the_tree,
);
