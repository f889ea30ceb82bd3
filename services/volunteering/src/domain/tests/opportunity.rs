use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;

use super::*;
use crate::domain::opportunity::{
    Needs, Opportunity, OpportunityCommand, OpportunityError, OpportunityEvent, TeamFacts,
};
use crate::domain::values::{RoleName, ServiceCategory, Spots, TimeWindow, Title};

use OpportunityError as E;

fn window() -> TimeWindow {
    TimeWindow::parse(
        "ends_at",
        at("2026-05-16T01:00:00Z"),
        at("2026-05-16T05:00:00Z"),
    )
    .unwrap()
}

fn before_start() -> DateTime<Utc> {
    at("2026-05-10T00:00:00Z")
}

fn needs(spots: u32) -> Needs {
    Needs {
        opportunity_id: opportunity_id(),
        title: Title::parse("title", "weekend maths tutoring").unwrap(),
        role: RoleName::parse("role", "tutor").unwrap(),
        category: ServiceCategory::Tutoring,
        spots: Spots::parse("spots", spots).unwrap(),
        window: window(),
    }
}

fn publish(spots: u32, team: Option<TeamFacts>) -> OpportunityCommand {
    OpportunityCommand::Publish {
        community: COMMUNITY.into(),
        needs: needs(spots),
        team,
    }
}

fn published(spots: u32) -> OpportunityEvent {
    OpportunityEvent::Published {
        community: COMMUNITY.into(),
        needs: needs(spots),
        team: None,
    }
}

fn assign(f: VolunteerFacts) -> OpportunityCommand {
    OpportunityCommand::Assign {
        volunteer: f,
        self_sign_up: false,
        now: before_start(),
    }
}

fn assigned(id: VolunteerId, count: u32) -> OpportunityEvent {
    OpportunityEvent::Assigned {
        opportunity_id: opportunity_id(),
        volunteer_id: id,
        self_sign_up: false,
        assigned_count: count,
    }
}

fn cancelled(id: VolunteerId) -> OpportunityEvent {
    OpportunityEvent::AssignmentCancelled {
        opportunity_id: opportunity_id(),
        volunteer_id: id,
        reason: None,
    }
}

fn checked_in(id: VolunteerId) -> OpportunityEvent {
    OpportunityEvent::CheckedIn {
        opportunity_id: opportunity_id(),
        volunteer_id: id,
        at: at("2026-05-16T01:05:00Z"),
    }
}

fn check_out(id: VolunteerId, when: &str) -> OpportunityCommand {
    OpportunityCommand::CheckOut {
        volunteer_id: id,
        at: at(when),
    }
}

mod publish {
    use super::*;

    #[test]
    fn publishes_needs_once() {
        given::<Opportunity>([])
            .when(publish(2, None))
            .then([published(2)]);
        given::<Opportunity>([published(2)])
            .when(publish(2, None))
            .then_error(E::AlreadyPublished);
    }

    #[test]
    fn with_a_team_of_the_community() {
        let team = |exists, community: &str| {
            Some(TeamFacts {
                team_id: team_id(),
                exists,
                community: community.into(),
            })
        };
        let events = given::<Opportunity>([])
            .when(publish(1, team(true, COMMUNITY)))
            .result()
            .unwrap();
        assert!(matches!(
            events.as_slice(),
            [OpportunityEvent::Published { team: Some(t), .. }] if *t == team_id()
        ));
        given::<Opportunity>([])
            .when(publish(1, team(false, "")))
            .then_error(E::TeamNotFound);
        given::<Opportunity>([])
            .when(publish(1, team(true, "heping")))
            .then_error(E::TeamInOtherCommunity);
    }
}

mod assign {
    use super::*;

    #[test]
    fn assigns_by_staff_or_self_sign_up_within_spots() {
        given::<Opportunity>([published(2)])
            .when(assign(facts(me())))
            .then([assigned(me(), 1)]);
        given::<Opportunity>([published(2), assigned(me(), 1)])
            .when(OpportunityCommand::Assign {
                volunteer: facts(volunteer(2)),
                self_sign_up: true,
                now: before_start(),
            })
            .then([OpportunityEvent::Assigned {
                opportunity_id: opportunity_id(),
                volunteer_id: volunteer(2),
                self_sign_up: true,
                assigned_count: 2,
            }]);
    }

    #[test]
    fn refuses_when_full_or_twice() {
        given::<Opportunity>([published(1), assigned(me(), 1)])
            .when(assign(facts(volunteer(2))))
            .then_error(E::NoSpotsLeft);
        given::<Opportunity>([published(2), assigned(me(), 1)])
            .when(assign(facts(me())))
            .then_error(E::AlreadyAssigned);
    }

    #[test]
    fn a_cancellation_frees_the_spot() {
        given::<Opportunity>([published(1), assigned(me(), 1), cancelled(me())])
            .when(assign(facts(volunteer(2))))
            .then([assigned(volunteer(2), 1)]);
        given::<Opportunity>([published(1), assigned(me(), 1), cancelled(me())])
            .when(assign(facts(me())))
            .then([assigned(me(), 1)]);
    }

