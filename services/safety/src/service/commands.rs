//! Write handlers, one per command RPC: begin → replay → parse → decide and append,
//! through the platform's [`Shell`](civitas_platform::write::Shell).

use civitas_kernel::command::decode_all;
use civitas_kernel::Decider;
use civitas_platform::auth::Caller;
use civitas_platform::command::write_result;
use civitas_platform::write::created_id;
use civitas_proto::convert::{date_from_pb, timestamp_from_pb};
use civitas_proto::safety::v1 as api;
use uuid::Uuid;

use super::{incident, patrol, rectification, Safety};
use crate::domain::{
    is_alert, parse_hazards, Assignee, Building, EscalationTarget, Grid, Grids, Hazard, Incident,
    IncidentCategory, IncidentCommand, IncidentEvent, IncidentId, Inspection, InspectionCommand,
    InspectionEvent, InspectionFacts, InspectionId, InspectionRecord, InspectionTarget,
    InspectionType, Location, Minutes, OccurredAt, Participants, Patrol, PatrolCommand, PatrolId,
    Reason, RecordedInspection, Rectification, RectificationCommand, RectificationEvent,
    RectificationId, RectificationSubject, Resolution, Route, Score, Severity, ValidationError,
};
use crate::error::ServiceError;

impl Safety {
    /// Reports an incident in the caller's community; the answer says whether it alerts.
    pub async fn report_incident(
        &self,
        caller: &Caller,
        req: api::ReportIncidentRequest,
    ) -> Result<api::ReportIncidentResponse, ServiceError> {
        let created = self
            .shell
            .create::<Incident, ServiceError>(
                caller,
                "ReportIncident",
                &req.community,
                req.options.as_ref(),
                &req,
                "incident",
                |ctx| {
                    let incident_id = IncidentId::from_uuid(Uuid::now_v7());
                    let category = IncidentCategory::from_pb(req.category, "category")?;
                    let severity = Severity::from_pb(req.severity, "severity")?;
                    let command = IncidentCommand::Report {
                        incident_id,
                        category,
                        severity,
                        grid: Grid::parse("grid", &req.grid)?,
                        building: match req.building.trim() {
                            "" => None,
                            b => Some(Building::parse("building", b)?),
                        },
                        location: Location::parse("location", &req.location)?,
                        occurred_at: OccurredAt::parse(
                            "occurred_at",
                            timestamp_from_pb(req.occurred_at, "occurred_at")?,
                            ctx.now,
                        )?,
                        now: ctx.now,
                    };
                    if is_alert(category, severity) {
                        tracing::warn!(incident = %incident_id, %category, %severity, "alert incident reported");
                    }
                    Ok((incident_id.stream_id(), command))
                },
            )
            .await?;
        // Read back rather than recompute: a replay answers what was first stored.
        let outcome = created.outcome;
        let reported = self
            .shell
            .event_at::<IncidentEvent>(&outcome.stream_id, outcome.version)
            .await?;
        Ok(api::ReportIncidentResponse {
            incident_id: created.id,
            alert: matches!(reported, IncidentEvent::Reported(r) if r.alert),
            result: Some(write_result(&outcome)),
        })
    }

