use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;
use uuid::Uuid;

use super::*;
use crate::domain::values::{
    DonationId, Minutes, Organisation, RecordId, RedemptionId, ResidentId, ServiceCategory,
    StarLevel, VolunteerKind,
};
use crate::domain::volunteer::{
    Volunteer, VolunteerCommand as C, VolunteerError as E, VolunteerEvent as Ev,
    TIME_BANK_CAP_MINUTES as CAP,
};

fn record(n: u128) -> RecordId {
    RecordId::from_uuid(Uuid::from_u128(1000 + n))
}

fn donation(n: u128) -> DonationId {
    DonationId::from_uuid(Uuid::from_u128(2000 + n))
}

fn redemption(n: u128) -> RedemptionId {
    RedemptionId::from_uuid(Uuid::from_u128(3000 + n))
}

fn minutes(m: u32) -> Minutes {
    Minutes::credits("minutes", m).unwrap()
}

fn resident_kind() -> VolunteerKind {
    VolunteerKind::Resident(ResidentId::from_uuid(Uuid::from_u128(77)))
}

fn registered() -> Ev {
    Ev::Registered {
        volunteer_id: me(),
        community: COMMUNITY.into(),
        kind: resident_kind(),
        registered_on: date(2026, 1, 2),
    }
}

fn deactivated() -> Ev {
    Ev::Deactivated {
        volunteer_id: me(),
        reason: reason("moved away"),
        deactivated_on: today(),
    }
}

fn submit(n: u128, day: NaiveDate, m: u32) -> C {
    C::SubmitHours {
        record_id: record(n),
        service_date: day,
        minutes: Minutes::served("minutes", m).unwrap(),
        opportunity: None,
        today: today(),
    }
}

fn submitted(n: u128, day: NaiveDate, m: u32) -> Ev {
    Ev::HoursSubmitted {
        volunteer_id: me(),
        record_id: record(n),
        service_date: day,
        minutes: Minutes::served("minutes", m).unwrap(),
        submitted_on: today(),
        opportunity: None,
    }
}

fn approved(n: u128, day: NaiveDate, m: u32, total: u64) -> Ev {
    Ev::HoursApproved {
        volunteer_id: me(),
        record_id: record(n),
        minutes: Minutes::served("minutes", m).unwrap(),
        service_date: day,
        submitted_on: today(),
        approved_on: today(),
        approved_minutes_total: total,
    }
}

fn deposited(n: u128, m: u32, balance: u64) -> Ev {
    Ev::CreditsDeposited {
        volunteer_id: me(),
        record_id: record(n),
        minutes: minutes(m),
        balance_minutes: balance,
    }
}

/// A registered volunteer with one approved 600-minute record (10 h) on 2026-05-01.
fn with_approved_record() -> Vec<Ev> {
    vec![
        registered(),
        submitted(1, date(2026, 5, 1), 600),
        approved(1, date(2026, 5, 1), 600, 600),
    ]
}

/// As above, with the record's 600 minutes deposited in the time bank.
fn with_balance() -> Vec<Ev> {
    let mut events = with_approved_record();
    events.push(deposited(1, 600, 600));
    events
}

fn with(mut events: Vec<Ev>, more: impl IntoIterator<Item = Ev>) -> Vec<Ev> {
    events.extend(more);
    events
}

mod registration {
    use super::*;

    #[test]
    fn registers_a_resident_or_an_external_volunteer() {
        given::<Volunteer>([])
            .when(C::Register {
                volunteer_id: me(),
                community: COMMUNITY.into(),
                kind: resident_kind(),
                today: date(2026, 1, 2),
            })
            .then([registered()]);
        let university = VolunteerKind::External(Organisation::parse("o", "东南大学").unwrap());
        given::<Volunteer>([])
            .when(C::Register {
                volunteer_id: me(),
                community: COMMUNITY.into(),
                kind: university.clone(),
                today: today(),
            })
            .then([Ev::Registered {
                volunteer_id: me(),
                community: COMMUNITY.into(),
                kind: university,
                registered_on: today(),
            }]);
    }

    #[test]
    fn refuses_to_register_twice() {
        given::<Volunteer>([registered()])
            .when(C::Register {
                volunteer_id: me(),
                community: COMMUNITY.into(),
                kind: resident_kind(),
                today: today(),
            })
            .then_error(E::AlreadyRegistered);
    }

    #[test]
    fn verifies_the_real_name_once() {
        let verified = Ev::Verified {
            volunteer_id: me(),
            verified_on: today(),
        };
        given::<Volunteer>([registered()])
            .when(C::Verify { today: today() })
            .then([verified.clone()]);
        given::<Volunteer>([registered(), verified])
            .when(C::Verify { today: today() })
            .then_error(E::AlreadyVerified);
        given::<Volunteer>([registered(), deactivated()])
            .when(C::Verify { today: today() })
            .then_error(E::Deactivated);
    }

    #[test]
    fn deactivates_once() {
        let deactivate = || C::Deactivate {
            reason: reason("moved away"),
            today: today(),
        };
        given::<Volunteer>([registered()])
            .when(deactivate())
            .then([deactivated()]);
        given::<Volunteer>([registered(), deactivated()])
            .when(deactivate())
            .then_error(E::Deactivated);
    }

    #[test]
    fn every_command_needs_a_registered_volunteer() {
        let commands = [
            C::Verify { today: today() },
            C::Deactivate {
                reason: reason("x"),
                today: today(),
            },
            submit(1, today(), 60),
            C::ApproveHours {
                record_id: record(1),
                today: today(),
            },
            C::DeclineHours {
                record_id: record(1),
                reason: reason("x"),
                today: today(),
            },
            C::ReverseHours {
                record_id: record(1),
                reason: reason("x"),
                today: today(),
            },
            C::DepositCredits {
                record_id: record(1),
            },
            C::RedeemCredits {
                redemption_id: redemption(1),
                minutes: minutes(10),
                category: ServiceCategory::Housekeeping,
                today: today(),
            },
            C::DonateCredits {
                donation_id: donation(1),
                recipient: facts(volunteer(2)),
                minutes: minutes(10),
            },
            C::ReceiveCredits {
                donation_id: donation(1),
                from: volunteer(2),
                minutes: minutes(10),
            },
            C::ReturnDonation {
                donation_id: donation(1),
                reason: reason("x"),
            },
        ];
        for command in commands {
            given::<Volunteer>([])
                .when(command)
                .then_error(E::NotRegistered);
        }
    }
}

mod records;
mod time_bank;

#[test]
fn event_names_and_error_fields() {
    assert_eq!(registered().event_type(), "VolunteerRegistered");
    assert_eq!(deactivated().event_type(), "VolunteerDeactivated");
    assert_eq!(submitted(1, today(), 1).event_type(), "HoursSubmitted");
    assert_eq!(deposited(1, 1, 1).event_type(), "TimeCreditsDeposited");
    assert_eq!(E::DailyLimitExceeded.field(), Some("minutes"));
    assert_eq!(E::ServiceDateInFuture.field(), Some("service_date"));
    assert_eq!(E::RecordNotSubmitted.field(), Some("record_id"));
    assert_eq!(
        E::RecipientInOtherCommunity.field(),
        Some("to_volunteer_id")
    );
    assert_eq!(E::DonationAlreadyMade.field(), Some("donation_id"));
    assert_eq!(E::RedemptionAlreadyRecorded.field(), Some("redemption_id"));
    assert_eq!(E::Deactivated.field(), None);
}
