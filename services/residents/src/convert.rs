//! Domain ⇄ protobuf for the event payloads (the stored and published contract).
//! Category codes and dates convert through `civitas_proto` (one definition for every
//! service); decoding a stored event checks every required field and names the one
//! that is missing or bad.

mod care;
mod employment;

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use crate::domain::{
    Arrival, Building, CareCategory, CareRevokeReason, Grid, HouseholdEvent, HouseholdId,
    MoveOutReason, RecordedNote, ResidenceType, ResidentEvent, ResidentId, Sealed, Sex,
    ValidationError,
};

impl EventCodec for HouseholdEvent {
    fn event_type(&self) -> &'static str {
        HouseholdEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        let HouseholdEvent::Registered {
            household_id,
            community,
            grid,
            building,
            address,
        } = self;
        pb::HouseholdRegistered {
            household_id: household_id.to_string(),
            grid: grid.as_str().to_owned(),
            building: building.as_str().to_owned(),
            address: Some(sealed_to_pb(address)),
            community: community.clone(),
        }
        .encode_to_vec()
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let stored = Stored {
            event_type,
            schema_version,
            payload,
        };
        match event_type {
            "HouseholdRegistered" => {
                let e: pb::HouseholdRegistered = stored.message()?;
                Ok(HouseholdEvent::Registered {
                    household_id: stored
                        .valid(HouseholdId::parse("household_id", &e.household_id))?,
                    community: e.community,
                    grid: stored.valid(Grid::parse("grid", &e.grid))?,
                    building: stored.valid(Building::parse("building", &e.building))?,
                    address: stored.sealed(e.address, "address")?,
                })
            }
            other => Err(stored.fail(format!("unknown household event {other}"))),
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
                arrival,
                arrived_on,
            } => pb::ResidentRegistered {
                resident_id: resident_id.to_string(),
                household_id: household_id.to_string(),
                residence_type: residence_type.to_pb() as i32,
                sex: sex.to_pb() as i32,
                birth_year: *birth_year,
                guardian_resident_id: guardian.map(|g| g.to_string()).unwrap_or_default(),
                personal: Some(sealed_to_pb(personal)),
                arrival: arrival.map_or(0, |a| a.to_pb() as i32),
                arrived_on: arrived_on.map(date_to_pb),
            }
            .encode_to_vec(),
            ResidentEvent::Released {
                resident_id,
                household_id,
                to_community,
            } => pb::ResidentReleased {
                resident_id: resident_id.to_string(),
                household_id: household_id.to_string(),
                to_community: to_community.clone(),
            }
            .encode_to_vec(),
            ResidentEvent::ReleaseWithdrawn {
                resident_id,
                to_community,
            } => pb::ResidentReleaseWithdrawn {
                resident_id: resident_id.to_string(),
                to_community: to_community.clone(),
            }
            .encode_to_vec(),
            ResidentEvent::TransferredIn {
                resident_id,
                from_community,
                from_household_id,
                household_id,
                moved_on,
            } => pb::ResidentTransferredIn {
                resident_id: resident_id.to_string(),
                from_community: from_community.clone(),
                from_household_id: from_household_id.to_string(),
                household_id: household_id.to_string(),
                moved_on: Some(date_to_pb(*moved_on)),
            }
            .encode_to_vec(),
            ResidentEvent::MovedOut {
                resident_id,
                household_id,
                reason,
                note,
            } => {
                let (legacy, note) = note_to_pb(note.as_ref());
                pb::ResidentMovedOut {
                    resident_id: resident_id.to_string(),
                    household_id: household_id.to_string(),
                    reason: legacy,
                    reason_code: reason.map_or(0, |r| r.to_pb() as i32),
                    note,
                }
                .encode_to_vec()
            }
            ResidentEvent::ResidenceTypeChanged {
                resident_id,
                from,
                to,
            } => pb::ResidenceTypeChanged {
                resident_id: resident_id.to_string(),
                from: from.to_pb() as i32,
                to: to.to_pb() as i32,
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
                category: category.to_pb() as i32,
            }
            .encode_to_vec(),
            ResidentEvent::CareCategoryRevoked {
                resident_id,
                category,
                reason,
                note,
            } => {
                let (legacy, note) = note_to_pb(note.as_ref());
                pb::CareCategoryRevoked {
                    resident_id: resident_id.to_string(),
                    category: category.to_pb() as i32,
                    reason: legacy,
                    reason_code: reason.map_or(0, |r| r.to_pb() as i32),
                    note,
                }
                .encode_to_vec()
            }
            ResidentEvent::Erased { resident_id } => pb::ResidentErased {
                resident_id: resident_id.to_string(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let stored = Stored {
            event_type,
            schema_version,
            payload,
        };
        let resident = |s: &str| stored.valid(ResidentId::parse("resident_id", s));
        let household = |s: &str| stored.valid(HouseholdId::parse("household_id", s));
        let event = match event_type {
            "ResidentRegistered" => {
                let e: pb::ResidentRegistered = stored.message()?;
                ResidentEvent::Registered {
                    resident_id: resident(&e.resident_id)?,
                    household_id: household(&e.household_id)?,
                    residence_type: stored
                        .valid(ResidenceType::from_pb(e.residence_type, "residence_type"))?,
                    sex: stored.valid(Sex::from_pb(e.sex, "sex"))?,
                    birth_year: e.birth_year,
                    guardian: match e.guardian_resident_id.as_str() {
                        "" => None,
                        g => Some(stored.valid(ResidentId::parse("guardian_resident_id", g))?),
                    },
                    personal: stored.sealed(e.personal, "personal")?,
                    arrival: stored.code(e.arrival, |v| Arrival::from_pb(v, "arrival"))?,
                    arrived_on: match e.arrived_on {
                        None => None,
                        d => Some(stored.valid(date_from_pb(d, "arrived_on"))?),
                    },
                }
            }
            "ResidentReleased" => {
                let e: pb::ResidentReleased = stored.message()?;
                ResidentEvent::Released {
                    resident_id: resident(&e.resident_id)?,
                    household_id: household(&e.household_id)?,
                    to_community: stored.community(e.to_community, "to_community")?,
                }
            }
            "ResidentReleaseWithdrawn" => {
                let e: pb::ResidentReleaseWithdrawn = stored.message()?;
                ResidentEvent::ReleaseWithdrawn {
                    resident_id: resident(&e.resident_id)?,
                    to_community: stored.community(e.to_community, "to_community")?,
                }
            }
            "ResidentTransferredIn" => {
                let e: pb::ResidentTransferredIn = stored.message()?;
                ResidentEvent::TransferredIn {
                    resident_id: resident(&e.resident_id)?,
                    from_community: stored.community(e.from_community, "from_community")?,
                    from_household_id: household(&e.from_household_id)?,
                    household_id: household(&e.household_id)?,
                    moved_on: stored.valid(date_from_pb(e.moved_on, "moved_on"))?,
                }
            }
            "ResidentMovedOut" => {
                let e: pb::ResidentMovedOut = stored.message()?;
                ResidentEvent::MovedOut {
                    resident_id: resident(&e.resident_id)?,
                    household_id: household(&e.household_id)?,
                    reason: stored
                        .code(e.reason_code, |v| MoveOutReason::from_pb(v, "reason_code"))?,
                    note: recorded_note(e.note, e.reason),
                }
            }
            "ResidenceTypeChanged" => {
                let e: pb::ResidenceTypeChanged = stored.message()?;
                ResidentEvent::ResidenceTypeChanged {
                    resident_id: resident(&e.resident_id)?,
                    from: stored.valid(ResidenceType::from_pb(e.from, "from"))?,
                    to: stored.valid(ResidenceType::from_pb(e.to, "to"))?,
                }
            }
            "FloatingResidenceVerified" => {
                let e: pb::FloatingResidenceVerified = stored.message()?;
                ResidentEvent::FloatingResidenceVerified {
                    resident_id: resident(&e.resident_id)?,
                    verified_on: stored.valid(date_from_pb(e.verified_on, "verified_on"))?,
                    valid_until: stored.valid(date_from_pb(e.valid_until, "valid_until"))?,
                }
            }
            "CareCategoryAssigned" => {
                let e: pb::CareCategoryAssigned = stored.message()?;
                ResidentEvent::CareCategoryAssigned {
                    resident_id: resident(&e.resident_id)?,
                    category: stored.valid(CareCategory::from_pb(e.category, "category"))?,
                }
            }
            "CareCategoryRevoked" => {
                let e: pb::CareCategoryRevoked = stored.message()?;
                ResidentEvent::CareCategoryRevoked {
                    resident_id: resident(&e.resident_id)?,
                    category: stored.valid(CareCategory::from_pb(e.category, "category"))?,
                    reason: stored.code(e.reason_code, |v| {
                        CareRevokeReason::from_pb(v, "reason_code")
                    })?,
                    note: recorded_note(e.note, e.reason),
                }
            }
            "ResidentErased" => {
                let e: pb::ResidentErased = stored.message()?;
                ResidentEvent::Erased {
                    resident_id: resident(&e.resident_id)?,
                }
            }
            other => return Err(stored.fail(format!("unknown resident event {other}"))),
        };
        Ok(event)
    }
}

/// One stored event being decoded: its payload, and how to say why it does not decode.
struct Stored<'a> {
    event_type: &'a str,
    schema_version: u32,
    payload: &'a [u8],
}

