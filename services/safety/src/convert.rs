//! Domain ⇄ protobuf: event payloads (the stored and published contract), enums, dates
//! and timestamps. Decoding a stored event checks every required field and names the
//! one missing or wrong.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::common::v1 as common;
use civitas_proto::events::v1 as pb;
use prost::Message;

use crate::domain::{
    Assignee, Building, EscalationTarget, Grid, Grids, Hazard, IncidentCategory, IncidentEvent,
    IncidentId, InspectionEvent, InspectionId, InspectionRecord, InspectionTarget, InspectionType,
    Location, Minutes, Participants, PatrolEvent, PatrolId, Reason, RectificationEvent,
    RectificationId, RectificationOrder, Resolution, Route, Score, Severity, ValidationError,
};

/// The decoding failure of one stored event.
fn failure(event_type: &str, schema_version: u32) -> impl Fn(String) -> DecodeError + '_ {
    move |reason| DecodeError {
        event_type: event_type.to_owned(),
        schema_version,
        reason,
    }
}

/// Decodes a payload, then builds the domain event, naming what is wrong.
fn decode_with<M: Message + Default, T>(
    event_type: &str,
    schema_version: u32,
    payload: &[u8],
    build: impl FnOnce(M) -> Result<T, ValidationError>,
) -> Result<T, DecodeError> {
    let fail = failure(event_type, schema_version);
    let message = M::decode(payload).map_err(|e| fail(e.to_string()))?;
    build(message).map_err(|e| fail(e.to_string()))
}

fn optional<T>(
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match value.trim() {
        "" => Ok(None),
        v => parse(v).map(Some),
    }
}

impl EventCodec for IncidentEvent {
    fn event_type(&self) -> &'static str {
        IncidentEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            IncidentEvent::Reported {
                incident_id,
                category,
                severity,
                grid,
                building,
                location,
                occurred_at,
                reported_at,
                alert,
            } => pb::IncidentReported {
                incident_id: incident_id.to_string(),
                category: category_to_pb(*category) as i32,
                severity: severity_to_pb(*severity) as i32,
                grid: grid.to_string(),
                building: building.as_ref().map(|b| b.to_string()).unwrap_or_default(),
                location: location.to_string(),
                occurred_at: Some(timestamp_to_pb(*occurred_at)),
                reported_at: Some(timestamp_to_pb(*reported_at)),
                alert: *alert,
            }
            .encode_to_vec(),
            IncidentEvent::Dispatched {
                incident_id,
                assignee,
            } => pb::IncidentDispatched {
                incident_id: incident_id.to_string(),
                assignee: assignee.to_string(),
            }
            .encode_to_vec(),
            IncidentEvent::Resolved {
                incident_id,
                resolution,
                reported_at,
                resolved_at,
                category,
                severity,
            } => pb::IncidentResolved {
                incident_id: incident_id.to_string(),
                resolution: resolution.to_string(),
                reported_at: Some(timestamp_to_pb(*reported_at)),
                resolved_at: Some(timestamp_to_pb(*resolved_at)),
                category: category_to_pb(*category) as i32,
                severity: severity_to_pb(*severity) as i32,
            }
            .encode_to_vec(),
            IncidentEvent::Closed { incident_id } => pb::IncidentClosed {
                incident_id: incident_id.to_string(),
            }
            .encode_to_vec(),
            IncidentEvent::Escalated {
                incident_id,
                target,
                reason,
                severity,
            } => pb::IncidentEscalated {
                incident_id: incident_id.to_string(),
                target: target_to_pb(*target) as i32,
                reason: reason.to_string(),
                severity: severity_to_pb(*severity) as i32,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let id = |s: &str| IncidentId::parse("incident_id", s);
        let (t, v) = (event_type, schema_version);
        match event_type {
            "IncidentReported" => decode_with(t, v, payload, |e: pb::IncidentReported| {
                Ok(IncidentEvent::Reported {
                    incident_id: id(&e.incident_id)?,
                    category: category_from_pb(e.category, "category")?,
                    severity: severity_from_pb(e.severity, "severity")?,
                    grid: Grid::parse("grid", &e.grid)?,
                    building: optional(&e.building, |b| Building::parse("building", b))?,
                    location: Location::parse("location", &e.location)?,
                    occurred_at: timestamp_from_pb(e.occurred_at, "occurred_at")?,
                    reported_at: timestamp_from_pb(e.reported_at, "reported_at")?,
                    alert: e.alert,
                })
            }),
            "IncidentDispatched" => decode_with(t, v, payload, |e: pb::IncidentDispatched| {
                Ok(IncidentEvent::Dispatched {
                    incident_id: id(&e.incident_id)?,
                    assignee: Assignee::parse("assignee", &e.assignee)?,
                })
            }),
            "IncidentResolved" => decode_with(t, v, payload, |e: pb::IncidentResolved| {
                Ok(IncidentEvent::Resolved {
                    incident_id: id(&e.incident_id)?,
                    resolution: Resolution::parse("resolution", &e.resolution)?,
                    reported_at: timestamp_from_pb(e.reported_at, "reported_at")?,
                    resolved_at: timestamp_from_pb(e.resolved_at, "resolved_at")?,
                    category: category_from_pb(e.category, "category")?,
                    severity: severity_from_pb(e.severity, "severity")?,
                })
            }),
            "IncidentClosed" => decode_with(t, v, payload, |e: pb::IncidentClosed| {
                Ok(IncidentEvent::Closed {
                    incident_id: id(&e.incident_id)?,
                })
            }),
            "IncidentEscalated" => decode_with(t, v, payload, |e: pb::IncidentEscalated| {
                Ok(IncidentEvent::Escalated {
                    incident_id: id(&e.incident_id)?,
                    target: target_from_pb(e.target, "target")?,
                    reason: Reason::parse("reason", &e.reason)?,
                    severity: severity_from_pb(e.severity, "severity")?,
                })
            }),
            other => Err(failure(t, v)(format!("unknown incident event {other}"))),
        }
    }
}

