//! The `Resident` aggregate: a person registered in a household (already living here,
//! moved in or born), their residence type, the verification of a floating residence,
//! the care registers they are on, a transfer to another community of the district
//! (released by the sending community, accepted by the receiving one), moving out and
//! erasure.
//!
//! Events carry no clear personal data: the name, ID number, phone and exact birth date
//! travel sealed in `Registered::personal`, and why a resident moved out or left a care
//! register is a reason code with an optional note sealed the same way; the birth year
//! stays clear because age-based
//! rules and KPIs need it and it does not identify a person on its own. Facts about
//! other streams (the household, the guardian) are loaded by the shell and passed in.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use civitas_kernel::Decider;

use super::values::{
    Arrival, BirthDate, CareCategory, CareRevokeReason, HouseholdId, MoveOutReason, ResidenceType,
    ResidentId, Sealed, Sex,
};

/// Residents younger than this on the day they register must name a guardian.
pub const GUARDIAN_REQUIRED_UNDER: u32 = 14;
/// The oldest age, counted by birth year, at which `Minor` can be assigned.
pub const MINOR_MAX_AGE: i32 = 18;
/// The youngest age, counted by birth year, at which `Over80WithoutPension` can be assigned.
pub const OVER_80_MIN_AGE: i32 = 80;

/// How far back a move-in, birth or transfer may be dated when it is recorded.
pub const LATEST_RECORDING_DAYS: i64 = 366;

/// The resident decider.
pub struct Resident;

/// The household a resident registers into, as the shell found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// Whether the household stream holds a registration.
    pub exists: bool,
    /// The community the household was registered in.
    pub community: String,
}

/// The guardian a resident names, as the shell found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianFacts {
    pub resident_id: ResidentId,
    /// Whether the guardian's stream holds a registration.
    pub exists: bool,
    /// Registered, not moved out and not erased.
    pub active: bool,
}

/// What can be asked of a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentCommand {
    /// Registers a person in a household of the caller's community.
    Register {
        resident_id: ResidentId,
        household_id: HouseholdId,
        household: HouseholdFacts,
        /// The caller's community, from the token scope.
        community: String,
        residence_type: ResidenceType,
        sex: Sex,
        birth_date: BirthDate,
        today: NaiveDate,
        guardian: Option<GuardianFacts>,
        /// How the person came, and the day for a move-in or birth.
        arrival: Arrival,
        arrived_on: Option<NaiveDate>,
        /// Name, ID number, phone and birth date, sealed by the shell.
        personal: Sealed,
    },
    /// Releases the resident to move to another community of the district; the shell
    /// has checked that `to_community` is a community of the org tree.
    Release {
        to_community: String,
        /// The caller's community, which the resident belongs to.
        own_community: String,
    },
    /// Takes back a release not yet accepted.
    WithdrawRelease,
    /// Accepts a released resident into a household of the caller's community.
    AcceptTransfer {
        /// The caller's community, from the token scope.
        community: String,
        /// The community the resident belongs to until now, as the shell read it.
        from_community: String,
        household_id: HouseholdId,
        household: HouseholdFacts,
        moved_on: NaiveDate,
        today: NaiveDate,
    },
    /// Records that the resident has left the community, why, and a staff note sealed
    /// by the shell.
    MoveOut {
        reason: MoveOutReason,
        note: Option<Sealed>,
        today: NaiveDate,
    },
    /// Switches between permanent and floating residence.
    ChangeResidenceType { to: ResidenceType },
    /// Records that a floating resident's residence was checked, valid until a later day.
    VerifyFloatingResidence {
        today: NaiveDate,
        valid_until: NaiveDate,
    },
    /// Puts the resident on a care register.
    AssignCareCategory {
        category: CareCategory,
        today: NaiveDate,
    },
    /// Takes the resident off a care register, why, and a staff note sealed by the
    /// shell.
    RevokeCareCategory {
        category: CareCategory,
        reason: CareRevokeReason,
        note: Option<Sealed>,
    },
    /// Forgets the person; the shell also deletes their key (crypto-shredding).
    Erase,
}

