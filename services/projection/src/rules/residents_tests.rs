use super::super::testing::{net, pairs, DAY};
use super::*;

use CareCategory::{Disabled, EmptyNest, LivingAlone, Minor};
use ResidenceType::{Floating, Permanent};

fn registered(kind: Option<ResidenceType>) -> Fact {
    Fact::ResidentRegistered {
        resident_id: "r1".into(),
        household_id: "h1".into(),
        residence_type: kind,
        arrival: None,
        arrived_on: String::new(),
    }
}

fn moved_out() -> Fact {
    Fact::ResidentMovedOut {
        resident_id: "r1".into(),
    }
}

/// Applies facts in order to one resident in community `c1`, returning the row and
/// the non-zero net deltas as (element, value).
fn run(facts: &[Fact]) -> (Option<ResidentRow>, Vec<(String, i64)>) {
    let mut row = None;
    let mut deltas = Deltas::new();
    for f in facts {
        apply_to(f, "c1", DAY, &mut row, &mut deltas);
    }
    (row, net(deltas))
}

fn care(category: CareCategory, assign: bool) -> Fact {
    let (resident_id, category) = ("r1".to_owned(), Some(category));
    if assign {
        Fact::CareCategoryAssigned {
            resident_id,
            category,
        }
    } else {
        Fact::CareCategoryRevoked {
            resident_id,
            category,
        }
    }
}

#[test]
fn registration_counts_resident_and_type() {
    let (row, net) = run(&[registered(Some(Floating))]);
    assert_eq!(net, pairs(&[("residents", 1), ("residents.floating", 1)]));
    let row = row.unwrap();
    assert!(row.active);
    assert_eq!(
        (row.community.as_str(), row.household_id.as_str()),
        ("c1", "h1")
    );
}

#[test]
fn duplicate_registration_counts_once() {
    let (_, net) = run(&[registered(Some(Permanent)), registered(Some(Permanent))]);
    assert_eq!(net, pairs(&[("residents", 1), ("residents.permanent", 1)]));
}

#[test]
fn move_out_removes_resident_type_and_categories() {
    let (row, net) = run(&[
        registered(Some(Permanent)),
        care(Minor, true),
        care(Disabled, true),
        moved_out(),
    ]);
    assert_eq!(net, pairs(&[("population.moved_out", 1)]));
    assert!(!row.unwrap().active);
}

#[test]
fn type_change_moves_the_count() {
    let change = Fact::ResidenceTypeChanged {
        resident_id: "r1".into(),
        to: Some(Permanent),
    };
    let (row, net) = run(&[registered(Some(Floating)), change.clone()]);
    assert_eq!(net, pairs(&[("residents", 1), ("residents.permanent", 1)]));
    assert_eq!(row.unwrap().residence_type, Some(Permanent));
    let (_, net) = run(&[registered(Some(Floating)), change.clone(), change]);
    assert_eq!(
        net,
        pairs(&[("residents", 1), ("residents.permanent", 1)]),
        "repeated change is not counted twice"
    );
}

#[test]
fn categories_are_counted_once_and_revoked() {
    let (row, net) = run(&[
        registered(None),
        care(Minor, true),
        care(Minor, true),
        care(EmptyNest, true),
        care(Minor, false),
    ]);
    assert_eq!(
        net,
        pairs(&[("residents", 1), ("residents.care.empty_nest", 1)])
    );
    assert_eq!(
        row.unwrap().care.into_iter().collect::<Vec<_>>(),
        vec![EmptyNest]
    );
    let (_, net) = run(&[registered(Some(Permanent)), care(Minor, false)]);
    assert_eq!(
        net,
        pairs(&[("residents", 1), ("residents.permanent", 1)]),
        "revoking an unheld category changes nothing"
    );
}

#[test]
fn erasure_uncounts_an_active_resident_and_nothing_after_move_out() {
    let erased = Fact::ResidentErased {
        resident_id: "r1".into(),
    };
    let (row, net) = run(&[
        registered(Some(Floating)),
        care(LivingAlone, true),
        erased.clone(),
    ]);
    assert_eq!(net, vec![]);
    assert!(!row.unwrap().active);

    let mut row = None;
    let mut deltas = Deltas::new();
    for fact in [registered(Some(Floating)), moved_out()] {
        apply_to(&fact, "c1", DAY, &mut row, &mut deltas);
    }
    let before = deltas.clone();
    for fact in [erased, care(Minor, true)] {
        apply_to(&fact, "c1", DAY, &mut row, &mut deltas);
    }
    assert_eq!(
        deltas, before,
        "events about an inactive resident change no count"
    );
}

#[test]
fn events_about_unknown_residents_change_nothing() {
    let (row, net) = run(&[care(Minor, true), moved_out()]);
    assert_eq!((row, net), (None, vec![]));
}

#[test]
fn decodes_payloads_by_event_type() {
    let payload = pb::ResidentRegistered {
        resident_id: "r9".into(),
        household_id: "h9".into(),
        residence_type: pb::ResidenceType::Floating as i32,
        ..Default::default()
    }
    .encode_to_vec();
    let fact = decode("ResidentRegistered", &payload).unwrap().unwrap();
    let expected = Fact::ResidentRegistered {
        resident_id: "r9".into(),
        household_id: "h9".into(),
        residence_type: Some(Floating),
        arrival: None,
        arrived_on: String::new(),
    };
    assert_eq!(fact, super::super::Fact::Residents(expected.clone()));
    assert_eq!(expected.resident_id(), Some("r9"));
    assert_eq!(decode("ActivityClosed", &payload).unwrap(), None);
    assert!(decode("ResidentRegistered", &[0xff, 0xff, 0xff]).is_err());
}