impl EventCodec for PatrolEvent {
    fn event_type(&self) -> &'static str {
        PatrolEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            PatrolEvent::Scheduled {
                patrol_id,
                route,
                planned_start,
                planned_grids,
            } => pb::PatrolScheduled {
                patrol_id: patrol_id.to_string(),
                route: route.to_string(),
                planned_start: Some(timestamp_to_pb(*planned_start)),
                planned_grids: planned_grids.to_strings(),
            }
            .encode_to_vec(),
            PatrolEvent::Completed {
                patrol_id,
                participants,
                minutes,
                grids_covered,
                planned_grid_count,
            } => pb::PatrolCompleted {
                patrol_id: patrol_id.to_string(),
                participants: participants.get(),
                minutes: minutes.get(),
                grids_covered: grids_covered.to_strings(),
                planned_grid_count: *planned_grid_count,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let id = |s: &str| PatrolId::parse("patrol_id", s);
        let (t, v) = (event_type, schema_version);
        match event_type {
            "PatrolScheduled" => decode_with(t, v, payload, |e: pb::PatrolScheduled| {
                Ok(PatrolEvent::Scheduled {
                    patrol_id: id(&e.patrol_id)?,
                    route: Route::parse("route", &e.route)?,
                    planned_start: timestamp_from_pb(e.planned_start, "planned_start")?,
                    planned_grids: Grids::parse("planned_grids", &e.planned_grids)?,
                })
            }),
            "PatrolCompleted" => decode_with(t, v, payload, |e: pb::PatrolCompleted| {
                Ok(PatrolEvent::Completed {
                    patrol_id: id(&e.patrol_id)?,
                    participants: Participants::parse("participants", e.participants)?,
                    minutes: Minutes::parse("minutes", e.minutes)?,
                    grids_covered: Grids::parse("grids_covered", &e.grids_covered)?,
                    planned_grid_count: e.planned_grid_count,
                })
            }),
            other => Err(failure(t, v)(format!("unknown patrol event {other}"))),
        }
    }
}

