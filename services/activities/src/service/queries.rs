//! Read handlers: staff read their own community, street and district offices every
//! community below them (see `Caller::authorize_read`).

use civitas_kernel::command::decode_all;
use civitas_kernel::Decider;
use civitas_platform::auth::{Caller, Role};
use civitas_platform::write::Target;
use civitas_proto::activities::v1 as api;

use super::{community, Activities};
use crate::convert::{activity_to_pb, plan_to_pb};
use crate::domain::{
    plan_stream_id, Activity, ActivityEvent, ActivityId, AnnualPlan, PlanEvent, PlanYear,
    ValidationError,
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
        let target = Target::new("activity", id, id.stream_id());
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let events: Vec<ActivityEvent> = decode_all(&recorded)?;
        let version = recorded.last().map_or(0, |e| e.stream_version);
        Ok(api::GetActivityResponse {
            activity: Some(activity_to_pb(
                id,
                &org,
                Activity::fold(events.iter()),
                version,
            )),
        })
    }

    /// A community's plan for a year: every item, the current and published versions.
    pub async fn get_annual_plan(
        &self,
        caller: &Caller,
        req: api::GetAnnualPlanRequest,
    ) -> Result<api::GetAnnualPlanResponse, ServiceError> {
        let year = PlanYear::parse("year", req.year)?;
        let community = match (community(&req.community)?.as_str(), caller.role) {
            ("", Role::Staff) => caller.org_unit.clone(),
            ("", _) => return Err(ValidationError::new("community", "is required").into()),
            (c, _) => c.to_owned(),
        };
        // Authorize before looking, so a refusal says nothing about what exists.
        caller.authorize_read(&community, self.shell.tree())?;
        let target = Target::new(
            "annual plan",
            format!("{community} {year}"),
            plan_stream_id(&community, year),
        );
        let (recorded, org) = self.shell.read_existing(&target).await?;
        let events: Vec<PlanEvent> = decode_all(&recorded)?;
        let version = recorded.last().map_or(0, |e| e.stream_version);
        Ok(api::GetAnnualPlanResponse {
            plan: Some(plan_to_pb(
                year,
                &org,
                AnnualPlan::fold(events.iter()),
                version,
            )),
        })
    }
}
