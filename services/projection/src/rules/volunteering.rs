//! Volunteering: the volunteer register, service records and their approval, and star
//! levels.
//!
//! The register and the star distribution are stocks of active volunteers: a newly
//! registered volunteer counts at level 0, and a deactivated one leaves both.
//! Opportunities and the time bank feed nothing yet; teams are an area of their own
//! ([`super::teams`]).

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, days_between, Deltas, Views};
use crate::catalog::{
    stars_element, DataElement, MAX_STARS, VOLUNTEERING_APPROVALS,
    VOLUNTEERING_APPROVALS_WITHIN_7_DAYS, VOLUNTEERING_APPROVED_MINUTES, VOLUNTEERS_REGISTERED,
    VOLUNTEERS_SERVING, VOLUNTEERS_VERIFIED,
};

/// A volunteer as staff lists show them: pseudonymous id and counts only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolunteerRow {
    pub community: String,
    /// `registered`, `verified` or `deactivated`.
    pub status: String,
    pub approved_minutes: i64,
    /// 0 (no star) to [`MAX_STARS`].
    pub star_level: i64,
    /// Service records submitted and neither approved nor declined.
    pub pending: i64,
}

pub const REGISTERED: &str = "registered";
pub const VERIFIED: &str = "verified";
pub const DEACTIVATED: &str = "deactivated";

/// Approvals within this many days of submission count as timely.
const TIMELY_APPROVAL_DAYS: i64 = crate::catalog::HOUR_APPROVAL_DAYS as i64;

impl VolunteerRow {
    fn active(&self) -> bool {
        self.status != DEACTIVATED
    }

    /// The star-level element this volunteer counts in while active.
    fn stars(&self) -> &'static DataElement {
        stars_element(self.star_level)
    }
}

/// A submitted service record awaiting approval.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingApproval {
    pub volunteer_id: String,
    pub community: String,
    pub minutes: i64,
    /// `YYYY-MM-DD`.
    pub service_date: String,
    pub submitted_on: String,
}

/// A volunteering event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    VolunteerRegistered {
        volunteer_id: String,
    },
    VolunteerVerified {
        volunteer_id: String,
    },
    VolunteerDeactivated {
        volunteer_id: String,
    },
    HoursSubmitted {
        volunteer_id: String,
        record_id: String,
        minutes: u32,
        service_date: String,
        submitted_on: String,
    },
    HoursApproved {
        volunteer_id: String,
        record_id: String,
        minutes: u32,
        submitted_on: String,
        approved_on: String,
        approved_minutes_total: u64,
    },
    HoursDeclined {
        volunteer_id: String,
        record_id: String,
    },
    HoursReversed {
        volunteer_id: String,
        minutes: u32,
        approved_minutes_total: u64,
    },
    StarLevelChanged {
        volunteer_id: String,
        to_level: u32,
    },
}