    #[test]
    fn refuses_volunteers_who_cannot_serve() {
        let g = || given::<Opportunity>([published(2)]);
        g().when(assign(VolunteerFacts {
            exists: false,
            ..facts(me())
        }))
        .then_error(E::Volunteer(Ineligible::NotFound));
        g().when(assign(VolunteerFacts {
            community: "heping".into(),
            ..facts(me())
        }))
        .then_error(E::Volunteer(Ineligible::OtherCommunity));
        g().when(assign(VolunteerFacts {
            active: false,
            ..facts(me())
        }))
        .then_error(E::Volunteer(Ineligible::Inactive));
    }

    #[test]
    fn refuses_unpublished_or_ended() {
        given::<Opportunity>([])
            .when(assign(facts(me())))
            .then_error(E::NotPublished);
        given::<Opportunity>([published(2)])
            .when(OpportunityCommand::Assign {
                volunteer: facts(me()),
                self_sign_up: true,
                now: window().ends_at(),
            })
            .then_error(E::Ended);
    }
}

mod attendance {
    use super::*;

    #[test]
    fn cancels_an_assignment_before_check_in() {
        given::<Opportunity>([published(2), assigned(me(), 1)])
            .when(OpportunityCommand::CancelAssignment {
                volunteer_id: me(),
                reason: None,
            })
            .then([cancelled(me())]);
        given::<Opportunity>([published(2), assigned(me(), 1), checked_in(me())])
            .when(OpportunityCommand::CancelAssignment {
                volunteer_id: me(),
                reason: Some(reason("ill")),
            })
            .then_error(E::AlreadyCheckedIn);
        given::<Opportunity>([published(2), assigned(me(), 1), cancelled(me())])
            .when(OpportunityCommand::CancelAssignment {
                volunteer_id: me(),
                reason: None,
            })
            .then_error(E::NotAssigned);
        given::<Opportunity>([])
            .when(OpportunityCommand::CancelAssignment {
                volunteer_id: me(),
                reason: None,
            })
            .then_error(E::NotPublished);
    }

    #[test]
    fn checks_in_once_and_only_when_assigned() {
        let check_in = || OpportunityCommand::CheckIn {
            volunteer_id: me(),
            at: at("2026-05-16T01:05:00Z"),
        };
        given::<Opportunity>([published(2), assigned(me(), 1)])
            .when(check_in())
            .then([checked_in(me())]);
        given::<Opportunity>([published(2), assigned(me(), 1), checked_in(me())])
            .when(check_in())
            .then_error(E::AlreadyCheckedIn);
        given::<Opportunity>([published(2)])
            .when(check_in())
            .then_error(E::NotAssigned);
        given::<Opportunity>([published(2), assigned(me(), 1), cancelled(me())])
            .when(check_in())
            .then_error(E::NotAssigned);
        given::<Opportunity>([])
            .when(check_in())
            .then_error(E::NotPublished);
    }

    #[test]
    fn checks_out_after_check_in_with_minutes_on_site() {
        let base = [published(2), assigned(me(), 1), checked_in(me())];
        given::<Opportunity>(base.clone())
            .when(check_out(me(), "2026-05-16T03:35:30Z"))
            .then([OpportunityEvent::CheckedOut {
                opportunity_id: opportunity_id(),
                volunteer_id: me(),
                at: at("2026-05-16T03:35:30Z"),
                minutes_on_site: 150,
            }]);
        given::<Opportunity>(base.clone())
            .when(check_out(me(), "2026-05-16T01:05:00Z"))
            .then_error(E::CheckOutBeforeCheckIn);
        given::<Opportunity>(base.clone())
            .when(check_out(me(), "2026-05-16T00:00:00Z"))
            .then_error(E::CheckOutBeforeCheckIn);
        given::<Opportunity>([published(2), assigned(me(), 1)])
            .when(check_out(me(), "2026-05-16T03:00:00Z"))
            .then_error(E::NotCheckedIn);
        let mut done = base.to_vec();
        done.push(OpportunityEvent::CheckedOut {
            opportunity_id: opportunity_id(),
            volunteer_id: me(),
            at: at("2026-05-16T03:00:00Z"),
            minutes_on_site: 115,
        });
        given::<Opportunity>(done)
            .when(check_out(me(), "2026-05-16T04:00:00Z"))
            .then_error(E::AlreadyCheckedOut);
        given::<Opportunity>([published(2)])
            .when(check_out(me(), "2026-05-16T04:00:00Z"))
            .then_error(E::NotAssigned);
        given::<Opportunity>([])
            .when(check_out(me(), "2026-05-16T04:00:00Z"))
            .then_error(E::NotPublished);
    }
}

#[test]
fn state_counts_spots_taken_and_errors_name_fields() {
    let state = Opportunity::fold(&[
        published(3),
        assigned(me(), 1),
        assigned(volunteer(2), 2),
        cancelled(me()),
        checked_in(volunteer(2)),
    ]);
    assert_eq!(state.spots_taken(), 1);
    assert!(state.assignments[&volunteer(2)].checked_in_at.is_some());
    assert_eq!(state.needs, Some(needs(3)));
    assert_eq!(published(1).event_type(), "OpportunityPublished");
    assert_eq!(assigned(me(), 1).event_type(), "VolunteerAssigned");
    assert_eq!(cancelled(me()).event_type(), "AssignmentCancelled");
    assert_eq!(checked_in(me()).event_type(), "VolunteerCheckedIn");
    assert_eq!(E::TeamNotFound.field(), Some("team_id"));
    assert_eq!(E::CheckOutBeforeCheckIn.field(), Some("at"));
    assert_eq!(E::NoSpotsLeft.field(), None);
}