/// Move-outs and revocations before reason codes carried free text; after, a code and
/// a sealed note. The projection reads both the same way and keeps neither.
#[test]
fn reasons_old_and_new_decode_to_the_same_fact() {
    let sealed = Some(pb::Sealed {
        key_id: "r1".into(),
        nonce: vec![1; 12],
        ciphertext: vec![2; 20],
    });
    let moved = [
        pb::ResidentMovedOut {
            resident_id: "r1".into(),
            reason: "搬往外地".into(),
            ..Default::default()
        },
        pb::ResidentMovedOut {
            resident_id: "r1".into(),
            reason_code: pb::MoveOutReason::Deceased as i32,
            note: sealed.clone(),
            ..Default::default()
        },
    ];
    for payload in moved {
        let fact = decode("ResidentMovedOut", &payload.encode_to_vec()).expect("decodes");
        assert_eq!(fact, Some(super::super::Fact::Residents(moved_out())));
    }
    let revoked = [
        pb::CareCategoryRevoked {
            resident_id: "r1".into(),
            category: pb::CareCategory::Minor as i32,
            reason: "成年".into(),
            ..Default::default()
        },
        pb::CareCategoryRevoked {
            resident_id: "r1".into(),
            category: pb::CareCategory::Minor as i32,
            reason_code: pb::CareRevokeReason::AgedOut as i32,
            note: sealed.clone(),
            ..Default::default()
        },
    ];
    for payload in revoked {
        let fact = decode("CareCategoryRevoked", &payload.encode_to_vec()).expect("decodes");
        assert_eq!(
            fact,
            Some(super::super::Fact::Residents(care(Minor, false)))
        );
    }
}

/// A registration that arrived on `on` (a move-in or a birth).
fn arrived(arrival: Arrival, on: &str) -> Fact {
    Fact::ResidentRegistered {
        resident_id: "r1".into(),
        household_id: "h1".into(),
        residence_type: Some(Floating),
        arrival: Some(arrival),
        arrived_on: on.into(),
    }
}

#[test]
fn births_and_move_ins_count_on_the_day_they_happened() {
    let mut row = None;
    let mut deltas = Deltas::new();
    apply_to(
        &arrived(Arrival::Born, "2026-03-02"),
        "c1",
        DAY,
        &mut row,
        &mut deltas,
    );
    let on = |element: &'static str, day: &str| {
        deltas
            .get(&(element, "c1".to_owned(), day.to_owned()))
            .copied()
    };
    assert_eq!(on("residents", "2026-03-02"), Some(1));
    assert_eq!(on("population.births", "2026-03-02"), Some(1));
    assert_eq!(on("population.births.floating", "2026-03-02"), Some(1));
    assert_eq!(on("residents", DAY), None, "not on the day it was recorded");

    let (_, net) = run(&[arrived(Arrival::MovedIn, "")]);
    assert_eq!(
        net,
        pairs(&[
            ("residents", 1),
            ("residents.floating", 1),
            ("population.moved_in", 1)
        ])
    );
}

#[test]
fn a_transfer_moves_the_resident_and_their_registers_on_the_day_of_the_move() {
    let mut row = None;
    let mut deltas = Deltas::new();
    for f in [registered(Some(Permanent)), care(Disabled, true)] {
        apply_to(&f, "c1", DAY, &mut row, &mut deltas);
    }
    let transfer = Fact::ResidentTransferredIn {
        resident_id: "r1".into(),
        household_id: "h2".into(),
        moved_on: "2026-04-30".into(),
    };
    let mut moved = Deltas::new();
    apply_to(&transfer, "c2", DAY, &mut row, &mut moved);
    let mut got: Vec<_> = moved.into_iter().filter(|(_, v)| *v != 0).collect();
    got.sort();
    let key = |e: &'static str, c: &str| (e, c.to_owned(), "2026-04-30".to_owned());
    let mut want = vec![
        (key("residents", "c1"), -1),
        (key("residents.permanent", "c1"), -1),
        (key("residents.care.disabled", "c1"), -1),
        (key("population.transferred_out", "c1"), 1),
        (key("residents", "c2"), 1),
        (key("residents.permanent", "c2"), 1),
        (key("residents.care.disabled", "c2"), 1),
        (key("population.transferred_in", "c2"), 1),
    ];
    want.sort();
    assert_eq!(got, want);
    let row = row.unwrap();
    assert_eq!(
        (row.community.as_str(), row.household_id.as_str()),
        ("c2", "h2")
    );

    // Moving out later leaves the receiving community.
    let mut after = Deltas::new();
    let mut row = Some(row);
    apply_to(&moved_out(), "c2", DAY, &mut row, &mut after);
    let at = |e: &'static str| after.get(&(e, "c2".to_owned(), DAY.to_owned())).copied();
    assert_eq!(at("residents"), Some(-1));
    assert_eq!(at("population.moved_out"), Some(1));
}

#[test]
fn movement_events_decode() {
    let transfer = pb::ResidentTransferredIn {
        resident_id: "r1".into(),
        household_id: "h2".into(),
        moved_on: Some(civitas_proto::common::v1::Date {
            year: 2026,
            month: 4,
            day: 30,
        }),
        ..Default::default()
    }
    .encode_to_vec();
    assert_eq!(
        decode("ResidentTransferredIn", &transfer).unwrap(),
        Some(super::super::Fact::Residents(Fact::ResidentTransferredIn {
            resident_id: "r1".into(),
            household_id: "h2".into(),
            moved_on: "2026-04-30".into(),
        }))
    );
    let released = pb::ResidentReleased::default().encode_to_vec();
    assert!(decode("ResidentReleased", &released).unwrap().is_some());
    assert!(decode("ResidentReleaseWithdrawn", &released)
        .unwrap()
        .is_some());
}
