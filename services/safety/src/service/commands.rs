//! Write handlers: one per command RPC, each parse → load facts → decide → append.

use civitas_kernel::command::{decode_all, execute, load};
use civitas_kernel::{AppendOutcome, Decider, EventCodec};
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::safety::v1 as api;
use prost::Message;
use uuid::Uuid;

use super::{Safety, Target};
use crate::convert::{
    category_from_pb, date_from_pb, inspection_type_from_pb, severity_from_pb, target_from_pb,
    timestamp_from_pb,
};
use crate::domain::{
    is_alert, parse_hazards, Assignee, Building, Grid, Grids, Hazard, Incident, IncidentCommand,
    IncidentId, Inspection, InspectionCommand, InspectionEvent, InspectionFacts, InspectionId,
    InspectionTarget, Location, Minutes, OccurredAt, Participants, Patrol, PatrolCommand, PatrolId,
    Reason, RecordedInspection, Rectification, RectificationCommand, RectificationId,
    RectificationSubject, Resolution, Route, Score, ValidationError,
};
use crate::error::ServiceError;

/// Parses a required id field.
fn parse_id<T>(
    value: &str,
    field: &'static str,
    parse: fn(&'static str, &str) -> Result<T, ValidationError>,
) -> Result<T, ValidationError> {
    required(value, field).and_then(|v| parse(field, v))
}

/// The aggregate id of a created stream, from its stream id "<prefix>-<uuid>".
fn created_id(outcome: &AppendOutcome, prefix: &str) -> String {
    outcome
        .stream_id
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(&outcome.stream_id)
        .to_owned()
}

fn incident(raw: &str) -> Result<Target, ValidationError> {
    let id = parse_id(raw, "incident_id", IncidentId::parse)?;
    Ok(Target::new("incident", id.to_string(), id.stream_id()))
}

impl Safety {
    /// Runs a command on an existing aggregate of the caller's community.
    async fn on_existing<D>(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl Message,
        target: impl FnOnce() -> Result<Target, ValidationError>,
        command: impl FnOnce(&WriteContext) -> Result<D::Command, ServiceError>,
    ) -> Result<AppendOutcome, ServiceError>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        D::Error: Into<ServiceError>,
    {
        let org = self.write_scope(caller, "")?;
        let meta = WriteContext::new(caller, org.clone(), options, rpc, request)?;
        if let Some(replayed) = self.replayed(&meta).await? {
            return Ok(replayed);
        }
        let target = target()?;
        self.require_in(&target, &org.community).await?;
        let command = command(&meta)?;
        let outcome = execute::<D, _>(&*self.store, &target.stream_id, meta.command, |state| {
            D::decide(state, command.clone())
        })
        .await?;
        Ok(outcome)
    }

    /// Appends the first events of a new stream.
    async fn create<D>(
        &self,
        meta: WriteContext,
        stream_id: &str,
        command: D::Command,
    ) -> Result<AppendOutcome, ServiceError>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        D::Error: Into<ServiceError>,
    {
        let outcome = execute::<D, _>(&*self.store, stream_id, meta.command, |state| {
            D::decide(state, command.clone())
        })
        .await?;
        Ok(outcome)
    }

    /// Reports an incident in the caller's community; the answer says whether it alerts.
    pub async fn report_incident(
        &self,
        caller: &Caller,
        req: api::ReportIncidentRequest,
    ) -> Result<api::ReportIncidentResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(caller, org, req.options.as_ref(), "ReportIncident", &req)?;
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let category = category_from_pb(req.category, "category")?;
                let severity = severity_from_pb(req.severity, "severity")?;
                let grid = Grid::parse("grid", &req.grid)?;
                let building = match req.building.trim() {
                    "" => None,
                    b => Some(Building::parse("building", b)?),
                };
                let location = Location::parse("location", &req.location)?;
                let occurred_at = timestamp_from_pb(req.occurred_at, "occurred_at")?;
                let occurred_at = OccurredAt::parse("occurred_at", occurred_at, meta.now)?;
                let incident_id = IncidentId::from_uuid(Uuid::now_v7());
                if is_alert(category, severity) {
                    tracing::warn!(incident = %incident_id, %category, %severity, "alert incident reported");
                }
                let command = IncidentCommand::Report {
                    incident_id,
                    category,
                    severity,
                    grid,
                    building,
                    location,
                    occurred_at,
                    now: meta.now,
                };
                self.create::<Incident>(meta, &incident_id.stream_id(), command)
                    .await?
            }
        };
        // Read back rather than recompute: a replay answers what was first stored.
        let state = load::<Incident>(&*self.store, &outcome.stream_id)
            .await?
            .state;
        Ok(api::ReportIncidentResponse {
            incident_id: created_id(&outcome, "incident"),
            alert: state.report.is_some_and(|r| r.alert),
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn dispatch_incident(
        &self,
        caller: &Caller,
        req: api::DispatchIncidentRequest,
    ) -> Result<api::DispatchIncidentResponse, ServiceError> {
        let outcome = self
            .on_existing::<Incident>(
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

    pub async fn resolve_incident(
        &self,
        caller: &Caller,
        req: api::ResolveIncidentRequest,
    ) -> Result<api::ResolveIncidentResponse, ServiceError> {
        let outcome = self
            .on_existing::<Incident>(
                caller,
                "ResolveIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |m| {
                    Ok(IncidentCommand::Resolve {
                        resolution: Resolution::parse("resolution", &req.resolution)?,
                        now: m.now,
                    })
                },
            )
            .await?;
        Ok(api::ResolveIncidentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn close_incident(
        &self,
        caller: &Caller,
        req: api::CloseIncidentRequest,
    ) -> Result<api::CloseIncidentResponse, ServiceError> {
        let outcome = self
            .on_existing::<Incident>(
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

    pub async fn escalate_incident(
        &self,
        caller: &Caller,
        req: api::EscalateIncidentRequest,
    ) -> Result<api::EscalateIncidentResponse, ServiceError> {
        let outcome = self
            .on_existing::<Incident>(
                caller,
                "EscalateIncident",
                req.options.as_ref(),
                &req,
                || incident(&req.incident_id),
                |_| {
                    Ok(IncidentCommand::Escalate {
                        target: target_from_pb(req.target, "target")?,
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
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(caller, org, req.options.as_ref(), "SchedulePatrol", &req)?;
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let patrol_id = PatrolId::from_uuid(Uuid::now_v7());
                let command = PatrolCommand::Schedule {
                    patrol_id,
                    route: Route::parse("route", &req.route)?,
                    planned_start: timestamp_from_pb(req.planned_start, "planned_start")?,
                    planned_grids: Grids::parse("planned_grids", &req.planned_grids)?,
                };
                self.create::<Patrol>(meta, &patrol_id.stream_id(), command)
                    .await?
            }
        };
        Ok(api::SchedulePatrolResponse {
            patrol_id: created_id(&outcome, "patrol"),
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn complete_patrol(
        &self,
        caller: &Caller,
        req: api::CompletePatrolRequest,
    ) -> Result<api::CompletePatrolResponse, ServiceError> {
        let outcome = self
            .on_existing::<Patrol>(
                caller,
                "CompletePatrol",
                req.options.as_ref(),
                &req,
                || {
                    let id = parse_id(&req.patrol_id, "patrol_id", PatrolId::parse)?;
                    Ok(Target::new("patrol", id.to_string(), id.stream_id()))
                },
                |m| {
                    Ok(PatrolCommand::Complete {
                        participants: Participants::parse("participants", req.participants)?,
                        minutes: Minutes::parse("minutes", req.minutes)?,
                        grids_covered: Grids::parse("grids_covered", &req.grids_covered)?,
                        now: m.now,
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
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(caller, org, req.options.as_ref(), "RecordInspection", &req)?;
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let inspection_id = InspectionId::from_uuid(Uuid::now_v7());
                let command = InspectionCommand::Record {
                    inspection_id,
                    inspection_type: inspection_type_from_pb(
                        req.inspection_type,
                        "inspection_type",
                    )?,
                    target: InspectionTarget::parse("target", &req.target)?,
                    score: Score::parse("score", req.score)?,
                    passed: req.passed,
                    hazards: parse_hazards("hazards", &req.hazards)?,
                    today: meta.today(),
                };
                self.create::<Inspection>(meta, &inspection_id.stream_id(), command)
                    .await?
            }
        };
        Ok(api::RecordInspectionResponse {
            inspection_id: created_id(&outcome, "inspection"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Orders a rectification of a failed inspection or a hazard, in the caller's
    /// community.
    pub async fn order_rectification(
        &self,
        caller: &Caller,
        req: api::OrderRectificationRequest,
    ) -> Result<api::OrderRectificationResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "OrderRectification",
            &req,
        )?;
        let outcome = match self.replayed(&meta).await? {
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
                    community: org.community.clone(),
                    subject,
                    deadline,
                    today: meta.today(),
                };
                self.create::<Rectification>(meta, &rectification_id.stream_id(), command)
                    .await?
            }
        };
        Ok(api::OrderRectificationResponse {
            rectification_id: created_id(&outcome, "rectification"),
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
            .on_existing::<Rectification>(
                caller,
                "VerifyRectification",
                req.options.as_ref(),
                &req,
                || {
                    let id = parse_id(
                        &req.rectification_id,
                        "rectification_id",
                        RectificationId::parse,
                    )?;
                    Ok(Target::new("rectification", id.to_string(), id.stream_id()))
                },
                |m| Ok(RectificationCommand::Verify { today: m.today() }),
            )
            .await?;
        let state = load::<Rectification>(&*self.store, &outcome.stream_id)
            .await?
            .state;
        Ok(api::VerifyRectificationResponse {
            on_time: state.verified.is_some_and(|(_, on_time)| on_time),
            result: Some(write_result(&outcome)),
        })
    }

    /// What the store says about an inspection a rectification names.
    async fn inspection_facts(&self, id: InspectionId) -> Result<InspectionFacts, ServiceError> {
        let recorded = self.store.read_stream(&id.stream_id()).await?;
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