impl EventCodec for InspectionEvent {
    fn event_type(&self) -> &'static str {
        InspectionEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            InspectionEvent::Recorded(r) => pb::InspectionRecorded {
                inspection_id: r.inspection_id.to_string(),
                inspection_type: inspection_type_to_pb(r.inspection_type) as i32,
                target: r.target.to_string(),
                score: r.score.get(),
                passed: r.passed,
                hazards: r.hazards.iter().map(|h| h.to_string()).collect(),
                hazard_count: u32::try_from(r.hazards.len()).unwrap_or(u32::MAX),
                inspected_on: Some(date_to_pb(r.inspected_on)),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let (t, v) = (event_type, schema_version);
        match event_type {
            "InspectionRecorded" => decode_with(t, v, payload, |e: pb::InspectionRecorded| {
                Ok(InspectionEvent::Recorded(InspectionRecord {
                    inspection_id: InspectionId::parse("inspection_id", &e.inspection_id)?,
                    inspection_type: inspection_type_from_pb(e.inspection_type, "inspection_type")?,
                    target: InspectionTarget::parse("target", &e.target)?,
                    score: Score::parse("score", e.score)?,
                    passed: e.passed,
                    hazards: e
                        .hazards
                        .iter()
                        .map(|h| Hazard::parse("hazards", h))
                        .collect::<Result<_, _>>()?,
                    inspected_on: date_from_pb(e.inspected_on, "inspected_on")?,
                }))
            }),
            other => Err(failure(t, v)(format!("unknown inspection event {other}"))),
        }
    }
}

