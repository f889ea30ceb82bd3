//! The `Team` aggregate: a named volunteer team of one community (e.g. the empty-nest
//! elderly visiting team) and its members. Members are volunteers of the same
//! community, active when they join; the shell loads those facts and passes them in.

use std::collections::BTreeSet;

use civitas_kernel::Decider;

use super::values::{Purpose, Reason, ServiceCategory, TeamId, TeamName, VolunteerId};
use super::volunteer::{Ineligible, VolunteerFacts};

/// The team decider.
pub struct Team;

/// What a team is: its name, what it is for and the kind of service it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamProfile {
    pub name: TeamName,
    pub purpose: Purpose,
    pub category: ServiceCategory,
}

/// What can be asked of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    Form {
        team_id: TeamId,
        /// From the caller's token scope.
        community: String,
        profile: TeamProfile,
    },
    AddMember {
        volunteer: VolunteerFacts,
    },
    RemoveMember {
        volunteer_id: VolunteerId,
        reason: Option<Reason>,
    },
}

/// What happened to a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamEvent {
    Formed {
        team_id: TeamId,
        community: String,
        profile: TeamProfile,
    },
    MemberAdded {
        team_id: TeamId,
        volunteer_id: VolunteerId,
    },
    MemberRemoved {
        team_id: TeamId,
        volunteer_id: VolunteerId,
        reason: Option<Reason>,
    },
}

impl TeamEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            TeamEvent::Formed { .. } => "TeamFormed",
            TeamEvent::MemberAdded { .. } => "TeamMemberAdded",
            TeamEvent::MemberRemoved { .. } => "TeamMemberRemoved",
        }
    }
}

/// A team as its events leave it; `Default` is a team never formed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamState {
    pub team_id: Option<TeamId>,
    pub community: String,
    pub profile: Option<TeamProfile>,
    pub members: BTreeSet<VolunteerId>,
}

/// A refused team command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    #[error("team is already formed")]
    AlreadyFormed,
    #[error("team is not formed")]
    NotFormed,
    #[error(transparent)]
    Volunteer(#[from] Ineligible),
    #[error("volunteer is already a member")]
    AlreadyMember,
    #[error("volunteer is not a member")]
    NotMember,
}

impl TeamError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            TeamError::AlreadyFormed | TeamError::NotFormed => None,
            _ => Some("volunteer_id"),
        }
    }
}

impl Decider for Team {
    type State = TeamState;
    type Command = TeamCommand;
    type Event = TeamEvent;
    type Error = TeamError;

    fn decide(state: &TeamState, command: TeamCommand) -> Result<Vec<TeamEvent>, TeamError> {
        let event = match command {
            TeamCommand::Form {
                team_id,
                community,
                profile,
            } => {
                if state.team_id.is_some() {
                    return Err(TeamError::AlreadyFormed);
                }
                TeamEvent::Formed {
                    team_id,
                    community,
                    profile,
                }
            }
            TeamCommand::AddMember { volunteer } => {
                let team_id = state.team_id.ok_or(TeamError::NotFormed)?;
                volunteer.eligible_in(&state.community)?;
                if state.members.contains(&volunteer.volunteer_id) {
                    return Err(TeamError::AlreadyMember);
                }
                TeamEvent::MemberAdded {
                    team_id,
                    volunteer_id: volunteer.volunteer_id,
                }
            }
            TeamCommand::RemoveMember {
                volunteer_id,
                reason,
            } => {
                let team_id = state.team_id.ok_or(TeamError::NotFormed)?;
                if !state.members.contains(&volunteer_id) {
                    return Err(TeamError::NotMember);
                }
                TeamEvent::MemberRemoved {
                    team_id,
                    volunteer_id,
                    reason,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: TeamState, event: &TeamEvent) -> TeamState {
        match event {
            TeamEvent::Formed {
                team_id,
                community,
                profile,
            } => {
                state.team_id = Some(*team_id);
                state.community = community.clone();
                state.profile = Some(profile.clone());
            }
            TeamEvent::MemberAdded { volunteer_id, .. } => {
                state.members.insert(*volunteer_id);
            }
            TeamEvent::MemberRemoved { volunteer_id, .. } => {
                state.members.remove(volunteer_id);
            }
        }
        state
    }
}
