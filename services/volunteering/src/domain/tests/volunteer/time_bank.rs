//! Time bank: deposits, redemptions, donations in two steps, returns and the cap.

use super::*;

fn deposit(n: u128) -> C {
    C::DepositCredits {
        record_id: record(n),
    }
}

fn redeem(n: u128, m: u32) -> C {
    C::RedeemCredits {
        redemption_id: redemption(n),
        minutes: minutes(m),
        category: ServiceCategory::Housekeeping,
        today: today(),
    }
}

fn donate(to: VolunteerFacts, m: u32) -> C {
    C::DonateCredits {
        donation_id: donation(1),
        recipient: to,
        minutes: minutes(m),
    }
}

fn donated(m: u32, balance: u64) -> Ev {
    Ev::CreditsDonated {
        volunteer_id: me(),
        donation_id: donation(1),
        to: volunteer(2),
        minutes: minutes(m),
        balance_minutes: balance,
    }
}

fn receive(m: u32) -> C {
    C::ReceiveCredits {
        donation_id: donation(1),
        from: volunteer(2),
        minutes: minutes(m),
    }
}

/// A donation received by a volunteer with nothing in the bank, leaving `balance`.
fn holding(balance: u64) -> Ev {
    Ev::CreditsReceived {
        volunteer_id: me(),
        donation_id: donation(9),
        from: volunteer(3),
        minutes: minutes(u32::try_from(balance).unwrap()),
        balance_minutes: balance,
    }
}

#[test]
fn deposits_an_approved_record_once() {
    given::<Volunteer>(with_approved_record())
        .when(deposit(1))
        .then([deposited(1, 600, 600)]);
    given::<Volunteer>(with_balance())
        .when(deposit(1))
        .then_error(E::AlreadyDeposited);
    given::<Volunteer>([registered(), submitted(1, today(), 60)])
        .when(deposit(1))
        .then_error(E::RecordNotApproved);
    given::<Volunteer>([registered()])
        .when(deposit(1))
        .then_error(E::RecordNotFound);
    given::<Volunteer>(with(with_approved_record(), [deactivated()]))
        .when(deposit(1))
        .then_error(E::Deactivated);
}

#[test]
fn a_deposit_over_the_cap_is_refused() {
    // The approved record's 600 minutes fit exactly into the last 600 below the cap.
    given::<Volunteer>(with(with_approved_record(), [holding(CAP - 600)]))
        .when(deposit(1))
        .then([deposited(1, 600, CAP)]);
    given::<Volunteer>(with(with_approved_record(), [holding(CAP - 599)]))
        .when(deposit(1))
        .then_error(E::CapExceeded);
}

#[test]
fn redeems_what_the_balance_covers() {
    given::<Volunteer>(with_balance())
        .when(redeem(1, 600))
        .then([Ev::CreditsRedeemed {
            volunteer_id: me(),
            redemption_id: redemption(1),
            minutes: minutes(600),
            category: ServiceCategory::Housekeeping,
            redeemed_on: today(),
            balance_minutes: 0,
        }]);
    given::<Volunteer>(with_balance())
        .when(redeem(1, 601))
        .then_error(E::InsufficientBalance);
    let once = Ev::CreditsRedeemed {
        volunteer_id: me(),
        redemption_id: redemption(1),
        minutes: minutes(60),
        category: ServiceCategory::Housekeeping,
        redeemed_on: today(),
        balance_minutes: 540,
    };
    given::<Volunteer>(with(with_balance(), [once]))
        .when(redeem(1, 60))
        .then_error(E::RedemptionAlreadyRecorded);
    given::<Volunteer>(with(with_balance(), [deactivated()]))
        .when(redeem(2, 60))
        .then_error(E::Deactivated);
}

#[test]
fn donates_to_an_active_volunteer_of_the_community() {
    given::<Volunteer>(with_balance())
        .when(donate(facts(volunteer(2)), 200))
        .then([donated(200, 400)]);
}

