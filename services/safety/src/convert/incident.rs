//! `IncidentEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{timestamp, timestamp_from_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{decode_with, failure, optional};
use crate::domain::{
    Assignee, Building, EscalationTarget, Grid, IncidentCategory, IncidentEvent, IncidentId,
    IncidentReport, Location, Reason, Resolution, Severity,
};

impl EventCodec for IncidentEvent {
    fn event_type(&self) -> &'static str {
        IncidentEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            IncidentEvent::Reported(r) => pb::IncidentReported {
                incident_id: r.incident_id.to_string(),
                category: r.category.to_pb() as i32,
                severity: r.severity.to_pb() as i32,
                grid: r.grid.to_string(),
                building: r
                    .building
                    .as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                location: r.location.to_string(),
                occurred_at: Some(timestamp(r.occurred_at)),
                reported_at: Some(timestamp(r.reported_at)),
                alert: r.alert,
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
                reported_at: Some(timestamp(*reported_at)),
                resolved_at: Some(timestamp(*resolved_at)),
                category: category.to_pb() as i32,
                severity: severity.to_pb() as i32,
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
                target: target.to_pb() as i32,
                reason: reason.to_string(),
                severity: severity.to_pb() as i32,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let id = |s: &str| IncidentId::parse("incident_id", s);
        let (t, v) = (event_type, schema_version);
        match event_type {
            "IncidentReported" => decode_with(t, v, payload, |e: pb::IncidentReported| {
                Ok(IncidentEvent::Reported(IncidentReport {
                    incident_id: id(&e.incident_id)?,
                    category: IncidentCategory::from_pb(e.category, "category")?,
                    severity: Severity::from_pb(e.severity, "severity")?,
                    grid: Grid::parse("grid", &e.grid)?,
                    building: optional(&e.building, |b| Building::parse("building", b))?,
                    location: Location::parse("location", &e.location)?,
                    occurred_at: timestamp_from_pb(e.occurred_at, "occurred_at")?,
                    reported_at: timestamp_from_pb(e.reported_at, "reported_at")?,
                    alert: e.alert,
                }))
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
                    category: IncidentCategory::from_pb(e.category, "category")?,
                    severity: Severity::from_pb(e.severity, "severity")?,
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
                    target: EscalationTarget::from_pb(e.target, "target")?,
                    reason: Reason::parse("reason", &e.reason)?,
                    severity: Severity::from_pb(e.severity, "severity")?,
                })
            }),
            other => Err(failure(t, v)(format!("unknown incident event {other}"))),
        }
    }
}
