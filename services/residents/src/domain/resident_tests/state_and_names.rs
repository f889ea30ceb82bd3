//! What the state keeps, event names and which field each refusal blames.

use super::*;

#[test]
fn state_follows_the_history() {
    let history = [
        ResidentEvent::Registered {
            resident_id: me(),
            household_id: home(),
            residence_type: Floating,
            sex: Sex::Male,
            birth_year: 2012,
            guardian: Some(parent()),
            personal: sealed(),
            arrival: None,
            arrived_on: None,
        },
        ResidentEvent::FloatingResidenceVerified {
            resident_id: me(),
            verified_on: today(),
            valid_until: date(2025, 1, 1),
        },
        assigned(Minor),
        assigned(HouseholdInDifficulty),
    ];
    let state = Resident::fold(&history);
    assert!(state.registered && state.is_active());
    assert_eq!(state.resident_id, Some(me()));
    assert_eq!(state.household_id, Some(home()));
    assert_eq!(state.residence_type, Some(Floating));
    assert_eq!(state.sex, Some(Sex::Male));
    assert_eq!(state.birth_year, Some(2012));
    assert_eq!(state.guardian, Some(parent()));
    assert_eq!(state.floating_valid_until, Some(date(2025, 1, 1)));
    assert_eq!(
        state.care_categories.iter().copied().collect::<Vec<_>>(),
        [HouseholdInDifficulty, Minor]
    );

    let permanent = ResidentEvent::ResidenceTypeChanged {
        resident_id: me(),
        from: Floating,
        to: Permanent,
    };
    let state = Resident::evolve(state, &permanent);
    assert_eq!(state.floating_valid_until, None);

    let state = Resident::evolve(state, &moved_out());
    assert!(state.moved_out && !state.is_active());
    let state = Resident::evolve(state, &erased());
    assert!(state.erased);
}

#[test]
fn event_types_and_ids() {
    let events = [
        registered(),
        moved_out(),
        ResidentEvent::ResidenceTypeChanged {
            resident_id: me(),
            from: Permanent,
            to: Floating,
        },
        ResidentEvent::FloatingResidenceVerified {
            resident_id: me(),
            verified_on: today(),
            valid_until: today(),
        },
        assigned(Minor),
        revoked(Minor),
        erased(),
    ];
    let types: Vec<&str> = events.iter().map(ResidentEvent::event_type).collect();
    assert_eq!(
        types,
        [
            "ResidentRegistered",
            "ResidentMovedOut",
            "ResidenceTypeChanged",
            "FloatingResidenceVerified",
            "CareCategoryAssigned",
            "CareCategoryRevoked",
            "ResidentErased"
        ]
    );
    assert!(events.iter().all(|e| e.resident_id() == me()));
}

#[test]
fn errors_name_the_field_to_blame() {
    use ResidentError::*;
    let expected = [
        (AlreadyRegistered, None),
        (NotRegistered, None),
        (HouseholdNotFound, Some("household_id")),
        (HouseholdInOtherCommunity, Some("household_id")),
        (GuardianRequired, Some("guardian_resident_id")),
        (GuardianNotFound, Some("guardian_resident_id")),
        (GuardianIsSelf, Some("guardian_resident_id")),
        (MovedOut, None),
        (Erased, None),
        (SameResidenceType, Some("residence_type")),
        (NotFloating, None),
        (ValidUntilNotAfterToday, Some("valid_until")),
        (CategoryAlreadyAssigned, Some("category")),
        (CategoryNotAssigned, Some("category")),
        (CategoryNotApplicable, Some("category")),
    ];
    for (error, field) in expected {
        assert_eq!(error.field(), field, "{error:?}");
        let message = error.to_string();
        assert!(
            message.starts_with(|c: char| c.is_lowercase()) && !message.ends_with('.'),
            "{message}"
        );
    }
}
