//! Write handlers of the annual plan and activities: one per command RPC, each
//! parse → build the command (with the facts it needs) → run it through the shell.

use chrono::Datelike;
use civitas_kernel::command::load;
use civitas_kernel::AppendOutcome;
use civitas_platform::auth::Caller;
use civitas_platform::command::{district_day, write_result, WriteContext};
use civitas_platform::write::created_id;
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::convert::timestamp_from_pb;

use super::{activity, community, resident, unexpected_event, Activities};
use crate::domain::{
    plan_stream_id, Activity, ActivityCategory, ActivityCommand, ActivityEvent, ActivityId,
    ActivityPlan, AnnualPlan, Attendee, Capacity, Month, Note, PlanCommand, PlanEvent, PlanYear,
    PlannedItem, PlannedItemFact, PlannedItemId, Reason, TargetParticipants, TimeWindow, Title,
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
        let (outcome, event) = self
            .on_plan(
                caller,
                "AddPlannedItem",
                &req.community,
                req.options.as_ref(),
                &req,
                req.year,
                |ctx, year| {
                    Ok(PlanCommand::AddPlannedItem {
                        community: ctx.org().community.clone(),
                        year,
                        item: PlannedItem {
                            item_id: PlannedItemId::from_uuid(uuid::Uuid::now_v7()),
                            month: Month::parse("month", req.month)?,
                            category: ActivityCategory::from_pb(req.category, "category")?,
                            title: Title::parse("title", &req.title)?,
                            target: TargetParticipants::parse(
                                "target_participants",
                                req.target_participants,
                            )?,
                        },
                    })
                },
            )
            .await?;
        // The item id is the one the (possibly replayed) append wrote.
        let PlanEvent::PlannedItemAdded { item, .. } = event else {
            return Err(unexpected_event(
                "PlannedItemAdded",
                &outcome,
                event.event_type(),
            ));
        };
        Ok(api::AddPlannedItemResponse {
            item_id: item.item_id.to_string(),
            result: Some(write_result(&outcome)),
        })
    }

    /// Publishes the current draft version of a plan.
    pub async fn publish_annual_plan(
        &self,
        caller: &Caller,
        req: api::PublishAnnualPlanRequest,
    ) -> Result<api::PublishAnnualPlanResponse, ServiceError> {
        let (outcome, event) = self
            .on_plan(
                caller,
                "PublishAnnualPlan",
                &req.community,
                req.options.as_ref(),
                &req,
                req.year,
                |_, _| Ok(PlanCommand::PublishAnnualPlan),
            )
            .await?;
        Ok(api::PublishAnnualPlanResponse {
            plan_version: event.version(),
            result: Some(write_result(&outcome)),
        })
    }

    /// Opens the next version of a published plan as a draft.
    pub async fn amend_annual_plan(
        &self,
        caller: &Caller,
        req: api::AmendAnnualPlanRequest,
    ) -> Result<api::AmendAnnualPlanResponse, ServiceError> {
        let (outcome, event) = self
            .on_plan(
                caller,
                "AmendAnnualPlan",
                &req.community,
                req.options.as_ref(),
                &req,
                req.year,
                |_, _| {
                    Ok(PlanCommand::AmendAnnualPlan {
                        reason: Reason::parse("reason", &req.reason)?,
                    })
                },
            )
            .await?;
        Ok(api::AmendAnnualPlanResponse {
            plan_version: event.version(),
            result: Some(write_result(&outcome)),
        })
    }

    /// A command on the plan of the caller's community for `year` (whose stream exists
    /// or not): begin, replay, parse, run; answers the event the append wrote, which
    /// holds what the response reports.
    #[allow(clippy::too_many_arguments)]
    async fn on_plan(
        &self,
        caller: &Caller,
        rpc: &str,
        requested: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        year: i32,
        command: impl FnOnce(&WriteContext, PlanYear) -> Result<PlanCommand, ServiceError>,
    ) -> Result<(AppendOutcome, PlanEvent), ServiceError> {
        let ctx = self
            .shell
            .begin(caller, &community(requested)?, options, rpc, request)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let year = PlanYear::parse("year", year)?;
                let stream_id = plan_stream_id(&ctx.org().community, year);
                let command = command(&ctx, year)?;
                self.shell
                    .run::<AnnualPlan, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        let event = self
            .shell
            .event_at::<PlanEvent>(&outcome.stream_id, outcome.version)
            .await?;
        Ok((outcome, event))
    }

    // ------------------------------------------------------------ activities

    /// Schedules an activity in the caller's community, optionally delivering a planned
    /// item of that community's plan for the activity's year.
    pub async fn schedule_activity(
        &self,
        caller: &Caller,
        req: api::ScheduleActivityRequest,
    ) -> Result<api::ScheduleActivityResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &community(&req.community)?,
            req.options.as_ref(),
            "ScheduleActivity",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let activity_id = ActivityId::from_uuid(uuid::Uuid::now_v7());
                let command = self.schedule_command(&ctx, &req, activity_id).await?;
                self.shell
                    .run::<Activity, ServiceError>(&activity_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::ScheduleActivityResponse {
            activity_id: created_id(&outcome.stream_id, "activity"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Parses a schedule request and finds whether the planned item it names is in the
    /// plan of the activity's year.
    async fn schedule_command(
        &self,
        ctx: &WriteContext,
        req: &api::ScheduleActivityRequest,
        activity_id: ActivityId,
    ) -> Result<ActivityCommand, ServiceError> {
        let category = ActivityCategory::from_pb(req.category, "category")?;
        let title = Title::parse("title", &req.title)?;
        let venue = Venue::parse("venue", &req.venue)?;
        let starts_at = timestamp_from_pb(req.starts_at, "starts_at")?;
        let ends_at = timestamp_from_pb(req.ends_at, "ends_at")?;
        let window = TimeWindow::parse("ends_at", starts_at, ends_at)?;
        let capacity = Capacity::parse("capacity", req.capacity)?;
        // The plan an activity counts in is the one of its start day in the district.
        let plan_year = PlanYear::parse("starts_at", district_day(starts_at).year())?;
        let community = &ctx.org().community;
        let planned_item = match req.planned_item_id.trim() {
            "" => None,
            id => {
                let item_id = PlannedItemId::parse("planned_item_id", id)?;
                let plan_stream = plan_stream_id(community, plan_year);
                let plan = load::<AnnualPlan>(self.shell.store(), &plan_stream).await?;
                Some(PlannedItemFact {
                    item_id,
                    in_plan: plan.state.has_item(item_id),
                })
            }
        };
        Ok(ActivityCommand::ScheduleActivity {
            activity_id,
            community: community.clone(),
            details: ActivityPlan {
                category,
                title,
                venue,
                window,
                capacity,
                plan_year,
            },
            planned_item,
        })
    }

    /// Registers a resident (by pseudonymous id) for an activity.
    pub async fn register_participant(
        &self,
        caller: &Caller,
        req: api::RegisterParticipantRequest,
    ) -> Result<api::RegisterParticipantResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Activity, ServiceError>(
                caller,
                "RegisterParticipant",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |_| {
                    Ok(ActivityCommand::RegisterParticipant {
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
            .shell
            .on_existing::<Activity, ServiceError>(
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
        let outcome = self
            .shell
            .on_existing::<Activity, ServiceError>(
                caller,
                "CheckInParticipant",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |ctx| {
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
                    Ok(ActivityCommand::CheckInParticipant {
                        attendee,
                        now: ctx.now,
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
            .shell
            .on_existing::<Activity, ServiceError>(
                caller,
                "CloseActivity",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |ctx| {
                    Ok(ActivityCommand::CloseActivity {
                        attendance: req.attendance,
                        report: Note::parse("report", &req.report)?,
                        now: ctx.now,
                    })
                },
            )
            .await?;
        // The attendance is the one the (possibly replayed) append wrote.
        let event = self
            .shell
            .event_at::<ActivityEvent>(&outcome.stream_id, outcome.version)
            .await?;
        let ActivityEvent::ActivityClosed { attendance, .. } = event else {
            return Err(unexpected_event(
                "ActivityClosed",
                &outcome,
                event.event_type(),
            ));
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
            .shell
            .on_existing::<Activity, ServiceError>(
                caller,
                "CancelActivity",
                req.options.as_ref(),
                &req,
                || activity(&req.activity_id),
                |_| {
                    Ok(ActivityCommand::CancelActivity {
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
