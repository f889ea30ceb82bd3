//! Read handlers: one aggregate each, folded from its stream, for every caller whose
//! scope covers its community (staff of that community, the street and district above
//! it, admins). Lists and KPIs are the projection's job.

use civitas_kernel::command::decode_all;
use civitas_kernel::{Decider, OrgPath, RecordedEvent};
use civitas_platform::auth::Caller;
use civitas_platform::command::district_day;
use civitas_platform::write::{Target, WriteError};
use civitas_proto::common::v1 as common;
use civitas_proto::convert::{date_to_pb, timestamp};
use civitas_proto::safety::v1 as api;

use super::{incident, inspection, patrol, rectification, Safety};
use crate::domain::{
    Incident, IncidentEvent, IncidentStatus, Inspection, InspectionEvent, Patrol, PatrolEvent,
    Rectification, RectificationEvent,
};
use crate::error::ServiceError;

impl Safety {
    /// One incident.
    pub async fn get_incident(
        &self,
        caller: &Caller,
        req: api::GetIncidentRequest,
    ) -> Result<api::GetIncidentResponse, ServiceError> {
        let target = incident(&req.incident_id)?;
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let state = Incident::fold(decode_all::<IncidentEvent>(&recorded)?.iter());
        let report = state.report.ok_or_else(|| not_found(&target))?;
        let status = match state.status {
            None => api::IncidentStatus::Unspecified,
            Some(IncidentStatus::Reported) => api::IncidentStatus::Reported,
            Some(IncidentStatus::Dispatched) => api::IncidentStatus::Dispatched,
            Some(IncidentStatus::Resolved) => api::IncidentStatus::Resolved,
            Some(IncidentStatus::Closed) => api::IncidentStatus::Closed,
        };
        Ok(api::GetIncidentResponse {
            incident: Some(api::Incident {
                incident_id: target.id,
                org: Some(org_to_pb(&org)),
                category: report.category.to_pb() as i32,
                severity: report.severity.to_pb() as i32,
                status: status as i32,
                grid: report.grid.to_string(),
                building: report.building.map(|b| b.to_string()).unwrap_or_default(),
                location: report.location.to_string(),
                occurred_at: Some(timestamp(report.occurred_at)),
                reported_at: Some(timestamp(report.reported_at)),
                alert: report.alert,
                assignee: state.assignee.map(|a| a.to_string()).unwrap_or_default(),
                resolution: state.resolution.map(|r| r.to_string()).unwrap_or_default(),
                resolved_at: state.resolved_at.map(timestamp),
                escalated_to: state
                    .escalated_to
                    .iter()
                    .map(|t| t.to_pb() as i32)
                    .collect(),
                version: version(&recorded),
            }),
        })
    }

    /// One patrol.
    pub async fn get_patrol(
        &self,
        caller: &Caller,
        req: api::GetPatrolRequest,
    ) -> Result<api::GetPatrolResponse, ServiceError> {
        let target = patrol(&req.patrol_id)?;
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let state = Patrol::fold(decode_all::<PatrolEvent>(&recorded)?.iter());
        let plan = state.plan.ok_or_else(|| not_found(&target))?;
        let status = match state.outcome {
            Some(_) => api::PatrolStatus::Completed,
            None => api::PatrolStatus::Scheduled,
        };
        let outcome = state.outcome;
        Ok(api::GetPatrolResponse {
            patrol: Some(api::Patrol {
                patrol_id: target.id,
                org: Some(org_to_pb(&org)),
                status: status as i32,
                route: plan.route.to_string(),
                planned_start: Some(timestamp(plan.planned_start)),
                planned_grids: plan.planned_grids.to_strings(),
                participants: outcome.as_ref().map_or(0, |o| o.participants.get()),
                minutes: outcome.as_ref().map_or(0, |o| o.minutes.get()),
                grids_covered: outcome
                    .map(|o| o.grids_covered.to_strings())
                    .unwrap_or_default(),
                version: version(&recorded),
            }),
        })
    }

    /// One inspection.
    pub async fn get_inspection(
        &self,
        caller: &Caller,
        req: api::GetInspectionRequest,
    ) -> Result<api::GetInspectionResponse, ServiceError> {
        let target = inspection(&req.inspection_id)?;
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let state = Inspection::fold(decode_all::<InspectionEvent>(&recorded)?.iter());
        let record = state.record.ok_or_else(|| not_found(&target))?;
        Ok(api::GetInspectionResponse {
            inspection: Some(api::Inspection {
                inspection_id: target.id,
                org: Some(org_to_pb(&org)),
                inspection_type: record.inspection_type.to_pb() as i32,
                target: record.target.to_string(),
                score: record.score.get(),
                passed: record.passed,
                hazards: record.hazards.iter().map(|h| h.to_string()).collect(),
                inspected_on: Some(date_to_pb(record.inspected_on)),
                version: version(&recorded),
            }),
        })
    }

    /// One rectification, with `overdue` computed for today in the district.
    pub async fn get_rectification(
        &self,
        caller: &Caller,
        req: api::GetRectificationRequest,
    ) -> Result<api::GetRectificationResponse, ServiceError> {
        let target = rectification(&req.rectification_id)?;
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let state = Rectification::fold(decode_all::<RectificationEvent>(&recorded)?.iter());
        let overdue = state.is_overdue(district_day(chrono::Utc::now()));
        let order = state.order.ok_or_else(|| not_found(&target))?;
        Ok(api::GetRectificationResponse {
            rectification: Some(api::Rectification {
                rectification_id: target.id,
                org: Some(org_to_pb(&org)),
                inspection_id: order
                    .inspection
                    .map(|(i, _)| i.to_string())
                    .unwrap_or_default(),
                inspection_type: order.inspection.map_or(0, |(_, t)| t.to_pb() as i32),
                hazard: order.hazard.map(|h| h.to_string()).unwrap_or_default(),
                ordered_on: Some(date_to_pb(order.ordered_on)),
                deadline: Some(date_to_pb(order.deadline)),
                verified: state.verified.is_some(),
                verified_on: state.verified.map(|(on, _)| date_to_pb(on)),
                on_time: state.verified.is_some_and(|(_, on_time)| on_time),
                overdue,
                version: version(&recorded),
            }),
        })
    }
}

/// A stream whose events never created the aggregate: treated as absent.
fn not_found(target: &Target) -> WriteError {
    WriteError::NotFound {
        what: target.what,
        id: target.id.clone(),
    }
}

fn version(recorded: &[RecordedEvent]) -> u64 {
    recorded.last().map_or(0, |e| e.stream_version)
}

fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}
