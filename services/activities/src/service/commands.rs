//! Write handlers of the annual plan and activities: one per command RPC, each
//! parse → load facts → decide → append.

use chrono::Datelike;
use civitas_kernel::command::{execute, load};
use civitas_kernel::Decider;
use civitas_platform::auth::Caller;
use civitas_platform::command::{district_day, required, write_result, WriteContext};
use civitas_proto::activities::v1 as api;

use super::{Activities, Target};
use crate::convert::{category_from_pb, timestamp_from_pb};
use crate::domain::{
    plan_stream_id, Activity, ActivityCommand, ActivityEvent, ActivityId, ActivityPlan, AnnualPlan,
    Attendee, Capacity, Month, Note, PlanCommand, PlanEvent, PlanYear, PlannedItem,
    PlannedItemFact, PlannedItemId, Reason, ResidentId, TargetParticipants, TimeWindow, Title,
    ValidationError, Venue,
};
use crate::error::ServiceError;

impl Activities {
    // ------------------------------------------------------------ annual plan

    /// Adds an item to the draft version of the caller's community plan for a year.
    pub async fn add_planned_item(
        &self,
        caller: &Caller,
        req: api::AddPlannedItemRequest,
    ) -> Result<api::AddPlannedItemResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "AddPlannedItem",
            &req,
        )?;
        let year = PlanYear::parse("year", req.year)?;
        let stream_id = plan_stream_id(&org.community, year);
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let command = PlanCommand::AddItem {
                    community: org.community.clone(),
                    year,
                    item: PlannedItem {
                        item_id: PlannedItemId::from_uuid(uuid::Uuid::now_v7()),
                        month: Month::parse("month", req.month)?,
                        category: category_from_pb(req.category, "category")?,
                        title: Title::parse("title", &req.title)?,
                        target: TargetParticipants::parse(
                            "target_participants",
                            req.target_participants,
                        )?,
                    },
                };
                execute::<AnnualPlan, _>(&*self.store, &stream_id, meta.command, |state| {
                    AnnualPlan::decide(state, command.clone())
                })
                .await?
            }
        };
        // The item id is the one the (possibly replayed) append wrote.
        let item_id = match self
            .event_at::<PlanEvent>(&outcome.stream_id, outcome.version)
            .await?
        {
            PlanEvent::ItemAdded { item, .. } => item.item_id.to_string(),
            other => {
                return Err(anyhow::anyhow!(
                    "expected PlannedItemAdded at {stream_id} v{}, found {}",
                    outcome.version,
                    other.event_type()
                )
                .into())
            }
        };
        Ok(api::AddPlannedItemResponse {
            item_id,
            result: Some(write_result(&outcome)),
        })
    }

    /// Publishes the current draft version of a plan.
    pub async fn publish_annual_plan(
        &self,
        caller: &Caller,
        req: api::PublishAnnualPlanRequest,
    ) -> Result<api::PublishAnnualPlanResponse, ServiceError> {
        let (plan_version, result) = self
            .on_plan(
                caller,
                "PublishAnnualPlan",
                &req.community,
                req.options.as_ref(),
                &req,
                req.year,
                || Ok(PlanCommand::Publish),
            )
            .await?;
        Ok(api::PublishAnnualPlanResponse {
            plan_version,
            result: Some(result),
        })
    }

    /// Opens the next version of a published plan as a draft.
    pub async fn amend_annual_plan(
        &self,
        caller: &Caller,
        req: api::AmendAnnualPlanRequest,
    ) -> Result<api::AmendAnnualPlanResponse, ServiceError> {
        let (plan_version, result) = self
            .on_plan(
                caller,
                "AmendAnnualPlan",
                &req.community,
                req.options.as_ref(),
                &req,
                req.year,
                || {
                    Ok(PlanCommand::Amend {
                        reason: Reason::parse("reason", &req.reason)?,
                    })
                },
            )
            .await?;
        Ok(api::AmendAnnualPlanResponse {
            plan_version,
            result: Some(result),
        })
    }

    /// Publish or amend: commands on an existing plan, answering the version they wrote.
    #[allow(clippy::too_many_arguments)]
    async fn on_plan(
        &self,
        caller: &Caller,
        rpc: &str,
        community: &str,
        options: Option<&civitas_proto::common::v1::WriteOptions>,
        request: &impl prost::Message,
        year: i32,
        command: impl FnOnce() -> Result<PlanCommand, ServiceError>,
    ) -> Result<(u32, civitas_proto::common::v1::WriteResult), ServiceError> {
        let org = self.write_scope(caller, community)?;
        let meta = WriteContext::new(caller, org.clone(), options, rpc, request)?;
        let year = PlanYear::parse("year", year)?;
        let stream_id = plan_stream_id(&org.community, year);
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let command = command()?;
                execute::<AnnualPlan, _>(&*self.store, &stream_id, meta.command, |state| {
                    AnnualPlan::decide(state, command.clone())
                })
                .await?
            }
        };
        let version = match self
            .event_at::<PlanEvent>(&outcome.stream_id, outcome.version)
            .await?
        {
            PlanEvent::Published { version, .. }
            | PlanEvent::Amended { version, .. }
            | PlanEvent::ItemAdded { version, .. } => version,
        };
        Ok((version, write_result(&outcome)))
    }

    // ------------------------------------------------------------ activities

    /// Schedules an activity in the caller's community, optionally delivering a planned
    /// item of that community's plan for the activity's year.
    pub async fn schedule_activity(
        &self,
        caller: &Caller,
        req: api::ScheduleActivityRequest,
    ) -> Result<api::ScheduleActivityResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "ScheduleActivity",
            &req,
        )?;
        if let Some(replayed) = self.replayed(&meta).await? {
            return Ok(api::ScheduleActivityResponse {
                activity_id: replayed
                    .stream_id
                    .trim_start_matches("activity-")
                    .to_owned(),
                result: Some(write_result(&replayed)),
            });
        }
        let category = category_from_pb(req.category, "category")?;
        let title = Title::parse("title", &req.title)?;
        let venue = Venue::parse("venue", &req.venue)?;
        let starts_at = timestamp_from_pb(req.starts_at, "starts_at")?;
        let ends_at = timestamp_from_pb(req.ends_at, "ends_at")?;
        let window = TimeWindow::parse("ends_at", starts_at, ends_at)?;
        let capacity = Capacity::parse("capacity", req.capacity)?;
        // The plan an activity counts in is the one of its start day in the district.
        let plan_year = PlanYear::parse("starts_at", district_day(starts_at).year())?;
        let planned_item = match req.planned_item_id.trim() {
            "" => None,
            id => {
                let item_id = PlannedItemId::parse("planned_item_id", id)?;
                let plan =
                    load::<AnnualPlan>(&*self.store, &plan_stream_id(&org.community, plan_year))
                        .await?
                        .state;
                Some(PlannedItemFact {
                    item_id,
                    in_plan: plan.has_item(item_id),
                })
            }
        };
        let activity_id = ActivityId::from_uuid(uuid::Uuid::now_v7());
        let command = ActivityCommand::Schedule {
            activity_id,
            community: org.community.clone(),
            details: ActivityPlan {
                category,
                title,
                venue,
                window,
                capacity,
                plan_year,
            },
            planned_item,
        };
        let outcome = execute::<Activity, _>(
            &*self.store,
            &activity_id.stream_id(),
            meta.command,
            |state| Activity::decide(state, command.clone()),
        )
        .await?;
        Ok(api::ScheduleActivityResponse {
            activity_id: outcome.stream_id.trim_start_matches("activity-").to_owned(),
            result: Some(write_result(&outcome)),
        })
    }

    /// Registers a resident (by pseudonymous id) for an activity.
    pub async fn register_participant(
        &self,
        caller: &Caller,
        req: api::RegisterParticipantRequest,
    ) -> Result<api::RegisterParticipantResponse, ServiceError> {
        let outcome = self
            .on_existing::<Activity>(
                caller,
                "RegisterParticipant",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |_| {
                    Ok(ActivityCommand::Register {
                        resident_id: resident(&req.resident_id)?,
                    })
                },
            )
            .await?;
        Ok(api::RegisterParticipantResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Withdraws a registration before check-in.
    pub async fn cancel_registration(
        &self,
        caller: &Caller,
        req: api::CancelRegistrationRequest,
    ) -> Result<api::CancelRegistrationResponse, ServiceError> {
        let outcome = self
            .on_existing::<Activity>(
                caller,
                "CancelRegistration",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |_| {
                    Ok(ActivityCommand::CancelRegistration {
                        resident_id: resident(&req.resident_id)?,
                    })
                },
            )
            .await?;
        Ok(api::CancelRegistrationResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Checks in a registered resident or counts a walk-in, at the server's "now".
    pub async fn check_in_participant(
        &self,
        caller: &Caller,
        req: api::CheckInParticipantRequest,
    ) -> Result<api::CheckInParticipantResponse, ServiceError> {
        let margin = chrono::Duration::from_std(self.config.checkin_margin)
            .map_err(|e| anyhow::Error::new(e).context("check-in margin out of range"))?;
        let outcome = self
            .on_existing::<Activity>(
                caller,
                "CheckInParticipant",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |meta| {
                    let attendee = match (req.walk_in, req.resident_id.trim()) {
                        (true, "") => Attendee::WalkIn,
                        (true, _) => {
                            return Err(ValidationError::new(
                                "resident_id",
                                "must be empty for a walk-in",
                            )
                            .into())
                        }
                        (false, id) => Attendee::Registered(resident(id)?),
                    };
                    Ok(ActivityCommand::CheckIn {
                        attendee,
                        now: meta.now,
                        margin,
                    })
                },
            )
            .await?;
        Ok(api::CheckInParticipantResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Closes an ended activity with its attendance and a short report.
    pub async fn close_activity(
        &self,
        caller: &Caller,
        req: api::CloseActivityRequest,
    ) -> Result<api::CloseActivityResponse, ServiceError> {
        let outcome = self
            .on_existing::<Activity>(
                caller,
                "CloseActivity",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |meta| {
                    Ok(ActivityCommand::Close {
                        attendance: req.attendance,
                        report: Note::parse("report", &req.report)?,
                        now: meta.now,
                    })
                },
            )
            .await?;
        let attendance = match self
            .event_at::<ActivityEvent>(&outcome.stream_id, outcome.version)
            .await?
        {
            ActivityEvent::Closed { attendance, .. } => attendance,
            other => {
                return Err(anyhow::anyhow!(
                    "expected ActivityClosed at {} v{}, found {}",
                    outcome.stream_id,
                    outcome.version,
                    other.event_type()
                )
                .into())
            }
        };
        Ok(api::CloseActivityResponse {
            attendance,
            result: Some(write_result(&outcome)),
        })
    }

    /// Calls an activity off with a reason.
    pub async fn cancel_activity(
        &self,
        caller: &Caller,
        req: api::CancelActivityRequest,
    ) -> Result<api::CancelActivityResponse, ServiceError> {
        let outcome = self
            .on_existing::<Activity>(
                caller,
                "CancelActivity",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |_| {
                    Ok(ActivityCommand::Cancel {
                        reason: Reason::parse("reason", &req.reason)?,
                    })
                },
            )
            .await?;
        Ok(api::CancelActivityResponse {
            result: Some(write_result(&outcome)),
        })
    }
}

/// The activity a command names.
fn activity(raw: &str) -> Result<Target, ValidationError> {
    let id = ActivityId::parse("activity_id", required(raw, "activity_id")?)?;
    Ok(Target {
        what: "activity",
        id: id.to_string(),
        stream_id: id.stream_id(),
    })
}

/// A required pseudonymous resident id.
fn resident(raw: &str) -> Result<ResidentId, ValidationError> {
    ResidentId::parse("resident_id", required(raw, "resident_id")?)
}