impl EventCodec for RectificationEvent {
    fn event_type(&self) -> &'static str {
        RectificationEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            RectificationEvent::Ordered(o) => pb::RectificationOrdered {
                rectification_id: o.rectification_id.to_string(),
                inspection_id: o.inspection.map(|(i, _)| i.to_string()).unwrap_or_default(),
                inspection_type: o
                    .inspection
                    .map_or(0, |(_, t)| inspection_type_to_pb(t) as i32),
                hazard: o.hazard.as_ref().map(|h| h.to_string()).unwrap_or_default(),
                ordered_on: Some(date_to_pb(o.ordered_on)),
                deadline: Some(date_to_pb(o.deadline)),
            }
            .encode_to_vec(),
            RectificationEvent::Verified {
                rectification_id,
                verified_on,
                deadline,
                on_time,
                inspection_id,
            } => pb::RectificationVerified {
                rectification_id: rectification_id.to_string(),
                verified_on: Some(date_to_pb(*verified_on)),
                deadline: Some(date_to_pb(*deadline)),
                on_time: *on_time,
                inspection_id: inspection_id.map(|i| i.to_string()).unwrap_or_default(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let id = |s: &str| RectificationId::parse("rectification_id", s);
        let inspection = |s: &str| optional(s, |s| InspectionId::parse("inspection_id", s));
        let (t, v) = (event_type, schema_version);
        match event_type {
            "RectificationOrdered" => decode_with(t, v, payload, |e: pb::RectificationOrdered| {
                let inspection = match inspection(&e.inspection_id)? {
                    None => None,
                    Some(i) => Some((
                        i,
                        inspection_type_from_pb(e.inspection_type, "inspection_type")?,
                    )),
                };
                let hazard = optional(&e.hazard, |h| Hazard::parse("hazard", h))?;
                if inspection.is_none() && hazard.is_none() {
                    return Err(ValidationError::new(
                        "hazard",
                        "is required without inspection_id",
                    ));
                }
                Ok(RectificationEvent::Ordered(RectificationOrder {
                    rectification_id: id(&e.rectification_id)?,
                    inspection,
                    hazard,
                    ordered_on: date_from_pb(e.ordered_on, "ordered_on")?,
                    deadline: date_from_pb(e.deadline, "deadline")?,
                }))
            }),
            "RectificationVerified" => {
                decode_with(t, v, payload, |e: pb::RectificationVerified| {
                    Ok(RectificationEvent::Verified {
                        rectification_id: id(&e.rectification_id)?,
                        verified_on: date_from_pb(e.verified_on, "verified_on")?,
                        deadline: date_from_pb(e.deadline, "deadline")?,
                        on_time: e.on_time,
                        inspection_id: inspection(&e.inspection_id)?,
                    })
                })
            }
            other => Err(failure(t, v)(format!(
                "unknown rectification event {other}"
            ))),
        }
    }
}

/// Defines the two-way mapping of a domain enum and its wire enum; UNSPECIFIED and
/// unknown wire values are refused naming the field.
macro_rules! enum_mapping {
    ($to:ident, $from:ident, $domain:ident, $wire:ty, $what:literal, { $($d:ident <=> $w:ident,)+ }) => {
        pub(crate) fn $to(v: $domain) -> $wire {
            match v {
                $($domain::$d => <$wire>::$w,)+
            }
        }

        /// A required value from the wire, naming `field` when unset or unknown.
        pub(crate) fn $from(v: i32, field: &'static str) -> Result<$domain, ValidationError> {
            match <$wire>::try_from(v) {
                $(Ok(<$wire>::$w) => Ok($domain::$d),)+
                _ => Err(ValidationError::new(field, concat!("must be a known ", $what))),
            }
        }
    };
}

enum_mapping!(category_to_pb, category_from_pb, IncidentCategory, pb::IncidentCategory, "incident category", {
    Theft <=> Theft,
    Fire <=> Fire,
    Casualty <=> Casualty,
    Dispute <=> Dispute,
    Drugs <=> Drugs,
    Gambling <=> Gambling,
    Pornography <=> Pornography,
    PublicOrder <=> PublicOrder,
    Hazard <=> Hazard,
    Other <=> Other,
});

enum_mapping!(severity_to_pb, severity_from_pb, Severity, pb::IncidentSeverity, "severity", {
    Minor <=> Minor,
    Serious <=> Serious,
    Major <=> Major,
});

enum_mapping!(target_to_pb, target_from_pb, EscalationTarget, pb::EscalationTarget, "escalation target", {
    Police <=> Police,
    Street <=> Street,
});

enum_mapping!(inspection_type_to_pb, inspection_type_from_pb, InspectionType, pb::InspectionType, "inspection type", {
    Sanitation <=> Sanitation,
    DoorFrontDuties <=> DoorFrontDuties,
    Pests <=> Pests,
    IllegalBuilding <=> IllegalBuilding,
    FireSafety <=> FireSafety,
});

pub(crate) fn date_to_pb(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// A required date from the wire, naming `field` when absent or impossible.
pub(crate) fn date_from_pb(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<NaiveDate, ValidationError> {
    let d = d.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let (Ok(month), Ok(day)) = (u32::try_from(d.month), u32::try_from(d.day)) else {
        return Err(ValidationError::new(field, "is not a calendar date"));
    };
    NaiveDate::from_ymd_opt(d.year, month, day)
        .ok_or_else(|| ValidationError::new(field, "is not a calendar date"))
}

pub(crate) fn timestamp_to_pb(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// A required instant from the wire, naming `field` when absent or out of range.
pub(crate) fn timestamp_from_pb(
    t: Option<prost_types::Timestamp>,
    field: &'static str,
) -> Result<DateTime<Utc>, ValidationError> {
    let t = t.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let nanos =
        u32::try_from(t.nanos).map_err(|_| ValidationError::new(field, "has negative nanos"))?;
    DateTime::from_timestamp(t.seconds, nanos)
        .ok_or_else(|| ValidationError::new(field, "is out of range"))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
