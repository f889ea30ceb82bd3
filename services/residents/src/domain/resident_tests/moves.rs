//! Arrivals (move-in, birth) and transfers between communities of the district.

use super::*;

const ELSEWHERE: &str = "xihu-lingyin";

fn new_home() -> HouseholdId {
    HouseholdId::from_uuid(Uuid::from_u128(11))
}

fn released() -> ResidentEvent {
    ResidentEvent::Released {
        resident_id: me(),
        household_id: home(),
        to_community: ELSEWHERE.into(),
    }
}

fn release() -> ResidentCommand {
    ResidentCommand::Release {
        to_community: ELSEWHERE.into(),
        own_community: COMMUNITY.into(),
    }
}

/// The receiving community accepts into `household`, moving on `moved_on`.
fn accept(household: HouseholdFacts, moved_on: NaiveDate) -> ResidentCommand {
    ResidentCommand::AcceptTransfer {
        community: ELSEWHERE.into(),
        from_community: COMMUNITY.into(),
        household_id: new_home(),
        household,
        moved_on,
        today: today(),
    }
}

fn receiving_household() -> HouseholdFacts {
    HouseholdFacts {
        exists: true,
        community: ELSEWHERE.into(),
    }
}

#[test]
fn a_move_in_is_recorded_with_its_day() {
    let registration = Registration {
        arrival: Arrival::MovedIn,
        arrived_on: Some(date(2024, 5, 20)),
        ..Registration::adult()
    };
    let events = Resident::decide(&Default::default(), registration.command()).unwrap();
    assert!(matches!(
        &events[..],
        [ResidentEvent::Registered { arrival: Some(Arrival::MovedIn), arrived_on: Some(d), .. }]
            if *d == date(2024, 5, 20)
    ));
}

#[test]
fn a_birth_is_on_the_birth_date_and_needs_a_guardian() {
    let born = date(2024, 5, 30);
    let birth = |arrived_on| Registration {
        arrival: Arrival::Born,
        arrived_on: Some(arrived_on),
        ..Registration::child(born)
    };
    let ok = birth(born).guardian(parent(), true, true).command();
    let events = Resident::decide(&Default::default(), ok).unwrap();
    assert!(
        matches!(
            &events[..],
            [ResidentEvent::Registered { arrival: Some(Arrival::Born), arrived_on: Some(d), .. }]
                if *d == date(2024, 5, 1)
        ),
        "a birth counts in its month, its day stays sealed: {events:?}"
    );
    given::<Resident>([])
        .when(birth(born).command())
        .then_error(ResidentError::GuardianRequired);
    given::<Resident>([])
        .when(
            birth(date(2024, 5, 31))
                .guardian(parent(), true, true)
                .command(),
        )
        .then_error(ResidentError::BirthNotOnArrivalDay);
}

#[test]
fn an_arrival_day_is_required_recent_and_only_for_arrivals() {
    let with = |arrival, arrived_on| {
        Registration {
            arrival,
            arrived_on,
            ..Registration::adult()
        }
        .command()
    };
    given::<Resident>([])
        .when(with(Arrival::MovedIn, None))
        .then_error(ResidentError::ArrivalDayRequired);
    given::<Resident>([])
        .when(with(Arrival::MovedIn, Some(date(2024, 6, 2))))
        .then_error(ResidentError::ArrivalDayOutOfRange);
    given::<Resident>([])
        .when(with(Arrival::MovedIn, Some(date(2023, 5, 31))))
        .then_error(ResidentError::ArrivalDayOutOfRange);
    given::<Resident>([])
        .when(with(Arrival::AlreadyLiving, Some(date(2024, 5, 1))))
        .then_error(ResidentError::ArrivalDayNotExpected);
    assert_eq!(
        ResidentError::ArrivalDayOutOfRange.field(),
        Some("arrived_on")
    );
}

