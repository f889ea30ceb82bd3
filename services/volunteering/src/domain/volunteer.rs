//! The `Volunteer` aggregate: registration, real-name verification and deactivation,
//! and — in the same stream, so their rules hold without cross-stream coordination —
//! the volunteer's service records (per-day limit, approval, star level) and time bank
//! (deposits, redemptions, donations, cap).
//!
//! A donation spans two streams: `DonateCredits` debits the donor here, then the shell
//! runs `ReceiveCredits` on the recipient's stream (idempotently, keyed by the donation
//! id); if the recipient refuses after all, `ReturnDonation` credits the donor back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use civitas_kernel::Decider;

use super::values::{
    DonationId, Minutes, OpportunityId, Reason, RecordId, RedemptionId, ServiceCategory, StarLevel,
    VolunteerId, VolunteerKind, MINUTES_PER_DAY,
};

mod time_bank;

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
    DepositCredits {
        record_id: RecordId,
        cap_minutes: u64,
    },
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
        cap_minutes: u64,
    },
    /// Step 2 of a donation: credits this volunteer.
    ReceiveCredits {
        donation_id: DonationId,
        from: VolunteerId,
        minutes: Minutes,
        cap_minutes: u64,
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
}

/// Where a service record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Submitted,
    Approved,
    Declined,
    Reversed,
}

/// One service record as the events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    pub service_date: NaiveDate,
    pub minutes: Minutes,
    pub submitted_on: NaiveDate,
    pub opportunity: Option<OpportunityId>,
    pub status: RecordStatus,
    /// Whether its credits went into the time bank.
    pub deposited: bool,
}

/// A donation this volunteer made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    pub to: VolunteerId,
    pub minutes: Minutes,
    pub returned: bool,
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

impl VolunteerState {
    /// Registered and not deactivated.
    pub fn is_active(&self) -> bool {
        self.volunteer_id.is_some() && !self.deactivated
    }

    /// Minutes submitted or approved for `day`: what the 24-hour limit counts.
    pub fn minutes_on(&self, day: NaiveDate) -> u32 {
        self.records
            .values()
            .filter(|r| r.service_date == day)
            .filter(|r| matches!(r.status, RecordStatus::Submitted | RecordStatus::Approved))
            .map(|r| r.minutes.get())
            .sum()
    }
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
    #[error("service date is in the future")]
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

/// A registered volunteer (deactivated or not).
fn existing(state: &VolunteerState) -> Result<VolunteerId, VolunteerError> {
    state.volunteer_id.ok_or(VolunteerError::NotRegistered)
}

/// A registered, not deactivated volunteer.
fn active(state: &VolunteerState) -> Result<VolunteerId, VolunteerError> {
    let id = existing(state)?;
    if state.deactivated {
        return Err(VolunteerError::Deactivated);
    }
    Ok(id)
}

fn record(state: &VolunteerState, id: RecordId) -> Result<&ServiceRecord, VolunteerError> {
    state.records.get(&id).ok_or(VolunteerError::RecordNotFound)
}

fn within_cap(balance: u64, minutes: Minutes, cap: u64) -> Option<u64> {
    let after = balance + u64::from(minutes.get());
    (after <= cap).then_some(after)
}

/// The star change, if any, when approved minutes move from `before` to `after`.
fn star_change(id: VolunteerId, before: u64, after: u64) -> Option<VolunteerEvent> {
    let (from, to) = (
        StarLevel::for_minutes(before),
        StarLevel::for_minutes(after),
    );
    (from != to).then_some(VolunteerEvent::StarLevelChanged {
        volunteer_id: id,
        from,
        to,
        approved_minutes: after,
    })
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
        use VolunteerError as E;
        use VolunteerEvent as Ev;
        let events = match command {
            C::Register {
                volunteer_id,
                community,
                kind,
                today,
            } => {
                if state.volunteer_id.is_some() {
                    return Err(E::AlreadyRegistered);
                }
                vec![Ev::Registered {
                    volunteer_id,
                    community,
                    kind,
                    registered_on: today,
                }]
            }
            C::Verify { today } => {
                let volunteer_id = active(state)?;
                if state.verified_on.is_some() {
                    return Err(E::AlreadyVerified);
                }
                vec![Ev::Verified {
                    volunteer_id,
                    verified_on: today,
                }]
            }
            C::Deactivate { reason, today } => vec![Ev::Deactivated {
                volunteer_id: active(state)?,
                reason,
                deactivated_on: today,
            }],
            C::SubmitHours {
                record_id,
                service_date,
                minutes,
                opportunity,
                today,
            } => {
                let volunteer_id = active(state)?;
                if state.records.contains_key(&record_id) {
                    return Err(E::RecordAlreadyExists);
                }
                if service_date > today {
                    return Err(E::ServiceDateInFuture);
                }
                if state.minutes_on(service_date) + minutes.get() > MINUTES_PER_DAY {
                    return Err(E::DailyLimitExceeded);
                }
                vec![Ev::HoursSubmitted {
                    volunteer_id,
                    record_id,
                    service_date,
                    minutes,
                    submitted_on: today,
                    opportunity,
                }]
            }
            C::ApproveHours { record_id, today } => {
                // Settling earlier work stays possible after deactivation.
                let volunteer_id = existing(state)?;
                let r = record(state, record_id)?;
                if r.status != RecordStatus::Submitted {
                    return Err(E::RecordNotSubmitted);
                }
                let total = state.approved_minutes + u64::from(r.minutes.get());
                let mut events = vec![Ev::HoursApproved {
                    volunteer_id,
                    record_id,
                    minutes: r.minutes,
                    service_date: r.service_date,
                    submitted_on: r.submitted_on,
                    approved_on: today,
                    approved_minutes_total: total,
                }];
                events.extend(star_change(volunteer_id, state.approved_minutes, total));
                events
            }
            C::DeclineHours {
                record_id,
                reason,
                today,
            } => {
                let volunteer_id = existing(state)?;
                let r = record(state, record_id)?;
                if r.status != RecordStatus::Submitted {
                    return Err(E::RecordNotSubmitted);
                }
                vec![Ev::HoursDeclined {
                    volunteer_id,
                    record_id,
                    minutes: r.minutes,
                    reason,
                    declined_on: today,
                }]
            }
            C::ReverseHours {
                record_id,
                reason,
                today,
            } => {
                let volunteer_id = existing(state)?;
                let r = record(state, record_id)?;
                if r.status != RecordStatus::Approved {
                    return Err(E::RecordNotApproved);
                }
                let withdrawn = if r.deposited { r.minutes.get() } else { 0 };
                let balance = state
                    .balance_minutes
                    .checked_sub(u64::from(withdrawn))
                    .ok_or(E::CreditsAlreadySpent)?;
                let total = state.approved_minutes - u64::from(r.minutes.get());
                let mut events = vec![Ev::HoursReversed {
                    volunteer_id,
                    record_id,
                    minutes: r.minutes,
                    service_date: r.service_date,
                    reason,
                    reversed_on: today,
                    approved_minutes_total: total,
                    credits_withdrawn_minutes: withdrawn,
                    balance_minutes: balance,
                }];
                events.extend(star_change(volunteer_id, state.approved_minutes, total));
                events
            }
            C::DepositCredits {
                record_id,
                cap_minutes,
            } => time_bank::deposit(state, record_id, cap_minutes)?,
            C::RedeemCredits {
                redemption_id,
                minutes,
                category,
                today,
            } => time_bank::redeem(state, redemption_id, minutes, category, today)?,
            C::DonateCredits {
                donation_id,
                recipient,
                minutes,
                cap_minutes,
            } => time_bank::donate(state, donation_id, recipient, minutes, cap_minutes)?,
            C::ReceiveCredits {
                donation_id,
                from,
                minutes,
                cap_minutes,
            } => time_bank::receive(state, donation_id, from, minutes, cap_minutes)?,
            C::ReturnDonation {
                donation_id,
                reason,
            } => time_bank::return_donation(state, donation_id, reason)?,
        };
        Ok(events)
    }

