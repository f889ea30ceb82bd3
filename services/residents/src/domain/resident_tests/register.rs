//! Registration: who may be registered, into which household, with which guardian.

use super::*;

#[test]
fn an_adult_without_guardian() {
    given::<Resident>([])
        .when(Registration::adult().command())
        .then([registered()]);
}

#[test]
fn a_floating_resident() {
    let mut registration = Registration::adult();
    registration.residence_type = Floating;
    given::<Resident>([])
        .when(registration.command())
        .then([registered_as(Floating, 1985)]);
}

#[test]
fn events_carry_the_birth_year_not_the_date() {
    let events = given::<Resident>([])
        .when(Registration::adult().command())
        .result()
        .unwrap();
    let printed = format!("{events:?}");
    assert!(printed.contains("birth_year: 1985"), "{printed}");
    assert!(
        !printed.contains("06-15") && !printed.contains("0615"),
        "{printed}"
    );
}

#[test]
fn a_child_with_a_guardian() {
    let command = Registration::child(date(2015, 1, 1))
        .guardian(parent(), true, true)
        .command();
    let ResidentEvent::Registered {
        guardian,
        birth_year,
        ..
    } = &given::<Resident>([]).when(command).result().unwrap()[0]
    else {
        panic!("expected a registration");
    };
    assert_eq!((*guardian, *birth_year), (Some(parent()), 2015));
}

#[test]
fn an_adult_may_name_a_guardian() {
    let command = Registration::adult()
        .guardian(parent(), true, true)
        .command();
    let events = given::<Resident>([]).when(command).result().unwrap();
    assert!(
        matches!(events[0], ResidentEvent::Registered { guardian: Some(g), .. } if g == parent())
    );
}

#[test]
fn a_child_under_14_needs_a_guardian() {
    // 14 tomorrow
    given::<Resident>([])
        .when(Registration::child(date(2010, 6, 2)).command())
        .then_error(ResidentError::GuardianRequired);
    given::<Resident>([])
        .when(Registration::child(today()).command())
        .then_error(ResidentError::GuardianRequired);
}

#[test]
fn from_the_14th_birthday_no_guardian_is_needed() {
    let events = given::<Resident>([])
        .when(Registration::child(date(2010, 6, 1)).command())
        .result();
    assert!(events.is_ok(), "{events:?}");
}

#[test]
fn a_guardian_must_exist_and_live_here() {
    let child = || Registration::child(date(2015, 1, 1));
    given::<Resident>([])
        .when(child().guardian(parent(), false, false).command())
        .then_error(ResidentError::GuardianNotFound);
    given::<Resident>([])
        .when(child().guardian(parent(), true, false).command())
        .then_error(ResidentError::GuardianNotFound);
}

#[test]
fn nobody_is_their_own_guardian() {
    given::<Resident>([])
        .when(Registration::adult().guardian(me(), true, true).command())
        .then_error(ResidentError::GuardianIsSelf);
}

#[test]
fn the_household_must_exist() {
    let mut registration = Registration::adult();
    registration.household.exists = false;
    given::<Resident>([])
        .when(registration.command())
        .then_error(ResidentError::HouseholdNotFound);
}

#[test]
fn the_household_must_be_in_the_callers_community() {
    let mut registration = Registration::adult();
    registration.community = "gongshu-daguan";
    given::<Resident>([])
        .when(registration.command())
        .then_error(ResidentError::HouseholdInOtherCommunity);
}

#[test]
fn only_once() {
    given::<Resident>([registered()])
        .when(Registration::adult().command())
        .then_error(ResidentError::AlreadyRegistered);
    given::<Resident>([registered(), moved_out()])
        .when(Registration::adult().command())
        .then_error(ResidentError::AlreadyRegistered);
}

#[test]
fn never_after_erasure() {
    given::<Resident>([registered(), erased()])
        .when(Registration::adult().command())
        .then_error(ResidentError::Erased);
}