/// Decodes a volunteering event; `None` for another service's event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    use super::ignored;
    let fact = match event_type {
        "VolunteerRegistered" => Fact::VolunteerRegistered {
            volunteer_id: pb::VolunteerRegistered::decode(p)?.volunteer_id,
        },
        "VolunteerVerified" => Fact::VolunteerVerified {
            volunteer_id: pb::VolunteerVerified::decode(p)?.volunteer_id,
        },
        "VolunteerDeactivated" => Fact::VolunteerDeactivated {
            volunteer_id: pb::VolunteerDeactivated::decode(p)?.volunteer_id,
        },
        "HoursSubmitted" => {
            let e = pb::HoursSubmitted::decode(p)?;
            Fact::HoursSubmitted {
                service_date: date_text(e.service_date.as_ref()),
                submitted_on: date_text(e.submitted_on.as_ref()),
                volunteer_id: e.volunteer_id,
                record_id: e.record_id,
                minutes: e.minutes,
            }
        }
        "HoursApproved" => {
            let e = pb::HoursApproved::decode(p)?;
            Fact::HoursApproved {
                submitted_on: date_text(e.submitted_on.as_ref()),
                approved_on: date_text(e.approved_on.as_ref()),
                volunteer_id: e.volunteer_id,
                record_id: e.record_id,
                minutes: e.minutes,
                approved_minutes_total: e.approved_minutes_total,
            }
        }
        "HoursDeclined" => {
            let e = pb::HoursDeclined::decode(p)?;
            Fact::HoursDeclined {
                volunteer_id: e.volunteer_id,
                record_id: e.record_id,
            }
        }
        "HoursReversed" => {
            let e = pb::HoursReversed::decode(p)?;
            Fact::HoursReversed {
                volunteer_id: e.volunteer_id,
                minutes: e.minutes,
                approved_minutes_total: e.approved_minutes_total,
            }
        }
        "StarLevelChanged" => {
            let e = pb::StarLevelChanged::decode(p)?;
            Fact::StarLevelChanged {
                volunteer_id: e.volunteer_id,
                to_level: e.to_level,
            }
        }
        "OpportunityPublished" => return ignored::<pb::OpportunityPublished>(p).map(Some),
        "VolunteerAssigned" => return ignored::<pb::VolunteerAssigned>(p).map(Some),
        "AssignmentCancelled" => return ignored::<pb::AssignmentCancelled>(p).map(Some),
        "VolunteerCheckedIn" => return ignored::<pb::VolunteerCheckedIn>(p).map(Some),
        "VolunteerCheckedOut" => return ignored::<pb::VolunteerCheckedOut>(p).map(Some),
        "TimeCreditsDeposited" => return ignored::<pb::TimeCreditsDeposited>(p).map(Some),
        "TimeCreditsRedeemed" => return ignored::<pb::TimeCreditsRedeemed>(p).map(Some),
        "TimeCreditsDonated" => return ignored::<pb::TimeCreditsDonated>(p).map(Some),
        "TimeCreditsReceived" => return ignored::<pb::TimeCreditsReceived>(p).map(Some),
        "TimeCreditsReturned" => return ignored::<pb::TimeCreditsReturned>(p).map(Some),
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Volunteering(fact)))
}

impl Fact {
    fn volunteer_id(&self) -> &str {
        match self {
            Fact::VolunteerRegistered { volunteer_id }
            | Fact::VolunteerVerified { volunteer_id }
            | Fact::VolunteerDeactivated { volunteer_id }
            | Fact::HoursSubmitted { volunteer_id, .. }
            | Fact::HoursApproved { volunteer_id, .. }
            | Fact::HoursDeclined { volunteer_id, .. }
            | Fact::HoursReversed { volunteer_id, .. }
            | Fact::StarLevelChanged { volunteer_id, .. } => volunteer_id,
        }
    }

    fn record_id(&self) -> Option<&str> {
        match self {
            Fact::HoursSubmitted { record_id, .. }
            | Fact::HoursApproved { record_id, .. }
            | Fact::HoursDeclined { record_id, .. } => Some(record_id),
            _ => None,
        }
    }

