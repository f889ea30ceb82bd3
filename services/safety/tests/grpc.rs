//! End to end over gRPC: the real server on 127.0.0.1:0 with a fresh SQLite store;
//! the main flows of every aggregate and their refusals with the documented codes.

mod common;

use civitas_platform::auth::Role;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;
use tonic::Code;

use common::*;

use ev::EscalationTarget::Police;
use ev::IncidentCategory as Category;
use ev::IncidentSeverity as Severity;

#[tokio::test]
async fn an_incident_goes_from_report_to_closure() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("xingfu").await;

    let reported = staff
        .report_incident(report(Category::Theft, Severity::Minor))
        .await
        .expect("report")
        .into_inner();
    assert!(!reported.alert);
    let result = reported.result.expect("result");
    assert_eq!(result.version, 1);
    assert_eq!(
        result.stream_id,
        format!("incident-{}", reported.incident_id)
    );
    let id = reported.incident_id;

    let err = staff
        .resolve_incident(resolve(&id, "returned"))
        .await
        .expect_err("resolve before dispatch");
    assert_rule(&err, None);

    staff
        .dispatch_incident(dispatch(&id, "patrol team 2"))
        .await
        .expect("dispatch");
    staff
        .escalate_incident(escalate(&id, Police, "repeat offender"))
        .await
        .expect("escalate");
    let err = staff
        .escalate_incident(escalate(&id, Police, "again"))
        .await
        .expect_err("escalate twice");
    assert_rule(&err, Some("target"));
    staff
        .resolve_incident(resolve(&id, "bike returned, lock fitted"))
        .await
        .expect("resolve");
    let closed = staff
        .close_incident(close(&id))
        .await
        .expect("close")
        .into_inner();
    assert_eq!(closed.result.expect("result").version, 5);
    let err = staff
        .close_incident(close(&id))
        .await
        .expect_err("nothing after closure");
    assert_rule(&err, None);
    assert!(err.message().contains("closed"), "{err:?}");

    let incident = get_incident(&mut staff, &id).await;
    assert_eq!(incident.status, api::IncidentStatus::Closed as i32);
    assert_eq!(incident.category, Category::Theft as i32);
    assert_eq!(incident.assignee, "patrol team 2");
    assert_eq!(incident.resolution, "bike returned, lock fitted");
    assert_eq!(incident.escalated_to, [Police as i32]);
    assert_eq!(incident.org.expect("org").street, "huafeng");
    assert_eq!(incident.version, 5);
    assert!(incident.resolved_at.is_some());
}

#[tokio::test]
async fn fires_casualties_and_major_incidents_alert() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("xingfu").await;
    for (category, severity, alert) in [
        (Category::Fire, Severity::Minor, true),
        (Category::Casualty, Severity::Serious, true),
        (Category::Dispute, Severity::Major, true),
        (Category::Gambling, Severity::Serious, false),
    ] {
        let reported = staff
            .report_incident(report(category, severity))
            .await
            .expect("report")
            .into_inner();
        assert_eq!(reported.alert, alert, "{category:?}/{severity:?}");
        let incident = get_incident(&mut staff, &reported.incident_id).await;
        assert_eq!(incident.alert, alert);
        assert_eq!(incident.status, api::IncidentStatus::Reported as i32);
    }
}

#[tokio::test]
async fn malformed_reports_name_the_field() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("xingfu").await;
    let cases: Vec<(&str, api::ReportIncidentRequest)> = vec![
        (
            "category",
            api::ReportIncidentRequest {
                category: 0,
                ..report(Category::Theft, Severity::Minor)
            },
        ),
        (
            "severity",
            api::ReportIncidentRequest {
                severity: 42,
                ..report(Category::Theft, Severity::Minor)
            },
        ),
        (
            "grid",
            api::ReportIncidentRequest {
                grid: " ".into(),
                ..report(Category::Theft, Severity::Minor)
            },
        ),
        (
            "location",
            api::ReportIncidentRequest {
                location: "x".repeat(201),
                ..report(Category::Theft, Severity::Minor)
            },
        ),
        (
            "occurred_at",
            api::ReportIncidentRequest {
                occurred_at: None,
                ..report(Category::Theft, Severity::Minor)
            },
        ),
        (
            "occurred_at",
            api::ReportIncidentRequest {
                occurred_at: Some(timestamp(chrono::Utc::now() + chrono::Duration::hours(2))),
                ..report(Category::Theft, Severity::Minor)
            },
        ),
    ];
    for (field, request) in cases {
        let err = staff.report_incident(request).await.expect_err(field);
        assert_invalid(&err, field);
    }
    let err = staff
        .dispatch_incident(dispatch("not-a-uuid", "team"))
        .await
        .expect_err("bad id");
    assert_invalid(&err, "incident_id");
    let err = staff
        .dispatch_incident(dispatch(&uuid::Uuid::now_v7().to_string(), "team"))
        .await
        .expect_err("unknown incident");
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
}

