//! Domain ⇄ protobuf: event payloads (the stored and published contract), enums and
//! dates. Decoding a stored event checks every required field and names the one missing.

use chrono::{Datelike, NaiveDate};
use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::common::v1 as common;
use civitas_proto::events::v1 as pb;
use prost::Message;

use crate::domain::{
    Building, CareCategory, Grid, HouseholdEvent, HouseholdId, ResidenceType, ResidentEvent,
    ResidentId, Sealed, Sex, ValidationError,
};

impl EventCodec for HouseholdEvent {
    fn event_type(&self) -> &'static str {
        HouseholdEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            HouseholdEvent::Registered {
                household_id,
                community,
                grid,
                building,
                address,
            } => pb::HouseholdRegistered {
                household_id: household_id.to_string(),
                grid: grid.as_str().to_owned(),
                building: building.as_str().to_owned(),
                address: Some(sealed_to_pb(address)),
                community: community.clone(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let fail = |reason: String| DecodeError {
            event_type: event_type.to_owned(),
            schema_version,
            reason,
        };
        match event_type {
            "HouseholdRegistered" => {
                let e =
                    pb::HouseholdRegistered::decode(payload).map_err(|e| fail(e.to_string()))?;
                Ok(HouseholdEvent::Registered {
                    household_id: HouseholdId::parse("household_id", &e.household_id)
                        .map_err(|v| fail(v.to_string()))?,
                    community: e.community,
                    grid: Grid::parse("grid", &e.grid).map_err(|v| fail(v.to_string()))?,
                    building: Building::parse("building", &e.building)
                        .map_err(|v| fail(v.to_string()))?,
                    address: sealed_from_pb(e.address)
                        .ok_or_else(|| fail("missing address".into()))?,
                })
            }
            other => Err(fail(format!("unknown household event {other}"))),
        }
    }
}

impl EventCodec for ResidentEvent {
    fn event_type(&self) -> &'static str {
        ResidentEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ResidentEvent::Registered {
                resident_id,
                household_id,
                residence_type,
                sex,
                birth_year,
                guardian,
                personal,
            } => pb::ResidentRegistered {
                resident_id: resident_id.to_string(),
                household_id: household_id.to_string(),
                residence_type: residence_type_to_pb(*residence_type) as i32,
                sex: sex_to_pb(*sex) as i32,
                birth_year: *birth_year,
                guardian_resident_id: guardian.map(|g| g.to_string()).unwrap_or_default(),
                personal: Some(sealed_to_pb(personal)),
            }
            .encode_to_vec(),
            ResidentEvent::MovedOut {
                resident_id,
                household_id,
                reason,
            } => pb::ResidentMovedOut {
                resident_id: resident_id.to_string(),
                household_id: household_id.to_string(),
                reason: reason.clone(),
            }
            .encode_to_vec(),
            ResidentEvent::ResidenceTypeChanged {
                resident_id,
                from,
                to,
            } => pb::ResidenceTypeChanged {
                resident_id: resident_id.to_string(),
                from: residence_type_to_pb(*from) as i32,
                to: residence_type_to_pb(*to) as i32,
            }
            .encode_to_vec(),
            ResidentEvent::FloatingResidenceVerified {
                resident_id,
                verified_on,
                valid_until,
            } => pb::FloatingResidenceVerified {
                resident_id: resident_id.to_string(),
                verified_on: Some(date_to_pb(*verified_on)),
                valid_until: Some(date_to_pb(*valid_until)),
            }
            .encode_to_vec(),
            ResidentEvent::CareCategoryAssigned {
                resident_id,
                category,
            } => pb::CareCategoryAssigned {
                resident_id: resident_id.to_string(),
                category: category_to_pb(*category) as i32,
            }
            .encode_to_vec(),
            ResidentEvent::CareCategoryRevoked {
                resident_id,
                category,
                reason,
            } => pb::CareCategoryRevoked {
                resident_id: resident_id.to_string(),
                category: category_to_pb(*category) as i32,
                reason: reason.clone(),
            }
            .encode_to_vec(),
            ResidentEvent::Erased { resident_id } => pb::ResidentErased {
                resident_id: resident_id.to_string(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let fail = |reason: String| DecodeError {
            event_type: event_type.to_owned(),
            schema_version,
            reason,
        };
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| ResidentId::parse("resident_id", s).map_err(v);
        let event = match event_type {
            "ResidentRegistered" => {
                let e = pb::ResidentRegistered::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::Registered {
                    resident_id: id(&e.resident_id)?,
                    household_id: HouseholdId::parse("household_id", &e.household_id).map_err(v)?,
                    residence_type: residence_type_from_pb(e.residence_type, "residence_type")
                        .map_err(v)?,
                    sex: sex_from_pb(e.sex, "sex").map_err(v)?,
                    birth_year: e.birth_year,
                    guardian: match e.guardian_resident_id.as_str() {
                        "" => None,
                        g => Some(ResidentId::parse("guardian_resident_id", g).map_err(v)?),
                    },
                    personal: sealed_from_pb(e.personal)
                        .ok_or_else(|| fail("missing personal".into()))?,
                }
            }
            "ResidentMovedOut" => {
                let e = pb::ResidentMovedOut::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::MovedOut {
                    resident_id: id(&e.resident_id)?,
                    household_id: HouseholdId::parse("household_id", &e.household_id).map_err(v)?,
                    reason: e.reason,
                }
            }
            "ResidenceTypeChanged" => {
                let e =
                    pb::ResidenceTypeChanged::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::ResidenceTypeChanged {
                    resident_id: id(&e.resident_id)?,
                    from: residence_type_from_pb(e.from, "from").map_err(v)?,
                    to: residence_type_from_pb(e.to, "to").map_err(v)?,
                }
            }
            "FloatingResidenceVerified" => {
                let e = pb::FloatingResidenceVerified::decode(payload)
                    .map_err(|e| fail(e.to_string()))?;
                ResidentEvent::FloatingResidenceVerified {
                    resident_id: id(&e.resident_id)?,
                    verified_on: date_from_pb(e.verified_on, "verified_on").map_err(v)?,
                    valid_until: date_from_pb(e.valid_until, "valid_until").map_err(v)?,
                }
            }
            "CareCategoryAssigned" => {
                let e =
                    pb::CareCategoryAssigned::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::CareCategoryAssigned {
                    resident_id: id(&e.resident_id)?,
                    category: category_from_pb(e.category, "category").map_err(v)?,
                }
            }
            "CareCategoryRevoked" => {
                let e =
                    pb::CareCategoryRevoked::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::CareCategoryRevoked {
                    resident_id: id(&e.resident_id)?,
                    category: category_from_pb(e.category, "category").map_err(v)?,
                    reason: e.reason,
                }
            }
            "ResidentErased" => {
                let e = pb::ResidentErased::decode(payload).map_err(|e| fail(e.to_string()))?;
                ResidentEvent::Erased {
                    resident_id: id(&e.resident_id)?,
                }
            }
            other => return Err(fail(format!("unknown resident event {other}"))),
        };
        Ok(event)
    }
}

pub(crate) fn sealed_to_pb(s: &Sealed) -> pb::Sealed {
    pb::Sealed {
        key_id: s.key_id.clone(),
        nonce: s.nonce.clone(),
        ciphertext: s.ciphertext.clone(),
    }
}

fn sealed_from_pb(s: Option<pb::Sealed>) -> Option<Sealed> {
    s.map(|s| Sealed {
        key_id: s.key_id,
        nonce: s.nonce,
        ciphertext: s.ciphertext,
    })
}

pub(crate) fn residence_type_to_pb(t: ResidenceType) -> pb::ResidenceType {
    match t {
        ResidenceType::Permanent => pb::ResidenceType::Permanent,
        ResidenceType::Floating => pb::ResidenceType::Floating,
    }
}

/// A required residence type from the wire; UNSPECIFIED or unknown values name `field`.
pub(crate) fn residence_type_from_pb(
    v: i32,
    field: &'static str,
) -> Result<ResidenceType, ValidationError> {
    match pb::ResidenceType::try_from(v) {
        Ok(pb::ResidenceType::Permanent) => Ok(ResidenceType::Permanent),
        Ok(pb::ResidenceType::Floating) => Ok(ResidenceType::Floating),
        _ => Err(ValidationError::new(field, "must be PERMANENT or FLOATING")),
    }
}

pub(crate) fn sex_to_pb(s: Sex) -> pb::Sex {
    match s {
        Sex::Male => pb::Sex::Male,
        Sex::Female => pb::Sex::Female,
    }
}

pub(crate) fn sex_from_pb(v: i32, field: &'static str) -> Result<Sex, ValidationError> {
    match pb::Sex::try_from(v) {
        Ok(pb::Sex::Male) => Ok(Sex::Male),
        Ok(pb::Sex::Female) => Ok(Sex::Female),
        _ => Err(ValidationError::new(field, "must be MALE or FEMALE")),
    }
}

pub(crate) fn category_to_pb(c: CareCategory) -> pb::CareCategory {
    match c {
        CareCategory::LivingAlone => pb::CareCategory::LivingAlone,
        CareCategory::EmptyNest => pb::CareCategory::EmptyNest,
        CareCategory::Over80WithoutPension => pb::CareCategory::Over80WithoutPension,
        CareCategory::Disabled => pb::CareCategory::Disabled,
        CareCategory::EntitledFamily => pb::CareCategory::EntitledFamily,
        CareCategory::HouseholdInDifficulty => pb::CareCategory::HouseholdInDifficulty,
        CareCategory::Minor => pb::CareCategory::Minor,
    }
}

pub(crate) fn category_from_pb(
    v: i32,
    field: &'static str,
) -> Result<CareCategory, ValidationError> {
    let category = match pb::CareCategory::try_from(v) {
        Ok(pb::CareCategory::LivingAlone) => CareCategory::LivingAlone,
        Ok(pb::CareCategory::EmptyNest) => CareCategory::EmptyNest,
        Ok(pb::CareCategory::Over80WithoutPension) => CareCategory::Over80WithoutPension,
        Ok(pb::CareCategory::Disabled) => CareCategory::Disabled,
        Ok(pb::CareCategory::EntitledFamily) => CareCategory::EntitledFamily,
        Ok(pb::CareCategory::HouseholdInDifficulty) => CareCategory::HouseholdInDifficulty,
        Ok(pb::CareCategory::Minor) => CareCategory::Minor,
        _ => return Err(ValidationError::new(field, "must be a known care category")),
    };
    Ok(category)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sealed() -> Sealed {
        Sealed {
            key_id: "k".into(),
            nonce: vec![1; 12],
            ciphertext: vec![9, 9],
        }
    }

    #[test]
    fn every_resident_event_round_trips() {
        let r = ResidentId::from_uuid(Uuid::now_v7());
        let h = HouseholdId::from_uuid(Uuid::now_v7());
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
        let events = vec![
            ResidentEvent::Registered {
                resident_id: r,
                household_id: h,
                residence_type: ResidenceType::Floating,
                sex: Sex::Female,
                birth_year: 1950,
                guardian: Some(ResidentId::from_uuid(Uuid::now_v7())),
                personal: sealed(),
            },
            ResidentEvent::MovedOut {
                resident_id: r,
                household_id: h,
                reason: "left".into(),
            },
            ResidentEvent::ResidenceTypeChanged {
                resident_id: r,
                from: ResidenceType::Floating,
                to: ResidenceType::Permanent,
            },
            ResidentEvent::FloatingResidenceVerified {
                resident_id: r,
                verified_on: day,
                valid_until: day,
            },
            ResidentEvent::CareCategoryAssigned {
                resident_id: r,
                category: CareCategory::EmptyNest,
            },
            ResidentEvent::CareCategoryRevoked {
                resident_id: r,
                category: CareCategory::Minor,
                reason: "grew up".into(),
            },
            ResidentEvent::Erased { resident_id: r },
        ];
        for e in events {
            let back = ResidentEvent::decode(e.event_type(), 1, &e.encode()).expect("decode");
            assert_eq!(back, e);
        }
    }

    #[test]
    fn household_event_round_trips_and_bad_payloads_are_named() {
        let e = HouseholdEvent::Registered {
            household_id: HouseholdId::from_uuid(Uuid::now_v7()),
            community: "xingfu".into(),
            grid: Grid::parse("grid", "G-03").expect("grid"),
            building: Building::parse("building", "5栋").expect("building"),
            address: sealed(),
        };
        assert_eq!(
            HouseholdEvent::decode("HouseholdRegistered", 1, &e.encode()).expect("decode"),
            e
        );
        let err =
            ResidentEvent::decode("ResidentRegistered", 1, &[0xff, 0xff]).expect_err("garbage");
        assert_eq!(err.event_type, "ResidentRegistered");
        let err = ResidentEvent::decode("Nonsense", 1, &[]).expect_err("unknown");
        assert!(err.reason.contains("unknown"), "{err}");
    }
}
