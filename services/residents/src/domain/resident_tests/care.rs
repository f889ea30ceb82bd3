//! Care registers: assignment once, age rules by birth year, revocation with a reason.

use super::*;

#[test]
fn categories_are_assigned_once() {
    given::<Resident>([registered()])
        .when(assign(LivingAlone))
        .then([assigned(LivingAlone)]);
    given::<Resident>([registered(), assigned(LivingAlone)])
        .when(assign(LivingAlone))
        .then_error(ResidentError::CategoryAlreadyAssigned);
    given::<Resident>([registered(), assigned(LivingAlone)])
        .when(assign(EmptyNest))
        .then([assigned(EmptyNest)]);
}

#[test]
fn age_neutral_categories_apply_at_any_age() {
    for category in [
        LivingAlone,
        EmptyNest,
        Disabled,
        EntitledFamily,
        HouseholdInDifficulty,
    ] {
        for birth_year in [1930, 1985, 2020] {
            given::<Resident>([registered_as(Permanent, birth_year)])
                .when(assign(category))
                .then([assigned(category)]);
        }
    }
}

#[test]
fn minor_only_up_to_18_by_birth_year() {
    given::<Resident>([registered_as(Permanent, 2006)])
        .when(assign(Minor))
        .then([assigned(Minor)]);
    given::<Resident>([registered_as(Permanent, 2024)])
        .when(assign(Minor))
        .then([assigned(Minor)]);
    given::<Resident>([registered_as(Permanent, 2005)])
        .when(assign(Minor))
        .then_error(ResidentError::CategoryNotApplicable);
}

#[test]
fn over_80_only_from_80_by_birth_year() {
    let over_80 = Over80WithoutPension;
    given::<Resident>([registered_as(Permanent, 1944)])
        .when(assign(over_80))
        .then([assigned(over_80)]);
    given::<Resident>([registered_as(Permanent, 1945)])
        .when(assign(over_80))
        .then_error(ResidentError::CategoryNotApplicable);
}

#[test]
fn revoking_records_the_reason_code() {
    given::<Resident>([registered(), assigned(Disabled)])
        .when(revoke(Disabled))
        .then([revoked(Disabled)]);
}

#[test]
fn revoking_needs_an_assigned_category() {
    given::<Resident>([registered()])
        .when(revoke(Disabled))
        .then_error(ResidentError::CategoryNotAssigned);
}

#[test]
fn a_revoked_category_can_be_assigned_again() {
    let history = [registered(), assigned(Disabled), revoked(Disabled)];
    given::<Resident>(history)
        .when(assign(Disabled))
        .then([assigned(Disabled)]);
}