#[tokio::test]
async fn retries_replay_and_stale_versions_abort() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("xingfu").await;
    let request = api::ReportIncidentRequest {
        options: keyed("report-1"),
        ..report(Category::Fire, Severity::Minor)
    };
    let first = staff
        .report_incident(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = staff
        .report_incident(request.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.incident_id, first.incident_id);
    assert!(again.alert, "a replay answers the stored alert");
    assert!(again.result.expect("result").replayed);

    let other = api::ReportIncidentRequest {
        location: "somewhere else".into(),
        ..request
    };
    let err = staff.report_incident(other).await.expect_err("reused key");
    assert_invalid(&err, "options.idempotency_key");

    let at_version = |version| api::DispatchIncidentRequest {
        options: Some(WriteOptions {
            idempotency_key: String::new(),
            expected_version: Some(version),
        }),
        ..dispatch(&first.incident_id, "team")
    };
    let err = staff
        .dispatch_incident(at_version(7))
        .await
        .expect_err("stale version");
    assert_eq!(err.code(), Code::Aborted, "{err:?}");
    let ok = staff
        .dispatch_incident(at_version(1))
        .await
        .expect("current version")
        .into_inner();
    assert_eq!(ok.result.expect("result").version, 2);
}

#[tokio::test]
async fn a_patrol_is_scheduled_and_completed() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("heping").await;
    let patrol_id = staff
        .schedule_patrol(schedule_patrol())
        .await
        .expect("schedule")
        .into_inner()
        .patrol_id;

    for (field, request) in [
        (
            "participants",
            api::CompletePatrolRequest {
                participants: 0,
                ..complete_patrol(&patrol_id)
            },
        ),
        (
            "minutes",
            api::CompletePatrolRequest {
                minutes: 0,
                ..complete_patrol(&patrol_id)
            },
        ),
        (
            "grids_covered",
            api::CompletePatrolRequest {
                grids_covered: vec![],
                ..complete_patrol(&patrol_id)
            },
        ),
    ] {
        let err = staff.complete_patrol(request).await.expect_err(field);
        assert_invalid(&err, field);
    }
    staff
        .complete_patrol(complete_patrol(&patrol_id))
        .await
        .expect("complete");
    let err = staff
        .complete_patrol(complete_patrol(&patrol_id))
        .await
        .expect_err("twice");
    assert_rule(&err, None);

    let patrol = staff
        .get_patrol(api::GetPatrolRequest {
            patrol_id: patrol_id.clone(),
        })
        .await
        .expect("get")
        .into_inner()
        .patrol
        .expect("patrol");
    assert_eq!(patrol.status, api::PatrolStatus::Completed as i32);
    assert_eq!((patrol.participants, patrol.minutes), (6, 90));
    assert_eq!(patrol.grids_covered, ["G1", "G2"]);
    assert_eq!(patrol.planned_grids.len(), 3);

    let err = staff
        .schedule_patrol(api::SchedulePatrolRequest {
            planned_grids: vec![],
            ..schedule_patrol()
        })
        .await
        .expect_err("no grids");
    assert_invalid(&err, "planned_grids");
    let later = staff
        .schedule_patrol(api::SchedulePatrolRequest {
            planned_start: Some(timestamp(chrono::Utc::now() + chrono::Duration::days(1))),
            ..schedule_patrol()
        })
        .await
        .expect("schedule tomorrow")
        .into_inner()
        .patrol_id;
    let err = staff
        .complete_patrol(complete_patrol(&later))
        .await
        .expect_err("not started");
    assert_rule(&err, None);
}