    fn evolve(mut state: VolunteerState, event: &VolunteerEvent) -> VolunteerState {
        use VolunteerEvent as Ev;
        let set_status = |state: &mut VolunteerState, id: &RecordId, status| {
            if let Some(r) = state.records.get_mut(id) {
                r.status = status;
            }
        };
        match event {
            Ev::Registered {
                volunteer_id,
                community,
                kind,
                ..
            } => {
                state.volunteer_id = Some(*volunteer_id);
                state.community = community.clone();
                state.kind = Some(kind.clone());
            }
            Ev::Verified { verified_on, .. } => state.verified_on = Some(*verified_on),
            Ev::Deactivated { .. } => state.deactivated = true,
            Ev::HoursSubmitted {
                record_id,
                service_date,
                minutes,
                submitted_on,
                opportunity,
                ..
            } => {
                state.records.insert(
                    *record_id,
                    ServiceRecord {
                        service_date: *service_date,
                        minutes: *minutes,
                        submitted_on: *submitted_on,
                        opportunity: *opportunity,
                        status: RecordStatus::Submitted,
                        deposited: false,
                    },
                );
            }
            Ev::HoursApproved {
                record_id,
                approved_minutes_total,
                ..
            } => {
                set_status(&mut state, record_id, RecordStatus::Approved);
                state.approved_minutes = *approved_minutes_total;
            }
            Ev::HoursDeclined { record_id, .. } => {
                set_status(&mut state, record_id, RecordStatus::Declined)
            }
            Ev::HoursReversed {
                record_id,
                approved_minutes_total,
                balance_minutes,
                ..
            } => {
                set_status(&mut state, record_id, RecordStatus::Reversed);
                state.approved_minutes = *approved_minutes_total;
                state.balance_minutes = *balance_minutes;
            }
            Ev::StarLevelChanged { to, .. } => state.star_level = *to,
            Ev::CreditsDeposited {
                record_id,
                balance_minutes,
                ..
            } => {
                if let Some(r) = state.records.get_mut(record_id) {
                    r.deposited = true;
                }
                state.balance_minutes = *balance_minutes;
            }
            Ev::CreditsRedeemed {
                redemption_id,
                balance_minutes,
                ..
            } => {
                state.redemptions.insert(*redemption_id);
                state.balance_minutes = *balance_minutes;
            }
            Ev::CreditsDonated {
                donation_id,
                to,
                minutes,
                balance_minutes,
                ..
            } => {
                state.donations_made.insert(
                    *donation_id,
                    Donation {
                        to: *to,
                        minutes: *minutes,
                        returned: false,
                    },
                );
                state.balance_minutes = *balance_minutes;
            }
            Ev::CreditsReceived {
                donation_id,
                balance_minutes,
                ..
            } => {
                state.donations_received.insert(*donation_id);
                state.balance_minutes = *balance_minutes;
            }
            Ev::CreditsReturned {
                donation_id,
                balance_minutes,
                ..
            } => {
                if let Some(d) = state.donations_made.get_mut(donation_id) {
                    d.returned = true;
                }
                state.balance_minutes = *balance_minutes;
            }
        }
        state
    }
}