#[test]
fn refuses_donations_that_cannot_complete() {
    let g = || given::<Volunteer>(with_balance());
    g().when(donate(facts(me()), 10))
        .then_error(E::DonationToSelf);
    g().when(donate(
        VolunteerFacts {
            exists: false,
            ..facts(volunteer(2))
        },
        10,
    ))
    .then_error(E::RecipientNotFound);
    g().when(donate(
        VolunteerFacts {
            community: "heping".into(),
            ..facts(volunteer(2))
        },
        10,
    ))
    .then_error(E::RecipientInOtherCommunity);
    g().when(donate(
        VolunteerFacts {
            active: false,
            ..facts(volunteer(2))
        },
        10,
    ))
    .then_error(E::RecipientInactive);
    g().when(donate(facts(volunteer(2)), 601))
        .then_error(E::InsufficientBalance);
    g().when(donate(
        VolunteerFacts {
            balance_minutes: CAP - 9,
            ..facts(volunteer(2))
        },
        10,
    ))
    .then_error(E::RecipientCapExceeded);
    given::<Volunteer>(with(with_balance(), [donated(10, 590)]))
        .when(donate(facts(volunteer(2)), 10))
        .then_error(E::DonationAlreadyMade);
    given::<Volunteer>(with(with_balance(), [deactivated()]))
        .when(donate(facts(volunteer(2)), 10))
        .then_error(E::Deactivated);
}

#[test]
fn receives_a_donation_once_within_the_cap() {
    let received = Ev::CreditsReceived {
        volunteer_id: me(),
        donation_id: donation(1),
        from: volunteer(2),
        minutes: minutes(200),
        balance_minutes: 800,
    };
    given::<Volunteer>(with_balance())
        .when(receive(200))
        .then([received.clone()]);
    given::<Volunteer>(with(with_approved_record(), [holding(CAP - 199)]))
        .when(receive(200))
        .then_error(E::CapExceeded);
    given::<Volunteer>(with(with_balance(), [received]))
        .when(receive(200))
        .then_error(E::DonationAlreadyReceived);
    given::<Volunteer>(with(with_balance(), [deactivated()]))
        .when(receive(200))
        .then_error(E::Deactivated);
}

#[test]
fn a_refused_donation_is_returned_once() {
    let return_it = || C::ReturnDonation {
        donation_id: donation(1),
        reason: reason("recipient at cap"),
    };
    let returned = Ev::CreditsReturned {
        volunteer_id: me(),
        donation_id: donation(1),
        minutes: minutes(200),
        reason: reason("recipient at cap"),
        balance_minutes: 600,
    };
    given::<Volunteer>(with(with_balance(), [donated(200, 400)]))
        .when(return_it())
        .then([returned.clone()]);
    given::<Volunteer>(with(with_balance(), [donated(200, 400), returned]))
        .when(return_it())
        .then_error(E::DonationAlreadyReturned);
    given::<Volunteer>(with_balance())
        .when(return_it())
        .then_error(E::DonationNotFound);
}

#[test]
fn state_tracks_the_balance_through_every_movement() {
    let events = with(
        with_balance(),
        [
            donated(200, 400),
            Ev::CreditsReturned {
                volunteer_id: me(),
                donation_id: donation(1),
                minutes: minutes(200),
                reason: reason("r"),
                balance_minutes: 600,
            },
        ],
    );
    let state = Volunteer::fold(&events);
    assert_eq!(state.balance_minutes, 600);
    assert_eq!(state.approved_minutes, 600);
    assert!(state.donations_made[&donation(1)].returned);
    assert!(state.records[&record(1)].deposited);
    assert_eq!(state.minutes_on(date(2026, 5, 1)), 600);
}

#[test]
fn a_recipients_refusal_is_told_from_the_donors_side() {
    assert_eq!(E::CapExceeded.as_recipient(), E::RecipientCapExceeded);
    assert_eq!(E::Deactivated.as_recipient(), E::RecipientInactive);
    assert_eq!(E::NotRegistered.as_recipient(), E::RecipientNotFound);
    assert_eq!(
        E::DonationAlreadyReceived.as_recipient(),
        E::DonationAlreadyReceived
    );
}

#[test]
fn events_that_move_credits_carry_the_balance_after_them() {
    assert_eq!(deposited(1, 600, 600).balance_after(), Some(600));
    assert_eq!(donated(200, 400).balance_after(), Some(400));
    assert_eq!(holding(CAP).balance_after(), Some(CAP));
    assert_eq!(registered().balance_after(), None);
    assert_eq!(submitted(1, today(), 60).balance_after(), None);
}
