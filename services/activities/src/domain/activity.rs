//! The `Activity` aggregate: one scheduled event of a community (a class, a film night,
//! a performance, ...), its registrations and check-ins, and how it ended: closed with
//! its attendance, or cancelled.
//!
//! "Now" and whether a planned item is in the community's plan arrive in commands, so
//! the rules below are plain functions of state and command.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use civitas_kernel::Decider;

use super::values::{
    ActivityCategory, ActivityId, Capacity, Note, PlanYear, PlannedItemId, Reason, ResidentId,
    TimeWindow, Title, Venue,
};

/// The activity decider.
pub struct Activity;

/// How long before an activity starts and after it ends check-in stays open: people
/// arrive early and sign in on their way out.
pub const CHECKIN_MARGIN: Duration = Duration::minutes(30);

/// The planned item an activity says it delivers, as the shell found it in the plan of
/// the activity's community and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedItemFact {
    pub item_id: PlannedItemId,
    /// Whether the plan holds this item (in any version).
    pub in_plan: bool,
}

/// Who checks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendee {
    /// A resident who registered.
    Registered(ResidentId),
    /// Someone who came without registering; counted, not identified.
    WalkIn,
}

/// The new activity's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityPlan {
    pub category: ActivityCategory,
    pub title: Title,
    pub venue: Venue,
    pub window: TimeWindow,
    pub capacity: Capacity,
    /// The year of `window.starts_at` in the district's time zone.
    pub plan_year: PlanYear,
}

/// What can be asked of an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityCommand {
    /// Schedules a new activity in the caller's community.
    ScheduleActivity {
        activity_id: ActivityId,
        community: String,
        details: ActivityPlan,
        planned_item: Option<PlannedItemFact>,
    },
    /// Registers a resident.
    RegisterParticipant { resident_id: ResidentId },
    /// Withdraws a registration before check-in.
    CancelRegistration { resident_id: ResidentId },
    /// Checks someone in at `now`; allowed within the window widened by
    /// [`CHECKIN_MARGIN`].
    CheckInParticipant {
        attendee: Attendee,
        now: DateTime<Utc>,
    },
    /// Closes an ended activity; `attendance`, when given, must equal the check-ins.
    CloseActivity {
        attendance: Option<u32>,
        report: Note,
        now: DateTime<Utc>,
    },
    /// Calls the activity off.
    CancelActivity { reason: Reason },
}

/// What happened to an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityEvent {
    ActivityScheduled {
        activity_id: ActivityId,
        community: String,
        details: ActivityPlan,
        planned_item: Option<PlannedItemId>,
    },
    ParticipantRegistered {
        activity_id: ActivityId,
        resident_id: ResidentId,
        registered_count: u32,
    },
    RegistrationCancelled {
        activity_id: ActivityId,
        resident_id: ResidentId,
        registered_count: u32,
    },
    ParticipantCheckedIn {
        activity_id: ActivityId,
        attendee: Attendee,
        at: DateTime<Utc>,
    },
    ActivityClosed {
        activity_id: ActivityId,
        category: ActivityCategory,
        attendance: u32,
        registered: u32,
        registered_attended: u32,
        walk_ins: u32,
        report: Note,
        closed_at: DateTime<Utc>,
    },
    ActivityCancelled {
        activity_id: ActivityId,
        category: ActivityCategory,
        reason: Reason,
    },
}

impl ActivityEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            ActivityEvent::ActivityScheduled { .. } => "ActivityScheduled",
            ActivityEvent::ParticipantRegistered { .. } => "ParticipantRegistered",
            ActivityEvent::RegistrationCancelled { .. } => "RegistrationCancelled",
            ActivityEvent::ParticipantCheckedIn { .. } => "ParticipantCheckedIn",
            ActivityEvent::ActivityClosed { .. } => "ActivityClosed",
            ActivityEvent::ActivityCancelled { .. } => "ActivityCancelled",
        }
    }
}

/// Where an activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityStatus {
    Scheduled,
    Closed,
    Cancelled,
}

