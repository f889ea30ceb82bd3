//! Read handlers: staff read their own community, street and district offices every
//! community below them (see `Caller::authorize_read`).

use civitas_kernel::command::decode_all;
use civitas_kernel::{Decider, OrgPath};
use civitas_platform::auth::{Caller, Role};
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1 as common;
use civitas_proto::convert::timestamp;

use super::Activities;
use crate::convert::category_to_pb;
use crate::domain::{
    plan_stream_id, Activity, ActivityEvent, ActivityId, ActivityStatus, AnnualPlan, PlanEvent,
    PlanYear, ValidationError,
};
use crate::error::ServiceError;

impl Activities {
    /// One activity with its registration and check-in counts and its status.
    pub async fn get_activity(
        &self,
        caller: &Caller,
        req: api::GetActivityRequest,
    ) -> Result<api::GetActivityResponse, ServiceError> {
        let id = ActivityId::parse("activity_id", req.activity_id.trim())?;
        let recorded = self.store.read_stream(&id.stream_id()).await?;
        let first = recorded.first().ok_or_else(|| ServiceError::NotFound {
            what: "activity",
            id: id.to_string(),
        })?;
        caller.authorize_read(&first.org.community, &self.tree)?;
        let org = first.org.clone();
        let events: Vec<ActivityEvent> = decode_all(&recorded)?;
        let state = Activity::fold(events.iter());
        let details = state.details.as_ref();
        let activity = api::Activity {
            activity_id: id.to_string(),
            org: Some(org_to_pb(&org)),
            category: details.map_or(0, |d| category_to_pb(d.category) as i32),
            title: details.map(|d| d.title.to_string()).unwrap_or_default(),
            venue: details.map(|d| d.venue.to_string()).unwrap_or_default(),
            starts_at: details.map(|d| timestamp(d.window.starts_at())),
            ends_at: details.map(|d| timestamp(d.window.ends_at())),
            capacity: details.map_or(0, |d| d.capacity.get()),
            planned_item_id: state
                .planned_item
                .map(|p| p.to_string())
                .unwrap_or_default(),
            status: match state.status {
                None => api::ActivityStatus::Unspecified,
                Some(ActivityStatus::Scheduled) => api::ActivityStatus::Scheduled,
                Some(ActivityStatus::Closed) => api::ActivityStatus::Closed,
                Some(ActivityStatus::Cancelled) => api::ActivityStatus::Cancelled,
            } as i32,
            registered: count(state.registered.len()),
            registered_checked_in: count(state.checked_in.len()),
            walk_ins: state.walk_ins,
            attendance: state.attendance(),
            report: state
                .report
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            cancel_reason: state
                .cancel_reason
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            version: recorded.last().map_or(0, |e| e.stream_version),
        };
        Ok(api::GetActivityResponse {
            activity: Some(activity),
        })
    }

    /// A community's plan for a year: every item, the current and published versions.
    pub async fn get_annual_plan(
        &self,
        caller: &Caller,
        req: api::GetAnnualPlanRequest,
    ) -> Result<api::GetAnnualPlanResponse, ServiceError> {
        let year = PlanYear::parse("year", req.year)?;
        let community = match (req.community.trim(), caller.role) {
            ("", Role::Staff) => caller.org_unit.clone(),
            ("", _) => return Err(ValidationError::new("community", "is required").into()),
            (c, _) => c.to_owned(),
        };
        // Authorize before looking, so a refusal says nothing about what exists.
        caller.authorize_read(&community, &self.tree)?;
        let recorded = self
            .store
            .read_stream(&plan_stream_id(&community, year))
            .await?;
        let first = recorded.first().ok_or_else(|| ServiceError::NotFound {
            what: "annual plan",
            id: format!("{community} {year}"),
        })?;
        let org = first.org.clone();
        let events: Vec<PlanEvent> = decode_all(&recorded)?;
        let state = AnnualPlan::fold(events.iter());
        let plan = api::AnnualPlan {
            org: Some(org_to_pb(&org)),
            year: year.get(),
            plan_version: state.version,
            status: if state.published {
                api::PlanStatus::Published
            } else {
                api::PlanStatus::Draft
            } as i32,
            published_version: state.published_version,
            items: state
                .items
                .iter()
                .map(|e| api::PlannedItem {
                    item_id: e.item.item_id.to_string(),
                    month: e.item.month.get(),
                    category: category_to_pb(e.item.category) as i32,
                    title: e.item.title.to_string(),
                    target_participants: e.item.target.get(),
                    added_in_version: e.added_in_version,
                })
                .collect(),
            amendment_reason: state
                .amendment_reason
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            version: recorded.last().map_or(0, |e| e.stream_version),
        };
        Ok(api::GetAnnualPlanResponse { plan: Some(plan) })
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}
