//! The `Opportunity` aggregate: a need for volunteers (title, role, spots, time window,
//! optional team) and its assignments. Assignments live in the opportunity's stream so
//! the spot count is decided against every other assignment, never raced.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use civitas_kernel::Decider;

use super::values::{
    OpportunityId, Reason, RoleName, ServiceCategory, Spots, TeamId, TimeWindow, Title, VolunteerId,
};
use super::volunteer::{Ineligible, VolunteerFacts};

/// The opportunity decider.
pub struct Opportunity;

/// The team an opportunity names, as the shell found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamFacts {
    pub team_id: TeamId,
    pub exists: bool,
    pub community: String,
}

/// What can be asked of an opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpportunityCommand {
    Publish {
        /// From the caller's token scope.
        community: String,
        needs: Needs,
        team: Option<TeamFacts>,
    },
    /// Assigns a volunteer (by staff, or as a self sign-up) while spots remain.
    Assign {
        volunteer: VolunteerFacts,
        self_sign_up: bool,
        now: DateTime<Utc>,
    },
    CancelAssignment {
        volunteer_id: VolunteerId,
        reason: Option<Reason>,
    },
    CheckIn {
        volunteer_id: VolunteerId,
        at: DateTime<Utc>,
    },
    CheckOut {
        volunteer_id: VolunteerId,
        at: DateTime<Utc>,
    },
}

/// What happened to an opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpportunityEvent {
    Published {
        community: String,
        needs: Needs,
        team: Option<TeamId>,
    },
    Assigned {
        opportunity_id: OpportunityId,
        volunteer_id: VolunteerId,
        self_sign_up: bool,
        /// Active assignments after this one.
        assigned_count: u32,
    },
    AssignmentCancelled {
        opportunity_id: OpportunityId,
        volunteer_id: VolunteerId,
        reason: Option<Reason>,
    },
    CheckedIn {
        opportunity_id: OpportunityId,
        volunteer_id: VolunteerId,
        at: DateTime<Utc>,
    },
    CheckedOut {
        opportunity_id: OpportunityId,
        volunteer_id: VolunteerId,
        at: DateTime<Utc>,
        minutes_on_site: u32,
    },
}

impl OpportunityEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            OpportunityEvent::Published { .. } => "OpportunityPublished",
            OpportunityEvent::Assigned { .. } => "VolunteerAssigned",
            OpportunityEvent::AssignmentCancelled { .. } => "AssignmentCancelled",
            OpportunityEvent::CheckedIn { .. } => "VolunteerCheckedIn",
            OpportunityEvent::CheckedOut { .. } => "VolunteerCheckedOut",
        }
    }
}

/// One volunteer's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub self_sign_up: bool,
    pub cancelled: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
}

/// The needs an opportunity was published with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    pub opportunity_id: OpportunityId,
    pub title: Title,
    pub role: RoleName,
    pub category: ServiceCategory,
    pub spots: Spots,
    pub window: TimeWindow,
}

/// An opportunity as its events leave it; `Default` is one never published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpportunityState {
    pub needs: Option<Needs>,
    pub community: String,
    /// The team it was published for, if any.
    pub team: Option<TeamId>,
    /// Every volunteer ever assigned; a cancelled one may be assigned again.
    pub assignments: BTreeMap<VolunteerId, Assignment>,
}

impl OpportunityState {
    /// Assignments not cancelled: what takes up spots.
    pub fn spots_taken(&self) -> u32 {
        let active = self.assignments.values().filter(|a| !a.cancelled).count();
        u32::try_from(active).unwrap_or(u32::MAX)
    }
}

/// A refused opportunity command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpportunityError {
    #[error("opportunity is already published")]
    AlreadyPublished,
    #[error("opportunity is not published")]
    NotPublished,
    #[error("team not found")]
    TeamNotFound,
    #[error("team belongs to another community")]
    TeamInOtherCommunity,
    #[error(transparent)]
    Volunteer(#[from] Ineligible),
    #[error("volunteer is already assigned")]
    AlreadyAssigned,
    #[error("no spots left")]
    NoSpotsLeft,
    #[error("opportunity has ended")]
    Ended,
    #[error("volunteer is not assigned")]
    NotAssigned,
    #[error("volunteer has already checked in")]
    AlreadyCheckedIn,
    #[error("volunteer has not checked in")]
    NotCheckedIn,
    #[error("volunteer has already checked out")]
    AlreadyCheckedOut,
    #[error("check-out must be after check-in")]
    CheckOutBeforeCheckIn,
}

impl OpportunityError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        use OpportunityError::*;
        match self {
            TeamNotFound | TeamInOtherCommunity => Some("team_id"),
            Volunteer(_) | AlreadyAssigned | NotAssigned | AlreadyCheckedIn | NotCheckedIn
            | AlreadyCheckedOut => Some("volunteer_id"),
            CheckOutBeforeCheckIn => Some("at"),
            AlreadyPublished | NotPublished | NoSpotsLeft | Ended => None,
        }
    }
}