impl Stored<'_> {
    fn fail(&self, reason: String) -> DecodeError {
        DecodeError {
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            reason,
        }
    }

    /// The payload as the protobuf message `M`.
    fn message<M: Message + Default>(&self) -> Result<M, DecodeError> {
        M::decode(self.payload).map_err(|e| self.fail(e.to_string()))
    }

    /// A field value, or the validation failure as the decode error.
    fn valid<T>(&self, value: Result<T, ValidationError>) -> Result<T, DecodeError> {
        value.map_err(|e| self.fail(e.to_string()))
    }

    /// A reason code: `None` when unset (an event written before reason codes).
    fn code<T>(
        &self,
        value: i32,
        parse: impl FnOnce(i32) -> Result<T, ValidationError>,
    ) -> Result<Option<T>, DecodeError> {
        match value {
            0 => Ok(None),
            v => self.valid(parse(v)).map(Some),
        }
    }

    /// A required community code.
    fn community(&self, code: String, field: &str) -> Result<String, DecodeError> {
        match code.trim() {
            "" => Err(self.fail(format!("missing {field}"))),
            _ => Ok(code),
        }
    }

    /// A required sealed field.
    fn sealed(&self, s: Option<pb::Sealed>, field: &str) -> Result<Sealed, DecodeError> {
        let s = s.ok_or_else(|| self.fail(format!("missing {field}")))?;
        Ok(sealed_from_pb(s))
    }
}

/// The note an event holds: the sealed one, else the free text of an event written
/// before reason codes, if any.
fn recorded_note(sealed: Option<pb::Sealed>, legacy: String) -> Option<RecordedNote> {
    match (sealed, legacy.as_str()) {
        (Some(s), _) => Some(RecordedNote::Sealed(sealed_from_pb(s))),
        (None, "") => None,
        (None, _) => Some(RecordedNote::Legacy(legacy)),
    }
}

/// A note as the event's legacy text and sealed fields.
fn note_to_pb(note: Option<&RecordedNote>) -> (String, Option<pb::Sealed>) {
    match note {
        None => (String::new(), None),
        Some(RecordedNote::Sealed(s)) => (String::new(), Some(sealed_to_pb(s))),
        Some(RecordedNote::Legacy(text)) => (text.clone(), None),
    }
}

fn sealed_from_pb(s: pb::Sealed) -> Sealed {
    Sealed {
        key_id: s.key_id,
        nonce: s.nonce,
        ciphertext: s.ciphertext,
    }
}

fn sealed_to_pb(s: &Sealed) -> pb::Sealed {
    pb::Sealed {
        key_id: s.key_id.clone(),
        nonce: s.nonce.clone(),
        ciphertext: s.ciphertext.clone(),
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
