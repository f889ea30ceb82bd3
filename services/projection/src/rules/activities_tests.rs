use super::super::testing::{pairs, run};
use super::super::Fact as Any;
use super::*;

fn fact(f: Fact) -> Any {
    Any::Activities(f)
}

fn scheduled(id: &str, category: &str) -> Any {
    fact(Fact::Scheduled {
        activity_id: id.into(),
        category: category.into(),
        title: "Film night".into(),
        starts_at: "2026-11-28T11:00:00Z".into(),
        ends_at: "2026-11-28T13:00:00Z".into(),
        capacity: 40,
    })
}

fn closed(id: &str, category: &str, attendance: u32, registered: u32, attended: u32) -> Any {
    fact(Fact::Closed {
        activity_id: id.into(),
        category: category.into(),
        attendance,
        registered,
        registered_attended: attended,
        walk_ins: attendance - attended,
    })
}

#[test]
fn closing_counts_held_attendance_and_show_up() {
    let (views, net) = run(&[
        scheduled("a1", "film_screening"),
        fact(Fact::RegistrationsChanged {
            activity_id: "a1".into(),
            registered: 10,
        }),
        fact(Fact::CheckedIn {
            activity_id: "a1".into(),
            walk_in: true,
        }),
        closed("a1", "film_screening", 9, 10, 7),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("activities.held", 1),
            ("activities.held.film_screening", 1),
            ("activities.attendance", 9),
            ("activities.registered_at_close", 10),
            ("activities.registered_attended", 7),
            ("activities.film_screenings", 1),
        ])
    );
    let row = views.activities["a1"].clone().unwrap();
    assert_eq!(
        (
            row.status.as_str(),
            row.registered,
            row.checked_in,
            row.walk_ins
        ),
        (CLOSED, 10, 9, 2)
    );
}

#[test]
fn minors_education_reaches_its_attendance_and_closing_twice_counts_once() {
    let (_, net) = run(&[
        scheduled("a1", "minors_education"),
        closed("a1", "minors_education", 12, 0, 0),
        closed("a1", "minors_education", 12, 0, 0),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("activities.held", 1),
            ("activities.held.minors_education", 1),
            ("activities.attendance", 12),
            ("activities.minors_reached", 12),
        ])
    );
}

#[test]
fn cancelled_activities_deliver_nothing() {
    let (views, net) = run(&[
        scheduled("a1", "performance"),
        fact(Fact::Cancelled {
            activity_id: "a1".into(),
        }),
        closed("a1", "performance", 5, 5, 5),
    ]);
    assert_eq!(net, pairs(&[("activities.cancelled", 1)]));
    assert_eq!(views.activities["a1"].as_ref().unwrap().status, CANCELLED);
}

#[test]
fn a_republished_plan_replaces_its_item_count() {
    let publish = |version, item_count| {
        fact(Fact::PlanPublished {
            year: 2026,
            version,
            item_count,
        })
    };
    let (views, net) = run(&[publish(1, 12), publish(2, 15)]);
    assert_eq!(net, pairs(&[("plan.items_published", 15)]));
    assert_eq!(views.plans["c1/2026"].as_ref().unwrap().version, 2);
    let next_year = fact(Fact::PlanPublished {
        year: 2027,
        version: 1,
        item_count: 3,
    });
    let (_, net) = run(&[publish(1, 12), next_year]);
    assert_eq!(
        net,
        pairs(&[("plan.items_published", 15)]),
        "plans of other years add up"
    );
}

#[test]
fn boards_and_facilities() {
    let (_, net) = run(&[
        fact(Fact::BoardUpdated),
        fact(Fact::BoardUpdated),
        fact(Fact::FacilityRegistered { area_m2: 200 }),
        fact(Fact::FacilityRegistered { area_m2: 50 }),
    ]);
    assert_eq!(
        net,
        pairs(&[("publicity.board_updates", 2), ("facilities.area_m2", 250)])
    );
}

#[test]
fn every_category_code_is_a_catalog_element() {
    for value in 1..=10 {
        let code = category(value);
        assert!(!code.is_empty(), "{value}");
        let element = format!("{ACTIVITIES_HELD_BY_CATEGORY}{code}");
        assert!(crate::catalog::element(&element).is_some(), "{element}");
    }
    assert_eq!(category(0), "");
    assert_eq!(category(99), "");
}