    /// Hands an incident to a team or unit.
    pub async fn dispatch_incident(
        &self,
        caller: &Caller,
        req: api::DispatchIncidentRequest,
    ) -> Result<api::DispatchIncidentResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Incident, ServiceError>(
                caller,
                "DispatchIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |_| {
                    Ok(IncidentCommand::Dispatch {
                        assignee: Assignee::parse("assignee", &req.assignee)?,
                    })
                },
            )
            .await?;
        Ok(api::DispatchIncidentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Records how a dispatched incident was dealt with.
    pub async fn resolve_incident(
        &self,
        caller: &Caller,
        req: api::ResolveIncidentRequest,
    ) -> Result<api::ResolveIncidentResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Incident, ServiceError>(
                caller,
                "ResolveIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |ctx| {
                    Ok(IncidentCommand::Resolve {
                        resolution: Resolution::parse("resolution", &req.resolution)?,
                        now: ctx.now,
                    })
                },
            )
            .await?;
        Ok(api::ResolveIncidentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Closes a resolved incident for good.
    pub async fn close_incident(
        &self,
        caller: &Caller,
        req: api::CloseIncidentRequest,
    ) -> Result<api::CloseIncidentResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Incident, ServiceError>(
                caller,
                "CloseIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |_| Ok(IncidentCommand::Close),
            )
            .await?;
        Ok(api::CloseIncidentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Hands an open incident up to the police or the street office.
    pub async fn escalate_incident(
        &self,
        caller: &Caller,
        req: api::EscalateIncidentRequest,
    ) -> Result<api::EscalateIncidentResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Incident, ServiceError>(
                caller,
                "EscalateIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |_| {
                    Ok(IncidentCommand::Escalate {
                        target: EscalationTarget::from_pb(req.target, "target")?,
                        reason: Reason::parse("reason", &req.reason)?,
                    })
                },
            )
            .await?;
        Ok(api::EscalateIncidentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Plans a patrol in the caller's community.
    pub async fn schedule_patrol(
        &self,
        caller: &Caller,
        req: api::SchedulePatrolRequest,
    ) -> Result<api::SchedulePatrolResponse, ServiceError> {
        let created = self
            .shell
            .create::<Patrol, ServiceError>(
                caller,
                "SchedulePatrol",
                &req.community,
                req.options.as_ref(),
                &req,
                "patrol",
                |_| {
                    let patrol_id = PatrolId::from_uuid(Uuid::now_v7());
                    let command = PatrolCommand::Schedule {
                        patrol_id,
                        route: Route::parse("route", &req.route)?,
                        planned_start: timestamp_from_pb(req.planned_start, "planned_start")?,
                        planned_grids: Grids::parse("planned_grids", &req.planned_grids)?,
                    };
                    Ok((patrol_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::SchedulePatrolResponse {
            patrol_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Records how a started patrol went.
    pub async fn complete_patrol(
        &self,
        caller: &Caller,
        req: api::CompletePatrolRequest,
    ) -> Result<api::CompletePatrolResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Patrol, ServiceError>(
                caller,
                "CompletePatrol",
                req.options.as_ref(),
                &req,
                || patrol(&req.patrol_id),
                |ctx| {
                    Ok(PatrolCommand::Complete {
                        participants: Participants::parse("participants", req.participants)?,
                        minutes: Minutes::parse("minutes", req.minutes)?,
                        grids_covered: Grids::parse("grids_covered", &req.grids_covered)?,
                        now: ctx.now,
                    })
                },
            )
            .await?;
        Ok(api::CompletePatrolResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Records an inspection in the caller's community.
    pub async fn record_inspection(
        &self,
        caller: &Caller,
        req: api::RecordInspectionRequest,
    ) -> Result<api::RecordInspectionResponse, ServiceError> {
        let created = self
            .shell
            .create::<Inspection, ServiceError>(
                caller,
                "RecordInspection",
                &req.community,
                req.options.as_ref(),
                &req,
                "inspection",
                |ctx| {
                    let inspection_id = InspectionId::from_uuid(Uuid::now_v7());
                    let command = InspectionCommand::Record(InspectionRecord {
                        inspection_id,
                        inspection_type: InspectionType::from_pb(
                            req.inspection_type,
                            "inspection_type",
                        )?,
                        target: InspectionTarget::parse("target", &req.target)?,
                        score: Score::parse("score", req.score)?,
                        passed: req.passed,
                        hazards: parse_hazards("hazards", &req.hazards)?,
                        inspected_on: ctx.today(),
                    });
                    Ok((inspection_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RecordInspectionResponse {
            inspection_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Orders a rectification of a failed inspection or a hazard, in the caller's
    /// community. The steps are the shell's, called one by one: the decision needs the
    /// facts of the inspection named, read from its own stream.
    pub async fn order_rectification(
        &self,
        caller: &Caller,
        req: api::OrderRectificationRequest,
    ) -> Result<api::OrderRectificationResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "OrderRectification",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let hazard = match req.hazard.trim() {
                    "" => None,
                    h => Some(Hazard::parse("hazard", h)?),
                };
                let deadline = date_from_pb(req.deadline, "deadline")?;
                let subject = match (req.inspection_id.trim(), hazard) {
                    ("", None) => {
                        return Err(ValidationError::new(
                            "hazard",
                            "is required without inspection_id",
                        )
                        .into())
                    }
                    ("", Some(hazard)) => RectificationSubject::Hazard(hazard),
                    (raw, hazard) => RectificationSubject::Inspection {
                        facts: self
                            .inspection_facts(InspectionId::parse("inspection_id", raw)?)
                            .await?,
                        hazard,
                    },
                };
                let rectification_id = RectificationId::from_uuid(Uuid::now_v7());
                let command = RectificationCommand::Order {
                    rectification_id,
                    community: ctx.org().community.clone(),
                    subject,
                    deadline,
                    today: ctx.today(),
                };
                self.shell
                    .run::<Rectification, ServiceError>(&rectification_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::OrderRectificationResponse {
            rectification_id: created_id(&outcome.stream_id, "rectification"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Verifies a rectification today; the answer says whether that was on time.
    pub async fn verify_rectification(
        &self,
        caller: &Caller,
        req: api::VerifyRectificationRequest,
    ) -> Result<api::VerifyRectificationResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Rectification, ServiceError>(
                caller,
                "VerifyRectification",
                req.options.as_ref(),
                &req,
                || rectification(&req.rectification_id),
                |ctx| Ok(RectificationCommand::Verify { today: ctx.today() }),
            )
            .await?;
        // Read back, as for a report: a replay answers what was first stored.
        let verified = self
            .shell
            .event_at::<RectificationEvent>(&outcome.stream_id, outcome.version)
            .await?;
        Ok(api::VerifyRectificationResponse {
            on_time: matches!(verified, RectificationEvent::Verified { on_time: true, .. }),
            result: Some(write_result(&outcome)),
        })
    }

    /// What the store says about an inspection a rectification names.
    async fn inspection_facts(&self, id: InspectionId) -> Result<InspectionFacts, ServiceError> {
        let recorded = self.shell.store().read_stream(&id.stream_id()).await?;
        let community = recorded.first().map(|first| first.org.community.clone());
        let events: Vec<InspectionEvent> = decode_all(&recorded)?;
        let state = Inspection::fold(events.iter());
        let recorded = match (community, state.record) {
            (Some(community), Some(record)) => Some(RecordedInspection {
                community,
                inspection_type: record.inspection_type,
                passed: record.passed,
            }),
            _ => None,
        };
        Ok(InspectionFacts {
            inspection_id: id,
            recorded,
        })
    }
}
