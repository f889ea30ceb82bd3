//! Residents: households, residents, residence types and care categories, and the
//! movements of the population: move-ins and births (counted on the day they happened,
//! `arrived_on`), move-outs, transfers between communities (the counts move on
//! `moved_on`, from the sending community to the receiving one) and floating residence
//! checks.
//!
//! Counts reflect active residents only: a resident who moved out or was erased
//! contributes nothing, and later events about them change the view, never the counts.

use std::collections::BTreeSet;

use civitas_proto::codes::{Arrival, CareCategory, ResidenceType};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, Deltas, Views};
use crate::catalog::{
    birth_element, care_element, residence_element, BIRTHS, FLOATING_CHECKED, FLOATING_VERIFIED,
    HOUSEHOLDS, MOVED_IN, MOVED_OUT, RESIDENTS, TRANSFERRED_IN, TRANSFERRED_OUT,
};

/// What the projection keeps about a resident: pseudonymous ids and codes, never
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResidentRow {
    pub community: String,
    pub household_id: String,
    /// `None` when unspecified.
    pub residence_type: Option<ResidenceType>,
    /// The care registers the resident is on.
    pub care: BTreeSet<CareCategory>,
    pub active: bool,
    /// The day of the latest care visit, `YYYY-MM-DD`; empty when never visited.
    pub last_visited: String,
}

/// A residents event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    HouseholdRegistered,
    ResidentRegistered {
        resident_id: String,
        household_id: String,
        residence_type: Option<ResidenceType>,
        /// `None` for an event written before arrival codes.
        arrival: Option<Arrival>,
        /// `YYYY-MM-DD` of a move-in or birth; empty otherwise.
        arrived_on: String,
    },
    /// Written in the receiving community; `moved_on` is `YYYY-MM-DD` (empty if invalid).
    ResidentTransferredIn {
        resident_id: String,
        household_id: String,
        moved_on: String,
    },
    /// `verified_on` is `YYYY-MM-DD` (empty if invalid).
    FloatingResidenceVerified {
        resident_id: String,
        verified_on: String,
    },
    ResidentMovedOut {
        resident_id: String,
    },
    ResidenceTypeChanged {
        resident_id: String,
        to: Option<ResidenceType>,
    },
    CareCategoryAssigned {
        resident_id: String,
        category: Option<CareCategory>,
    },
    CareCategoryRevoked {
        resident_id: String,
        category: Option<CareCategory>,
    },
    ResidentErased {
        resident_id: String,
    },
}

/// Decodes a residents event; `None` for another service's event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "HouseholdRegistered" => {
            pb::HouseholdRegistered::decode(p)?;
            Fact::HouseholdRegistered
        }
        "ResidentRegistered" => {
            let e = pb::ResidentRegistered::decode(p)?;
            Fact::ResidentRegistered {
                residence_type: ResidenceType::from_wire(e.residence_type),
                arrival: Arrival::from_wire(e.arrival),
                arrived_on: date_text(e.arrived_on.as_ref()),
                resident_id: e.resident_id,
                household_id: e.household_id,
            }
        }
        "ResidentTransferredIn" => {
            let e = pb::ResidentTransferredIn::decode(p)?;
            Fact::ResidentTransferredIn {
                moved_on: date_text(e.moved_on.as_ref()),
                resident_id: e.resident_id,
                household_id: e.household_id,
            }
        }
        "ResidentMovedOut" => Fact::ResidentMovedOut {
            resident_id: pb::ResidentMovedOut::decode(p)?.resident_id,
        },
        "ResidenceTypeChanged" => {
            let e = pb::ResidenceTypeChanged::decode(p)?;
            Fact::ResidenceTypeChanged {
                to: ResidenceType::from_wire(e.to),
                resident_id: e.resident_id,
            }
        }
        "CareCategoryAssigned" => {
            let e = pb::CareCategoryAssigned::decode(p)?;
            Fact::CareCategoryAssigned {
                category: CareCategory::from_wire(e.category),
                resident_id: e.resident_id,
            }
        }
        "CareCategoryRevoked" => {
            let e = pb::CareCategoryRevoked::decode(p)?;
            Fact::CareCategoryRevoked {
                category: CareCategory::from_wire(e.category),
                resident_id: e.resident_id,
            }
        }
        "ResidentErased" => Fact::ResidentErased {
            resident_id: pb::ResidentErased::decode(p)?.resident_id,
        },
        "FloatingResidenceVerified" => {
            let e = pb::FloatingResidenceVerified::decode(p)?;
            Fact::FloatingResidenceVerified {
                verified_on: date_text(e.verified_on.as_ref()),
                resident_id: e.resident_id,
            }
        }
        "ResidentReleased" => return super::ignored::<pb::ResidentReleased>(p).map(Some),
        "ResidentReleaseWithdrawn" => {
            return super::ignored::<pb::ResidentReleaseWithdrawn>(p).map(Some)
        }
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Residents(fact)))
}

impl Fact {
    /// The resident whose view row this fact reads or writes, if any.
    pub fn resident_id(&self) -> Option<&str> {
        match self {
            Fact::ResidentRegistered { resident_id, .. }
            | Fact::ResidentTransferredIn { resident_id, .. }
            | Fact::ResidentMovedOut { resident_id }
            | Fact::ResidenceTypeChanged { resident_id, .. }
            | Fact::CareCategoryAssigned { resident_id, .. }
            | Fact::CareCategoryRevoked { resident_id, .. }
            | Fact::ResidentErased { resident_id } => Some(resident_id),
            Fact::HouseholdRegistered | Fact::FloatingResidenceVerified { .. } => None,
        }
    }

