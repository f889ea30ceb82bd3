//! Service records: submission and the daily limit, approval, stars, corrections.

use super::*;

mod hours {
    use super::*;

    #[test]
    fn submits_minutes_served_on_a_past_or_current_day() {
        given::<Volunteer>([registered()])
            .when(submit(1, today(), 90))
            .then([submitted(1, today(), 90)]);
        let opportunity = Some(opportunity_id());
        given::<Volunteer>([registered()])
            .when(C::SubmitHours {
                record_id: record(1),
                service_date: date(2026, 5, 9),
                minutes: Minutes::served("minutes", 120).unwrap(),
                opportunity,
                today: today(),
            })
            .then([Ev::HoursSubmitted {
                volunteer_id: me(),
                record_id: record(1),
                service_date: date(2026, 5, 9),
                minutes: Minutes::served("minutes", 120).unwrap(),
                submitted_on: today(),
                opportunity,
            }]);
    }

    #[test]
    fn refuses_future_days_duplicates_and_deactivated_volunteers() {
        given::<Volunteer>([registered()])
            .when(submit(1, date(2026, 5, 11), 60))
            .then_error(E::ServiceDateInFuture);
        given::<Volunteer>([registered(), submitted(1, today(), 60)])
            .when(submit(1, date(2026, 5, 9), 60))
            .then_error(E::RecordAlreadyExists);
        given::<Volunteer>([registered(), deactivated()])
            .when(submit(1, today(), 60))
            .then_error(E::Deactivated);
    }

    #[test]
    fn at_most_24_hours_a_day_counting_submitted_and_approved() {
        let day = date(2026, 5, 1);
        let base = with_approved_record(); // 600 approved on `day`
        given::<Volunteer>(with(base.clone(), [submitted(2, day, 600)]))
            .when(submit(3, day, 240))
            .then([submitted(3, day, 240)]);
        given::<Volunteer>(with(base.clone(), [submitted(2, day, 600)]))
            .when(submit(3, day, 241))
            .then_error(E::DailyLimitExceeded);
        // Another day has its own 24 hours.
        given::<Volunteer>(with(base, [submitted(2, day, 600)]))
            .when(submit(3, date(2026, 5, 2), 1440))
            .then([submitted(3, date(2026, 5, 2), 1440)]);
    }

    #[test]
    fn declined_and_reversed_records_do_not_count_toward_the_day() {
        let day = date(2026, 5, 1);
        let events = with(
            with_approved_record(),
            [
                Ev::HoursReversed {
                    volunteer_id: me(),
                    record_id: record(1),
                    minutes: minutes(600),
                    service_date: day,
                    reason: reason("wrong day"),
                    reversed_on: today(),
                    approved_minutes_total: 0,
                    credits_withdrawn_minutes: 0,
                    balance_minutes: 0,
                },
                submitted(2, day, 840),
                Ev::HoursDeclined {
                    volunteer_id: me(),
                    record_id: record(2),
                    minutes: minutes(840),
                    reason: reason("not on the rota"),
                    declined_on: today(),
                },
            ],
        );
        given::<Volunteer>(events)
            .when(submit(3, day, 1440))
            .then([submitted(3, day, 1440)]);
    }

    #[test]
    fn approves_a_submitted_record_with_its_dates() {
        let day = date(2026, 5, 1);
        given::<Volunteer>([registered(), submitted(1, day, 600)])
            .when(C::ApproveHours {
                record_id: record(1),
                today: date(2026, 5, 12),
            })
            .then([Ev::HoursApproved {
                volunteer_id: me(),
                record_id: record(1),
                minutes: minutes(600),
                service_date: day,
                submitted_on: today(),
                approved_on: date(2026, 5, 12),
                approved_minutes_total: 600,
            }]);
    }

    #[test]
    fn approval_is_possible_after_deactivation() {
        let day = date(2026, 5, 1);
        given::<Volunteer>([registered(), submitted(1, day, 60), deactivated()])
            .when(C::ApproveHours {
                record_id: record(1),
                today: today(),
            })
            .then([approved(1, day, 60, 60)]);
    }

    #[test]
    fn only_a_submitted_record_is_approved_or_declined() {
        let approve = |n| C::ApproveHours {
            record_id: record(n),
            today: today(),
        };
        let decline = |n| C::DeclineHours {
            record_id: record(n),
            reason: reason("no proof"),
            today: today(),
        };
        given::<Volunteer>(with_approved_record())
            .when(approve(1))
            .then_error(E::RecordNotSubmitted);
        given::<Volunteer>(with_approved_record())
            .when(decline(1))
            .then_error(E::RecordNotSubmitted);
        given::<Volunteer>(with_approved_record())
            .when(approve(9))
            .then_error(E::RecordNotFound);
        given::<Volunteer>(with_approved_record())
            .when(decline(9))
            .then_error(E::RecordNotFound);
    }

    #[test]
    fn declines_with_a_reason() {
        given::<Volunteer>([registered(), submitted(1, today(), 45)])
            .when(C::DeclineHours {
                record_id: record(1),
                reason: reason("no proof"),
                today: today(),
            })
            .then([Ev::HoursDeclined {
                volunteer_id: me(),
                record_id: record(1),
                minutes: minutes(45),
                reason: reason("no proof"),
                declined_on: today(),
            }]);
    }
}

