//! Read handlers. Per-person records are refused to analysts (they see aggregates
//! only); personal data is opened only for staff of the resident's own community;
//! others in scope see the record with personal fields redacted, and an erased
//! resident shows as erased to everyone. The notes beside move-out and care
//! revocation reason codes follow the personal data: opened for the same callers only.

use civitas_kernel::command::decode_all;
use civitas_kernel::{Decider, OrgPath};
use civitas_platform::auth::{Caller, Role};
use civitas_platform::write::{Target, WriteError};
use civitas_proto::common::v1 as common;
use civitas_proto::convert::date_to_pb;
use civitas_proto::residents::v1 as api;
use prost::Message;

use super::{resident_target, Residents};
use crate::crypto::{self, DataKey};
use crate::domain::{
    Household, HouseholdEvent, HouseholdId, IdNumber, RecordedNote, Resident, ResidentEvent,
    ResidentId, Sealed,
};
use crate::error::ServiceError;
use crate::keystore::KeyState;

use api::PersonalVisibility as Visibility;

impl Residents {
    /// One resident, with personal data for staff of its community.
    pub async fn get_resident(
        &self,
        caller: &Caller,
        req: api::GetResidentRequest,
    ) -> Result<api::GetResidentResponse, ServiceError> {
        caller.authorize_person_read()?;
        let id = ResidentId::parse("resident_id", req.resident_id.trim())?;
        let resident = self.resident_view(caller, &id).await?;
        Ok(api::GetResidentResponse {
            resident: Some(resident),
        })
    }

