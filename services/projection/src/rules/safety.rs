//! Safety: incidents, patrols, inspections and rectifications.
//!
//! An incident counts as reported on the day of its report and as resolved on the day
//! of its resolution; one that is major at report or escalated to major later counts
//! once in `incidents.major` and stays on the alert list.

use civitas_proto::codes::{IncidentCategory, Severity};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, instant, instant_text, Deltas, Views};
use crate::catalog::{
    reported_element, severity_element, INCIDENTS_MAJOR, INCIDENTS_REPORTED, INCIDENTS_RESOLVED,
    INCIDENTS_RESOLVED_WITHIN_48H, INSPECTIONS_FAILED, INSPECTIONS_PASSED, PATROLS_COMPLETED,
    PATROLS_MINUTES, PATROLS_PARTICIPANTS, RECTIFICATIONS_OPEN, RECTIFICATIONS_ORDERED,
    RECTIFICATIONS_VERIFIED, RECTIFICATIONS_VERIFIED_ON_TIME,
};

/// An incident as staff lists and the alert list show it; no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentRow {
    pub community: String,
    /// `None` when unspecified.
    pub category: Option<IncidentCategory>,
    /// `None` when unspecified.
    pub severity: Option<Severity>,
    /// `reported`, `dispatched`, `escalated`, `resolved` or `closed`.
    pub state: String,
    /// RFC 3339 in UTC.
    pub reported_at: String,
    /// The report's day in the district (`YYYY-MM-DD`), for period filters.
    pub reported_day: String,
    pub alert: bool,
}

pub const REPORTED: &str = "reported";
pub const DISPATCHED: &str = "dispatched";
pub const ESCALATED: &str = "escalated";
pub const RESOLVED: &str = "resolved";
pub const INCIDENT_CLOSED: &str = "closed";

const MAJOR: Option<Severity> = Some(Severity::Major);

/// Resolutions within this many hours of the report count as on time.
const ON_TIME_RESOLUTION_HOURS: i64 = crate::catalog::INCIDENT_RESOLUTION_HOURS as i64;

impl IncidentRow {
    /// Whether the incident still needs work.
    pub fn open(&self) -> bool {
        self.state != RESOLVED && self.state != INCIDENT_CLOSED
    }
}

/// A rectification order; open until verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RectificationRow {
    pub community: String,
    /// `YYYY-MM-DD`.
    pub ordered_on: String,
    pub deadline: String,
    /// `open` or `verified`.
    pub state: String,
}

pub const OPEN: &str = "open";
pub const VERIFIED: &str = "verified";

/// A safety event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    IncidentReported {
        incident_id: String,
        category: Option<IncidentCategory>,
        severity: Option<Severity>,
        /// RFC 3339 in UTC.
        reported_at: String,
        alert: bool,
    },
    IncidentDispatched {
        incident_id: String,
    },
    IncidentEscalated {
        incident_id: String,
        severity: Option<Severity>,
    },
    IncidentResolved {
        incident_id: String,
        /// Seconds from report to resolution; `None` if either instant is missing.
        seconds_to_resolve: Option<i64>,
    },
    IncidentClosed {
        incident_id: String,
    },
    PatrolCompleted {
        participants: u32,
        minutes: u32,
    },
    InspectionRecorded {
        passed: bool,
    },
    RectificationOrdered {
        rectification_id: String,
        ordered_on: String,
        deadline: String,
    },
    RectificationVerified {
        rectification_id: String,
        on_time: bool,
    },
}

/// Decodes a safety event; `None` for another service's event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "IncidentReported" => {
            let e = pb::IncidentReported::decode(p)?;
            Fact::IncidentReported {
                category: IncidentCategory::from_wire(e.category),
                severity: Severity::from_wire(e.severity),
                reported_at: instant_text(e.reported_at.map(|t| (t.seconds, t.nanos))),
                incident_id: e.incident_id,
                alert: e.alert,
            }
        }
        "IncidentDispatched" => Fact::IncidentDispatched {
            incident_id: pb::IncidentDispatched::decode(p)?.incident_id,
        },
        "IncidentEscalated" => {
            let e = pb::IncidentEscalated::decode(p)?;
            Fact::IncidentEscalated {
                severity: Severity::from_wire(e.severity),
                incident_id: e.incident_id,
            }
        }
        "IncidentResolved" => {
            let e = pb::IncidentResolved::decode(p)?;
            let reported = e.reported_at.and_then(|t| instant(t.seconds, t.nanos));
            let resolved = e.resolved_at.and_then(|t| instant(t.seconds, t.nanos));
            let seconds_to_resolve = match (reported, resolved) {
                (Some(reported), Some(resolved)) => Some((resolved - reported).num_seconds()),
                _ => None,
            };
            Fact::IncidentResolved {
                incident_id: e.incident_id,
                seconds_to_resolve,
            }
        }
        "IncidentClosed" => Fact::IncidentClosed {
            incident_id: pb::IncidentClosed::decode(p)?.incident_id,
        },
        "PatrolCompleted" => {
            let e = pb::PatrolCompleted::decode(p)?;
            Fact::PatrolCompleted {
                participants: e.participants,
                minutes: e.minutes,
            }
        }
        "InspectionRecorded" => Fact::InspectionRecorded {
            passed: pb::InspectionRecorded::decode(p)?.passed,
        },
        "RectificationOrdered" => {
            let e = pb::RectificationOrdered::decode(p)?;
            Fact::RectificationOrdered {
                ordered_on: date_text(e.ordered_on.as_ref()),
                deadline: date_text(e.deadline.as_ref()),
                rectification_id: e.rectification_id,
            }
        }
        "RectificationVerified" => {
            let e = pb::RectificationVerified::decode(p)?;
            Fact::RectificationVerified {
                rectification_id: e.rectification_id,
                on_time: e.on_time,
            }
        }
        "PatrolScheduled" => return super::ignored::<pb::PatrolScheduled>(p).map(Some),
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Safety(fact)))
}

