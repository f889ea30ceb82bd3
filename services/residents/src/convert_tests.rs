//! Round trips of every event, and events written before reason codes.

use chrono::NaiveDate;
use uuid::Uuid;

use super::*;

fn sealed() -> Sealed {
    Sealed {
        key_id: "k".into(),
        nonce: vec![1; 12],
        ciphertext: vec![9, 9],
    }
}

#[test]
fn every_resident_event_round_trips() {
    let r = ResidentId::from_uuid(Uuid::now_v7());
    let h = HouseholdId::from_uuid(Uuid::now_v7());
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    let events = vec![
        ResidentEvent::Registered {
            resident_id: r,
            household_id: h,
            residence_type: ResidenceType::Floating,
            sex: Sex::Female,
            birth_year: 1950,
            guardian: Some(ResidentId::from_uuid(Uuid::now_v7())),
            personal: sealed(),
            arrival: None,
            arrived_on: None,
        },
        ResidentEvent::MovedOut {
            resident_id: r,
            household_id: h,
            reason: Some(MoveOutReason::Deceased),
            note: Some(RecordedNote::Sealed(sealed())),
        },
        ResidentEvent::MovedOut {
            resident_id: r,
            household_id: h,
            reason: Some(MoveOutReason::Other),
            note: None,
        },
        ResidentEvent::ResidenceTypeChanged {
            resident_id: r,
            from: ResidenceType::Floating,
            to: ResidenceType::Permanent,
        },
        ResidentEvent::FloatingResidenceVerified {
            resident_id: r,
            verified_on: day,
            valid_until: day,
        },
        ResidentEvent::CareCategoryAssigned {
            resident_id: r,
            category: CareCategory::EmptyNest,
        },
        ResidentEvent::CareCategoryRevoked {
            resident_id: r,
            category: CareCategory::Minor,
            reason: Some(CareRevokeReason::AgedOut),
            note: Some(RecordedNote::Sealed(sealed())),
        },
        ResidentEvent::Registered {
            resident_id: r,
            household_id: h,
            residence_type: ResidenceType::Permanent,
            sex: Sex::Male,
            birth_year: 2026,
            guardian: Some(ResidentId::from_uuid(Uuid::now_v7())),
            personal: sealed(),
            arrival: Some(Arrival::Born),
            arrived_on: Some(day),
        },
        ResidentEvent::Released {
            resident_id: r,
            household_id: h,
            to_community: "heping".into(),
        },
        ResidentEvent::ReleaseWithdrawn {
            resident_id: r,
            to_community: "heping".into(),
        },
        ResidentEvent::TransferredIn {
            resident_id: r,
            from_community: "xingfu".into(),
            from_household_id: h,
            household_id: HouseholdId::from_uuid(Uuid::now_v7()),
            moved_on: day,
        },
        ResidentEvent::Erased { resident_id: r },
    ];
    for e in events {
        let back = ResidentEvent::decode(e.event_type(), 1, &e.encode()).expect("decode");
        assert_eq!(back, e);
    }
}

/// Events written before reason codes carried free text in `reason`: they still
/// decode, with no code and the text as a legacy note.
#[test]
fn events_before_reason_codes_still_decode() {
    let r = ResidentId::from_uuid(Uuid::now_v7());
    let old = pb::ResidentMovedOut {
        resident_id: r.to_string(),
        household_id: HouseholdId::from_uuid(Uuid::now_v7()).to_string(),
        reason: "搬往外地".into(),
        ..Default::default()
    };
    let event = ResidentEvent::decode("ResidentMovedOut", 1, &old.encode_to_vec())
        .expect("an old move-out");
    let ResidentEvent::MovedOut { reason, note, .. } = &event else {
        panic!("{event:?}");
    };
    assert_eq!(
        (reason, note),
        (&None, &Some(RecordedNote::Legacy("搬往外地".into())))
    );
    let old = pb::CareCategoryRevoked {
        resident_id: r.to_string(),
        category: pb::CareCategory::Minor as i32,
        reason: String::new(),
        ..Default::default()
    };
    let event = ResidentEvent::decode("CareCategoryRevoked", 1, &old.encode_to_vec())
        .expect("an old revocation");
    let ResidentEvent::CareCategoryRevoked { reason, note, .. } = &event else {
        panic!("{event:?}");
    };
    assert_eq!((reason, note), (&None, &None));
    let unknown = pb::CareCategoryRevoked {
        reason_code: 99,
        ..old
    };
    let err = ResidentEvent::decode("CareCategoryRevoked", 1, &unknown.encode_to_vec())
        .expect_err("an unknown code");
    assert!(err.reason.contains("reason_code"), "{err}");
}

#[test]
fn household_event_round_trips_and_bad_payloads_are_named() {
    let e = HouseholdEvent::Registered {
        household_id: HouseholdId::from_uuid(Uuid::now_v7()),
        community: "xingfu".into(),
        grid: Grid::parse("grid", "G-03").expect("grid"),
        building: Building::parse("building", "5栋").expect("building"),
        address: sealed(),
    };
    assert_eq!(
        HouseholdEvent::decode("HouseholdRegistered", 1, &e.encode()).expect("decode"),
        e
    );
    let err = ResidentEvent::decode("ResidentRegistered", 1, &[0xff, 0xff]).expect_err("garbage");
    assert_eq!(err.event_type, "ResidentRegistered");
    let err = ResidentEvent::decode("Nonsense", 1, &[]).expect_err("unknown");
    assert!(err.reason.contains("unknown"), "{err}");
}
