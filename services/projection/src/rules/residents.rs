//! Residents: households, residents, residence types and care categories.
//!
//! Counts reflect active residents only: a resident who moved out or was erased
//! contributes nothing, and later events about them change the view, never the counts.

use std::collections::BTreeSet;

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, Deltas, RowKey, Views};
use crate::catalog::{HOUSEHOLDS, RESIDENTS, RESIDENTS_BY_CARE, RESIDENTS_BY_TYPE};

/// What the projection keeps about a resident: pseudonymous ids and codes, never
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResidentRow {
    pub community: String,
    pub household_id: String,
    /// `permanent`, `floating`, or empty when unspecified.
    pub residence_type: String,
    /// Care category codes, e.g. `minor`.
    pub care: BTreeSet<String>,
    pub active: bool,
}

/// A residents event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    HouseholdRegistered,
    ResidentRegistered {
        resident_id: String,
        household_id: String,
        residence_type: String,
    },
    ResidentMovedOut {
        resident_id: String,
    },
    ResidenceTypeChanged {
        resident_id: String,
        to: String,
    },
    CareCategoryAssigned {
        resident_id: String,
        category: String,
    },
    CareCategoryRevoked {
        resident_id: String,
        category: String,
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
                residence_type: residence_type(e.residence_type).to_owned(),
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
                to: residence_type(e.to).to_owned(),
                resident_id: e.resident_id,
            }
        }
        "CareCategoryAssigned" => {
            let e = pb::CareCategoryAssigned::decode(p)?;
            Fact::CareCategoryAssigned {
                category: care_category(e.category).to_owned(),
                resident_id: e.resident_id,
            }
        }
        "CareCategoryRevoked" => {
            let e = pb::CareCategoryRevoked::decode(p)?;
            Fact::CareCategoryRevoked {
                category: care_category(e.category).to_owned(),
                resident_id: e.resident_id,
            }
        }
        "ResidentErased" => Fact::ResidentErased {
            resident_id: pb::ResidentErased::decode(p)?.resident_id,
        },
        "FloatingResidenceVerified" => {
            return super::ignored::<pb::FloatingResidenceVerified>(p).map(Some)
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
            | Fact::ResidentMovedOut { resident_id }
            | Fact::ResidenceTypeChanged { resident_id, .. }
            | Fact::CareCategoryAssigned { resident_id, .. }
            | Fact::CareCategoryRevoked { resident_id, .. }
            | Fact::ResidentErased { resident_id } => Some(resident_id),
            Fact::HouseholdRegistered => None,
        }
    }

    pub(super) fn rows(&self) -> Vec<RowKey> {
        self.resident_id()
            .map(|id| RowKey::Resident(id.to_owned()))
            .into_iter()
            .collect()
    }
}

/// The element code suffix of a residence type; empty for unspecified or unknown.
fn residence_type(value: i32) -> &'static str {
    match pb::ResidenceType::try_from(value) {
        Ok(pb::ResidenceType::Permanent) => "permanent",
        Ok(pb::ResidenceType::Floating) => "floating",
        Ok(pb::ResidenceType::Unspecified) | Err(_) => "",
    }
}

/// The element code suffix of a care category; empty for unspecified or unknown.
fn care_category(value: i32) -> &'static str {
    match pb::CareCategory::try_from(value) {
        Ok(pb::CareCategory::LivingAlone) => "living_alone",
        Ok(pb::CareCategory::EmptyNest) => "empty_nest",
        Ok(pb::CareCategory::Over80WithoutPension) => "over_80_without_pension",
        Ok(pb::CareCategory::Disabled) => "disabled",
        Ok(pb::CareCategory::EntitledFamily) => "entitled_family",
        Ok(pb::CareCategory::HouseholdInDifficulty) => "household_in_difficulty",
        Ok(pb::CareCategory::Minor) => "minor",
        Ok(pb::CareCategory::Unspecified) | Err(_) => "",
    }
}

