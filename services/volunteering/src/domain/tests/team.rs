use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;

use super::*;
use crate::domain::team::{Team, TeamCommand, TeamError, TeamEvent, TeamProfile};
use crate::domain::values::{Purpose, ServiceCategory, TeamName};

fn profile() -> TeamProfile {
    TeamProfile {
        name: TeamName::parse("name", "空巢老人关爱队").unwrap(),
        purpose: Purpose::parse("purpose", "weekly visits").unwrap(),
        category: ServiceCategory::EmptyNestCare,
    }
}

fn form() -> TeamCommand {
    TeamCommand::Form {
        team_id: team_id(),
        community: COMMUNITY.into(),
        profile: profile(),
    }
}

fn formed() -> TeamEvent {
    TeamEvent::Formed {
        team_id: team_id(),
        community: COMMUNITY.into(),
        profile: profile(),
    }
}

fn added(id: VolunteerId) -> TeamEvent {
    TeamEvent::MemberAdded {
        team_id: team_id(),
        volunteer_id: id,
    }
}

fn add(f: VolunteerFacts) -> TeamCommand {
    TeamCommand::AddMember { volunteer: f }
}

#[test]
fn forms_a_team_once() {
    given::<Team>([]).when(form()).then([formed()]);
    given::<Team>([formed()])
        .when(form())
        .then_error(TeamError::AlreadyFormed);
}

#[test]
fn adds_an_active_volunteer_of_the_community() {
    given::<Team>([formed()])
        .when(add(facts(me())))
        .then([added(me())]);
}

#[test]
fn refuses_members_that_cannot_join() {
    given::<Team>([])
        .when(add(facts(me())))
        .then_error(TeamError::NotFormed);
    given::<Team>([formed()])
        .when(add(VolunteerFacts {
            exists: false,
            ..facts(me())
        }))
        .then_error(TeamError::Volunteer(Ineligible::NotFound));
    given::<Team>([formed()])
        .when(add(VolunteerFacts {
            community: "heping".into(),
            ..facts(me())
        }))
        .then_error(TeamError::Volunteer(Ineligible::OtherCommunity));
    given::<Team>([formed()])
        .when(add(VolunteerFacts {
            active: false,
            ..facts(me())
        }))
        .then_error(TeamError::Volunteer(Ineligible::Inactive));
    given::<Team>([formed(), added(me())])
        .when(add(facts(me())))
        .then_error(TeamError::AlreadyMember);
}

#[test]
fn removes_a_member_who_may_then_rejoin() {
    let removed = TeamEvent::MemberRemoved {
        team_id: team_id(),
        volunteer_id: me(),
        reason: Some(reason("moved away")),
    };
    given::<Team>([formed(), added(me())])
        .when(TeamCommand::RemoveMember {
            volunteer_id: me(),
            reason: Some(reason("moved away")),
        })
        .then([removed.clone()]);
    given::<Team>([formed(), added(me()), removed.clone()])
        .when(TeamCommand::RemoveMember {
            volunteer_id: me(),
            reason: None,
        })
        .then_error(TeamError::NotMember);
    given::<Team>([])
        .when(TeamCommand::RemoveMember {
            volunteer_id: me(),
            reason: None,
        })
        .then_error(TeamError::NotFormed);
    given::<Team>([formed(), added(me()), removed])
        .when(add(facts(me())))
        .then([added(me())]);
}

#[test]
fn state_and_names() {
    let state = Team::fold(&[formed(), added(me()), added(volunteer(2))]);
    assert_eq!(state.team_id, Some(team_id()));
    assert_eq!(state.community, COMMUNITY);
    assert_eq!(state.profile, Some(profile()));
    assert_eq!(state.members.len(), 2);
    assert_eq!(formed().event_type(), "TeamFormed");
    assert_eq!(added(me()).event_type(), "TeamMemberAdded");
    assert_eq!(TeamError::AlreadyMember.field(), Some("volunteer_id"));
    assert_eq!(TeamError::NotFormed.field(), None);
}
