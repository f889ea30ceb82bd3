//! Every volunteer event survives the wire; bad payloads name what is wrong.

use chrono::NaiveDate;
use uuid::Uuid;

use super::*;

#[test]
fn every_volunteer_event_round_trips() {
    let v = VolunteerId::from_uuid(Uuid::now_v7());
    let other = VolunteerId::from_uuid(Uuid::now_v7());
    let r = RecordId::from_uuid(Uuid::now_v7());
    let don = DonationId::from_uuid(Uuid::now_v7());
    let day = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
    let m = Minutes::served("minutes", 90).unwrap();
    let why = Reason::parse("reason", "typo").unwrap();
    let submitted = |opportunity| VolunteerEvent::HoursSubmitted {
        volunteer_id: v,
        record_id: r,
        service_date: day,
        minutes: m,
        submitted_on: day,
        opportunity,
    };
    let events = vec![
        VolunteerEvent::Registered {
            volunteer_id: v,
            community: "xingfu".into(),
            kind: VolunteerKind::Resident(ResidentId::from_uuid(Uuid::now_v7())),
            registered_on: day,
        },
        VolunteerEvent::Registered {
            volunteer_id: v,
            community: "xingfu".into(),
            kind: VolunteerKind::External(Organisation::parse("o", "东南大学").unwrap()),
            registered_on: day,
        },
        VolunteerEvent::Verified {
            volunteer_id: v,
            verified_on: day,
        },
        VolunteerEvent::Deactivated {
            volunteer_id: v,
            reason: why.clone(),
            deactivated_on: day,
        },
        submitted(Some(OpportunityId::from_uuid(Uuid::now_v7()))),
        submitted(None),
        VolunteerEvent::HoursApproved {
            volunteer_id: v,
            record_id: r,
            minutes: m,
            service_date: day,
            submitted_on: day,
            approved_on: day,
            approved_minutes_total: 6000,
        },
        VolunteerEvent::HoursDeclined {
            volunteer_id: v,
            record_id: r,
            minutes: m,
            reason: why.clone(),
            declined_on: day,
        },
        VolunteerEvent::HoursReversed {
            volunteer_id: v,
            record_id: r,
            minutes: m,
            service_date: day,
            reason: why.clone(),
            reversed_on: day,
            approved_minutes_total: 10,
            credits_withdrawn_minutes: 90,
            balance_minutes: 5,
        },
        VolunteerEvent::StarLevelChanged {
            volunteer_id: v,
            from: StarLevel::for_minutes(0),
            to: StarLevel::for_minutes(6000),
            approved_minutes: 6000,
        },
        VolunteerEvent::CreditsDeposited {
            volunteer_id: v,
            record_id: r,
            minutes: m,
            balance_minutes: 90,
        },
        VolunteerEvent::CreditsRedeemed {
            volunteer_id: v,
            redemption_id: RedemptionId::from_uuid(Uuid::now_v7()),
            minutes: m,
            category: ServiceCategory::StairwellCleaning,
            redeemed_on: day,
            balance_minutes: 0,
        },
        VolunteerEvent::CreditsDonated {
            volunteer_id: v,
            donation_id: don,
            to: other,
            minutes: m,
            balance_minutes: 1,
        },
        VolunteerEvent::CreditsReceived {
            volunteer_id: other,
            donation_id: don,
            from: v,
            minutes: m,
            balance_minutes: 91,
        },
        VolunteerEvent::CreditsReturned {
            volunteer_id: v,
            donation_id: don,
            minutes: m,
            reason: why,
            balance_minutes: 91,
        },
    ];
    for e in events {
        let back = VolunteerEvent::decode(e.event_type(), 1, &e.encode()).expect("decode");
        assert_eq!(back, e);
    }
}

#[test]
fn bad_payloads_are_named() {
    let err = VolunteerEvent::decode("HoursSubmitted", 1, &[0xff, 0xff]).unwrap_err();
    assert_eq!(err.event_type, "HoursSubmitted");
    let missing = pb::HoursSubmitted {
        volunteer_id: Uuid::now_v7().to_string(),
        record_id: Uuid::now_v7().to_string(),
        minutes: 30,
        ..Default::default()
    };
    let err = VolunteerEvent::decode("HoursSubmitted", 1, &missing.encode_to_vec()).unwrap_err();
    assert!(err.reason.contains("service_date"), "{err}");
    let err = VolunteerEvent::decode("Nonsense", 1, &[]).unwrap_err();
    assert!(err.reason.contains("unknown"), "{err}");
}
