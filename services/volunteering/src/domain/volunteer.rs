//! The `Volunteer` aggregate: its commands, events, state and refusals, and the decider
//! that hands each command and event to the part of the volunteer it concerns:
//! [`registration`] (registration, real-name verification, deactivation) and — in the
//! same stream, so their rules hold without cross-stream coordination — the service
//! [`records`] (per-day limit, approval, star level) and the [`time_bank`] (deposits,
//! redemptions, donations, cap).
//!
//! A donation spans two streams: `DonateCredits` debits the donor here, then the shell
//! runs `ReceiveCredits` on the recipient's stream (idempotently, keyed by the donation
//! id); if the recipient refuses after all, `ReturnDonation` credits the donor back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use civitas_kernel::Decider;

use super::values::{
    DonationId, Minutes, OpportunityId, Reason, RecordId, RedemptionId, ServiceCategory, StarLevel,
    VolunteerId, VolunteerKind,
};

mod records;
mod registration;
mod time_bank;

pub use records::{RecordStatus, ServiceRecord};
pub use time_bank::{Donation, TIME_BANK_CAP_MINUTES};

/// The volunteer decider.
pub struct Volunteer;

/// Another volunteer as the shell found it (for teams, assignments and donations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerFacts {
    pub volunteer_id: VolunteerId,
    /// Whether the stream holds a registration.
    pub exists: bool,
    /// Registered and not deactivated.
    pub active: bool,
    /// The community it was registered in (empty when it does not exist).
    pub community: String,
    /// Its time-bank balance, for a donation's cap pre-check.
    pub balance_minutes: u64,
}

/// Why a volunteer may not join a team or take a spot of a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("volunteer not found")]
    NotFound,
    #[error("volunteer belongs to another community")]
    OtherCommunity,
    #[error("volunteer is deactivated")]
    Inactive,
}

impl VolunteerFacts {
    /// Whether the volunteer may serve in `community`: registered there, and active.
    pub fn eligible_in(&self, community: &str) -> Result<(), Ineligible> {
        if !self.exists {
            return Err(Ineligible::NotFound);
        }
        if self.community != community {
            return Err(Ineligible::OtherCommunity);
        }
        if !self.active {
            return Err(Ineligible::Inactive);
        }
        Ok(())
    }
}

/// What can be asked of a volunteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolunteerCommand {
    /// Registers a volunteer in the caller's community.
    Register {
        volunteer_id: VolunteerId,
        /// From the caller's token scope.
        community: String,
        kind: VolunteerKind,
        today: NaiveDate,
    },
    /// Records that staff checked the volunteer's real name.
    Verify { today: NaiveDate },
    /// Ends the volunteer's service; records already submitted can still be settled.
    Deactivate { reason: Reason, today: NaiveDate },
    /// Submits minutes served on a day.
    SubmitHours {
        record_id: RecordId,
        service_date: NaiveDate,
        minutes: Minutes,
        opportunity: Option<OpportunityId>,
        today: NaiveDate,
    },
    ApproveHours {
        record_id: RecordId,
        today: NaiveDate,
    },
    DeclineHours {
        record_id: RecordId,
        reason: Reason,
        today: NaiveDate,
    },
    /// Takes back an approved record (with any credits deposited from it).
    ReverseHours {
        record_id: RecordId,
        reason: Reason,
        today: NaiveDate,
    },
    /// Turns an approved record into time credits, once.
    DepositCredits { record_id: RecordId },
    RedeemCredits {
        redemption_id: RedemptionId,
        minutes: Minutes,
        category: ServiceCategory,
        today: NaiveDate,
    },
    /// Step 1 of a donation: debits this volunteer.
    DonateCredits {
        donation_id: DonationId,
        recipient: VolunteerFacts,
        minutes: Minutes,
    },
    /// Step 2 of a donation: credits this volunteer.
    ReceiveCredits {
        donation_id: DonationId,
        from: VolunteerId,
        minutes: Minutes,
    },
    /// Compensates step 1 when step 2 was refused.
    ReturnDonation {
        donation_id: DonationId,
        reason: Reason,
    },
}

