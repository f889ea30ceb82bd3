//! A facility's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{
    AreaSquareMeters, FacilityDetails, FacilityEvent, FacilityId, FacilityName, FacilityType, Note,
    ValidationError,
};

impl EventCodec for FacilityEvent {
    fn event_type(&self) -> &'static str {
        FacilityEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            FacilityEvent::FacilityRegistered {
                facility_id,
                community,
                details,
            } => pb::FacilityRegistered {
                facility_id: facility_id.to_string(),
                community: community.clone(),
                facility_type: details.facility_type.to_pb() as i32,
                name: details.name.as_str().to_owned(),
                area_square_meters: details.area.get(),
            }
            .encode_to_vec(),
            FacilityEvent::FacilityMaintained {
                facility_id,
                maintained_on,
                note,
            } => pb::FacilityMaintained {
                facility_id: facility_id.to_string(),
                maintained_on: Some(date_to_pb(maintained_on.date())),
                note: note.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| FacilityId::parse("facility_id", s).map_err(v);
        match event_type {
            "FacilityRegistered" => {
                let e: pb::FacilityRegistered = payload(bytes, &fail)?;
                Ok(FacilityEvent::FacilityRegistered {
                    facility_id: id(&e.facility_id)?,
                    details: FacilityDetails {
                        facility_type: FacilityType::from_pb(e.facility_type, "facility_type")
                            .map_err(v)?,
                        name: FacilityName::parse("name", &e.name).map_err(v)?,
                        area: AreaSquareMeters::parse("area_square_meters", e.area_square_meters)
                            .map_err(v)?,
                    },
                    community: e.community,
                })
            }
            "FacilityMaintained" => {
                let e: pb::FacilityMaintained = payload(bytes, &fail)?;
                Ok(FacilityEvent::FacilityMaintained {
                    facility_id: id(&e.facility_id)?,
                    maintained_on: recorded_date(e.maintained_on, "maintained_on").map_err(v)?,
                    note: Note::parse("note", &e.note).map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown facility event {other}"))),
        }
    }
}
