//! Moving out, residence type changes, floating residence verification and erasure.

use super::*;

#[test]
fn moving_out_records_the_reason_code_and_the_sealed_note() {
    given::<Resident>([registered()])
        .when(move_out())
        .then([moved_out()]);
}

#[test]
fn a_move_out_recorded_before_reason_codes_still_counts() {
    let legacy = ResidentEvent::MovedOut {
        resident_id: me(),
        household_id: home(),
        reason: None,
        note: Some(RecordedNote::Legacy("搬往外地".into())),
    };
    given::<Resident>([registered(), legacy])
        .when(move_out())
        .then_error(ResidentError::MovedOut);
}

#[test]
fn residence_type_changes_both_ways() {
    let to_floating = ResidentEvent::ResidenceTypeChanged {
        resident_id: me(),
        from: Permanent,
        to: Floating,
    };
    given::<Resident>([registered()])
        .when(ResidentCommand::ChangeResidenceType { to: Floating })
        .then([to_floating.clone()]);
    given::<Resident>([registered(), to_floating])
        .when(ResidentCommand::ChangeResidenceType { to: Permanent })
        .then([ResidentEvent::ResidenceTypeChanged {
            resident_id: me(),
            from: Floating,
            to: Permanent,
        }]);
}

#[test]
fn residence_type_must_change() {
    given::<Resident>([registered()])
        .when(ResidentCommand::ChangeResidenceType { to: Permanent })
        .then_error(ResidentError::SameResidenceType);
}

#[test]
fn a_floating_residence_is_verified_until_a_later_day() {
    given::<Resident>([registered_as(Floating, 1985)])
        .when(verify(date(2024, 6, 2)))
        .then([ResidentEvent::FloatingResidenceVerified {
            resident_id: me(),
            verified_on: today(),
            valid_until: date(2024, 6, 2),
        }]);
}

#[test]
fn valid_until_must_be_after_today() {
    let floating = registered_as(Floating, 1985);
    given::<Resident>([floating.clone()])
        .when(verify(today()))
        .then_error(ResidentError::ValidUntilNotAfterToday);
    given::<Resident>([floating])
        .when(verify(date(2024, 5, 1)))
        .then_error(ResidentError::ValidUntilNotAfterToday);
}

#[test]
fn only_floating_residents_are_verified() {
    given::<Resident>([registered()])
        .when(verify(date(2025, 1, 1)))
        .then_error(ResidentError::NotFloating);
    let back_to_permanent = [
        registered_as(Floating, 1985),
        ResidentEvent::ResidenceTypeChanged {
            resident_id: me(),
            from: Floating,
            to: Permanent,
        },
    ];
    given::<Resident>(back_to_permanent)
        .when(verify(date(2025, 1, 1)))
        .then_error(ResidentError::NotFloating);
}

#[test]
fn erasure_is_allowed_registered_or_moved_out() {
    given::<Resident>([registered()])
        .when(ResidentCommand::Erase)
        .then([erased()]);
    given::<Resident>([registered(), moved_out()])
        .when(ResidentCommand::Erase)
        .then([erased()]);
}

#[test]
fn nothing_but_erasure_after_moving_out() {
    for command in commands_after_registration() {
        let erase = matches!(command, ResidentCommand::Erase);
        let result = given::<Resident>([registered(), moved_out()])
            .when(command)
            .result();
        if erase {
            assert_eq!(result, Ok(vec![erased()]));
        } else {
            assert_eq!(result, Err(ResidentError::MovedOut));
        }
    }
}

#[test]
fn nothing_at_all_after_erasure() {
    for command in commands_after_registration() {
        given::<Resident>([registered(), erased()])
            .when(command)
            .then_error(ResidentError::Erased);
    }
    given::<Resident>([registered(), moved_out(), erased()])
        .when(ResidentCommand::Erase)
        .then_error(ResidentError::Erased);
}

#[test]
fn nothing_before_registration() {
    for command in commands_after_registration() {
        given::<Resident>([])
            .when(command)
            .then_error(ResidentError::NotRegistered);
    }
}