/// A live (not cancelled) assignment of `volunteer_id`.
fn assignment(
    state: &OpportunityState,
    volunteer_id: VolunteerId,
) -> Result<&Assignment, OpportunityError> {
    match state.assignments.get(&volunteer_id) {
        Some(a) if !a.cancelled => Ok(a),
        _ => Err(OpportunityError::NotAssigned),
    }
}

fn published(state: &OpportunityState) -> Result<&Needs, OpportunityError> {
    state.needs.as_ref().ok_or(OpportunityError::NotPublished)
}

impl Decider for Opportunity {
    type State = OpportunityState;
    type Command = OpportunityCommand;
    type Event = OpportunityEvent;
    type Error = OpportunityError;

    fn decide(
        state: &OpportunityState,
        command: OpportunityCommand,
    ) -> Result<Vec<OpportunityEvent>, OpportunityError> {
        use OpportunityCommand as C;
        use OpportunityError as E;
        use OpportunityEvent as Ev;
        let event = match command {
            C::Publish {
                community,
                needs,
                team,
            } => {
                if state.needs.is_some() {
                    return Err(E::AlreadyPublished);
                }
                match &team {
                    Some(t) if !t.exists => return Err(E::TeamNotFound),
                    Some(t) if t.community != community => return Err(E::TeamInOtherCommunity),
                    _ => {}
                }
                Ev::Published {
                    community,
                    needs,
                    team: team.map(|t| t.team_id),
                }
            }
            C::Assign {
                volunteer,
                self_sign_up,
                now,
            } => {
                let needs = published(state)?;
                if now >= needs.window.ends_at() {
                    return Err(E::Ended);
                }
                volunteer.eligible_in(&state.community)?;
                if assignment(state, volunteer.volunteer_id).is_ok() {
                    return Err(E::AlreadyAssigned);
                }
                if state.spots_taken() >= needs.spots.get() {
                    return Err(E::NoSpotsLeft);
                }
                Ev::Assigned {
                    opportunity_id: needs.opportunity_id,
                    volunteer_id: volunteer.volunteer_id,
                    self_sign_up,
                    assigned_count: state.spots_taken() + 1,
                }
            }
            C::CancelAssignment {
                volunteer_id,
                reason,
            } => {
                let needs = published(state)?;
                if assignment(state, volunteer_id)?.checked_in_at.is_some() {
                    return Err(E::AlreadyCheckedIn);
                }
                Ev::AssignmentCancelled {
                    opportunity_id: needs.opportunity_id,
                    volunteer_id,
                    reason,
                }
            }
            C::CheckIn { volunteer_id, at } => {
                let needs = published(state)?;
                if assignment(state, volunteer_id)?.checked_in_at.is_some() {
                    return Err(E::AlreadyCheckedIn);
                }
                Ev::CheckedIn {
                    opportunity_id: needs.opportunity_id,
                    volunteer_id,
                    at,
                }
            }
            C::CheckOut { volunteer_id, at } => {
                let needs = published(state)?;
                let a = assignment(state, volunteer_id)?;
                let checked_in_at = a.checked_in_at.ok_or(E::NotCheckedIn)?;
                if a.checked_out_at.is_some() {
                    return Err(E::AlreadyCheckedOut);
                }
                if at <= checked_in_at {
                    return Err(E::CheckOutBeforeCheckIn);
                }
                let minutes = (at - checked_in_at).num_minutes();
                Ev::CheckedOut {
                    opportunity_id: needs.opportunity_id,
                    volunteer_id,
                    at,
                    minutes_on_site: u32::try_from(minutes).unwrap_or(u32::MAX),
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: OpportunityState, event: &OpportunityEvent) -> OpportunityState {
        use OpportunityEvent as Ev;
        match event {
            Ev::Published {
                community,
                needs,
                team,
            } => {
                state.community = community.clone();
                state.needs = Some(needs.clone());
                state.team = *team;
            }
            Ev::Assigned {
                volunteer_id,
                self_sign_up,
                ..
            } => {
                state.assignments.insert(
                    *volunteer_id,
                    Assignment {
                        self_sign_up: *self_sign_up,
                        cancelled: false,
                        checked_in_at: None,
                        checked_out_at: None,
                    },
                );
            }
            Ev::AssignmentCancelled { volunteer_id, .. } => {
                update(&mut state, volunteer_id, |a| a.cancelled = true)
            }
            Ev::CheckedIn {
                volunteer_id, at, ..
            } => update(&mut state, volunteer_id, |a| a.checked_in_at = Some(*at)),
            Ev::CheckedOut {
                volunteer_id, at, ..
            } => update(&mut state, volunteer_id, |a| a.checked_out_at = Some(*at)),
        }
        state
    }
}

/// Changes the assignment of `volunteer_id`, if there is one.
fn update(
    state: &mut OpportunityState,
    volunteer_id: &VolunteerId,
    change: impl FnOnce(&mut Assignment),
) {
    if let Some(a) = state.assignments.get_mut(volunteer_id) {
        change(a);
    }
}
