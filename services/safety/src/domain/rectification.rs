//! The `Rectification` aggregate: an order to fix what a failed inspection (or a hazard
//! found elsewhere) revealed, by a deadline, and its verification. Verification after the
//! deadline still closes the order but counts as late; an open order past its deadline
//! is overdue (computed with the shell's "today", never a clock read here).

use chrono::NaiveDate;
use civitas_kernel::Decider;

use super::values::{Hazard, InspectionId, InspectionType, RectificationId};

/// The rectification decider.
pub struct Rectification;

/// An inspection as the shell found it in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionFacts {
    pub inspection_id: InspectionId,
    /// `None` when the inspection stream is empty.
    pub recorded: Option<RecordedInspection>,
}

/// The facts of a recorded inspection a rectification depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedInspection {
    /// The community the inspection was recorded in.
    pub community: String,
    pub inspection_type: InspectionType,
    pub passed: bool,
}

/// What a rectification is ordered against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectificationSubject {
    /// A failed inspection, optionally naming which of its hazards to fix.
    Inspection {
        facts: InspectionFacts,
        hazard: Option<Hazard>,
    },
    /// A hazard found outside any inspection.
    Hazard(Hazard),
}

/// What can be asked of a rectification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectificationCommand {
    /// Orders a rectification in the caller's community.
    Order {
        rectification_id: RectificationId,
        /// The caller's community, from the token scope.
        community: String,
        subject: RectificationSubject,
        deadline: NaiveDate,
        today: NaiveDate,
    },
    /// Records that the rectification was checked and found done, today.
    Verify { today: NaiveDate },
}

/// What happened to a rectification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectificationEvent {
    /// The rectification was ordered.
    Ordered(RectificationOrder),
    /// The rectification was verified; `on_time` when no later than the deadline.
    Verified {
        rectification_id: RectificationId,
        verified_on: NaiveDate,
        deadline: NaiveDate,
        on_time: bool,
        inspection_id: Option<InspectionId>,
    },
}

impl RectificationEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            RectificationEvent::Ordered(_) => "RectificationOrdered",
            RectificationEvent::Verified { .. } => "RectificationVerified",
        }
    }
}

/// The content of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectificationOrder {
    pub rectification_id: RectificationId,
    /// The failed inspection and its type; `None` for a hazard found elsewhere.
    pub inspection: Option<(InspectionId, InspectionType)>,
    /// What must be fixed; always present without an inspection.
    pub hazard: Option<Hazard>,
    pub ordered_on: NaiveDate,
    pub deadline: NaiveDate,
}

/// A rectification as its events leave it; `Default` is one never ordered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RectificationState {
    pub order: Option<RectificationOrder>,
    /// The day it was verified and whether that was on time.
    pub verified: Option<(NaiveDate, bool)>,
}

impl RectificationState {
    /// Ordered, not verified, and `today` is past the deadline.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        match (&self.order, self.verified) {
            (Some(order), None) => today > order.deadline,
            _ => false,
        }
    }
}

/// A refused rectification command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RectificationError {
    #[error("rectification is already ordered")]
    AlreadyOrdered,
    #[error("rectification is not ordered")]
    NotOrdered,
    #[error("rectification is already verified")]
    AlreadyVerified,
    /// A value refused against the command's clock: INVALID_ARGUMENT on `deadline`.
    #[error("must be after today")]
    DeadlineNotAfterToday,
    #[error("inspection not found")]
    InspectionNotFound,
    #[error("inspection belongs to another community")]
    InspectionInOtherCommunity,
    #[error("only a failed inspection needs rectification")]
    InspectionPassed,
}

impl RectificationError {
    /// The field whose value alone is refused (INVALID_ARGUMENT naming it), when the
    /// command fails for a value rather than for the state it meets.
    pub fn invalid_field(&self) -> Option<&'static str> {
        match self {
            RectificationError::DeadlineNotAfterToday => Some("deadline"),
            _ => None,
        }
    }

    /// The request field to blame, if one is, so the shell can name it.
    pub fn field(&self) -> Option<&'static str> {
        use RectificationError::*;
        match self {
            DeadlineNotAfterToday => Some("deadline"),
            InspectionNotFound | InspectionInOtherCommunity | InspectionPassed => {
                Some("inspection_id")
            }
            AlreadyOrdered | NotOrdered | AlreadyVerified => None,
        }
    }
}

impl Decider for Rectification {
    type State = RectificationState;
    type Command = RectificationCommand;
    type Event = RectificationEvent;
    type Error = RectificationError;

    fn decide(
        state: &RectificationState,
        command: RectificationCommand,
    ) -> Result<Vec<RectificationEvent>, RectificationError> {
        use RectificationError as E;
        let event = match command {
            RectificationCommand::Order {
                rectification_id,
                community,
                subject,
                deadline,
                today,
            } => {
                if state.order.is_some() {
                    return Err(E::AlreadyOrdered);
                }
                let (inspection, hazard) = match subject {
                    RectificationSubject::Hazard(hazard) => (None, Some(hazard)),
                    RectificationSubject::Inspection { facts, hazard } => {
                        let found = facts.recorded.ok_or(E::InspectionNotFound)?;
                        if found.community != community {
                            return Err(E::InspectionInOtherCommunity);
                        }
                        if found.passed {
                            return Err(E::InspectionPassed);
                        }
                        (Some((facts.inspection_id, found.inspection_type)), hazard)
                    }
                };
                if deadline <= today {
                    return Err(E::DeadlineNotAfterToday);
                }
                RectificationEvent::Ordered(RectificationOrder {
                    rectification_id,
                    inspection,
                    hazard,
                    ordered_on: today,
                    deadline,
                })
            }
            RectificationCommand::Verify { today } => {
                let order = state.order.as_ref().ok_or(E::NotOrdered)?;
                if state.verified.is_some() {
                    return Err(E::AlreadyVerified);
                }
                RectificationEvent::Verified {
                    rectification_id: order.rectification_id,
                    verified_on: today,
                    deadline: order.deadline,
                    on_time: today <= order.deadline,
                    inspection_id: order.inspection.map(|(id, _)| id),
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: RectificationState, event: &RectificationEvent) -> RectificationState {
        match event {
            RectificationEvent::Ordered(order) => state.order = Some(order.clone()),
            RectificationEvent::Verified {
                verified_on,
                on_time,
                ..
            } => state.verified = Some((*verified_on, *on_time)),
        }
        state
    }
}

#[cfg(test)]
#[path = "rectification_tests.rs"]
mod tests;
