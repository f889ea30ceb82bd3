//! The service records of the `Volunteer` aggregate: minutes served on a day (at most
//! 24 hours a day), their approval, decline and reversal, and the star level the
//! approved hours earn.

use chrono::NaiveDate;

use super::registration::{active, existing};
use super::{VolunteerError as E, VolunteerEvent as Ev, VolunteerId, VolunteerState};
use crate::domain::values::{Minutes, OpportunityId, Reason, RecordId, StarLevel, MINUTES_PER_DAY};

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

impl VolunteerState {
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

/// The record `id`, in `status`.
pub(super) fn record_in(
    state: &VolunteerState,
    id: RecordId,
    status: RecordStatus,
) -> Result<&ServiceRecord, E> {
    let record = state.records.get(&id).ok_or(E::RecordNotFound)?;
    if record.status == status {
        return Ok(record);
    }
    Err(match status {
        RecordStatus::Submitted => E::RecordNotSubmitted,
        _ => E::RecordNotApproved,
    })
}

/// The volunteer and its record `id` in `status`, for approving, declining or reversing
/// it: settling earlier work stays possible after deactivation.
fn settling(
    state: &VolunteerState,
    id: RecordId,
    status: RecordStatus,
) -> Result<(VolunteerId, &ServiceRecord), E> {
    Ok((existing(state)?, record_in(state, id, status)?))
}

pub(super) fn submit(
    state: &VolunteerState,
    record_id: RecordId,
    service_date: NaiveDate,
    minutes: Minutes,
    opportunity: Option<OpportunityId>,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
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
    Ok(vec![Ev::HoursSubmitted {
        volunteer_id,
        record_id,
        service_date,
        minutes,
        submitted_on: today,
        opportunity,
    }])
}

pub(super) fn approve(
    state: &VolunteerState,
    record_id: RecordId,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    let (volunteer_id, r) = settling(state, record_id, RecordStatus::Submitted)?;
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
    Ok(events)
}

pub(super) fn decline(
    state: &VolunteerState,
    record_id: RecordId,
    reason: Reason,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    let (volunteer_id, r) = settling(state, record_id, RecordStatus::Submitted)?;
    Ok(vec![Ev::HoursDeclined {
        volunteer_id,
        record_id,
        minutes: r.minutes,
        reason,
        declined_on: today,
    }])
}

/// Takes back an approved record, with the credits deposited from it (refused when they
/// were spent).
pub(super) fn reverse(
    state: &VolunteerState,
    record_id: RecordId,
    reason: Reason,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    let (volunteer_id, r) = settling(state, record_id, RecordStatus::Approved)?;
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
    Ok(events)
}

/// The star change, if any, when approved minutes move from `before` to `after`.
fn star_change(id: VolunteerId, before: u64, after: u64) -> Option<Ev> {
    let (from, to) = (
        StarLevel::for_minutes(before),
        StarLevel::for_minutes(after),
    );
    (from != to).then_some(Ev::StarLevelChanged {
        volunteer_id: id,
        from,
        to,
        approved_minutes: after,
    })
}

/// Applies a record event (the balance is already applied by the caller).
pub(super) fn evolve(state: &mut VolunteerState, event: &Ev) {
    match event {
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
            set_status(state, record_id, RecordStatus::Approved);
            state.approved_minutes = *approved_minutes_total;
        }
        Ev::HoursDeclined { record_id, .. } => set_status(state, record_id, RecordStatus::Declined),
        Ev::HoursReversed {
            record_id,
            approved_minutes_total,
            ..
        } => {
            set_status(state, record_id, RecordStatus::Reversed);
            state.approved_minutes = *approved_minutes_total;
        }
        Ev::StarLevelChanged { to, .. } => state.star_level = *to,
        _ => {}
    }
}

fn set_status(state: &mut VolunteerState, id: &RecordId, status: RecordStatus) {
    if let Some(r) = state.records.get_mut(id) {
        r.status = status;
    }
}