/// What happened to a volunteer. Balances and totals are those after the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolunteerEvent {
    Registered {
        volunteer_id: VolunteerId,
        community: String,
        kind: VolunteerKind,
        registered_on: NaiveDate,
    },
    Verified {
        volunteer_id: VolunteerId,
        verified_on: NaiveDate,
    },
    Deactivated {
        volunteer_id: VolunteerId,
        reason: Reason,
        deactivated_on: NaiveDate,
    },
    HoursSubmitted {
        volunteer_id: VolunteerId,
        record_id: RecordId,
        service_date: NaiveDate,
        minutes: Minutes,
        submitted_on: NaiveDate,
        opportunity: Option<OpportunityId>,
    },
    HoursApproved {
        volunteer_id: VolunteerId,
        record_id: RecordId,
        minutes: Minutes,
        service_date: NaiveDate,
        submitted_on: NaiveDate,
        approved_on: NaiveDate,
        approved_minutes_total: u64,
    },
    HoursDeclined {
        volunteer_id: VolunteerId,
        record_id: RecordId,
        minutes: Minutes,
        reason: Reason,
        declined_on: NaiveDate,
    },
    HoursReversed {
        volunteer_id: VolunteerId,
        record_id: RecordId,
        minutes: Minutes,
        service_date: NaiveDate,
        reason: Reason,
        reversed_on: NaiveDate,
        approved_minutes_total: u64,
        credits_withdrawn_minutes: u32,
        balance_minutes: u64,
    },
    StarLevelChanged {
        volunteer_id: VolunteerId,
        from: StarLevel,
        to: StarLevel,
        approved_minutes: u64,
    },
    CreditsDeposited {
        volunteer_id: VolunteerId,
        record_id: RecordId,
        minutes: Minutes,
        balance_minutes: u64,
    },
    CreditsRedeemed {
        volunteer_id: VolunteerId,
        redemption_id: RedemptionId,
        minutes: Minutes,
        category: ServiceCategory,
        redeemed_on: NaiveDate,
        balance_minutes: u64,
    },
    CreditsDonated {
        volunteer_id: VolunteerId,
        donation_id: DonationId,
        to: VolunteerId,
        minutes: Minutes,
        balance_minutes: u64,
    },
    CreditsReceived {
        volunteer_id: VolunteerId,
        donation_id: DonationId,
        from: VolunteerId,
        minutes: Minutes,
        balance_minutes: u64,
    },
    CreditsReturned {
        volunteer_id: VolunteerId,
        donation_id: DonationId,
        minutes: Minutes,
        reason: Reason,
        balance_minutes: u64,
    },
}

impl VolunteerEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        use VolunteerEvent::*;
        match self {
            Registered { .. } => "VolunteerRegistered",
            Verified { .. } => "VolunteerVerified",
            Deactivated { .. } => "VolunteerDeactivated",
            HoursSubmitted { .. } => "HoursSubmitted",
            HoursApproved { .. } => "HoursApproved",
            HoursDeclined { .. } => "HoursDeclined",
            HoursReversed { .. } => "HoursReversed",
            StarLevelChanged { .. } => "StarLevelChanged",
            CreditsDeposited { .. } => "TimeCreditsDeposited",
            CreditsRedeemed { .. } => "TimeCreditsRedeemed",
            CreditsDonated { .. } => "TimeCreditsDonated",
            CreditsReceived { .. } => "TimeCreditsReceived",
            CreditsReturned { .. } => "TimeCreditsReturned",
        }
    }

    /// The time-bank balance after the event, for the events that move it.
    pub fn balance_after(&self) -> Option<u64> {
        use VolunteerEvent::*;
        match self {
            HoursReversed {
                balance_minutes: b, ..
            }
            | CreditsDeposited {
                balance_minutes: b, ..
            }
            | CreditsRedeemed {
                balance_minutes: b, ..
            }
            | CreditsDonated {
                balance_minutes: b, ..
            }
            | CreditsReceived {
                balance_minutes: b, ..
            }
            | CreditsReturned {
                balance_minutes: b, ..
            } => Some(*b),
            Registered { .. }
            | Verified { .. }
            | Deactivated { .. }
            | HoursSubmitted { .. }
            | HoursApproved { .. }
            | HoursDeclined { .. }
            | StarLevelChanged { .. } => None,
        }
    }
}

/// A volunteer as its events leave it; `Default` is a volunteer never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolunteerState {
    pub volunteer_id: Option<VolunteerId>,
    pub community: String,
    pub kind: Option<VolunteerKind>,
    pub verified_on: Option<NaiveDate>,
    pub deactivated: bool,
    pub records: BTreeMap<RecordId, ServiceRecord>,
    pub approved_minutes: u64,
    pub star_level: StarLevel,
    pub balance_minutes: u64,
    pub redemptions: BTreeSet<RedemptionId>,
    pub donations_made: BTreeMap<DonationId, Donation>,
    pub donations_received: BTreeSet<DonationId>,
}

/// A refused volunteer command: a broken business rule, not a malformed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VolunteerError {
    #[error("volunteer is already registered")]
    AlreadyRegistered,
    #[error("volunteer is not registered")]
    NotRegistered,
    #[error("volunteer is deactivated")]
    Deactivated,
    #[error("volunteer is already verified")]
    AlreadyVerified,
    #[error("a record with this id was already submitted")]
    RecordAlreadyExists,
    /// A value refused against the command's clock: INVALID_ARGUMENT on `service_date`.
    #[error("must not be in the future")]
    ServiceDateInFuture,
    #[error("more than 24 hours would be recorded for this volunteer on this day")]
    DailyLimitExceeded,
    #[error("no such service record")]
    RecordNotFound,
    #[error("only a submitted record can be approved or declined")]
    RecordNotSubmitted,
    #[error("only an approved record can be reversed or deposited")]
    RecordNotApproved,
    #[error("credits from this record were already deposited")]
    AlreadyDeposited,
    #[error("credits deposited from this record were already spent")]
    CreditsAlreadySpent,
    #[error("the time bank balance would exceed its cap")]
    CapExceeded,
    #[error("the time bank balance does not cover this amount")]
    InsufficientBalance,
    #[error("this redemption was already recorded")]
    RedemptionAlreadyRecorded,
    #[error("this donation was already made")]
    DonationAlreadyMade,
    #[error("a volunteer cannot donate to themselves")]
    DonationToSelf,
    #[error("recipient volunteer not found")]
    RecipientNotFound,
    #[error("recipient volunteer belongs to another community")]
    RecipientInOtherCommunity,
    #[error("recipient volunteer is deactivated")]
    RecipientInactive,
    #[error("the recipient's time bank balance would exceed its cap")]
    RecipientCapExceeded,
    #[error("this donation was already received")]
    DonationAlreadyReceived,
    #[error("no such donation")]
    DonationNotFound,
    #[error("this donation was already returned")]
    DonationAlreadyReturned,
}