/// What happened to a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentEvent {
    /// A person was registered; `personal` holds everything that identifies them.
    Registered {
        resident_id: ResidentId,
        household_id: HouseholdId,
        residence_type: ResidenceType,
        sex: Sex,
        birth_year: i32,
        guardian: Option<ResidentId>,
        personal: Sealed,
        /// `None` for an event written before arrival codes.
        arrival: Option<Arrival>,
        /// The day of a move-in; for a birth, the first day of its month (the birth
        /// date itself is personal data, sealed).
        arrived_on: Option<NaiveDate>,
    },
    /// The resident was released to move to `to_community`; still counted here.
    Released {
        resident_id: ResidentId,
        household_id: HouseholdId,
        to_community: String,
    },
    /// The release was taken back.
    ReleaseWithdrawn {
        resident_id: ResidentId,
        to_community: String,
    },
    /// The receiving community accepted the resident: theirs from this event on,
    /// counted there from `moved_on`.
    TransferredIn {
        resident_id: ResidentId,
        from_community: String,
        from_household_id: HouseholdId,
        household_id: HouseholdId,
        moved_on: NaiveDate,
    },
    /// The resident left the community; they still count in history, not in the present.
    MovedOut {
        resident_id: ResidentId,
        household_id: HouseholdId,
        /// `None` for an event written before reason codes.
        reason: Option<MoveOutReason>,
        note: Option<RecordedNote>,
    },
    /// The residence type changed between permanent and floating.
    ResidenceTypeChanged {
        resident_id: ResidentId,
        from: ResidenceType,
        to: ResidenceType,
    },
    /// A floating residence was checked on `verified_on`, good until `valid_until`.
    FloatingResidenceVerified {
        resident_id: ResidentId,
        verified_on: NaiveDate,
        valid_until: NaiveDate,
    },
    /// The resident was put on a care register.
    CareCategoryAssigned {
        resident_id: ResidentId,
        category: CareCategory,
    },
    /// The resident was taken off a care register.
    CareCategoryRevoked {
        resident_id: ResidentId,
        category: CareCategory,
        /// `None` for an event written before reason codes.
        reason: Option<CareRevokeReason>,
        note: Option<RecordedNote>,
    },
    /// The person was forgotten; their sealed data is unreadable from now on.
    Erased { resident_id: ResidentId },
}

/// The note beside a reason code, as an event holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedNote {
    /// Sealed with the resident's data key: gone with the key on erasure.
    Sealed(Sealed),
    /// The free-text reason of an event written before reason codes, in clear.
    Legacy(String),
}

impl ResidentEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            ResidentEvent::Registered { .. } => "ResidentRegistered",
            ResidentEvent::Released { .. } => "ResidentReleased",
            ResidentEvent::ReleaseWithdrawn { .. } => "ResidentReleaseWithdrawn",
            ResidentEvent::TransferredIn { .. } => "ResidentTransferredIn",
            ResidentEvent::MovedOut { .. } => "ResidentMovedOut",
            ResidentEvent::ResidenceTypeChanged { .. } => "ResidenceTypeChanged",
            ResidentEvent::FloatingResidenceVerified { .. } => "FloatingResidenceVerified",
            ResidentEvent::CareCategoryAssigned { .. } => "CareCategoryAssigned",
            ResidentEvent::CareCategoryRevoked { .. } => "CareCategoryRevoked",
            ResidentEvent::Erased { .. } => "ResidentErased",
        }
    }

    /// The resident the event belongs to.
    pub fn resident_id(&self) -> ResidentId {
        match self {
            ResidentEvent::Registered { resident_id, .. }
            | ResidentEvent::Released { resident_id, .. }
            | ResidentEvent::ReleaseWithdrawn { resident_id, .. }
            | ResidentEvent::TransferredIn { resident_id, .. }
            | ResidentEvent::MovedOut { resident_id, .. }
            | ResidentEvent::ResidenceTypeChanged { resident_id, .. }
            | ResidentEvent::FloatingResidenceVerified { resident_id, .. }
            | ResidentEvent::CareCategoryAssigned { resident_id, .. }
            | ResidentEvent::CareCategoryRevoked { resident_id, .. }
            | ResidentEvent::Erased { resident_id } => *resident_id,
        }
    }
}