/// An activity as its events leave it; `Default` is an activity never scheduled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityState {
    pub activity_id: Option<ActivityId>,
    /// Empty until scheduled.
    pub community: String,
    pub details: Option<ActivityPlan>,
    pub planned_item: Option<PlannedItemId>,
    /// `None` until scheduled.
    pub status: Option<ActivityStatus>,
    /// Active registrations.
    pub registered: BTreeSet<ResidentId>,
    /// Registered residents who checked in.
    pub checked_in: BTreeSet<ResidentId>,
    pub walk_ins: u32,
    pub report: Option<Note>,
    pub cancel_reason: Option<Reason>,
}

impl ActivityState {
    /// Active registrations.
    pub fn registered_count(&self) -> u32 {
        count(self.registered.len())
    }

    /// Registered residents who checked in.
    pub fn registered_attended(&self) -> u32 {
        count(self.checked_in.len())
    }

    /// Every check-in: registered residents and walk-ins.
    pub fn attendance(&self) -> u32 {
        self.registered_attended().saturating_add(self.walk_ins)
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A refused activity command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    #[error("activity is already scheduled")]
    AlreadyScheduled,
    #[error("the planned item is not in this community's plan for the activity's year")]
    PlannedItemNotInPlan,
    #[error("activity is not scheduled")]
    NotScheduled,
    #[error("activity is closed")]
    Closed,
    #[error("activity is cancelled")]
    Cancelled,
    #[error("activity is full ({capacity} places)")]
    Full { capacity: u32 },
    #[error("resident is already registered")]
    AlreadyRegistered,
    #[error("resident is not registered")]
    NotRegistered,
    #[error("resident has already checked in")]
    AlreadyCheckedIn,
    #[error("check-in is open from {opens} to {closes}")]
    OutsideCheckInWindow {
        opens: DateTime<Utc>,
        closes: DateTime<Utc>,
    },
    #[error("activity ends at {ends_at} and cannot be closed before")]
    NotEnded { ends_at: DateTime<Utc> },
    #[error("attendance {counted} differs from the {checked_in} check-ins")]
    AttendanceMismatch { counted: u32, checked_in: u32 },
}

impl ActivityError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ActivityError::AlreadyScheduled => Some("activity_id"),
            ActivityError::PlannedItemNotInPlan => Some("planned_item_id"),
            ActivityError::AlreadyRegistered
            | ActivityError::NotRegistered
            | ActivityError::AlreadyCheckedIn => Some("resident_id"),
            ActivityError::AttendanceMismatch { .. } => Some("attendance"),
            ActivityError::NotScheduled
            | ActivityError::Closed
            | ActivityError::Cancelled
            | ActivityError::Full { .. }
            | ActivityError::OutsideCheckInWindow { .. }
            | ActivityError::NotEnded { .. } => None,
        }
    }
}

/// The scheduled activity's id and description, or why it cannot change any more.
fn open(state: &ActivityState) -> Result<(ActivityId, &ActivityPlan), ActivityError> {
    match (state.status, state.activity_id, &state.details) {
        (Some(ActivityStatus::Scheduled), Some(id), Some(details)) => Ok((id, details)),
        (Some(ActivityStatus::Closed), ..) => Err(ActivityError::Closed),
        (Some(ActivityStatus::Cancelled), ..) => Err(ActivityError::Cancelled),
        _ => Err(ActivityError::NotScheduled),
    }
}

impl Decider for Activity {
    type State = ActivityState;
    type Command = ActivityCommand;
    type Event = ActivityEvent;
    type Error = ActivityError;

