//! A co-building unit's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{
    CoBuildingUnitId, Contribution, ContributionKind, Note, UnitEvent, UnitName, ValidationError,
};

impl EventCodec for UnitEvent {
    fn event_type(&self) -> &'static str {
        UnitEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            UnitEvent::CoBuildingUnitRegistered {
                unit_id,
                community,
                name,
            } => pb::CoBuildingUnitRegistered {
                unit_id: unit_id.to_string(),
                community: community.clone(),
                name: name.as_str().to_owned(),
            }
            .encode_to_vec(),
            UnitEvent::CoBuildingAgreementSigned {
                unit_id,
                signed_on,
                valid_until,
                renewal,
            } => pb::CoBuildingAgreementSigned {
                unit_id: unit_id.to_string(),
                signed_on: Some(date_to_pb(signed_on.date())),
                valid_until: Some(date_to_pb(*valid_until)),
                renewal: *renewal,
            }
            .encode_to_vec(),
            UnitEvent::CoBuildingContributionRecorded {
                unit_id,
                contribution: c,
            } => pb::CoBuildingContributionRecorded {
                unit_id: unit_id.to_string(),
                kind: c.kind.to_pb() as i32,
                given_on: Some(date_to_pb(c.given_on.date())),
                amount_yuan: c.amount_yuan,
                volunteers: c.volunteers,
                note: c.note.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| CoBuildingUnitId::parse("unit_id", s).map_err(v);
        match event_type {
            "CoBuildingUnitRegistered" => {
                let e: pb::CoBuildingUnitRegistered = payload(bytes, &fail)?;
                Ok(UnitEvent::CoBuildingUnitRegistered {
                    unit_id: id(&e.unit_id)?,
                    name: UnitName::parse("name", &e.name).map_err(v)?,
                    community: e.community,
                })
            }
            "CoBuildingAgreementSigned" => {
                let e: pb::CoBuildingAgreementSigned = payload(bytes, &fail)?;
                Ok(UnitEvent::CoBuildingAgreementSigned {
                    unit_id: id(&e.unit_id)?,
                    signed_on: recorded_date(e.signed_on, "signed_on").map_err(v)?,
                    valid_until: date_from_pb(e.valid_until, "valid_until").map_err(v)?,
                    renewal: e.renewal,
                })
            }
            "CoBuildingContributionRecorded" => {
                let e: pb::CoBuildingContributionRecorded = payload(bytes, &fail)?;
                Ok(UnitEvent::CoBuildingContributionRecorded {
                    unit_id: id(&e.unit_id)?,
                    contribution: Contribution {
                        kind: ContributionKind::from_pb(e.kind, "kind").map_err(v)?,
                        given_on: recorded_date(e.given_on, "given_on").map_err(v)?,
                        amount_yuan: e.amount_yuan,
                        volunteers: e.volunteers,
                        note: Note::parse("note", &e.note).map_err(v)?,
                    },
                })
            }
            other => Err(fail(format!("unknown co-building unit event {other}"))),
        }
    }
}