    pub(super) fn need(&self, views: &mut Views) {
        let volunteer_id = self.volunteer_id().to_owned();
        views.volunteers.entry(volunteer_id).or_default();
        if let Some(id) = self.record_id() {
            views.pending.entry(id.to_owned()).or_default();
        }
    }
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let volunteer = views
        .volunteers
        .entry(fact.volunteer_id().to_owned())
        .or_default();
    let pending = fact
        .record_id()
        .map(|id| views.pending.entry(id.to_owned()).or_default());
    // Counts in the event's community; a known volunteer's stocks move in their row's.
    let mut count = |element, delta| add(deltas, element, community, day, delta);
    match fact {
        Fact::VolunteerRegistered { .. } => {
            if volunteer.as_ref().is_some_and(VolunteerRow::active) {
                tracing::debug!(community, "volunteer registered twice, counted once");
                return;
            }
            count(&VOLUNTEERS_REGISTERED, 1);
            count(stars_element(0), 1);
            *volunteer = Some(VolunteerRow {
                community: community.to_owned(),
                status: REGISTERED.to_owned(),
                ..Default::default()
            });
        }
        Fact::VolunteerVerified { .. } => {
            let Some(row) = volunteer.as_mut().filter(|r| r.status == REGISTERED) else {
                return;
            };
            add(deltas, &VOLUNTEERS_VERIFIED, &row.community, day, 1);
            row.status = VERIFIED.to_owned();
        }
        Fact::VolunteerDeactivated { .. } => {
            let Some(row) = volunteer.as_mut().filter(|r| r.active()) else {
                return;
            };
            add(deltas, &VOLUNTEERS_REGISTERED, &row.community, day, -1);
            add(deltas, row.stars(), &row.community, day, -1);
            row.status = DEACTIVATED.to_owned();
        }
        Fact::HoursSubmitted {
            volunteer_id,
            minutes,
            service_date,
            submitted_on,
            ..
        } => {
            let pending = pending.expect("a record fact has a pending row");
            if pending.is_none() {
                if let Some(row) = volunteer.as_mut() {
                    row.pending += 1;
                }
            }
            *pending = Some(PendingApproval {
                volunteer_id: volunteer_id.clone(),
                community: community.to_owned(),
                minutes: i64::from(*minutes),
                service_date: service_date.clone(),
                submitted_on: submitted_on.clone(),
            });
        }
        Fact::HoursApproved {
            volunteer_id,
            minutes,
            submitted_on,
            approved_on,
            approved_minutes_total,
            ..
        } => {
            let serving = &VOLUNTEERS_SERVING;
            count_person(&mut views.persons, serving, community, day, volunteer_id);
            settle(volunteer, pending);
            count(&VOLUNTEERING_APPROVED_MINUTES, i64::from(*minutes));
            count(&VOLUNTEERING_APPROVALS, 1);
            if days_between(submitted_on, approved_on).is_some_and(|d| d <= TIMELY_APPROVAL_DAYS) {
                count(&VOLUNTEERING_APPROVALS_WITHIN_7_DAYS, 1);
            }
            approved_in_total(volunteer, *approved_minutes_total);
        }
        Fact::HoursDeclined { .. } => settle(volunteer, pending),
        Fact::HoursReversed {
            minutes,
            approved_minutes_total,
            ..
        } => {
            count(&VOLUNTEERING_APPROVED_MINUTES, -i64::from(*minutes));
            approved_in_total(volunteer, *approved_minutes_total);
        }
        Fact::StarLevelChanged { to_level, .. } => {
            let Some(row) = volunteer.as_mut() else {
                return;
            };
            let to = i64::from(*to_level).min(MAX_STARS);
            // The row's level, not the event's `from`, is what this volunteer was counted as.
            if row.active() && row.star_level != to {
                add(deltas, row.stars(), &row.community, day, -1);
                add(deltas, stars_element(to), &row.community, day, 1);
            }
            row.star_level = to;
        }
    }
}

/// The service's running total of a volunteer's approved minutes, as of this event.
fn approved_in_total(volunteer: &mut Option<VolunteerRow>, total: u64) {
    if let Some(row) = volunteer.as_mut() {
        row.approved_minutes = i64::try_from(total).unwrap_or(i64::MAX);
    }
}

/// A pending record was approved or declined: it leaves the approval list.
fn settle(volunteer: &mut Option<VolunteerRow>, pending: Option<&mut Option<PendingApproval>>) {
    let Some(pending) = pending else { return };
    if pending.take().is_some() {
        if let Some(row) = volunteer.as_mut() {
            row.pending = (row.pending - 1).max(0);
        }
    }
}

#[cfg(test)]
#[path = "volunteering_tests.rs"]
mod tests;
