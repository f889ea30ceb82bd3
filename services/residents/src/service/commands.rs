//! Write handlers: one per command RPC, each parse → load facts → decide → append.

use civitas_kernel::command::{execute, load};
use civitas_kernel::Decider;
use civitas_platform::auth::Caller;
use civitas_proto::residents::v1 as api;
use prost::Message;

use civitas_platform::command::{required, write_result, WriteContext};

use super::Residents;
use crate::convert::{category_from_pb, date_from_pb, residence_type_from_pb, sex_from_pb};
use crate::crypto::{self, DataKey};
use crate::domain::{
    Address, BirthDate, Building, Grid, GuardianFacts, Household, HouseholdCommand, HouseholdFacts,
    HouseholdId, IdNumber, PersonName, Phone, Resident, ResidentCommand, ResidentId, Sealed,
    ValidationError,
};
use crate::error::ServiceError;
use crate::keystore::{KeyStoreError, NewSubject, SubjectKind};

impl Residents {
    /// Registers a household in the caller's community; its address is sealed.
    pub async fn register_household(
        &self,
        caller: &Caller,
        req: api::RegisterHouseholdRequest,
    ) -> Result<api::RegisterHouseholdResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "RegisterHousehold",
            &req,
        )?;
        if let Some(replayed) = self.replayed(&meta).await? {
            let household_id = replayed
                .stream_id
                .trim_start_matches("household-")
                .to_owned();
            return Ok(api::RegisterHouseholdResponse {
                household_id,
                result: Some(write_result(&replayed)),
            });
        }
        let address = Address::parse("address", &req.address)?;
        let grid = Grid::parse("grid", &req.grid)?;
        let building = Building::parse("building", &req.building)?;

        let household_id = HouseholdId::from_uuid(uuid::Uuid::now_v7());
        let subject = NewSubject {
            subject_id: household_id.to_string(),
            kind: SubjectKind::Household,
            community: org.community.clone(),
            household_id: Some(household_id.to_string()),
            id_hash: None,
        };
        let personal = api::HouseholdPersonal {
            address: address.as_str().to_owned(),
        };
        let sealed = self
            .seal_new_subject(subject, &personal.encode_to_vec())
            .await?;
        let command = HouseholdCommand::Register {
            household_id,
            community: org.community.clone(),
            grid,
            building,
            address: sealed,
        };
        let outcome = execute::<Household, _>(
            &*self.store,
            &household_id.stream_id(),
            meta.command,
            |state| Household::decide(state, command.clone()),
        )
        .await;
        let outcome = self
            .forget_on_failure(&household_id.to_string(), outcome)
            .await?;
        let household_id = outcome
            .stream_id
            .trim_start_matches("household-")
            .to_owned();
        Ok(api::RegisterHouseholdResponse {
            household_id,
            result: Some(write_result(&outcome)),
        })
    }

    /// Registers a resident into a household of the caller's community.
    pub async fn register_resident(
        &self,
        caller: &Caller,
        req: api::RegisterResidentRequest,
    ) -> Result<api::RegisterResidentResponse, ServiceError> {
        let org = self.write_scope(caller, "")?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "RegisterResident",
            &req,
        )?;
        if let Some(replayed) = self.replayed(&meta).await? {
            let resident_id = replayed
                .stream_id
                .trim_start_matches("resident-")
                .to_owned();
            return Ok(api::RegisterResidentResponse {
                resident_id,
                result: Some(write_result(&replayed)),
            });
        }
        let today = meta.today();
        let household_id = required(&req.household_id, "household_id")
            .and_then(|s| HouseholdId::parse("household_id", s))?;
        let name = PersonName::parse("name", &req.name)?;
        let id_number = IdNumber::parse("id_number", &req.id_number)?;
        let phone = match req.phone.trim() {
            "" => None,
            p => Some(Phone::parse("phone", p)?),
        };
        let birth_date = match req.birth_date {
            None => id_number.birth_date(),
            Some(d) => date_from_pb(Some(d), "birth_date")?,
        };
        if birth_date != id_number.birth_date() {
            return Err(ValidationError::new(
                "birth_date",
                "does not match the birth date in id_number",
            )
            .into());
        }
        let birth_date = BirthDate::parse("birth_date", birth_date, today)?;
        let sex = match req.sex {
            0 => id_number.sex(),
            v => sex_from_pb(v, "sex")?,
        };
        if sex != id_number.sex() {
            return Err(
                ValidationError::new("sex", "does not match the sex encoded in id_number").into(),
            );
        }
        let residence_type = residence_type_from_pb(req.residence_type, "residence_type")?;
        let guardian_id = match req.guardian_resident_id.trim() {
            "" => None,
            g => Some(ResidentId::parse("guardian_resident_id", g)?),
        };

        let household = load::<Household>(&*self.store, &household_id.stream_id())
            .await?
            .state;
        let household = HouseholdFacts {
            exists: household.registered,
            community: household.community,
        };
        let guardian = match guardian_id {
            None => None,
            Some(id) => {
                let g = load::<Resident>(&*self.store, &id.stream_id()).await?.state;
                Some(GuardianFacts {
                    resident_id: id,
                    exists: g.registered,
                    active: g.is_active(),
                })
            }
        };

        let resident_id = ResidentId::from_uuid(uuid::Uuid::now_v7());
        let personal = api::ResidentPersonal {
            name: name.as_str().to_owned(),
            id_number: id_number.as_str().to_owned(),
            phone: phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            birth_date: Some(crate::convert::date_to_pb(birth_date.date())),
        };
        // Refuse before creating any key when the decision cannot succeed.
        let mut command = ResidentCommand::Register {
            resident_id,
            household_id,
            household,
            community: org.community.clone(),
            residence_type,
            sex,
            birth_date,
            today,
            guardian,
            personal: Sealed {
                key_id: resident_id.to_string(),
                nonce: Vec::new(),
                ciphertext: Vec::new(),
            },
        };
        Resident::decide(&Default::default(), command.clone())?;

        let subject = NewSubject {
            subject_id: resident_id.to_string(),
            kind: SubjectKind::Resident,
            community: org.community.clone(),
            household_id: Some(household_id.to_string()),
            id_hash: Some(crypto::id_lookup_hash(&self.master, id_number.as_str())),
        };
        let sealed = self
            .seal_new_subject(subject, &personal.encode_to_vec())
            .await?;
        if let ResidentCommand::Register { personal, .. } = &mut command {
            *personal = sealed;
        }
        let outcome = execute::<Resident, _>(
            &*self.store,
            &resident_id.stream_id(),
            meta.command,
            |state| Resident::decide(state, command.clone()),
        )
        .await;
        let outcome = self
            .forget_on_failure(&resident_id.to_string(), outcome)
            .await?;
        let resident_id = outcome.stream_id.trim_start_matches("resident-").to_owned();
        Ok(api::RegisterResidentResponse {
            resident_id,
            result: Some(write_result(&outcome)),
        })
    }

    /// Runs a command on an existing resident of the caller's community.
    pub(crate) async fn on_resident(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&civitas_proto::common::v1::WriteOptions>,
        request: &impl Message,
        resident_id: &str,
        command: impl Fn(&WriteContext) -> Result<ResidentCommand, ServiceError>,
    ) -> Result<civitas_proto::common::v1::WriteResult, ServiceError> {
        let org = self.write_scope(caller, "")?;
        let meta = WriteContext::new(caller, org.clone(), options, rpc, request)?;
        if let Some(replayed) = self.replayed(&meta).await? {
            return Ok(write_result(&replayed));
        }
        let resident_id = required(resident_id, "resident_id")
            .and_then(|s| ResidentId::parse("resident_id", s))?;
        self.require_resident_in(&resident_id, &org.community)
            .await?;
        let command = command(&meta)?;
        let erase = matches!(command, ResidentCommand::Erase);
        if erase {
            // Destroy the key first: if the append then fails, a retry appends the event,
            // while the opposite order could leave an "erased" resident still readable.
            let state = load::<Resident>(&*self.store, &resident_id.stream_id())
                .await?
                .state;
            Resident::decide(&state, command.clone())?;
            self.keys.erase(&resident_id.to_string()).await?;
        }
        let outcome = execute::<Resident, _>(
            &*self.store,
            &resident_id.stream_id(),
            meta.command,
            |state| Resident::decide(state, command.clone()),
        )
        .await?;
        Ok(write_result(&outcome))
    }

    pub async fn move_out(
        &self,
        caller: &Caller,
        req: api::MoveOutResidentRequest,
    ) -> Result<api::MoveOutResidentResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "MoveOutResident",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |m| {
                    Ok(ResidentCommand::MoveOut {
                        reason: req.reason.trim().to_owned(),
                        today: m.today(),
                    })
                },
            )
            .await?;
        Ok(api::MoveOutResidentResponse {
            result: Some(result),
        })
    }

    pub async fn change_residence_type(
        &self,
        caller: &Caller,
        req: api::ChangeResidenceTypeRequest,
    ) -> Result<api::ChangeResidenceTypeResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "ChangeResidenceType",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |_| {
                    Ok(ResidentCommand::ChangeResidenceType {
                        to: residence_type_from_pb(req.residence_type, "residence_type")?,
                    })
                },
            )
            .await?;
        Ok(api::ChangeResidenceTypeResponse {
            result: Some(result),
        })
    }

    pub async fn verify_floating_residence(
        &self,
        caller: &Caller,
        req: api::VerifyFloatingResidenceRequest,
    ) -> Result<api::VerifyFloatingResidenceResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "VerifyFloatingResidence",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |m| {
                    Ok(ResidentCommand::VerifyFloatingResidence {
                        today: m.today(),
                        valid_until: date_from_pb(req.valid_until, "valid_until")?,
                    })
                },
            )
            .await?;
        Ok(api::VerifyFloatingResidenceResponse {
            result: Some(result),
        })
    }

    pub async fn assign_care_category(
        &self,
        caller: &Caller,
        req: api::AssignCareCategoryRequest,
    ) -> Result<api::AssignCareCategoryResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "AssignCareCategory",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |m| {
                    Ok(ResidentCommand::AssignCareCategory {
                        category: category_from_pb(req.category, "category")?,
                        today: m.today(),
                    })
                },
            )
            .await?;
        Ok(api::AssignCareCategoryResponse {
            result: Some(result),
        })
    }

    pub async fn revoke_care_category(
        &self,
        caller: &Caller,
        req: api::RevokeCareCategoryRequest,
    ) -> Result<api::RevokeCareCategoryResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "RevokeCareCategory",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |_| {
                    Ok(ResidentCommand::RevokeCareCategory {
                        category: category_from_pb(req.category, "category")?,
                        reason: req.reason.trim().to_owned(),
                    })
                },
            )
            .await?;
        Ok(api::RevokeCareCategoryResponse {
            result: Some(result),
        })
    }

    pub async fn erase(
        &self,
        caller: &Caller,
        req: api::EraseResidentRequest,
    ) -> Result<api::EraseResidentResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "EraseResident",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |_| Ok(ResidentCommand::Erase),
            )
            .await?;
        Ok(api::EraseResidentResponse {
            result: Some(result),
        })
    }

    /// The stored outcome when this request is a retry of an earlier one.
    async fn replayed(
        &self,
        meta: &WriteContext,
    ) -> Result<Option<civitas_kernel::AppendOutcome>, ServiceError> {
        match &meta.command.idempotency {
            None => Ok(None),
            Some(idem) => Ok(self.store.idempotent_outcome(idem).await?),
        }
    }

    /// NOT_FOUND unless the resident exists; PERMISSION_DENIED when it lives elsewhere.
    async fn require_resident_in(
        &self,
        resident_id: &ResidentId,
        community: &str,
    ) -> Result<(), ServiceError> {
        let stream = self.store.read_stream(&resident_id.stream_id()).await?;
        match stream.first() {
            None => Err(ServiceError::NotFound {
                what: "resident",
                id: resident_id.to_string(),
            }),
            Some(first) if first.org.community != community => {
                Err(civitas_platform::auth::AuthError::PermissionDenied(format!(
                    "resident {resident_id} belongs to another community"
                ))
                .into())
            }
            Some(_) => Ok(()),
        }
    }

    /// Creates the subject's data key and seals its personal data with it. An ID number
    /// held by a key whose registration never committed (a crash between key and event)
    /// is released and retried once.
    async fn seal_new_subject(
        &self,
        subject: NewSubject,
        plaintext: &[u8],
    ) -> Result<Sealed, ServiceError> {
        let key = DataKey::generate();
        let subject_id = subject.subject_id.clone();
        match self.keys.create(subject.clone(), &key, &self.master).await {
            Ok(()) => {}
            Err(KeyStoreError::IdNumberTaken {
                existing_subject_id,
            }) => {
                let stream = format!("resident-{existing_subject_id}");
                if !self.store.read_stream(&stream).await?.is_empty() {
                    return Err(ServiceError::IdNumberTaken);
                }
                self.keys.forget(&existing_subject_id).await?;
                self.keys
                    .create(subject, &key, &self.master)
                    .await
                    .map_err(|e| match e {
                        KeyStoreError::IdNumberTaken { .. } => ServiceError::IdNumberTaken,
                        other => other.into(),
                    })?;
            }
            Err(e) => return Err(e.into()),
        }
        let sealed = crypto::seal(&key, subject_id.as_bytes(), plaintext);
        Ok(Sealed {
            key_id: subject_id,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
        })
    }

    /// Removes a freshly created key when its registration did not commit.
    async fn forget_on_failure<E>(
        &self,
        subject_id: &str,
        outcome: Result<civitas_kernel::AppendOutcome, E>,
    ) -> Result<civitas_kernel::AppendOutcome, ServiceError>
    where
        E: Into<ServiceError>,
    {
        match outcome {
            Ok(o) if o.replayed => {
                // A concurrent retry won: our key is unused.
                let _ = self.keys.forget(subject_id).await;
                Ok(o)
            }
            Ok(o) => Ok(o),
            Err(e) => {
                if let Err(forget) = self.keys.forget(subject_id).await {
                    tracing::warn!(subject = %subject_id, error = %forget, "failed to forget an unused key");
                }
                Err(e.into())
            }
        }
    }
}