#[test]
fn a_transfer_is_released_then_accepted_into_a_household_there() {
    given::<Resident>([registered()])
        .when(release())
        .then([released()]);
    given::<Resident>([registered(), released()])
        .when(accept(receiving_household(), date(2024, 5, 28)))
        .then([ResidentEvent::TransferredIn {
            resident_id: me(),
            from_community: COMMUNITY.into(),
            from_household_id: home(),
            household_id: new_home(),
            moved_on: date(2024, 5, 28),
        }]);
}

#[test]
fn after_a_transfer_the_resident_lives_in_the_new_household() {
    let moved = ResidentEvent::TransferredIn {
        resident_id: me(),
        from_community: COMMUNITY.into(),
        from_household_id: home(),
        household_id: new_home(),
        moved_on: today(),
    };
    let state = Resident::fold(&[registered(), assigned(Disabled), released(), moved]);
    assert_eq!(state.household_id, Some(new_home()));
    assert_eq!(state.released_to, None);
    assert!(state.is_active());
    assert!(
        state.care_categories.contains(&Disabled),
        "registers move along"
    );
}

#[test]
fn only_the_community_released_to_may_accept() {
    given::<Resident>([registered()])
        .when(accept(receiving_household(), today()))
        .then_error(ResidentError::NotReleasedHere);
    let third = ResidentCommand::AcceptTransfer {
        community: "xihu-beishan".into(),
        from_community: COMMUNITY.into(),
        household_id: new_home(),
        household: HouseholdFacts {
            exists: true,
            community: "xihu-beishan".into(),
        },
        moved_on: today(),
        today: today(),
    };
    given::<Resident>([registered(), released()])
        .when(third)
        .then_error(ResidentError::NotReleasedHere);
}

#[test]
fn the_household_and_day_of_an_accept_are_checked() {
    let missing = HouseholdFacts {
        exists: false,
        community: String::new(),
    };
    given::<Resident>([registered(), released()])
        .when(accept(missing, today()))
        .then_error(ResidentError::HouseholdNotFound);
    let theirs = HouseholdFacts {
        exists: true,
        community: COMMUNITY.into(),
    };
    given::<Resident>([registered(), released()])
        .when(accept(theirs, today()))
        .then_error(ResidentError::HouseholdInOtherCommunity);
    given::<Resident>([registered(), released()])
        .when(accept(receiving_household(), date(2024, 6, 2)))
        .then_error(ResidentError::MovedOnOutOfRange);
}

#[test]
fn a_release_is_to_another_community_once_and_can_be_withdrawn() {
    given::<Resident>([registered()])
        .when(ResidentCommand::Release {
            to_community: COMMUNITY.into(),
            own_community: COMMUNITY.into(),
        })
        .then_error(ResidentError::ReleaseToOwnCommunity);
    given::<Resident>([registered(), released()])
        .when(release())
        .then_error(ResidentError::ReleasePending);
    given::<Resident>([registered(), released()])
        .when(move_out())
        .then_error(ResidentError::ReleasePending);
    given::<Resident>([registered()])
        .when(ResidentCommand::WithdrawRelease)
        .then_error(ResidentError::NotReleased);
    let withdrawn = ResidentEvent::ReleaseWithdrawn {
        resident_id: me(),
        to_community: ELSEWHERE.into(),
    };
    given::<Resident>([registered(), released()])
        .when(ResidentCommand::WithdrawRelease)
        .then([withdrawn.clone()]);
    given::<Resident>([registered(), released(), withdrawn])
        .when(accept(receiving_household(), today()))
        .then_error(ResidentError::NotReleasedHere);
}

#[test]
fn a_moved_out_or_erased_resident_cannot_be_released() {
    given::<Resident>([registered(), moved_out()])
        .when(release())
        .then_error(ResidentError::MovedOut);
    given::<Resident>([registered(), erased()])
        .when(release())
        .then_error(ResidentError::Erased);
}
