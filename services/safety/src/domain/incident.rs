//! The `Incident` aggregate: something that threatened public safety in a community,
//! from its report through dispatch and resolution to closure.
//!
//! The life is a strict line, reported → dispatched → resolved → closed; escalation to
//! the police or the street office is a side step allowed while the incident is open
//! (reported or dispatched) and does not stop the community from handling it. Nothing
//! changes after closure.

use chrono::{DateTime, Utc};
use civitas_kernel::Decider;

use super::values::{
    Assignee, Building, EscalationTarget, Grid, IncidentCategory, IncidentId, Location, OccurredAt,
    Reason, Resolution, Severity,
};

/// The incident decider.
pub struct Incident;

/// Whether a report raises an alert: any major incident, and every fire or casualty
/// whatever its severity (the "no major theft, fire or casualty" target watches them).
pub fn is_alert(category: IncidentCategory, severity: Severity) -> bool {
    severity == Severity::Major
        || matches!(
            category,
            IncidentCategory::Fire | IncidentCategory::Casualty
        )
}

/// What can be asked of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentCommand {
    /// Reports a new incident in the caller's community.
    Report {
        incident_id: IncidentId,
        category: IncidentCategory,
        severity: Severity,
        grid: Grid,
        building: Option<Building>,
        location: Location,
        occurred_at: OccurredAt,
        /// When the command was received: the report time.
        now: DateTime<Utc>,
    },
    /// Hands the incident to a team or unit.
    Dispatch { assignee: Assignee },
    /// Records how the incident was dealt with.
    Resolve {
        resolution: Resolution,
        now: DateTime<Utc>,
    },
    /// Closes a resolved incident for good.
    Close,
    /// Hands the incident up to the police or the street office.
    Escalate {
        target: EscalationTarget,
        reason: Reason,
    },
}

/// What happened to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentEvent {
    /// The incident was reported.
    Reported(IncidentReport),
    /// The incident was handed to a team or unit.
    Dispatched {
        incident_id: IncidentId,
        assignee: Assignee,
    },
    /// The incident was dealt with; repeats the report's facts for on-time KPIs.
    Resolved {
        incident_id: IncidentId,
        resolution: Resolution,
        reported_at: DateTime<Utc>,
        resolved_at: DateTime<Utc>,
        category: IncidentCategory,
        severity: Severity,
    },
    /// The incident was closed.
    Closed { incident_id: IncidentId },
    /// The incident was handed up.
    Escalated {
        incident_id: IncidentId,
        target: EscalationTarget,
        reason: Reason,
        severity: Severity,
    },
}

impl IncidentEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            IncidentEvent::Reported(_) => "IncidentReported",
            IncidentEvent::Dispatched { .. } => "IncidentDispatched",
            IncidentEvent::Resolved { .. } => "IncidentResolved",
            IncidentEvent::Closed { .. } => "IncidentClosed",
            IncidentEvent::Escalated { .. } => "IncidentEscalated",
        }
    }

    /// The incident the event belongs to.
    pub fn incident_id(&self) -> IncidentId {
        match self {
            IncidentEvent::Reported(report) => report.incident_id,
            IncidentEvent::Dispatched { incident_id, .. }
            | IncidentEvent::Resolved { incident_id, .. }
            | IncidentEvent::Closed { incident_id }
            | IncidentEvent::Escalated { incident_id, .. } => *incident_id,
        }
    }
}

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStatus {
    Reported,
    Dispatched,
    Resolved,
    Closed,
}

/// The facts of the report, fixed for the incident's life: the `Reported` event's
/// content. `alert` follows [`is_alert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentReport {
    pub incident_id: IncidentId,
    pub category: IncidentCategory,
    pub severity: Severity,
    pub grid: Grid,
    pub building: Option<Building>,
    pub location: Location,
    pub occurred_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub alert: bool,
}

/// An incident as its events leave it; `Default` is an incident never reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentState {
    /// Present once reported.
    pub report: Option<IncidentReport>,
    /// `None` until reported.
    pub status: Option<IncidentStatus>,
    pub assignee: Option<Assignee>,
    pub resolution: Option<Resolution>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Targets in the order the incident was escalated to them.
    pub escalated_to: Vec<EscalationTarget>,
}

