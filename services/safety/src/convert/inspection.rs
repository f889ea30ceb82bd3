//! `InspectionEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{decode_with, failure};
use crate::domain::{
    Hazard, InspectionEvent, InspectionId, InspectionRecord, InspectionTarget, InspectionType,
    Score,
};

impl EventCodec for InspectionEvent {
    fn event_type(&self) -> &'static str {
        InspectionEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            InspectionEvent::Recorded(r) => pb::InspectionRecorded {
                inspection_id: r.inspection_id.to_string(),
                inspection_type: r.inspection_type.to_pb() as i32,
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
                    inspection_type: InspectionType::from_pb(e.inspection_type, "inspection_type")?,
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
