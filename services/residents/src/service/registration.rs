//! The two writes that create a data subject: a household (its address sealed) and a
//! resident (name, ID number, phone and birth date sealed). Each seals the personal
//! data with a new data key and hands the key's row to the event store as a companion
//! of the registering event: both commit together or not at all, and the unique index
//! on the ID lookup hash refuses a second resident with one ID number (until the first
//! moves out or is erased), saying where it is held only when that is the caller's
//! own community.

use chrono::NaiveDate;
use civitas_kernel::command::load;
use civitas_kernel::{AppendOutcome, Decider};
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_platform::write::{created_id, WriteError};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::residents::v1 as api;
use prost::Message;

use super::{seal, Residents};
use crate::crypto::{self, DataKey};
use crate::domain::{
    Address, Arrival, BirthDate, Building, Grid, GuardianFacts, Household, HouseholdCommand,
    HouseholdFacts, HouseholdId, IdNumber, PersonName, Phone, ResidenceType, Resident,
    ResidentCommand, ResidentId, Sealed, Sex, ValidationError,
};
use crate::error::ServiceError;
use crate::keystore::{KeyStore, NewSubject, RegisterEntry, SubjectKind};

impl Residents {
    /// Registers a household in the caller's community; its address is sealed.
    pub async fn register_household(
        &self,
        caller: &Caller,
        req: api::RegisterHouseholdRequest,
    ) -> Result<api::RegisterHouseholdResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "RegisterHousehold",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => self.new_household(ctx, &req).await?,
        };
        Ok(api::RegisterHouseholdResponse {
            household_id: created_id(&outcome.stream_id, "household"),
            result: Some(write_result(&outcome)),
        })
    }

    async fn new_household(
        &self,
        mut ctx: WriteContext,
        req: &api::RegisterHouseholdRequest,
    ) -> Result<AppendOutcome, ServiceError> {
        let address = Address::parse("address", &req.address)?;
        let grid = Grid::parse("grid", &req.grid)?;
        let building = Building::parse("building", &req.building)?;

        let household_id = HouseholdId::from_uuid(uuid::Uuid::now_v7());
        let community = ctx.org().community.clone();
        let subject = NewSubject {
            subject_id: household_id.to_string(),
            kind: SubjectKind::Household,
            community: community.clone(),
            household_id: Some(household_id.to_string()),
            id_hash: None,
        };
        let personal = api::HouseholdPersonal {
            address: address.as_str().to_owned(),
        };
        let sealed = self.seal_new_subject(&mut ctx, &subject, &personal);
        ctx.command
            .companions
            .push(KeyStore::household_placed(&RegisterEntry {
                household_id: household_id.to_string(),
                community: community.clone(),
                grid: grid.as_str().to_owned(),
                building: building.as_str().to_owned(),
            }));
        let command = HouseholdCommand::Register {
            household_id,
            community,
            grid,
            building,
            address: sealed,
        };
        self.shell
            .run_on::<Household, ServiceError>(&household_id.stream_id(), Vec::new(), ctx, command)
            .await
    }

    /// Registers a resident into a household of the caller's community.
    pub async fn register_resident(
        &self,
        caller: &Caller,
        req: api::RegisterResidentRequest,
    ) -> Result<api::RegisterResidentResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "RegisterResident", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => self.new_resident(ctx, &req).await?,
        };
        Ok(api::RegisterResidentResponse {
            resident_id: created_id(&outcome.stream_id, "resident"),
            result: Some(write_result(&outcome)),
        })
    }

    async fn new_resident(
        &self,
        mut ctx: WriteContext,
        req: &api::RegisterResidentRequest,
    ) -> Result<AppendOutcome, ServiceError> {
        let today = ctx.today();
        let household_id = required(&req.household_id, "household_id")
            .and_then(|s| HouseholdId::parse("household_id", s))?;
        let Person {
            name,
            id_number,
            phone,
            birth_date,
            sex,
            arrival,
            arrived_on,
        } = Person::parse(req, today)?;
        let residence_type = ResidenceType::from_pb(req.residence_type, "residence_type")?;
        let guardian_id = match req.guardian_resident_id.trim() {
            "" => None,
            g => Some(ResidentId::parse("guardian_resident_id", g)?),
        };

        let store = self.shell.store();
        let household = load::<Household>(store, &household_id.stream_id())
            .await?
            .state;
        let household = HouseholdFacts {
            exists: household.registered,
            community: household.community,
        };
        let guardian = match guardian_id {
            None => None,
            Some(id) => {
                let g = load::<Resident>(store, &id.stream_id()).await?.state;
                Some(GuardianFacts {
                    resident_id: id,
                    exists: g.registered,
                    active: g.is_active(),
                })
            }
        };

        let resident_id = ResidentId::from_uuid(uuid::Uuid::now_v7());
        let community = ctx.org().community.clone();
        let personal = api::ResidentPersonal {
            name: name.as_str().to_owned(),
            id_number: id_number
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            phone: phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            birth_date: Some(date_to_pb(birth_date.date())),
        };
        // Refuse before creating any key when the decision cannot succeed.
        let mut command = ResidentCommand::Register {
            resident_id,
            household_id,
            household,
            community: community.clone(),
            residence_type,
            sex,
            birth_date,
            today,
            guardian,
            arrival,
            arrived_on,
            personal: Sealed {
                key_id: resident_id.to_string(),
                nonce: Vec::new(),
                ciphertext: Vec::new(),
            },
        };
        Resident::decide(&Default::default(), command.clone())?;

        // A newborn without an ID number yet holds no number.
        let id_hash = id_number
            .as_ref()
            .map(|n| crypto::id_lookup_hash(&self.master, n.as_str()));
        let subject = NewSubject {
            subject_id: resident_id.to_string(),
            kind: SubjectKind::Resident,
            community,
            household_id: Some(household_id.to_string()),
            id_hash: id_hash.clone(),
        };
        let sealed = self.seal_new_subject(&mut ctx, &subject, &personal);
        if let ResidentCommand::Register { personal, .. } = &mut command {
            *personal = sealed;
        }
        let outcome = self
            .shell
            .run_on::<Resident, ServiceError>(&resident_id.stream_id(), Vec::new(), ctx, command)
            .await;
        match outcome {
            // The key row's unique ID lookup hash refused it: the number is taken.
            Err(ServiceError::Write(WriteError::Taken(_))) if id_hash.is_some() => {
                let id_hash = id_hash.as_deref().unwrap_or_default();
                Err(self.id_number_taken(id_hash, &subject.community).await)
            }
            other => other,
        }
    }

    /// Why a registration's ID number is taken, as far as `community` may know: by one
    /// of its own residents (ALREADY_EXISTS), or by a resident of a community it is not
    /// told (see "Personal data and its keys" in docs/ARCHITECTURE.md).
    async fn id_number_taken(&self, id_hash: &str, community: &str) -> ServiceError {
        match self.keys.find_by_id_hash(id_hash).await {
            Ok(Some(holder)) if holder.community == community => ServiceError::IdNumberTaken,
            Ok(Some(_)) => {
                tracing::info!(community, "registration refused: id_number held elsewhere");
                ServiceError::IdNumberElsewhere
            }
            // The holder moved out or was erased meanwhile: a retry may take the number.
            Ok(None) => {
                WriteError::Conflict("id_number was released while registering; retry".into())
                    .into()
            }
            Err(e) => e.into(),
        }
    }

    /// Seals the subject's personal data with a new data key, and adds the key's row to
    /// the command as a companion of its event.
    fn seal_new_subject(
        &self,
        ctx: &mut WriteContext,
        subject: &NewSubject,
        personal: &impl Message,
    ) -> Sealed {
        let key = DataKey::generate();
        ctx.command
            .companions
            .push(KeyStore::created(subject, &key, &self.master));
        seal(&key, &subject.subject_id, personal)
    }
}