/// Applies one fact that happened in `community` on `day` to the resident's row and
/// records the resulting deltas.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let mut none = None;
    let resident = match fact.resident_id() {
        Some(id) => views.residents.entry(id.to_owned()).or_default(),
        None => &mut none,
    };
    apply_to(fact, community, day, resident, deltas);
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
        Fact::HouseholdRegistered => add(deltas, HOUSEHOLDS, community, day, 1),
        Fact::ResidentRegistered {
            household_id,
            residence_type,
            ..
        } => {
            if resident.as_ref().is_some_and(|r| r.active) {
                tracing::debug!(community, "resident registered twice, counted once");
                return;
            }
            let row = ResidentRow {
                community: community.to_owned(),
                household_id: household_id.clone(),
                residence_type: residence_type.clone(),
                care: BTreeSet::new(),
                active: true,
            };
            add(deltas, RESIDENTS, community, day, 1);
            if !row.residence_type.is_empty() {
                add(
                    deltas,
                    format!("{RESIDENTS_BY_TYPE}{}", row.residence_type),
                    community,
                    day,
                    1,
                );
            }
            *resident = Some(row);
        }
        Fact::ResidentMovedOut { .. } | Fact::ResidentErased { .. } => {
            let Some(row) = resident.as_mut().filter(|r| r.active) else {
                return;
            };
            add(deltas, RESIDENTS, &row.community, day, -1);
            if !row.residence_type.is_empty() {
                add(
                    deltas,
                    format!("{RESIDENTS_BY_TYPE}{}", row.residence_type),
                    &row.community,
                    day,
                    -1,
                );
            }
            for code in &row.care {
                add(
                    deltas,
                    format!("{RESIDENTS_BY_CARE}{code}"),
                    &row.community,
                    day,
                    -1,
                );
            }
            row.active = false;
        }
        Fact::ResidenceTypeChanged { to, .. } => {
            let Some(row) = resident.as_mut() else { return };
            if row.active && row.residence_type != *to {
                // The row's type, not the event's `from`, is what this resident was counted as.
                if !row.residence_type.is_empty() {
                    add(
                        deltas,
                        format!("{RESIDENTS_BY_TYPE}{}", row.residence_type),
                        &row.community,
                        day,
                        -1,
                    );
                }
                if !to.is_empty() {
                    add(
                        deltas,
                        format!("{RESIDENTS_BY_TYPE}{to}"),
                        &row.community,
                        day,
                        1,
                    );
                }
            }
            row.residence_type.clone_from(to);
        }
        Fact::CareCategoryAssigned { category, .. } => {
            let Some(row) = resident.as_mut().filter(|_| !category.is_empty()) else {
                return;
            };
            if row.care.insert(category.clone()) && row.active {
                add(
                    deltas,
                    format!("{RESIDENTS_BY_CARE}{category}"),
                    &row.community,
                    day,
                    1,
                );
            }
        }
        Fact::CareCategoryRevoked { category, .. } => {
            let Some(row) = resident.as_mut() else { return };
            if row.care.remove(category) && row.active {
                add(
                    deltas,
                    format!("{RESIDENTS_BY_CARE}{category}"),
                    &row.community,
                    day,
                    -1,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: &str = "2026-11-28";

    fn registered(kind: &str) -> Fact {
        Fact::ResidentRegistered {
            resident_id: "r1".into(),
            household_id: "h1".into(),
            residence_type: kind.into(),
        }
    }

    /// Applies facts in order to one resident in community `c1`, returning the row and
    /// the non-zero net deltas as (element, value).
    fn run(facts: &[Fact]) -> (Option<ResidentRow>, Vec<(String, i64)>) {
        let mut row = None;
        let mut deltas = Deltas::new();
        for f in facts {
            apply_to(f, "c1", DAY, &mut row, &mut deltas);
        }
        let net = deltas
            .into_iter()
            .filter(|(_, v)| *v != 0)
            .map(|((e, _, _), v)| (e, v))
            .collect();
        (row, net)
    }

    fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        list.iter().map(|(e, v)| (e.to_string(), *v)).collect()
    }

    fn care(code: &str, assign: bool) -> Fact {
        let (resident_id, category) = ("r1".to_owned(), code.to_owned());
        if assign {
            Fact::CareCategoryAssigned {
                resident_id,
                category,
            }
        } else {
            Fact::CareCategoryRevoked {
                resident_id,
                category,
            }
        }
    }

    #[test]
    fn registration_counts_resident_and_type() {
        let (row, net) = run(&[registered("floating")]);
        assert_eq!(net, pairs(&[("residents", 1), ("residents.floating", 1)]));
        let row = row.unwrap();
        assert!(row.active);
        assert_eq!(
            (row.community.as_str(), row.household_id.as_str()),
            ("c1", "h1")
        );
    }

    #[test]
    fn duplicate_registration_counts_once() {
        let (_, net) = run(&[registered("permanent"), registered("permanent")]);
        assert_eq!(net, pairs(&[("residents", 1), ("residents.permanent", 1)]));
    }

    #[test]
    fn move_out_removes_resident_type_and_categories() {
        let rid = || "r1".to_owned();
        let (row, net) = run(&[
            registered("permanent"),
            care("minor", true),
            care("disabled", true),
            Fact::ResidentMovedOut { resident_id: rid() },
        ]);
        assert_eq!(net, vec![]);
        assert!(!row.unwrap().active);
    }

    #[test]
    fn type_change_moves_the_count() {
        let change = Fact::ResidenceTypeChanged {
            resident_id: "r1".into(),
            to: "permanent".into(),
        };
        let (row, net) = run(&[registered("floating"), change.clone()]);
        assert_eq!(net, pairs(&[("residents", 1), ("residents.permanent", 1)]));
        assert_eq!(row.unwrap().residence_type, "permanent");
        let (_, net) = run(&[registered("floating"), change.clone(), change]);
        assert_eq!(
            net,
            pairs(&[("residents", 1), ("residents.permanent", 1)]),
            "repeated change is not counted twice"
        );
    }

    #[test]
    fn categories_are_counted_once_and_revoked() {
        let (row, net) = run(&[
            registered(""),
            care("minor", true),
            care("minor", true),
            care("empty_nest", true),
            care("minor", false),
        ]);
        assert_eq!(
            net,
            pairs(&[("residents", 1), ("residents.care.empty_nest", 1)])
        );
        assert_eq!(
            row.unwrap().care.into_iter().collect::<Vec<_>>(),
            vec!["empty_nest".to_owned()]
        );
        let (_, net) = run(&[registered("permanent"), care("minor", false)]);
        assert_eq!(
            net,
            pairs(&[("residents", 1), ("residents.permanent", 1)]),
            "revoking an unheld category changes nothing"
        );
    }

    #[test]
    fn erasure_uncounts_an_active_resident_and_nothing_after_move_out() {
        let erased = Fact::ResidentErased {
            resident_id: "r1".into(),
        };
        let (row, net) = run(&[
            registered("floating"),
            care("living_alone", true),
            erased.clone(),
        ]);
        assert_eq!(net, vec![]);
        assert!(!row.unwrap().active);

        let mut row = None;
        let mut deltas = Deltas::new();
        apply_to(&registered("floating"), "c1", DAY, &mut row, &mut deltas);
        apply_to(
            &Fact::ResidentMovedOut {
                resident_id: "r1".into(),
            },
            "c1",
            DAY,
            &mut row,
            &mut deltas,
        );
        let before = deltas.clone();
        apply_to(&erased, "c1", DAY, &mut row, &mut deltas);
        apply_to(&care("minor", true), "c1", DAY, &mut row, &mut deltas);
        assert_eq!(
            deltas, before,
            "events about an inactive resident change no count"
        );
    }

    #[test]
    fn events_about_unknown_residents_change_nothing() {
        let (row, net) = run(&[
            care("minor", true),
            Fact::ResidentMovedOut {
                resident_id: "r1".into(),
            },
        ]);
        assert_eq!((row, net), (None, vec![]));
    }

    #[test]
    fn decodes_payloads_by_event_type() {
        let payload = pb::ResidentRegistered {
            resident_id: "r9".into(),
            household_id: "h9".into(),
            residence_type: pb::ResidenceType::Floating as i32,
            ..Default::default()
        }
        .encode_to_vec();
        let fact = decode("ResidentRegistered", &payload).unwrap().unwrap();
        let expected = Fact::ResidentRegistered {
            resident_id: "r9".into(),
            household_id: "h9".into(),
            residence_type: "floating".into(),
        };
        assert_eq!(fact, super::super::Fact::Residents(expected.clone()));
        assert_eq!(expected.resident_id(), Some("r9"));
        assert_eq!(decode("ActivityClosed", &payload).unwrap(), None);
        assert!(decode("ResidentRegistered", &[0xff, 0xff, 0xff]).is_err());
    }
}
