//! Registration of the `Volunteer` aggregate: registering a resident or an external
//! volunteer, real-name verification and deactivation; and the two standings every
//! other decision starts from (registered, active).

use chrono::NaiveDate;

use super::{VolunteerError as E, VolunteerEvent as Ev, VolunteerState};
use crate::domain::values::{Reason, VolunteerId, VolunteerKind};

impl VolunteerState {
    /// Registered and not deactivated.
    pub fn is_active(&self) -> bool {
        self.volunteer_id.is_some() && !self.deactivated
    }
}

/// A registered volunteer (deactivated or not).
pub(super) fn existing(state: &VolunteerState) -> Result<VolunteerId, E> {
    state.volunteer_id.ok_or(E::NotRegistered)
}

/// A registered, not deactivated volunteer.
pub(super) fn active(state: &VolunteerState) -> Result<VolunteerId, E> {
    let id = existing(state)?;
    if state.deactivated {
        return Err(E::Deactivated);
    }
    Ok(id)
}

pub(super) fn register(
    state: &VolunteerState,
    volunteer_id: VolunteerId,
    community: String,
    kind: VolunteerKind,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    if state.volunteer_id.is_some() {
        return Err(E::AlreadyRegistered);
    }
    Ok(vec![Ev::Registered {
        volunteer_id,
        community,
        kind,
        registered_on: today,
    }])
}

pub(super) fn verify(state: &VolunteerState, today: NaiveDate) -> Result<Vec<Ev>, E> {
    let volunteer_id = active(state)?;
    if state.verified_on.is_some() {
        return Err(E::AlreadyVerified);
    }
    Ok(vec![Ev::Verified {
        volunteer_id,
        verified_on: today,
    }])
}

pub(super) fn deactivate(
    state: &VolunteerState,
    reason: Reason,
    today: NaiveDate,
) -> Result<Vec<Ev>, E> {
    Ok(vec![Ev::Deactivated {
        volunteer_id: active(state)?,
        reason,
        deactivated_on: today,
    }])
}

/// Applies a registration event.
pub(super) fn evolve(state: &mut VolunteerState, event: &Ev) {
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
        _ => {}
    }
}
