//! A station service's event.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{
    FacilityId, ResidentId, ServiceDelivered, StationEvent, StationServiceId, StationServiceKind,
    ValidationError,
};

impl EventCodec for StationEvent {
    fn event_type(&self) -> &'static str {
        StationEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        let StationEvent::StationServiceDelivered(s) = self;
        pb::StationServiceDelivered {
            service_id: s.service_id.to_string(),
            facility_id: s.facility_id.to_string(),
            resident_id: s.resident_id.to_string(),
            kind: s.kind.to_pb() as i32,
            served_on: Some(date_to_pb(s.served_on.date())),
        }
        .encode_to_vec()
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        match event_type {
            "StationServiceDelivered" => {
                let e: pb::StationServiceDelivered = payload(bytes, &fail)?;
                Ok(StationEvent::StationServiceDelivered(ServiceDelivered {
                    service_id: StationServiceId::parse("service_id", &e.service_id).map_err(v)?,
                    facility_id: FacilityId::parse("facility_id", &e.facility_id).map_err(v)?,
                    resident_id: ResidentId::parse("resident_id", &e.resident_id).map_err(v)?,
                    kind: StationServiceKind::from_pb(e.kind, "kind").map_err(v)?,
                    served_on: recorded_date(e.served_on, "served_on").map_err(v)?,
                }))
            }
            other => Err(fail(format!("unknown station service event {other}"))),
        }
    }
}