    /// One household and its residents (including those moved out or erased).
    pub async fn get_household(
        &self,
        caller: &Caller,
        req: api::GetHouseholdRequest,
    ) -> Result<api::GetHouseholdResponse, ServiceError> {
        caller.authorize_person_read()?;
        let id = HouseholdId::parse("household_id", req.household_id.trim())?;
        let resident_ids = self.keys.residents_of_household(&id.to_string()).await?;
        let mut residents = Vec::with_capacity(resident_ids.len());
        for rid in &resident_ids {
            let rid = ResidentId::parse("resident_id", rid).map_err(anyhow::Error::new)?;
            match self.resident_view(caller, &rid).await {
                Ok(r) => residents.push(r),
                // A key an older version left when its registration did not commit.
                Err(ServiceError::Write(WriteError::NotFound { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        let listed = residents.iter().map(|r| r.resident_id.clone()).collect();
        let household = self.household_view(caller, &id, listed).await?;
        Ok(api::GetHouseholdResponse {
            household: Some(household),
            residents,
        })
    }

    /// One household as `caller` may see it, listing `resident_ids`.
    pub(super) async fn household_view(
        &self,
        caller: &Caller,
        id: &HouseholdId,
        resident_ids: Vec<String>,
    ) -> Result<api::Household, ServiceError> {
        let target = Target::new("household", id, id.stream_id());
        let (recorded, org) = self.shell.read_authorized(caller, &target).await?;
        let events: Vec<HouseholdEvent> = decode_all(&recorded)?;
        let state = Household::fold(events.iter());
        let sealed = events
            .iter()
            .map(|HouseholdEvent::Registered { address, .. }| address)
            .next_back();
        let (visibility, personal) =
            match self.open_for(caller, &org, &id.to_string(), sealed).await? {
                Opened::Visible(bytes) => (
                    Visibility::Visible,
                    Some(decode_personal::<api::HouseholdPersonal>(&bytes)?),
                ),
                Opened::Hidden(v) => (v, None),
            };
        Ok(api::Household {
            household_id: id.to_string(),
            org: Some(org_to_pb(&org)),
            grid: state
                .grid
                .map(|g| g.as_str().to_owned())
                .unwrap_or_default(),
            building: state
                .building
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
            personal_visibility: visibility as i32,
            personal,
            resident_ids,
            version: recorded.last().map_or(0, |e| e.stream_version),
        })
    }

    /// Finds the current resident of the caller's own community by ID number (staff
    /// only); one moved out or erased no longer holds the number. A resident of another
    /// community is reported as not found, so the lookup cannot probe where a person
    /// lives.
    pub async fn find_resident_by_id_number(
        &self,
        caller: &Caller,
        req: api::FindResidentByIdNumberRequest,
    ) -> Result<api::FindResidentByIdNumberResponse, ServiceError> {
        caller.authorize_staff_read(&caller.org_unit)?;
        let id_number = IdNumber::parse("id_number", &req.id_number)?;
        let hash = crypto::id_lookup_hash(&self.master, id_number.as_str());
        let not_found = || WriteError::NotFound {
            what: "resident",
            id: "with this id_number".to_owned(),
        };
        let holder = match self.keys.find_by_id_hash(&hash).await? {
            Some(holder) if holder.community == caller.org_unit => holder,
            _ => return Err(not_found().into()),
        };
        let id =
            ResidentId::parse("resident_id", &holder.subject_id).map_err(anyhow::Error::new)?;
        Ok(api::FindResidentByIdNumberResponse {
            resident: Some(self.resident_view(caller, &id).await?),
        })
    }

    pub(super) async fn resident_view(
        &self,
        caller: &Caller,
        id: &ResidentId,
    ) -> Result<api::Resident, ServiceError> {
        let (recorded, org) = self
            .shell
            .read_authorized(caller, &resident_target(id))
            .await?;
        let events: Vec<ResidentEvent> = decode_all(&recorded)?;
        let state = Resident::fold(events.iter());
        let sealed = events.iter().find_map(|e| match e {
            ResidentEvent::Registered { personal, .. } => Some(personal),
            _ => None,
        });
        let subject = id.to_string();
        let key = if state.erased {
            Err(Visibility::Erased)
        } else {
            self.key_for(caller, &org, &subject).await?
        };
        let (visibility, personal) = match (&key, sealed) {
            (Ok(key), Some(sealed)) => (
                Visibility::Visible,
                Some(decode_personal::<api::ResidentPersonal>(&open(
                    key, &subject, sealed,
                )?)?),
            ),
            (Ok(_), None) => (Visibility::Redacted, None),
            (Err(hidden), _) => (*hidden, None),
        };
        // Notes open for whoever sees the personal data, and only for them.
        let note = |note: &Option<RecordedNote>| -> Result<String, ServiceError> {
            Ok(match (note, &key) {
                (Some(RecordedNote::Sealed(sealed)), Ok(key)) => {
                    decode_personal::<api::Note>(&open(key, &subject, sealed)?)?.text
                }
                (Some(RecordedNote::Legacy(text)), Ok(_)) => text.clone(),
                _ => String::new(),
            })
        };
        let mut move_out = None;
        let mut care_revocations = Vec::new();
        for event in &events {
            match event {
                ResidentEvent::MovedOut {
                    reason, note: n, ..
                } => {
                    move_out = Some(api::MoveOut {
                        reason_code: reason.map_or(0, |r| r.to_pb() as i32),
                        note: note(n)?,
                    })
                }
                ResidentEvent::CareCategoryRevoked {
                    category,
                    reason,
                    note: n,
                    ..
                } => care_revocations.push(api::CareRevocation {
                    category: category.to_pb() as i32,
                    reason_code: reason.map_or(0, |r| r.to_pb() as i32),
                    note: note(n)?,
                }),
                _ => {}
            }
        }
        Ok(api::Resident {
            resident_id: id.to_string(),
            household_id: state
                .household_id
                .map(|h| h.to_string())
                .unwrap_or_default(),
            org: Some(org_to_pb(&org)),
            residence_type: state.residence_type.map_or(0, |t| t.to_pb() as i32),
            sex: state.sex.map_or(0, |s| s.to_pb() as i32),
            birth_year: state.birth_year.unwrap_or_default(),
            care_categories: state
                .care_categories
                .iter()
                .map(|c| c.to_pb() as i32)
                .collect(),
            moved_out: state.moved_out,
            erased: state.erased,
            floating_valid_until: state.floating_valid_until.map(date_to_pb),
            guardian_resident_id: state.guardian.map(|g| g.to_string()).unwrap_or_default(),
            personal_visibility: visibility as i32,
            personal,
            version: recorded.last().map_or(0, |e| e.stream_version),
            move_out,
            care_revocations,
            released_to: state.released_to.clone().unwrap_or_default(),
            arrival: state.arrival.map_or(0, |a| a.to_pb() as i32),
            arrived_on: state.arrived_on.map(date_to_pb),
        })
    }

    /// The subject's data key for staff of `org`'s community, otherwise what the caller
    /// sees instead of personal data.
    async fn key_for(
        &self,
        caller: &Caller,
        org: &OrgPath,
        subject: &str,
    ) -> Result<Result<DataKey, Visibility>, ServiceError> {
        if caller.role != Role::Staff || caller.org_unit != org.community {
            return Ok(Err(Visibility::Redacted));
        }
        Ok(match self.keys.data_key(subject, &self.master).await? {
            KeyState::Active(key) => Ok(key),
            KeyState::Erased | KeyState::Unknown => Err(Visibility::Erased),
        })
    }

    /// Opens sealed personal data for staff of `org`'s community, otherwise says why not.
    async fn open_for(
        &self,
        caller: &Caller,
        org: &OrgPath,
        subject: &str,
        sealed: Option<&Sealed>,
    ) -> Result<Opened, ServiceError> {
        Ok(match (self.key_for(caller, org, subject).await?, sealed) {
            (Ok(key), Some(sealed)) => Opened::Visible(open(&key, subject, sealed)?),
            (Ok(_), None) => Opened::Hidden(Visibility::Redacted),
            (Err(hidden), _) => Opened::Hidden(hidden),
        })
    }
}

/// The plaintext of a field sealed under the subject's key.
fn open(key: &DataKey, subject: &str, sealed: &Sealed) -> Result<Vec<u8>, ServiceError> {
    crypto::open(key, subject.as_bytes(), &sealed.nonce, &sealed.ciphertext).map_err(|e| {
        anyhow::Error::new(e)
            .context("failed to open personal data")
            .into()
    })
}

enum Opened {
    Visible(Vec<u8>),
    Hidden(Visibility),
}

fn decode_personal<M: Message + Default>(bytes: &[u8]) -> Result<M, ServiceError> {
    M::decode(bytes).map_err(|e| {
        anyhow::Error::new(e)
            .context("corrupt personal data")
            .into()
    })
}

fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}