/// A refused incident command: a broken business rule, not a malformed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error("incident is already reported")]
    AlreadyReported,
    #[error("incident is not reported")]
    NotReported,
    #[error("incident is closed")]
    Closed,
    #[error("incident is already dispatched")]
    AlreadyDispatched,
    #[error("incident must be dispatched before it is resolved")]
    NotDispatched,
    #[error("incident is already resolved")]
    AlreadyResolved,
    #[error("incident must be resolved before it is closed")]
    NotResolved,
    #[error("incident is already escalated to the {0}")]
    AlreadyEscalatedTo(EscalationTarget),
}

impl IncidentError {
    /// The request field to blame, if one is, so the shell can name it.
    pub fn field(&self) -> Option<&'static str> {
        use IncidentError::*;
        match self {
            AlreadyEscalatedTo(_) => Some("target"),
            AlreadyReported | NotReported | Closed | AlreadyDispatched | NotDispatched
            | AlreadyResolved | NotResolved => None,
        }
    }
}

/// A reported incident that is not closed, with its report and status.
fn open(state: &IncidentState) -> Result<(&IncidentReport, IncidentStatus), IncidentError> {
    match (&state.report, state.status) {
        (_, Some(IncidentStatus::Closed)) => Err(IncidentError::Closed),
        (Some(report), Some(status)) => Ok((report, status)),
        _ => Err(IncidentError::NotReported),
    }
}

impl Decider for Incident {
    type State = IncidentState;
    type Command = IncidentCommand;
    type Event = IncidentEvent;
    type Error = IncidentError;

    fn decide(
        state: &IncidentState,
        command: IncidentCommand,
    ) -> Result<Vec<IncidentEvent>, IncidentError> {
        use IncidentCommand as C;
        use IncidentError as E;
        use IncidentEvent as Ev;
        use IncidentStatus as S;
        let event = match command {
            C::Report {
                incident_id,
                category,
                severity,
                grid,
                building,
                location,
                occurred_at,
                now,
            } => {
                if state.report.is_some() {
                    return Err(E::AlreadyReported);
                }
                Ev::Reported(IncidentReport {
                    incident_id,
                    category,
                    severity,
                    grid,
                    building,
                    location,
                    occurred_at: occurred_at.instant(),
                    reported_at: now,
                    alert: is_alert(category, severity),
                })
            }
            C::Dispatch { assignee } => match open(state)? {
                (report, S::Reported) => Ev::Dispatched {
                    incident_id: report.incident_id,
                    assignee,
                },
                (_, S::Dispatched) => return Err(E::AlreadyDispatched),
                (_, S::Resolved | S::Closed) => return Err(E::AlreadyResolved),
            },
            C::Resolve { resolution, now } => match open(state)? {
                (report, S::Dispatched) => Ev::Resolved {
                    incident_id: report.incident_id,
                    resolution,
                    reported_at: report.reported_at,
                    resolved_at: now,
                    category: report.category,
                    severity: report.severity,
                },
                (_, S::Reported) => return Err(E::NotDispatched),
                (_, S::Resolved | S::Closed) => return Err(E::AlreadyResolved),
            },
            C::Close => match open(state)? {
                (report, S::Resolved) => Ev::Closed {
                    incident_id: report.incident_id,
                },
                (_, S::Reported | S::Dispatched | S::Closed) => return Err(E::NotResolved),
            },
            C::Escalate { target, reason } => match open(state)? {
                (_, S::Reported | S::Dispatched) if state.escalated_to.contains(&target) => {
                    return Err(E::AlreadyEscalatedTo(target))
                }
                (report, S::Reported | S::Dispatched) => Ev::Escalated {
                    incident_id: report.incident_id,
                    target,
                    reason,
                    severity: report.severity,
                },
                (_, S::Resolved | S::Closed) => return Err(E::AlreadyResolved),
            },
        };
        Ok(vec![event])
    }

    fn evolve(mut state: IncidentState, event: &IncidentEvent) -> IncidentState {
        match event {
            IncidentEvent::Reported(report) => {
                state.report = Some(report.clone());
                state.status = Some(IncidentStatus::Reported);
            }
            IncidentEvent::Dispatched { assignee, .. } => {
                state.assignee = Some(assignee.clone());
                state.status = Some(IncidentStatus::Dispatched);
            }
            IncidentEvent::Resolved {
                resolution,
                resolved_at,
                ..
            } => {
                state.resolution = Some(resolution.clone());
                state.resolved_at = Some(*resolved_at);
                state.status = Some(IncidentStatus::Resolved);
            }
            IncidentEvent::Closed { .. } => state.status = Some(IncidentStatus::Closed),
            IncidentEvent::Escalated { target, .. } => state.escalated_to.push(*target),
        }
        state
    }
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
