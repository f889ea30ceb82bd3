//! Given/when/then tests of the `Resident` decider: every rule and every refusal.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;
use uuid::Uuid;

use super::{
    GuardianFacts, HouseholdFacts, RecordedNote, Resident, ResidentCommand, ResidentError,
    ResidentEvent,
};
use crate::domain::values::{
    Arrival, BirthDate, CareCategory, CareRevokeReason, HouseholdId, MoveOutReason, ResidenceType,
    ResidentId, Sealed, Sex,
};

use CareCategory::*;
use ResidenceType::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const COMMUNITY: &str = "xihu-wensan";

fn today() -> NaiveDate {
    date(2024, 6, 1)
}

fn me() -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(1))
}

fn parent() -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(2))
}

fn home() -> HouseholdId {
    HouseholdId::from_uuid(Uuid::from_u128(10))
}

fn sealed() -> Sealed {
    Sealed {
        key_id: "resident-key-1".into(),
        nonce: vec![0; 12],
        ciphertext: vec![9; 64],
    }
}

/// A registration with every fact in order; tests spoil one field at a time.
struct Registration {
    born: NaiveDate,
    residence_type: ResidenceType,
    household: HouseholdFacts,
    community: &'static str,
    guardian: Option<GuardianFacts>,
    arrival: Arrival,
    arrived_on: Option<NaiveDate>,
}

impl Registration {
    fn adult() -> Self {
        Self {
            born: date(1985, 6, 15),
            residence_type: Permanent,
            household: HouseholdFacts {
                exists: true,
                community: COMMUNITY.into(),
            },
            community: COMMUNITY,
            guardian: None,
            arrival: Arrival::AlreadyLiving,
            arrived_on: None,
        }
    }

    fn child(born: NaiveDate) -> Self {
        Self {
            born,
            ..Self::adult()
        }
    }

    fn guardian(mut self, resident_id: ResidentId, exists: bool, active: bool) -> Self {
        self.guardian = Some(GuardianFacts {
            resident_id,
            exists,
            active,
        });
        self
    }

    fn command(self) -> ResidentCommand {
        ResidentCommand::Register {
            resident_id: me(),
            household_id: home(),
            household: self.household,
            community: self.community.into(),
            residence_type: self.residence_type,
            sex: Sex::Female,
            birth_date: BirthDate::parse("birth_date", self.born, today()).unwrap(),
            today: today(),
            guardian: self.guardian,
            arrival: self.arrival,
            arrived_on: self.arrived_on,
            personal: sealed(),
        }
    }
}

fn registered_as(residence_type: ResidenceType, birth_year: i32) -> ResidentEvent {
    ResidentEvent::Registered {
        resident_id: me(),
        household_id: home(),
        residence_type,
        sex: Sex::Female,
        birth_year,
        guardian: None,
        personal: sealed(),
        arrival: Some(Arrival::AlreadyLiving),
        arrived_on: None,
    }
}

fn registered() -> ResidentEvent {
    registered_as(Permanent, 1985)
}

fn moved_out() -> ResidentEvent {
    ResidentEvent::MovedOut {
        resident_id: me(),
        household_id: home(),
        reason: Some(MoveOutReason::MovedOutOfDistrict),
        note: Some(RecordedNote::Sealed(sealed())),
    }
}

fn revoked(category: CareCategory) -> ResidentEvent {
    ResidentEvent::CareCategoryRevoked {
        resident_id: me(),
        category,
        reason: Some(CareRevokeReason::NoLongerEligible),
        note: None,
    }
}

fn erased() -> ResidentEvent {
    ResidentEvent::Erased { resident_id: me() }
}

fn assigned(category: CareCategory) -> ResidentEvent {
    ResidentEvent::CareCategoryAssigned {
        resident_id: me(),
        category,
    }
}

fn assign(category: CareCategory) -> ResidentCommand {
    ResidentCommand::AssignCareCategory {
        category,
        today: today(),
    }
}

fn revoke(category: CareCategory) -> ResidentCommand {
    ResidentCommand::RevokeCareCategory {
        category,
        reason: CareRevokeReason::NoLongerEligible,
        note: None,
    }
}

fn verify(valid_until: NaiveDate) -> ResidentCommand {
    ResidentCommand::VerifyFloatingResidence {
        today: today(),
        valid_until,
    }
}

fn move_out() -> ResidentCommand {
    ResidentCommand::MoveOut {
        reason: MoveOutReason::MovedOutOfDistrict,
        note: Some(sealed()),
        today: today(),
    }
}

/// One of every command that acts on an existing resident.
fn commands_after_registration() -> Vec<ResidentCommand> {
    vec![
        move_out(),
        ResidentCommand::ChangeResidenceType { to: Floating },
        verify(date(2025, 6, 1)),
        assign(Disabled),
        revoke(Disabled),
        ResidentCommand::Erase,
    ]
}

mod care;
mod lifecycle;
mod moves;
mod register;
mod state_and_names;
