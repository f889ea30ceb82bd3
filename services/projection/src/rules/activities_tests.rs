use super::super::testing::{pairs, run};
use super::super::Fact as Any;
use super::*;

use crate::catalog::{element, held_element};
use ActivityCategory::{FilmScreening, MinorsEducation, Performance};

fn fact(f: Fact) -> Any {
    Any::Activities(f)
}

fn scheduled(id: &str, category: ActivityCategory) -> Any {
    fact(Fact::ActivityScheduled {
        activity_id: id.into(),
        category: Some(category),
        title: "Film night".into(),
        starts_at: "2026-11-28T11:00:00Z".into(),
        ends_at: "2026-11-28T13:00:00Z".into(),
        capacity: 40,
    })
}

fn closed(
    id: &str,
    category: ActivityCategory,
    attendance: u32,
    registered: u32,
    attended: u32,
) -> Any {
    fact(Fact::ActivityClosed {
        activity_id: id.into(),
        category: Some(category),
        attendance,
        registered,
        registered_attended: attended,
        walk_ins: attendance - attended,
    })
}

#[test]
fn closing_counts_held_attendance_and_show_up() {
    let (views, net) = run(&[
        scheduled("a1", FilmScreening),
        fact(Fact::ParticipantRegistered {
            activity_id: "a1".into(),
            registered: 11,
        }),
        fact(Fact::RegistrationCancelled {
            activity_id: "a1".into(),
            registered: 10,
        }),
        fact(Fact::ParticipantCheckedIn {
            activity_id: "a1".into(),
            walk_in: true,
        }),
        closed("a1", FilmScreening, 9, 10, 7),
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
        scheduled("a1", MinorsEducation),
        closed("a1", MinorsEducation, 12, 0, 0),
        closed("a1", MinorsEducation, 12, 0, 0),
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
        scheduled("a1", Performance),
        fact(Fact::ActivityCancelled {
            activity_id: "a1".into(),
        }),
        closed("a1", Performance, 5, 5, 5),
    ]);
    assert_eq!(net, pairs(&[("activities.cancelled", 1)]));
    assert_eq!(views.activities["a1"].as_ref().unwrap().status, CANCELLED);
}

#[test]
fn a_republished_plan_replaces_its_item_count() {
    let publish = |version, item_count| {
        fact(Fact::AnnualPlanPublished {
            year: 2026,
            version,
            item_count,
        })
    };
    let (views, net) = run(&[publish(1, 12), publish(2, 15)]);
    assert_eq!(net, pairs(&[("plan.items_published", 15)]));
    assert_eq!(views.plans["c1/2026"].as_ref().unwrap().version, 2);
    let next_year = fact(Fact::AnnualPlanPublished {
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
        fact(Fact::PublicityBoardUpdated),
        fact(Fact::PublicityBoardUpdated),
        fact(Fact::FacilityRegistered { area_m2: 200 }),
        fact(Fact::FacilityRegistered { area_m2: 50 }),
    ]);
    assert_eq!(
        net,
        pairs(&[("publicity.board_updates", 2), ("facilities.area_m2", 250)])
    );
}

#[test]
fn every_category_on_the_wire_is_a_catalog_element() {
    for value in 1..=10 {
        let category = ActivityCategory::from_wire(value).expect("a known category");
        let held = held_element(category);
        assert_eq!(element(held.code), Some(held));
    }
    assert_eq!(ActivityCategory::from_wire(0), None);
    assert_eq!(ActivityCategory::from_wire(99), None);
}