/// A resident as their events leave them; `Default` is a resident never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResidentState {
    pub registered: bool,
    pub resident_id: Option<ResidentId>,
    pub household_id: Option<HouseholdId>,
    pub residence_type: Option<ResidenceType>,
    pub sex: Option<Sex>,
    pub birth_year: Option<i32>,
    pub care_categories: BTreeSet<CareCategory>,
    pub moved_out: bool,
    pub erased: bool,
    /// Set by the last verification; cleared when the resident becomes permanent.
    pub floating_valid_until: Option<NaiveDate>,
    pub guardian: Option<ResidentId>,
    /// How the person came, and when (see [`ResidentEvent::Registered`]).
    pub arrival: Option<Arrival>,
    pub arrived_on: Option<NaiveDate>,
    /// The community the resident is released to, until accepted or withdrawn.
    pub released_to: Option<String>,
}

impl ResidentState {
    /// Registered, not moved out, not erased: what [`GuardianFacts::active`] asks.
    pub fn is_active(&self) -> bool {
        self.registered && !self.moved_out && !self.erased
    }
}

/// The facts every command after registration needs, present once registered.
struct Registered {
    resident_id: ResidentId,
    household_id: HouseholdId,
    residence_type: ResidenceType,
    birth_year: i32,
}

/// A registered, not erased resident; erasure is checked first so an erased stream
/// answers `Erased` to everything.
fn existing(state: &ResidentState) -> Result<Registered, ResidentError> {
    if state.erased {
        return Err(ResidentError::Erased);
    }
    match (
        state.resident_id,
        state.household_id,
        state.residence_type,
        state.birth_year,
    ) {
        (Some(resident_id), Some(household_id), Some(residence_type), Some(birth_year))
            if state.registered =>
        {
            Ok(Registered {
                resident_id,
                household_id,
                residence_type,
                birth_year,
            })
        }
        _ => Err(ResidentError::NotRegistered),
    }
}

/// A resident who can still change: registered, not erased, not moved out.
fn active(state: &ResidentState) -> Result<Registered, ResidentError> {
    let resident = existing(state)?;
    if state.moved_out {
        return Err(ResidentError::MovedOut);
    }
    Ok(resident)
}

/// An active resident not released to another community: one who can be released or
/// moved out.
fn settled(state: &ResidentState) -> Result<Registered, ResidentError> {
    let resident = active(state)?;
    if state.released_to.is_some() {
        return Err(ResidentError::ReleasePending);
    }
    Ok(resident)
}

/// Whether `day` is a day a move-in, birth or transfer may be recorded for on `today`.
fn recordable(day: NaiveDate, today: NaiveDate) -> bool {
    day <= today && (today - day).num_days() <= LATEST_RECORDING_DAYS
}

/// The arrival rules: a move-in or birth needs a recordable day, a birth on the birth
/// date; an entry of someone already living here has no day.
fn check_arrival(
    arrival: Arrival,
    arrived_on: Option<NaiveDate>,
    birth_date: &BirthDate,
    today: NaiveDate,
) -> Result<(), ResidentError> {
    match (arrival, arrived_on) {
        (Arrival::AlreadyLiving, None) => Ok(()),
        (Arrival::AlreadyLiving, Some(_)) => Err(ResidentError::ArrivalDayNotExpected),
        (_, None) => Err(ResidentError::ArrivalDayRequired),
        (_, Some(day)) if !recordable(day, today) => Err(ResidentError::ArrivalDayOutOfRange),
        (Arrival::Born, Some(day)) if day != birth_date.date() => {
            Err(ResidentError::BirthNotOnArrivalDay)
        }
        _ => Ok(()),
    }
}