/// The person a registration describes, parsed and checked against itself: the birth
/// date and sex must agree with the ID number, which only a newborn may lack.
struct Person {
    name: PersonName,
    id_number: Option<IdNumber>,
    phone: Option<Phone>,
    birth_date: BirthDate,
    sex: Sex,
    arrival: Arrival,
    arrived_on: Option<NaiveDate>,
}

impl Person {
    fn parse(req: &api::RegisterResidentRequest, today: NaiveDate) -> Result<Self, ServiceError> {
        let arrival = match req.arrival {
            0 => Arrival::AlreadyLiving,
            v => Arrival::from_pb(v, "arrival")?,
        };
        let arrived_on = match req.arrived_on {
            None => None,
            d => Some(date_from_pb(d, "arrived_on")?),
        };
        let name = PersonName::parse("name", &req.name)?;
        let id_number = match (arrival, req.id_number.trim()) {
            (Arrival::Born, "") => None,
            _ => Some(IdNumber::parse("id_number", &req.id_number)?),
        };
        let phone = match req.phone.trim() {
            "" => None,
            p => Some(Phone::parse("phone", p)?),
        };
        let birth_date = match (req.birth_date, &id_number, arrival, arrived_on) {
            (Some(d), _, _, _) => date_from_pb(Some(d), "birth_date")?,
            (None, Some(n), _, _) => n.birth_date(),
            (None, None, _, Some(day)) => day,
            (None, None, _, None) => {
                return Err(ValidationError::new("birth_date", "is required").into())
            }
        };
        if id_number
            .as_ref()
            .is_some_and(|n| n.birth_date() != birth_date)
        {
            return Err(ValidationError::new(
                "birth_date",
                "does not match the birth date in id_number",
            )
            .into());
        }
        let birth_date = BirthDate::parse("birth_date", birth_date, today)?;
        let sex = match (req.sex, &id_number) {
            (0, Some(n)) => n.sex(),
            (0, None) => return Err(ValidationError::new("sex", "is required").into()),
            (v, _) => Sex::from_pb(v, "sex")?,
        };
        if id_number.as_ref().is_some_and(|n| n.sex() != sex) {
            return Err(
                ValidationError::new("sex", "does not match the sex encoded in id_number").into(),
            );
        }
        Ok(Self {
            name,
            id_number,
            phone,
            birth_date,
            sex,
            arrival,
            arrived_on,
        })
    }
}
