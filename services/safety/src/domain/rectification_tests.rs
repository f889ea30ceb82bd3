//! Given/when/then tests of the `Rectification` decider: every rule and every refusal.

use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;
use uuid::Uuid;

use super::*;

const COMMUNITY: &str = "xingfu";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn id() -> RectificationId {
    RectificationId::from_uuid(Uuid::from_u128(11))
}

fn inspection_id() -> InspectionId {
    InspectionId::from_uuid(Uuid::from_u128(5))
}

fn hazard() -> Hazard {
    Hazard::parse("hazard", "blocked exit").unwrap()
}

fn inspection(community: &str, passed: bool) -> RectificationSubject {
    RectificationSubject::Inspection {
        facts: InspectionFacts {
            inspection_id: inspection_id(),
            recorded: Some(RecordedInspection {
                community: community.into(),
                inspection_type: InspectionType::FireSafety,
                passed,
            }),
        },
        hazard: Some(hazard()),
    }
}

fn order(subject: RectificationSubject, deadline: NaiveDate) -> RectificationCommand {
    RectificationCommand::Order {
        rectification_id: id(),
        community: COMMUNITY.into(),
        subject,
        deadline,
        today: day(10),
    }
}

fn ordered_for_inspection() -> RectificationEvent {
    RectificationEvent::Ordered(RectificationOrder {
        rectification_id: id(),
        inspection: Some((inspection_id(), InspectionType::FireSafety)),
        hazard: Some(hazard()),
        ordered_on: day(10),
        deadline: day(20),
    })
}

fn ordered_for_hazard() -> RectificationEvent {
    RectificationEvent::Ordered(RectificationOrder {
        rectification_id: id(),
        inspection: None,
        hazard: Some(hazard()),
        ordered_on: day(10),
        deadline: day(20),
    })
}

fn verify(today: NaiveDate) -> RectificationCommand {
    RectificationCommand::Verify { today }
}

fn verified(on: NaiveDate, on_time: bool) -> RectificationEvent {
    RectificationEvent::Verified {
        rectification_id: id(),
        verified_on: on,
        deadline: day(20),
        on_time,
        inspection_id: Some(inspection_id()),
    }
}

#[test]
fn orders_against_a_failed_inspection_of_the_community() {
    given::<Rectification>([])
        .when(order(inspection(COMMUNITY, false), day(20)))
        .then([ordered_for_inspection()]);
}

#[test]
fn orders_against_a_hazard() {
    given::<Rectification>([])
        .when(order(RectificationSubject::Hazard(hazard()), day(20)))
        .then([ordered_for_hazard()]);
}

#[test]
fn refuses_a_missing_foreign_or_passed_inspection() {
    let missing = RectificationSubject::Inspection {
        facts: InspectionFacts {
            inspection_id: inspection_id(),
            recorded: None,
        },
        hazard: None,
    };
    given::<Rectification>([])
        .when(order(missing, day(20)))
        .then_error(RectificationError::InspectionNotFound);
    given::<Rectification>([])
        .when(order(inspection("heping", false), day(20)))
        .then_error(RectificationError::InspectionInOtherCommunity);
    given::<Rectification>([])
        .when(order(inspection(COMMUNITY, true), day(20)))
        .then_error(RectificationError::InspectionPassed);
}

#[test]
fn the_deadline_is_after_today() {
    given::<Rectification>([])
        .when(order(RectificationSubject::Hazard(hazard()), day(11)))
        .then([RectificationEvent::Ordered(RectificationOrder {
            deadline: day(11),
            ..match ordered_for_hazard() {
                RectificationEvent::Ordered(o) => o,
                other => panic!("{other:?}"),
            }
        })]);
    for deadline in [day(10), day(9)] {
        given::<Rectification>([])
            .when(order(RectificationSubject::Hazard(hazard()), deadline))
            .then_error(RectificationError::DeadlineNotAfterToday);
    }
}

#[test]
fn orders_once() {
    given::<Rectification>([ordered_for_hazard()])
        .when(order(RectificationSubject::Hazard(hazard()), day(20)))
        .then_error(RectificationError::AlreadyOrdered);
}

#[test]
fn verified_on_or_before_the_deadline_is_on_time() {
    for on in [day(12), day(20)] {
        given::<Rectification>([ordered_for_inspection()])
            .when(verify(on))
            .then([verified(on, true)]);
    }
}

#[test]
fn verified_after_the_deadline_is_late() {
    given::<Rectification>([ordered_for_inspection()])
        .when(verify(day(21)))
        .then([verified(day(21), false)]);
}

#[test]
fn a_hazard_order_verifies_without_inspection() {
    given::<Rectification>([ordered_for_hazard()])
        .when(verify(day(15)))
        .then([RectificationEvent::Verified {
            rectification_id: id(),
            verified_on: day(15),
            deadline: day(20),
            on_time: true,
            inspection_id: None,
        }]);
}

#[test]
fn verifies_only_an_open_order() {
    given::<Rectification>([])
        .when(verify(day(15)))
        .then_error(RectificationError::NotOrdered);
    given::<Rectification>([ordered_for_inspection(), verified(day(12), true)])
        .when(verify(day(15)))
        .then_error(RectificationError::AlreadyVerified);
}

#[test]
fn overdue_is_open_past_the_deadline() {
    let open = Rectification::fold([ordered_for_inspection()].iter());
    assert!(!open.is_overdue(day(20)));
    assert!(open.is_overdue(day(21)));
    let late = Rectification::fold([ordered_for_inspection(), verified(day(25), false)].iter());
    assert!(!late.is_overdue(day(30)));
    assert_eq!(late.verified, Some((day(25), false)));
    assert!(!RectificationState::default().is_overdue(day(30)));
}

#[test]
fn event_names_and_error_fields() {
    assert_eq!(ordered_for_hazard().event_type(), "RectificationOrdered");
    assert_eq!(
        verified(day(12), true).event_type(),
        "RectificationVerified"
    );
    use RectificationError::*;
    assert_eq!(DeadlineNotAfterToday.field(), Some("deadline"));
    for e in [
        InspectionNotFound,
        InspectionInOtherCommunity,
        InspectionPassed,
    ] {
        assert_eq!(e.field(), Some("inspection_id"));
    }
    for e in [AlreadyOrdered, NotOrdered, AlreadyVerified] {
        assert_eq!(e.field(), None);
    }
}