#[tokio::test]
async fn a_failed_inspection_is_rectified() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("minzhu").await;

    let err = staff
        .record_inspection(inspection(false, &[]))
        .await
        .expect_err("fail without hazard");
    assert_invalid(&err, "hazards");
    let err = staff
        .record_inspection(api::RecordInspectionRequest {
            score: 101,
            ..inspection(true, &[])
        })
        .await
        .expect_err("score");
    assert_invalid(&err, "score");
    let err = staff
        .record_inspection(api::RecordInspectionRequest {
            inspection_type: 0,
            ..inspection(true, &[])
        })
        .await
        .expect_err("type");
    assert_invalid(&err, "inspection_type");

    let passed = staff
        .record_inspection(inspection(true, &[]))
        .await
        .expect("pass")
        .into_inner()
        .inspection_id;
    let failed = staff
        .record_inspection(inspection(false, &["blocked exit", "expired extinguisher"]))
        .await
        .expect("fail")
        .into_inner()
        .inspection_id;
    let recorded = staff
        .get_inspection(api::GetInspectionRequest {
            inspection_id: failed.clone(),
        })
        .await
        .expect("get")
        .into_inner()
        .inspection
        .expect("inspection");
    assert!(!recorded.passed);
    assert_eq!(recorded.hazards, ["blocked exit", "expired extinguisher"]);

    let err = staff
        .order_rectification(order_for(&passed, 7))
        .await
        .expect_err("passed inspection");
    assert_rule(&err, Some("inspection_id"));
    let err = staff
        .order_rectification(order_for(&failed, 0))
        .await
        .expect_err("deadline today");
    assert_invalid(&err, "deadline");
    assert_eq!(err.message(), "invalid deadline: must be after today");
    let err = staff
        .order_rectification(order_for(&uuid::Uuid::now_v7().to_string(), 7))
        .await
        .expect_err("unknown inspection");
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    let err = staff
        .order_rectification(order_for("", 7))
        .await
        .expect_err("neither inspection nor hazard");
    assert_invalid(&err, "hazard");

    let rectification_id = staff
        .order_rectification(order_for(&failed, 7))
        .await
        .expect("order")
        .into_inner()
        .rectification_id;
    let open = get_rectification(&mut staff, &rectification_id).await;
    assert!(!open.verified && !open.overdue);
    assert_eq!(open.inspection_id, failed);
    assert_eq!(open.inspection_type, ev::InspectionType::FireSafety as i32);

    let verified = staff
        .verify_rectification(verify(&rectification_id))
        .await
        .expect("verify")
        .into_inner();
    assert!(verified.on_time);
    let err = staff
        .verify_rectification(verify(&rectification_id))
        .await
        .expect_err("twice");
    assert_rule(&err, None);
    let done = get_rectification(&mut staff, &rectification_id).await;
    assert!(done.verified && done.on_time && !done.overdue);
    assert_eq!(done.verified_on, Some(date_in(0)));

    let hazard_only = staff
        .order_rectification(api::OrderRectificationRequest {
            hazard: "loose railing".into(),
            ..order_for("", 3)
        })
        .await
        .expect("order for a hazard")
        .into_inner()
        .rectification_id;
    let open = get_rectification(&mut staff, &hazard_only).await;
    assert_eq!(open.hazard, "loose railing");
    assert!(open.inspection_id.is_empty());
}

#[tokio::test]
async fn reads_follow_the_org_tree() {
    let server = SafetyServer::start().await;
    let mut xingfu = server.staff("xingfu").await;
    let id = xingfu
        .report_incident(report(Category::Hazard, Severity::Minor))
        .await
        .expect("report")
        .into_inner()
        .incident_id;
    let get = || api::GetIncidentRequest {
        incident_id: id.clone(),
    };
    for (role, org) in [
        (Role::District, "gulou"),
        (Role::District, "huafeng"),
        (Role::Admin, "gulou"),
    ] {
        let mut client = server.client(role, org).await;
        client.get_incident(get()).await.expect("in scope");
    }
    for (role, org) in [(Role::Staff, "heping"), (Role::District, "dongjie")] {
        let mut client = server.client(role, org).await;
        let err = client.get_incident(get()).await.expect_err("out of scope");
        assert_eq!(err.code(), Code::PermissionDenied, "{role} {org}: {err:?}");
    }
    let err = xingfu
        .get_rectification(api::GetRectificationRequest {
            rectification_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), Code::NotFound);
}
