//! `RectificationEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{decode_with, failure, optional};
use crate::domain::{
    Hazard, InspectionId, InspectionType, RectificationEvent, RectificationId, RectificationOrder,
    ValidationError,
};

impl EventCodec for RectificationEvent {
    fn event_type(&self) -> &'static str {
        RectificationEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            RectificationEvent::Ordered(o) => pb::RectificationOrdered {
                rectification_id: o.rectification_id.to_string(),
                inspection_id: o.inspection.map(|(i, _)| i.to_string()).unwrap_or_default(),
                inspection_type: o.inspection.map_or(0, |(_, t)| t.to_pb() as i32),
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
                        InspectionType::from_pb(e.inspection_type, "inspection_type")?,
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