    pub(super) fn need(&self, views: &mut Views) {
        if let Some(id) = self.resident_id() {
            views.residents.entry(id.to_owned()).or_default();
        }
    }
}

/// Applies one fact that happened in `community` on `day` to the resident's row and
/// records the resulting deltas.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    if let Fact::FloatingResidenceVerified {
        resident_id,
        verified_on,
    } = fact
    {
        // A check counts, and the person checked counts once per unit and period.
        let on = day_or(verified_on, day);
        add(deltas, &FLOATING_VERIFIED, community, on, 1);
        let checked = &FLOATING_CHECKED;
        count_person(&mut views.persons, checked, community, on, resident_id);
        return;
    }
    let mut none = None;
    let resident = match fact.resident_id() {
        Some(id) => views.residents.entry(id.to_owned()).or_default(),
        None => &mut none,
    };
    apply_to(fact, community, day, resident, deltas);
}

/// Counts `row`'s residence type, if it has one, by `delta` on `day`.
fn count_type(row: &ResidentRow, day: &str, deltas: &mut Deltas, delta: i64) {
    if let Some(t) = row.residence_type {
        add(deltas, residence_element(t), &row.community, day, delta);
    }
}

/// Counts `row` as a resident of its community, with its type and care registers, by
/// `delta` on `day`.
fn count_resident(row: &ResidentRow, day: &str, deltas: &mut Deltas, delta: i64) {
    add(deltas, &RESIDENTS, &row.community, day, delta);
    count_type(row, day, deltas, delta);
    for category in &row.care {
        add(deltas, care_element(*category), &row.community, day, delta);
    }
}

/// `on` when it is a day, else `day` (an event's own date that did not decode).
fn day_or<'a>(on: &'a str, day: &'a str) -> &'a str {
    if on.is_empty() {
        day
    } else {
        on
    }
}

/// [`apply`] on the resident's row (`None` if the projection has never seen them).
fn apply_to(
    fact: &Fact,
    community: &str,
    day: &str,
    resident: &mut Option<ResidentRow>,
    deltas: &mut Deltas,
) {
    match fact {
        Fact::HouseholdRegistered => add(deltas, &HOUSEHOLDS, community, day, 1),
        Fact::FloatingResidenceVerified { .. } => {} // in `apply`: it needs the persons
        Fact::ResidentRegistered {
            household_id,
            residence_type,
            arrival,
            arrived_on,
            ..
        } => {
            if resident.as_ref().is_some_and(|r| r.active) {
                tracing::debug!(community, "resident registered twice, counted once");
                return;
            }
            let row = ResidentRow {
                community: community.to_owned(),
                household_id: household_id.clone(),
                residence_type: *residence_type,
                care: BTreeSet::new(),
                active: true,
                last_visited: String::new(),
            };
            let on = day_or(arrived_on, day);
            count_resident(&row, on, deltas, 1);
            match arrival {
                Some(Arrival::Born) => {
                    add(deltas, &BIRTHS, community, on, 1);
                    if let Some(t) = residence_type {
                        add(deltas, birth_element(*t), community, on, 1);
                    }
                }
                Some(Arrival::MovedIn) => add(deltas, &MOVED_IN, community, on, 1),
                Some(Arrival::AlreadyLiving) | None => {}
            }
            *resident = Some(row);
        }
        Fact::ResidentTransferredIn {
            household_id,
            moved_on,
            ..
        } => {
            let Some(row) = resident.as_mut().filter(|r| r.active) else {
                tracing::debug!(community, "transfer of a resident not counted, ignored");
                return;
            };
            let on = day_or(moved_on, day);
            count_resident(row, on, deltas, -1);
            add(deltas, &TRANSFERRED_OUT, &row.community, on, 1);
            row.community = community.to_owned();
            row.household_id = household_id.clone();
            count_resident(row, on, deltas, 1);
            add(deltas, &TRANSFERRED_IN, community, on, 1);
        }
        Fact::ResidentMovedOut { .. } | Fact::ResidentErased { .. } => {
            let Some(row) = resident.as_mut().filter(|r| r.active) else {
                return;
            };
            count_resident(row, day, deltas, -1);
            if matches!(fact, Fact::ResidentMovedOut { .. }) {
                add(deltas, &MOVED_OUT, &row.community, day, 1);
            }
            row.active = false;
        }
        Fact::ResidenceTypeChanged { to, .. } => {
            let Some(row) = resident.as_mut() else { return };
            if row.active && row.residence_type != *to {
                // The row's type, not the event's `from`, is what this resident was counted as.
                count_type(row, day, deltas, -1);
                row.residence_type = *to;
                count_type(row, day, deltas, 1);
            }
            row.residence_type = *to;
        }
        Fact::CareCategoryAssigned { category, .. } => {
            let (Some(row), Some(category)) = (resident.as_mut(), category) else {
                return;
            };
            if row.care.insert(*category) && row.active {
                add(deltas, care_element(*category), &row.community, day, 1);
            }
        }
        Fact::CareCategoryRevoked { category, .. } => {
            let (Some(row), Some(category)) = (resident.as_mut(), category) else {
                return;
            };
            if row.care.remove(category) && row.active {
                add(deltas, care_element(*category), &row.community, day, -1);
            }
        }
    }
}

#[cfg(test)]
#[path = "residents_tests.rs"]
mod tests;