impl Fact {
    pub(super) fn need(&self, views: &mut Views) {
        match self {
            Fact::IncidentReported { incident_id, .. }
            | Fact::IncidentDispatched { incident_id }
            | Fact::IncidentEscalated { incident_id, .. }
            | Fact::IncidentResolved { incident_id, .. }
            | Fact::IncidentClosed { incident_id } => {
                views.incidents.entry(incident_id.clone()).or_default();
            }
            Fact::RectificationOrdered {
                rectification_id, ..
            }
            | Fact::RectificationVerified {
                rectification_id, ..
            } => {
                views
                    .rectifications
                    .entry(rectification_id.clone())
                    .or_default();
            }
            Fact::PatrolCompleted { .. } | Fact::InspectionRecorded { .. } => {}
        }
    }
}

fn incident<'v>(views: &'v mut Views, id: &str) -> Option<&'v mut IncidentRow> {
    views.incidents.entry(id.to_owned()).or_default().as_mut()
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    match fact {
        Fact::IncidentReported {
            incident_id,
            category,
            severity,
            reported_at,
            alert,
        } => {
            let row = views.incidents.entry(incident_id.clone()).or_default();
            if row.is_some() {
                tracing::debug!(community, "incident reported twice, counted once");
                return;
            }
            add(deltas, &INCIDENTS_REPORTED, community, day, 1);
            if let Some(category) = category {
                add(deltas, reported_element(*category), community, day, 1);
            }
            if let Some(severity) = severity {
                add(deltas, severity_element(*severity), community, day, 1);
            }
            if *severity == MAJOR {
                add(deltas, &INCIDENTS_MAJOR, community, day, 1);
            }
            *row = Some(IncidentRow {
                community: community.to_owned(),
                category: *category,
                severity: *severity,
                state: REPORTED.to_owned(),
                reported_at: reported_at.clone(),
                reported_day: day.to_owned(),
                alert: *alert || *severity == MAJOR,
            });
        }
        Fact::IncidentDispatched { incident_id } => {
            if let Some(row) = incident(views, incident_id).filter(|r| r.open()) {
                row.state = DISPATCHED.to_owned();
            }
        }
        Fact::IncidentEscalated {
            incident_id,
            severity,
        } => {
            let Some(row) = incident(views, incident_id).filter(|r| r.open()) else {
                return;
            };
            if *severity == MAJOR && row.severity != MAJOR {
                add(deltas, &INCIDENTS_MAJOR, &row.community, day, 1);
                row.alert = true;
            }
            if severity.is_some() {
                row.severity = *severity;
            }
            row.state = ESCALATED.to_owned();
        }
        Fact::IncidentResolved {
            incident_id,
            seconds_to_resolve,
        } => {
            let row = incident(views, incident_id);
            if row.as_ref().is_some_and(|r| !r.open()) {
                return;
            }
            add(deltas, &INCIDENTS_RESOLVED, community, day, 1);
            if seconds_to_resolve.is_some_and(|s| s <= ON_TIME_RESOLUTION_HOURS * 3600) {
                add(deltas, &INCIDENTS_RESOLVED_WITHIN_48H, community, day, 1);
            }
            if let Some(row) = row {
                row.state = RESOLVED.to_owned();
            }
        }
        Fact::IncidentClosed { incident_id } => {
            if let Some(row) = incident(views, incident_id) {
                row.state = INCIDENT_CLOSED.to_owned();
            }
        }
        Fact::PatrolCompleted {
            participants,
            minutes,
        } => {
            add(deltas, &PATROLS_COMPLETED, community, day, 1);
            add(
                deltas,
                &PATROLS_MINUTES,
                community,
                day,
                i64::from(*minutes),
            );
            let participants = i64::from(*participants);
            add(deltas, &PATROLS_PARTICIPANTS, community, day, participants);
        }
        Fact::InspectionRecorded { passed } => {
            let element = if *passed {
                &INSPECTIONS_PASSED
            } else {
                &INSPECTIONS_FAILED
            };
            add(deltas, element, community, day, 1);
        }
        Fact::RectificationOrdered {
            rectification_id,
            ordered_on,
            deadline,
        } => {
            let row = views
                .rectifications
                .entry(rectification_id.clone())
                .or_default();
            if row.is_some() {
                return;
            }
            add(deltas, &RECTIFICATIONS_ORDERED, community, day, 1);
            add(deltas, &RECTIFICATIONS_OPEN, community, day, 1);
            *row = Some(RectificationRow {
                community: community.to_owned(),
                ordered_on: ordered_on.clone(),
                deadline: deadline.clone(),
                state: OPEN.to_owned(),
            });
        }
        Fact::RectificationVerified {
            rectification_id,
            on_time,
        } => {
            let row = views
                .rectifications
                .entry(rectification_id.clone())
                .or_default();
            let Some(row) = row.as_mut().filter(|r| r.state == OPEN) else {
                return;
            };
            add(deltas, &RECTIFICATIONS_VERIFIED, &row.community, day, 1);
            if *on_time {
                let element = &RECTIFICATIONS_VERIFIED_ON_TIME;
                add(deltas, element, &row.community, day, 1);
            }
            add(deltas, &RECTIFICATIONS_OPEN, &row.community, day, -1);
            row.state = VERIFIED.to_owned();
        }
    }
}

#[cfg(test)]
#[path = "safety_tests.rs"]
mod tests;
