//! The `CoBuildingUnit` aggregate: a unit in the community's area (辖区单位: a company,
//! school or office) that builds the civilized community with it (共建): registered,
//! under a signed co-building agreement, and contributing activities, funds, volunteers,
//! a venue or goods. One stream per unit, `cobuildingunit-<uuid>`. A unit is an
//! organisation, never a person.

use chrono::NaiveDate;
use civitas_kernel::{text_value, Decider};

pub use civitas_proto::codes::ContributionKind;

use super::values::{CoBuildingUnitId, Note, PastDate};

text_value!(
    /// An organisation's name, e.g. "区第一中学".
    UnitName,
    max = 100
);

/// The co-building unit decider.
pub struct CoBuildingUnit;

/// What a unit gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub kind: ContributionKind,
    pub given_on: PastDate,
    /// Yuan, for funds; 0 otherwise.
    pub amount_yuan: u32,
    /// People, for volunteers; 0 otherwise.
    pub volunteers: u32,
    pub note: Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitCommand {
    Register {
        unit_id: CoBuildingUnitId,
        community: String,
        name: UnitName,
    },
    SignAgreement {
        signed_on: PastDate,
        valid_until: NaiveDate,
    },
    RecordContribution(Contribution),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitEvent {
    CoBuildingUnitRegistered {
        unit_id: CoBuildingUnitId,
        community: String,
        name: UnitName,
    },
    CoBuildingAgreementSigned {
        unit_id: CoBuildingUnitId,
        signed_on: PastDate,
        valid_until: NaiveDate,
        /// Whether the unit had signed before (a renewal).
        renewal: bool,
    },
    CoBuildingContributionRecorded {
        unit_id: CoBuildingUnitId,
        contribution: Contribution,
    },
}

impl UnitEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            UnitEvent::CoBuildingUnitRegistered { .. } => "CoBuildingUnitRegistered",
            UnitEvent::CoBuildingAgreementSigned { .. } => "CoBuildingAgreementSigned",
            UnitEvent::CoBuildingContributionRecorded { .. } => "CoBuildingContributionRecorded",
        }
    }
}

/// A unit as its events leave it; `Default` is one never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitState {
    pub unit_id: Option<CoBuildingUnitId>,
    pub signed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("co-building unit is already registered")]
    AlreadyRegistered,
    #[error("co-building unit not found")]
    NotRegistered,
    #[error("an agreement must run past the day it is signed")]
    ValidUntilNotAfterSigning,
    #[error("funds need an amount, volunteers a number of people; other kinds neither")]
    AmountDoesNotFitKind,
}

impl UnitError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            UnitError::AlreadyRegistered | UnitError::NotRegistered => Some("unit_id"),
            UnitError::ValidUntilNotAfterSigning => Some("valid_until"),
            UnitError::AmountDoesNotFitKind => Some("kind"),
        }
    }
}

impl Decider for CoBuildingUnit {
    type State = UnitState;
    type Command = UnitCommand;
    type Event = UnitEvent;
    type Error = UnitError;

    fn decide(state: &UnitState, command: UnitCommand) -> Result<Vec<UnitEvent>, UnitError> {
        let event = match command {
            UnitCommand::Register {
                unit_id,
                community,
                name,
            } => {
                if state.unit_id.is_some() {
                    return Err(UnitError::AlreadyRegistered);
                }
                UnitEvent::CoBuildingUnitRegistered {
                    unit_id,
                    community,
                    name,
                }
            }
            UnitCommand::SignAgreement {
                signed_on,
                valid_until,
            } => {
                let unit_id = state.unit_id.ok_or(UnitError::NotRegistered)?;
                if valid_until <= signed_on.date() {
                    return Err(UnitError::ValidUntilNotAfterSigning);
                }
                UnitEvent::CoBuildingAgreementSigned {
                    unit_id,
                    signed_on,
                    valid_until,
                    renewal: state.signed,
                }
            }
            UnitCommand::RecordContribution(contribution) => {
                let unit_id = state.unit_id.ok_or(UnitError::NotRegistered)?;
                let fits = match contribution.kind {
                    ContributionKind::Funds => {
                        contribution.amount_yuan > 0 && contribution.volunteers == 0
                    }
                    ContributionKind::Volunteers => {
                        contribution.volunteers > 0 && contribution.amount_yuan == 0
                    }
                    _ => contribution.amount_yuan == 0 && contribution.volunteers == 0,
                };
                if !fits {
                    return Err(UnitError::AmountDoesNotFitKind);
                }
                UnitEvent::CoBuildingContributionRecorded {
                    unit_id,
                    contribution,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: UnitState, event: &UnitEvent) -> UnitState {
        match event {
            UnitEvent::CoBuildingUnitRegistered { unit_id, .. } => state.unit_id = Some(*unit_id),
            UnitEvent::CoBuildingAgreementSigned { .. } => state.signed = true,
            UnitEvent::CoBuildingContributionRecorded { .. } => {}
        }
        state
    }
}

#[cfg(test)]
#[path = "cobuilding_tests.rs"]
mod tests;
