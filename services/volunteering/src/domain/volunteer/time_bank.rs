//! The time-bank decisions of the `Volunteer` aggregate: deposits from approved
//! records, redemptions, both halves of a donation and the return of a refused one.
//! Every credit is checked against [`TIME_BANK_CAP_MINUTES`].

use chrono::NaiveDate;

use super::records::record_in;
use super::registration::{active, existing};
use super::{
    RecordStatus, VolunteerError as E, VolunteerEvent as Ev, VolunteerFacts, VolunteerState,
};
use crate::domain::values::{
    DonationId, Minutes, Reason, RecordId, RedemptionId, ServiceCategory, VolunteerId,
};

/// The most time credits one volunteer may hold, in minutes (1500 hours). Deposits and
/// received donations that would pass it are refused; a returned donation is not.
pub const TIME_BANK_CAP_MINUTES: u64 = 1500 * 60;

/// A donation this volunteer made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    pub to: VolunteerId,
    pub minutes: Minutes,
    pub returned: bool,
}

impl E {
    /// The recipient's own refusal of a donation's step 2, told from the donor's side.
    pub fn as_recipient(self) -> Self {
        match self {
            E::CapExceeded => E::RecipientCapExceeded,
            E::Deactivated => E::RecipientInactive,
            E::NotRegistered => E::RecipientNotFound,
            other => other,
        }
    }
}

/// The balance after crediting `minutes`, if it stays within the cap.
fn within_cap(balance: u64, minutes: Minutes) -> Option<u64> {
    let after = balance + u64::from(minutes.get());
    (after <= TIME_BANK_CAP_MINUTES).then_some(after)
}

/// The balance after debiting `minutes`, if the balance covers them.
fn covered(balance: u64, minutes: Minutes) -> Result<u64, E> {
    balance
        .checked_sub(u64::from(minutes.get()))
        .ok_or(E::InsufficientBalance)
}

pub(super) fn deposit(state: &VolunteerState, record_id: RecordId) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    let r = record_in(state, record_id, RecordStatus::Approved)?;
    if r.deposited {
        return Err(E::AlreadyDeposited);
    }
    let balance = within_cap(state.balance_minutes, r.minutes).ok_or(E::CapExceeded)?;
    Ok(vec![Ev::CreditsDeposited {
        volunteer_id,
        record_id,
        minutes: r.minutes,
        balance_minutes: balance,
    }])
}

pub(super) fn redeem(
    state: &VolunteerState,
    redemption_id: RedemptionId,
    minutes: Minutes,
    category: ServiceCategory,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    if state.redemptions.contains(&redemption_id) {
        return Err(E::RedemptionAlreadyRecorded);
    }
    let balance = covered(state.balance_minutes, minutes)?;
    Ok(vec![Ev::CreditsRedeemed {
        volunteer_id,
        redemption_id,
        minutes,
        category,
        redeemed_on: today,
        balance_minutes: balance,
    }])
}

/// Step 1 of a donation: debits the donor.
pub(super) fn donate(
    state: &VolunteerState,
    donation_id: DonationId,
    recipient: VolunteerFacts,
    minutes: Minutes,
) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    if state.donations_made.contains_key(&donation_id) {
        return Err(E::DonationAlreadyMade);
    }
    if recipient.volunteer_id == volunteer_id {
        return Err(E::DonationToSelf);
    }
    if !recipient.exists {
        return Err(E::RecipientNotFound);
    }
    if recipient.community != state.community {
        return Err(E::RecipientInOtherCommunity);
    }
    if !recipient.active {
        return Err(E::RecipientInactive);
    }
    let balance = covered(state.balance_minutes, minutes)?;
    // Checked here so a donation the recipient cannot take is refused up front; the
    // recipient's own decision (step 2) still enforces it.
    within_cap(recipient.balance_minutes, minutes).ok_or(E::RecipientCapExceeded)?;
    Ok(vec![Ev::CreditsDonated {
        volunteer_id,
        donation_id,
        to: recipient.volunteer_id,
        minutes,
        balance_minutes: balance,
    }])
}

/// Step 2 of a donation: credits the recipient, once per donation.
pub(super) fn receive(
    state: &VolunteerState,
    donation_id: DonationId,
    from: VolunteerId,
    minutes: Minutes,
) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    if state.donations_received.contains(&donation_id) {
        return Err(E::DonationAlreadyReceived);
    }
    let balance = within_cap(state.balance_minutes, minutes).ok_or(E::CapExceeded)?;
    Ok(vec![Ev::CreditsReceived {
        volunteer_id,
        donation_id,
        from,
        minutes,
        balance_minutes: balance,
    }])
}

/// Compensates step 1 when the recipient refused step 2.
pub(super) fn return_donation(
    state: &VolunteerState,
    donation_id: DonationId,
    reason: Reason,
) -> Result<Vec<Ev>, E> {
    // A refund restores what was the donor's: no cap, allowed when deactivated.
    let volunteer_id = existing(state)?;
    let donation = state
        .donations_made
        .get(&donation_id)
        .ok_or(E::DonationNotFound)?;
    if donation.returned {
        return Err(E::DonationAlreadyReturned);
    }
    Ok(vec![Ev::CreditsReturned {
        volunteer_id,
        donation_id,
        minutes: donation.minutes,
        reason,
        balance_minutes: state.balance_minutes + u64::from(donation.minutes.get()),
    }])
}

/// Applies a time-bank event (the balance is already applied by the caller).
pub(super) fn evolve(state: &mut VolunteerState, event: &Ev) {
    match event {
        Ev::CreditsDeposited { record_id, .. } => {
            if let Some(r) = state.records.get_mut(record_id) {
                r.deposited = true;
            }
        }
        Ev::CreditsRedeemed { redemption_id, .. } => {
            state.redemptions.insert(*redemption_id);
        }
        Ev::CreditsDonated {
            donation_id,
            to,
            minutes,
            ..
        } => {
            let donation = Donation {
                to: *to,
                minutes: *minutes,
                returned: false,
            };
            state.donations_made.insert(*donation_id, donation);
        }
        Ev::CreditsReceived { donation_id, .. } => {
            state.donations_received.insert(*donation_id);
        }
        Ev::CreditsReturned { donation_id, .. } => {
            if let Some(d) = state.donations_made.get_mut(donation_id) {
                d.returned = true;
            }
        }
        _ => {}
    }
}
