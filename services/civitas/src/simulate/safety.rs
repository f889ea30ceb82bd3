//! Safety: incidents from report to close, patrols, inspections and the rectifications
//! failed inspections order.

use chrono::Duration;
use civitas_proto::safety::v1 as api;

use super::world::MonthLife;
use super::{date, instant, Driver, Staff};

pub(crate) async fn month(d: &Driver, staff: &Staff, month: &MonthLife) -> anyhow::Result<()> {
    let code = &staff.code;
    let label = month.month.label();
    for (k, incident) in month.incidents.iter().enumerate() {
        let what = format!("{code}/{label}/incident/{k}");
        let request = api::ReportIncidentRequest {
            options: d.options(&what),
            category: incident.category as i32,
            severity: incident.severity as i32,
            grid: incident.grid.clone(),
            building: incident.building.clone(),
            location: incident.location.clone(),
            occurred_at: instant(incident.occurred_at),
            community: code.clone(),
        };
        let Some(reported) = d
            .write("incidents reported", || {
                let (mut client, request) = (staff.safety.clone(), request.clone());
                async move { client.report_incident(request).await }
            })
            .await?
        else {
            continue;
        };
        let Some((assignee, resolution)) = &incident.handled else {
            continue;
        };
        let id = reported.incident_id;
        let request = api::DispatchIncidentRequest {
            options: d.options(&format!("{what}/dispatch")),
            incident_id: id.clone(),
            assignee: assignee.clone(),
        };
        if d.write("incidents dispatched", || {
            let (mut client, request) = (staff.safety.clone(), request.clone());
            async move { client.dispatch_incident(request).await }
        })
        .await?
        .is_none()
        {
            continue;
        }
        let request = api::ResolveIncidentRequest {
            options: d.options(&format!("{what}/resolve")),
            incident_id: id.clone(),
            resolution: resolution.clone(),
        };
        if d.write("incidents resolved", || {
            let (mut client, request) = (staff.safety.clone(), request.clone());
            async move { client.resolve_incident(request).await }
        })
        .await?
        .is_none()
        {
            continue;
        }
        let request = api::CloseIncidentRequest {
            options: d.options(&format!("{what}/close")),
            incident_id: id,
        };
        d.write("incidents closed", || {
            let (mut client, request) = (staff.safety.clone(), request.clone());
            async move { client.close_incident(request).await }
        })
        .await?;
    }
    for (k, patrol) in month.patrols.iter().enumerate() {
        let what = format!("{code}/{label}/patrol/{k}");
        let request = api::SchedulePatrolRequest {
            options: d.options(&what),
            route: patrol.route.clone(),
            planned_start: instant(patrol.planned_start),
            planned_grids: patrol.grids.clone(),
            community: code.clone(),
        };
        let Some(scheduled) = d
            .write("patrols scheduled", || {
                let (mut client, request) = (staff.safety.clone(), request.clone());
                async move { client.schedule_patrol(request).await }
            })
            .await?
        else {
            continue;
        };
        let request = api::CompletePatrolRequest {
            options: d.options(&format!("{what}/complete")),
            patrol_id: scheduled.patrol_id,
            participants: patrol.participants,
            minutes: patrol.minutes,
            grids_covered: patrol.grids.clone(),
        };
        d.write("patrols completed", || {
            let (mut client, request) = (staff.safety.clone(), request.clone());
            async move { client.complete_patrol(request).await }
        })
        .await?;
    }
    let today = civitas_platform::command::district_day(chrono::Utc::now());
    for (k, inspection) in month.inspections.iter().enumerate() {
        let what = format!("{code}/{label}/inspection/{k}");
        let request = api::RecordInspectionRequest {
            options: d.options(&what),
            inspection_type: inspection.kind as i32,
            target: inspection.target.clone(),
            score: inspection.score,
            passed: inspection.passed,
            hazards: inspection.hazards.clone(),
            community: code.clone(),
        };
        let Some(recorded) = d
            .write("inspections", || {
                let (mut client, request) = (staff.safety.clone(), request.clone());
                async move { client.record_inspection(request).await }
            })
            .await?
        else {
            continue;
        };
        let Some((days, verify)) = inspection.rectify else {
            continue;
        };
        let request = api::OrderRectificationRequest {
            options: d.options(&format!("{what}/rectification")),
            inspection_id: recorded.inspection_id,
            hazard: String::new(),
            deadline: date(today + Duration::days(days)),
            community: code.clone(),
        };
        let Some(ordered) = d
            .write("rectifications ordered", || {
                let (mut client, request) = (staff.safety.clone(), request.clone());
                async move { client.order_rectification(request).await }
            })
            .await?
        else {
            continue;
        };
        if verify {
            let request = api::VerifyRectificationRequest {
                options: d.options(&format!("{what}/rectification/verify")),
                rectification_id: ordered.rectification_id,
            };
            d.write("rectifications verified", || {
                let (mut client, request) = (staff.safety.clone(), request.clone());
                async move { client.verify_rectification(request).await }
            })
            .await?;
        }
    }
    Ok(())
}
