//! The time-bank decisions of the `Volunteer` aggregate: deposits from approved
//! records, redemptions, both halves of a donation and the return of a refused one.
//! Every balance change is checked against the cap the command carries.

use chrono::NaiveDate;

use super::{
    active, existing, record, within_cap, RecordStatus, VolunteerError as E, VolunteerEvent as Ev,
    VolunteerFacts, VolunteerState,
};
use crate::domain::values::{
    DonationId, Minutes, Reason, RecordId, RedemptionId, ServiceCategory, VolunteerId,
};

pub(super) fn deposit(
    state: &VolunteerState,
    record_id: RecordId,
    cap_minutes: u64,
) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    let r = record(state, record_id)?;
    if r.status != RecordStatus::Approved {
        return Err(E::RecordNotApproved);
    }
    if r.deposited {
        return Err(E::AlreadyDeposited);
    }
    let balance =
        within_cap(state.balance_minutes, r.minutes, cap_minutes).ok_or(E::CapExceeded)?;
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
    let balance = state
        .balance_minutes
        .checked_sub(u64::from(minutes.get()))
        .ok_or(E::InsufficientBalance)?;
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
    cap_minutes: u64,
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
    let balance = state
        .balance_minutes
        .checked_sub(u64::from(minutes.get()))
        .ok_or(E::InsufficientBalance)?;
    // Checked here so a donation the recipient cannot take is refused up front; the
    // recipient's own decision (step 2) still enforces it.
    within_cap(recipient.balance_minutes, minutes, cap_minutes).ok_or(E::RecipientCapExceeded)?;
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
    cap_minutes: u64,
) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    if state.donations_received.contains(&donation_id) {
        return Err(E::DonationAlreadyReceived);
    }
    let balance = within_cap(state.balance_minutes, minutes, cap_minutes).ok_or(E::CapExceeded)?;
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