/// Age rules use the birth year only: events never carry the full date.
fn applies(category: CareCategory, birth_year: i32, today: NaiveDate) -> bool {
    let age_by_year = today.year() - birth_year;
    match category {
        CareCategory::Minor => age_by_year <= MINOR_MAX_AGE,
        CareCategory::Over80WithoutPension => age_by_year >= OVER_80_MIN_AGE,
        _ => true,
    }
}

impl Decider for Resident {
    type State = ResidentState;
    type Command = ResidentCommand;
    type Event = ResidentEvent;
    type Error = ResidentError;

    fn decide(
        state: &ResidentState,
        command: ResidentCommand,
    ) -> Result<Vec<ResidentEvent>, ResidentError> {
        use ResidentCommand as C;
        use ResidentError as E;
        use ResidentEvent as Ev;
        let event = match command {
            C::Register {
                resident_id,
                household_id,
                household,
                community,
                residence_type,
                sex,
                birth_date,
                today,
                guardian,
                arrival,
                arrived_on,
                personal,
            } => {
                if state.erased {
                    return Err(E::Erased);
                }
                if state.registered {
                    return Err(E::AlreadyRegistered);
                }
                if !household.exists {
                    return Err(E::HouseholdNotFound);
                }
                if household.community != community {
                    return Err(E::HouseholdInOtherCommunity);
                }
                match &guardian {
                    Some(g) if g.resident_id == resident_id => return Err(E::GuardianIsSelf),
                    Some(g) if !(g.exists && g.active) => return Err(E::GuardianNotFound),
                    None if birth_date.age_on(today) < GUARDIAN_REQUIRED_UNDER => {
                        return Err(E::GuardianRequired)
                    }
                    _ => {}
                }
                check_arrival(arrival, arrived_on, &birth_date, today)?;
                // A birth counts in its month; its exact day is the birth date, sealed.
                let arrived_on = match arrival {
                    Arrival::Born => arrived_on.and_then(|d| d.with_day(1)),
                    _ => arrived_on,
                };
                Ev::Registered {
                    resident_id,
                    household_id,
                    residence_type,
                    sex,
                    birth_year: birth_date.year(),
                    guardian: guardian.map(|g| g.resident_id),
                    personal,
                    arrival: Some(arrival),
                    arrived_on,
                }
            }
            C::Release {
                to_community,
                own_community,
            } => {
                let r = settled(state)?;
                if to_community == own_community {
                    return Err(E::ReleaseToOwnCommunity);
                }
                Ev::Released {
                    resident_id: r.resident_id,
                    household_id: r.household_id,
                    to_community,
                }
            }
            C::WithdrawRelease => {
                let r = active(state)?;
                let Some(to_community) = state.released_to.clone() else {
                    return Err(E::NotReleased);
                };
                Ev::ReleaseWithdrawn {
                    resident_id: r.resident_id,
                    to_community,
                }
            }
            C::AcceptTransfer {
                community,
                from_community,
                household_id,
                household,
                moved_on,
                today,
            } => {
                let r = active(state)?;
                if state.released_to.as_deref() != Some(community.as_str()) {
                    return Err(E::NotReleasedHere);
                }
                if !household.exists {
                    return Err(E::HouseholdNotFound);
                }
                if household.community != community {
                    return Err(E::HouseholdInOtherCommunity);
                }
                if !recordable(moved_on, today) {
                    return Err(E::MovedOnOutOfRange);
                }
                Ev::TransferredIn {
                    resident_id: r.resident_id,
                    from_community,
                    from_household_id: r.household_id,
                    household_id,
                    moved_on,
                }
            }
            C::MoveOut {
                reason,
                note,
                today: _,
            } => {
                let r = settled(state)?;
                Ev::MovedOut {
                    resident_id: r.resident_id,
                    household_id: r.household_id,
                    reason: Some(reason),
                    note: note.map(RecordedNote::Sealed),
                }
            }
            C::ChangeResidenceType { to } => {
                let r = active(state)?;
                if r.residence_type == to {
                    return Err(E::SameResidenceType);
                }
                Ev::ResidenceTypeChanged {
                    resident_id: r.resident_id,
                    from: r.residence_type,
                    to,
                }
            }
            C::VerifyFloatingResidence { today, valid_until } => {
                let r = active(state)?;
                if r.residence_type != ResidenceType::Floating {
                    return Err(E::NotFloating);
                }
                if valid_until <= today {
                    return Err(E::ValidUntilNotAfterToday);
                }
                Ev::FloatingResidenceVerified {
                    resident_id: r.resident_id,
                    verified_on: today,
                    valid_until,
                }
            }
            C::AssignCareCategory { category, today } => {
                let r = active(state)?;
                if state.care_categories.contains(&category) {
                    return Err(E::CategoryAlreadyAssigned);
                }
                if !applies(category, r.birth_year, today) {
                    return Err(E::CategoryNotApplicable);
                }
                Ev::CareCategoryAssigned {
                    resident_id: r.resident_id,
                    category,
                }
            }
            C::RevokeCareCategory {
                category,
                reason,
                note,
            } => {
                let r = active(state)?;
                if !state.care_categories.contains(&category) {
                    return Err(E::CategoryNotAssigned);
                }
                Ev::CareCategoryRevoked {
                    resident_id: r.resident_id,
                    category,
                    reason: Some(reason),
                    note: note.map(RecordedNote::Sealed),
                }
            }
            C::Erase => Ev::Erased {
                resident_id: existing(state)?.resident_id,
            },
        };
        Ok(vec![event])
    }

