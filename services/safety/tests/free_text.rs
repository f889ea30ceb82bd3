//! Every free-text field of every safety write is bounded: a value far over its limit
//! (1.5 MB, under the server's 4 MiB message limit) is refused with INVALID_ARGUMENT
//! naming the field, never stored.

mod common;

use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;

use common::*;

#[tokio::test]
async fn a_huge_value_in_any_text_field_is_refused_naming_it() {
    let server = SafetyServer::start().await;
    let mut staff = server.staff("xingfu").await;
    let huge = "长".repeat(500_000); // 1.5 MB of UTF-8
    let fixtures = Fixtures::create(&mut staff).await;
    let (incident, patrol) = (&fixtures.incident_id, &fixtures.patrol_id);
    let theft = || report(ev::IncidentCategory::Theft, ev::IncidentSeverity::Minor);

    let mut refusals = Vec::new();
    for (field, request) in [
        (
            "grid",
            api::ReportIncidentRequest {
                grid: huge.clone(),
                ..theft()
            },
        ),
        (
            "building",
            api::ReportIncidentRequest {
                building: huge.clone(),
                ..theft()
            },
        ),
        (
            "location",
            api::ReportIncidentRequest {
                location: huge.clone(),
                ..theft()
            },
        ),
    ] {
        refusals.push((field, staff.report_incident(request).await.map(drop)));
    }
    refusals.push((
        "assignee",
        staff
            .dispatch_incident(dispatch(incident, &huge))
            .await
            .map(drop),
    ));
    refusals.push((
        "resolution",
        staff
            .resolve_incident(resolve(incident, &huge))
            .await
            .map(drop),
    ));
    refusals.push((
        "reason",
        staff
            .escalate_incident(escalate(incident, ev::EscalationTarget::Police, &huge))
            .await
            .map(drop),
    ));
    for (field, request) in [
        (
            "route",
            api::SchedulePatrolRequest {
                route: huge.clone(),
                ..schedule_patrol()
            },
        ),
        (
            "planned_grids",
            api::SchedulePatrolRequest {
                planned_grids: vec![huge.clone()],
                ..schedule_patrol()
            },
        ),
    ] {
        refusals.push((field, staff.schedule_patrol(request).await.map(drop)));
    }
    refusals.push((
        "grids_covered",
        staff
            .complete_patrol(api::CompletePatrolRequest {
                grids_covered: vec![huge.clone()],
                ..complete_patrol(patrol)
            })
            .await
            .map(drop),
    ));
    for (field, request) in [
        (
            "target",
            api::RecordInspectionRequest {
                target: huge.clone(),
                ..inspection(true, &[])
            },
        ),
        ("hazards", inspection(false, &[huge.as_str()])),
    ] {
        refusals.push((field, staff.record_inspection(request).await.map(drop)));
    }
    refusals.push((
        "hazard",
        staff
            .order_rectification(api::OrderRectificationRequest {
                hazard: huge.clone(),
                ..order_for("", 3)
            })
            .await
            .map(drop),
    ));

    for (field, result) in refusals {
        let err = result.expect_err(field);
        assert_invalid(&err, field);
        assert!(
            err.message().len() < 200,
            "{field}: the value is not echoed"
        );
    }
    let stored = get_incident(&mut staff, incident).await;
    assert_eq!(stored.version, 1, "nothing was appended to the incident");
}