mod stars {
    use super::*;

    /// Approved records of 1440 minutes on consecutive days, totalling `days` × 24 h.
    fn approved_days(days: u32) -> Vec<Ev> {
        let mut events = vec![registered()];
        let mut total = 0;
        for n in 0..days {
            let day = date(2026, 1, 1) + chrono::Duration::days(i64::from(n));
            total += 1440;
            events.push(submitted(u128::from(n) + 100, day, 1440));
            events.push(approved(u128::from(n) + 100, day, 1440, total));
        }
        events
    }

    #[test]
    fn crossing_100_hours_earns_the_first_star() {
        // 4 × 24 h = 96 h; 4 more hours reach exactly 100 h.
        let events = with(approved_days(4), [submitted(1, today(), 240)]);
        given::<Volunteer>(events)
            .when(C::ApproveHours {
                record_id: record(1),
                today: today(),
            })
            .then([
                approved(1, today(), 240, 6000),
                Ev::StarLevelChanged {
                    volunteer_id: me(),
                    from: StarLevel::for_minutes(0),
                    to: StarLevel::for_minutes(6000),
                    approved_minutes: 6000,
                },
            ]);
    }

    #[test]
    fn no_change_below_a_threshold() {
        let events = with(approved_days(4), [submitted(1, today(), 239)]);
        given::<Volunteer>(events)
            .when(C::ApproveHours {
                record_id: record(1),
                today: today(),
            })
            .then([approved(1, today(), 239, 5999)]);
    }

    #[test]
    fn a_reversal_below_the_threshold_takes_the_star_back() {
        let mut events = with(approved_days(4), [submitted(1, today(), 240)]);
        events.push(approved(1, today(), 240, 6000));
        events.push(Ev::StarLevelChanged {
            volunteer_id: me(),
            from: StarLevel::for_minutes(0),
            to: StarLevel::for_minutes(6000),
            approved_minutes: 6000,
        });
        let state = Volunteer::fold(&events);
        assert_eq!(state.star_level.get(), 1);
        given::<Volunteer>(events)
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("double entry"),
                today: today(),
            })
            .then([
                Ev::HoursReversed {
                    volunteer_id: me(),
                    record_id: record(1),
                    minutes: minutes(240),
                    service_date: today(),
                    reason: reason("double entry"),
                    reversed_on: today(),
                    approved_minutes_total: 5760,
                    credits_withdrawn_minutes: 0,
                    balance_minutes: 0,
                },
                Ev::StarLevelChanged {
                    volunteer_id: me(),
                    from: StarLevel::for_minutes(6000),
                    to: StarLevel::for_minutes(0),
                    approved_minutes: 5760,
                },
            ]);
    }
}

mod corrections {
    use super::*;

    #[test]
    fn reverses_an_approved_record_then_accepts_a_new_entry() {
        let day = date(2026, 5, 1);
        let reversed = Ev::HoursReversed {
            volunteer_id: me(),
            record_id: record(1),
            minutes: minutes(600),
            service_date: day,
            reason: reason("was 300"),
            reversed_on: today(),
            approved_minutes_total: 0,
            credits_withdrawn_minutes: 0,
            balance_minutes: 0,
        };
        given::<Volunteer>(with_approved_record())
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("was 300"),
                today: today(),
            })
            .then([reversed.clone()]);
        given::<Volunteer>(with(with_approved_record(), [reversed.clone()]))
            .when(submit(2, day, 300))
            .then([submitted(2, day, 300)]);
        given::<Volunteer>(with(with_approved_record(), [reversed]))
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("again"),
                today: today(),
            })
            .then_error(E::RecordNotApproved);
    }

    #[test]
    fn only_an_approved_record_is_reversed() {
        given::<Volunteer>([registered(), submitted(1, today(), 60)])
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("x"),
                today: today(),
            })
            .then_error(E::RecordNotApproved);
        given::<Volunteer>([registered()])
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("x"),
                today: today(),
            })
            .then_error(E::RecordNotFound);
    }

    #[test]
    fn reversing_a_deposited_record_withdraws_its_credits() {
        let events = given::<Volunteer>(with_balance())
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("wrong"),
                today: today(),
            })
            .result()
            .unwrap();
        assert!(matches!(
            events.as_slice(),
            [Ev::HoursReversed {
                credits_withdrawn_minutes: 600,
                balance_minutes: 0,
                ..
            }]
        ));
    }

    #[test]
    fn refuses_to_reverse_credits_already_spent() {
        let spent = Ev::CreditsRedeemed {
            volunteer_id: me(),
            redemption_id: redemption(1),
            minutes: minutes(100),
            category: ServiceCategory::Repair,
            redeemed_on: today(),
            balance_minutes: 500,
        };
        given::<Volunteer>(with(with_balance(), [spent]))
            .when(C::ReverseHours {
                record_id: record(1),
                reason: reason("wrong"),
                today: today(),
            })
            .then_error(E::CreditsAlreadySpent);
    }
}