    fn evolve(mut state: ResidentState, event: &ResidentEvent) -> ResidentState {
        match event {
            ResidentEvent::Registered {
                resident_id,
                household_id,
                residence_type,
                sex,
                birth_year,
                guardian,
                arrival,
                arrived_on,
                ..
            } => {
                state.arrival = *arrival;
                state.arrived_on = *arrived_on;
                state.registered = true;
                state.resident_id = Some(*resident_id);
                state.household_id = Some(*household_id);
                state.residence_type = Some(*residence_type);
                state.sex = Some(*sex);
                state.birth_year = Some(*birth_year);
                state.guardian = *guardian;
            }
            ResidentEvent::Released { to_community, .. } => {
                state.released_to = Some(to_community.clone())
            }
            ResidentEvent::ReleaseWithdrawn { .. } => state.released_to = None,
            ResidentEvent::TransferredIn { household_id, .. } => {
                state.released_to = None;
                state.household_id = Some(*household_id);
            }
            ResidentEvent::MovedOut { .. } => state.moved_out = true,
            ResidentEvent::ResidenceTypeChanged { to, .. } => {
                state.residence_type = Some(*to);
                if *to == ResidenceType::Permanent {
                    state.floating_valid_until = None;
                }
            }
            ResidentEvent::FloatingResidenceVerified { valid_until, .. } => {
                state.floating_valid_until = Some(*valid_until)
            }
            ResidentEvent::CareCategoryAssigned { category, .. } => {
                state.care_categories.insert(*category);
            }
            ResidentEvent::CareCategoryRevoked { category, .. } => {
                state.care_categories.remove(category);
            }
            ResidentEvent::Erased { .. } => state.erased = true,
        }
        state
    }
}

#[path = "resident_error.rs"]
mod error;

pub use error::ResidentError;

#[cfg(test)]
#[path = "resident_tests/mod.rs"]
mod tests;