impl VolunteerError {
    /// The field whose value alone is refused (INVALID_ARGUMENT naming it), when the
    /// command fails for a value rather than for the state it meets.
    pub fn invalid_field(&self) -> Option<&'static str> {
        match self {
            VolunteerError::ServiceDateInFuture => Some("service_date"),
            _ => None,
        }
    }

    /// The request field to blame, if one is, so the shell can name it.
    pub fn field(&self) -> Option<&'static str> {
        use VolunteerError::*;
        match self {
            RecordAlreadyExists | RecordNotFound | RecordNotSubmitted | RecordNotApproved
            | AlreadyDeposited | CreditsAlreadySpent => Some("record_id"),
            ServiceDateInFuture => Some("service_date"),
            DailyLimitExceeded | InsufficientBalance | RecipientCapExceeded => Some("minutes"),
            RedemptionAlreadyRecorded => Some("redemption_id"),
            DonationToSelf | RecipientNotFound | RecipientInOtherCommunity | RecipientInactive => {
                Some("to_volunteer_id")
            }
            DonationAlreadyMade
            | DonationAlreadyReceived
            | DonationNotFound
            | DonationAlreadyReturned => Some("donation_id"),
            AlreadyRegistered | NotRegistered | Deactivated | AlreadyVerified | CapExceeded => None,
        }
    }
}

impl Decider for Volunteer {
    type State = VolunteerState;
    type Command = VolunteerCommand;
    type Event = VolunteerEvent;
    type Error = VolunteerError;

    fn decide(
        state: &VolunteerState,
        command: VolunteerCommand,
    ) -> Result<Vec<VolunteerEvent>, VolunteerError> {
        use VolunteerCommand as C;
        match command {
            C::Register {
                volunteer_id,
                community,
                kind,
                today,
            } => registration::register(state, volunteer_id, community, kind, today),
            C::Verify { today } => registration::verify(state, today),
            C::Deactivate { reason, today } => registration::deactivate(state, reason, today),
            C::SubmitHours {
                record_id,
                service_date,
                minutes,
                opportunity,
                today,
            } => records::submit(state, record_id, service_date, minutes, opportunity, today),
            C::ApproveHours { record_id, today } => records::approve(state, record_id, today),
            C::DeclineHours {
                record_id,
                reason,
                today,
            } => records::decline(state, record_id, reason, today),
            C::ReverseHours {
                record_id,
                reason,
                today,
            } => records::reverse(state, record_id, reason, today),
            C::DepositCredits { record_id } => time_bank::deposit(state, record_id),
            C::RedeemCredits {
                redemption_id,
                minutes,
                category,
                today,
            } => time_bank::redeem(state, redemption_id, minutes, category, today),
            C::DonateCredits {
                donation_id,
                recipient,
                minutes,
            } => time_bank::donate(state, donation_id, recipient, minutes),
            C::ReceiveCredits {
                donation_id,
                from,
                minutes,
            } => time_bank::receive(state, donation_id, from, minutes),
            C::ReturnDonation {
                donation_id,
                reason,
            } => time_bank::return_donation(state, donation_id, reason),
        }
    }

    fn evolve(mut state: VolunteerState, event: &VolunteerEvent) -> VolunteerState {
        use VolunteerEvent as Ev;
        if let Some(balance) = event.balance_after() {
            state.balance_minutes = balance;
        }
        match event {
            Ev::Registered { .. } | Ev::Verified { .. } | Ev::Deactivated { .. } => {
                registration::evolve(&mut state, event)
            }
            Ev::HoursSubmitted { .. }
            | Ev::HoursApproved { .. }
            | Ev::HoursDeclined { .. }
            | Ev::HoursReversed { .. }
            | Ev::StarLevelChanged { .. } => records::evolve(&mut state, event),
            Ev::CreditsDeposited { .. }
            | Ev::CreditsRedeemed { .. }
            | Ev::CreditsDonated { .. }
            | Ev::CreditsReceived { .. }
            | Ev::CreditsReturned { .. } => time_bank::evolve(&mut state, event),
        }
        state
    }
}
