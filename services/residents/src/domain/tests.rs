//! Given/when/then tests of the `Resident` decider: every rule and every refusal.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;
use uuid::Uuid;

use super::resident::{
    GuardianFacts, HouseholdFacts, Resident, ResidentCommand, ResidentError, ResidentEvent,
};
use super::values::{BirthDate, CareCategory, HouseholdId, ResidenceType, ResidentId, Sealed, Sex};

use CareCategory::*;
use ResidenceType::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const COMMUNITY: &str = "xihu-wensan";

fn today() -> NaiveDate {
    date(2024, 6, 1)
}

fn me() -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(1))
}

fn parent() -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(2))
}

fn home() -> HouseholdId {
    HouseholdId::from_uuid(Uuid::from_u128(10))
}

fn sealed() -> Sealed {
    Sealed {
        key_id: "resident-key-1".into(),
        nonce: vec![0; 12],
        ciphertext: vec![9; 64],
    }
}

/// A registration with every fact in order; tests spoil one field at a time.
struct Registration {
    born: NaiveDate,
    residence_type: ResidenceType,
    household: HouseholdFacts,
    community: &'static str,
    guardian: Option<GuardianFacts>,
}

impl Registration {
    fn adult() -> Self {
        Self {
            born: date(1985, 6, 15),
            residence_type: Permanent,
            household: HouseholdFacts {
                exists: true,
                community: COMMUNITY.into(),
            },
            community: COMMUNITY,
            guardian: None,
        }
    }

    fn child(born: NaiveDate) -> Self {
        Self {
            born,
            ..Self::adult()
        }
    }

    fn guardian(mut self, resident_id: ResidentId, exists: bool, active: bool) -> Self {
        self.guardian = Some(GuardianFacts {
            resident_id,
            exists,
            active,
        });
        self
    }

    fn command(self) -> ResidentCommand {
        ResidentCommand::Register {
            resident_id: me(),
            household_id: home(),
            household: self.household,
            community: self.community.into(),
            residence_type: self.residence_type,
            sex: Sex::Female,
            birth_date: BirthDate::parse("birth_date", self.born, today()).unwrap(),
            today: today(),
            guardian: self.guardian,
            personal: sealed(),
        }
    }
}

fn registered_as(residence_type: ResidenceType, birth_year: i32) -> ResidentEvent {
    ResidentEvent::Registered {
        resident_id: me(),
        household_id: home(),
        residence_type,
        sex: Sex::Female,
        birth_year,
        guardian: None,
        personal: sealed(),
    }
}

fn registered() -> ResidentEvent {
    registered_as(Permanent, 1985)
}

fn moved_out() -> ResidentEvent {
    ResidentEvent::MovedOut {
        resident_id: me(),
        household_id: home(),
        reason: "moved to another city".into(),
    }
}

fn erased() -> ResidentEvent {
    ResidentEvent::Erased { resident_id: me() }
}

fn assigned(category: CareCategory) -> ResidentEvent {
    ResidentEvent::CareCategoryAssigned {
        resident_id: me(),
        category,
    }
}

fn assign(category: CareCategory) -> ResidentCommand {
    ResidentCommand::AssignCareCategory {
        category,
        today: today(),
    }
}

fn revoke(category: CareCategory, reason: &str) -> ResidentCommand {
    ResidentCommand::RevokeCareCategory {
        category,
        reason: reason.into(),
    }
}

fn verify(valid_until: NaiveDate) -> ResidentCommand {
    ResidentCommand::VerifyFloatingResidence {
        today: today(),
        valid_until,
    }
}

fn move_out(reason: &str) -> ResidentCommand {
    ResidentCommand::MoveOut {
        reason: reason.into(),
        today: today(),
    }
}

/// One of every command that acts on an existing resident.
fn commands_after_registration() -> Vec<ResidentCommand> {
    vec![
        move_out("left"),
        ResidentCommand::ChangeResidenceType { to: Floating },
        verify(date(2025, 6, 1)),
        assign(Disabled),
        revoke(Disabled, "recovered"),
        ResidentCommand::Erase,
    ]
}

mod register {
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
}

mod lifecycle {
    use super::*;

    #[test]
    fn moving_out_keeps_a_trimmed_reason() {
        given::<Resident>([registered()])
            .when(move_out("  moved to another city "))
            .then([moved_out()]);
    }

    #[test]
    fn moving_out_needs_a_reason() {
        given::<Resident>([registered()])
            .when(move_out(""))
            .then_error(ResidentError::EmptyReason);
        given::<Resident>([registered()])
            .when(move_out(" \t "))
            .then_error(ResidentError::EmptyReason);
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
}

mod care {
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
    fn revoking_keeps_a_trimmed_reason() {
        given::<Resident>([registered(), assigned(Disabled)])
            .when(revoke(Disabled, " recovered "))
            .then([ResidentEvent::CareCategoryRevoked {
                resident_id: me(),
                category: Disabled,
                reason: "recovered".into(),
            }]);
    }

    #[test]
    fn revoking_needs_an_assigned_category_and_a_reason() {
        given::<Resident>([registered()])
            .when(revoke(Disabled, "recovered"))
            .then_error(ResidentError::CategoryNotAssigned);
        given::<Resident>([registered(), assigned(Disabled)])
            .when(revoke(Disabled, "  "))
            .then_error(ResidentError::EmptyReason);
    }

    #[test]
    fn a_revoked_category_can_be_assigned_again() {
        let history = [
            registered(),
            assigned(Disabled),
            ResidentEvent::CareCategoryRevoked {
                resident_id: me(),
                category: Disabled,
                reason: "recovered".into(),
            },
        ];
        given::<Resident>(history)
            .when(assign(Disabled))
            .then([assigned(Disabled)]);
    }
}

mod state_and_names {
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
            ResidentEvent::CareCategoryRevoked {
                resident_id: me(),
                category: Minor,
                reason: "adult".into(),
            },
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
            (EmptyReason, Some("reason")),
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
}