    fn decide(
        state: &ActivityState,
        command: ActivityCommand,
    ) -> Result<Vec<ActivityEvent>, ActivityError> {
        let event = match command {
            ActivityCommand::ScheduleActivity {
                activity_id,
                community,
                details,
                planned_item,
            } => {
                if state.status.is_some() {
                    return Err(ActivityError::AlreadyScheduled);
                }
                if planned_item.is_some_and(|p| !p.in_plan) {
                    return Err(ActivityError::PlannedItemNotInPlan);
                }
                ActivityEvent::ActivityScheduled {
                    activity_id,
                    community,
                    details,
                    planned_item: planned_item.map(|p| p.item_id),
                }
            }
            ActivityCommand::RegisterParticipant { resident_id } => {
                let (activity_id, details) = open(state)?;
                if state.registered.contains(&resident_id) {
                    return Err(ActivityError::AlreadyRegistered);
                }
                let capacity = details.capacity.get();
                if state.registered_count() >= capacity {
                    return Err(ActivityError::Full { capacity });
                }
                ActivityEvent::ParticipantRegistered {
                    activity_id,
                    resident_id,
                    registered_count: count(state.registered.len() + 1),
                }
            }
            ActivityCommand::CancelRegistration { resident_id } => {
                let (activity_id, _) = open(state)?;
                if !state.registered.contains(&resident_id) {
                    return Err(ActivityError::NotRegistered);
                }
                if state.checked_in.contains(&resident_id) {
                    return Err(ActivityError::AlreadyCheckedIn);
                }
                ActivityEvent::RegistrationCancelled {
                    activity_id,
                    resident_id,
                    registered_count: count(state.registered.len() - 1),
                }
            }
            ActivityCommand::CheckInParticipant { attendee, now } => {
                let (activity_id, details) = open(state)?;
                // Checked: a window at the edge of the calendar opens or closes there
                // instead of overflowing.
                let opens = details
                    .window
                    .starts_at()
                    .checked_sub_signed(CHECKIN_MARGIN)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                let closes = details
                    .window
                    .ends_at()
                    .checked_add_signed(CHECKIN_MARGIN)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC);
                if now < opens || now > closes {
                    return Err(ActivityError::OutsideCheckInWindow { opens, closes });
                }
                if let Attendee::Registered(resident_id) = attendee {
                    if !state.registered.contains(&resident_id) {
                        return Err(ActivityError::NotRegistered);
                    }
                    if state.checked_in.contains(&resident_id) {
                        return Err(ActivityError::AlreadyCheckedIn);
                    }
                }
                ActivityEvent::ParticipantCheckedIn {
                    activity_id,
                    attendee,
                    at: now,
                }
            }
            ActivityCommand::CloseActivity {
                attendance,
                report,
                now,
            } => {
                let (activity_id, details) = open(state)?;
                let ends_at = details.window.ends_at();
                if now < ends_at {
                    return Err(ActivityError::NotEnded { ends_at });
                }
                let checked_in = state.attendance();
                match attendance {
                    Some(counted) if counted != checked_in => {
                        return Err(ActivityError::AttendanceMismatch {
                            counted,
                            checked_in,
                        })
                    }
                    _ => {}
                }
                ActivityEvent::ActivityClosed {
                    activity_id,
                    category: details.category,
                    attendance: checked_in,
                    registered: state.registered_count(),
                    registered_attended: state.registered_attended(),
                    walk_ins: state.walk_ins,
                    report,
                    closed_at: now,
                }
            }
            ActivityCommand::CancelActivity { reason } => {
                let (activity_id, details) = open(state)?;
                ActivityEvent::ActivityCancelled {
                    activity_id,
                    category: details.category,
                    reason,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: ActivityState, event: &ActivityEvent) -> ActivityState {
        match event {
            ActivityEvent::ActivityScheduled {
                activity_id,
                community,
                details,
                planned_item,
            } => {
                state.activity_id = Some(*activity_id);
                state.community.clone_from(community);
                state.details = Some(details.clone());
                state.planned_item = *planned_item;
                state.status = Some(ActivityStatus::Scheduled);
            }
            ActivityEvent::ParticipantRegistered { resident_id, .. } => {
                state.registered.insert(*resident_id);
            }
            ActivityEvent::RegistrationCancelled { resident_id, .. } => {
                state.registered.remove(resident_id);
            }
            ActivityEvent::ParticipantCheckedIn { attendee, .. } => match attendee {
                Attendee::Registered(resident_id) => {
                    state.checked_in.insert(*resident_id);
                }
                Attendee::WalkIn => state.walk_ins = state.walk_ins.saturating_add(1),
            },
            ActivityEvent::ActivityClosed { report, .. } => {
                state.status = Some(ActivityStatus::Closed);
                state.report = Some(report.clone());
            }
            ActivityEvent::ActivityCancelled { reason, .. } => {
                state.status = Some(ActivityStatus::Cancelled);
                state.cancel_reason = Some(reason.clone());
            }
        }
        state
    }
}

#[cfg(test)]
#[path = "activity_tests.rs"]
mod tests;
