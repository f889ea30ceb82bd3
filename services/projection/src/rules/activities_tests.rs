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
        planned_item_id: String::new(),
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
            resident_id: String::new(),
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
    // +15 from the publication day, -15 on the next year's first day.
    assert_eq!(
        net,
        [
            ("plan.items_published".to_owned(), 15),
            ("plan.items_published".to_owned(), -15)
        ]
    );
    assert_eq!(views.plans["c1/2026"].as_ref().unwrap().version, 2);
    let next_year = fact(Fact::AnnualPlanPublished {
        year: 2027,
        version: 1,
        item_count: 3,
    });
    // Each year's plan counts in its year only: published on DAY (2026-11-28), the
    // 2026 plan's 12 items count until 2027-01-01; the 2027 plan, published ahead,
    // from 2027-01-01 to 2028-01-01. At the end of 2026: 12; of 2027: 3.
    let mut views = Views::default();
    let mut deltas = Deltas::new();
    for f in [publish(1, 12), next_year] {
        if let Any::Activities(f) = f {
            apply(
                &f,
                "c1",
                super::super::testing::DAY,
                &mut views,
                &mut deltas,
            );
        }
    }
    let at_end_of = |last: &str| -> i64 {
        deltas
            .iter()
            .filter(|((e, _, day), _)| *e == "plan.items_published" && day.as_str() <= last)
            .map(|(_, v)| v)
            .sum()
    };
    assert_eq!(at_end_of("2026-12-31"), 12);
    assert_eq!(at_end_of("2027-12-31"), 3);
    assert_eq!(at_end_of("2028-01-01"), 0);
}

#[test]
fn boards_and_facilities() {
    let facility = |facility_type, area_m2| {
        fact(Fact::FacilityRegistered {
            facility_type,
            area_m2,
        })
    };
    let (_, net) = run(&[
        fact(Fact::PublicityBoardRegistered),
        board_updated(pb::BoardTopic::CurrentAffairs, ""),
        board_updated(pb::BoardTopic::HealthEducation, ""),
        facility(Some(FacilityType::ServiceStation), 200),
        facility(Some(FacilityType::CulturalRoom), 50),
        facility(None, 10),
    ]);
    // The station's area is its own figure, not every facility's added up.
    assert_eq!(
        net,
        pairs(&[
            ("publicity.boards", 1),
            ("publicity.board_updates", 2),
            ("publicity.board_updates.current_affairs", 1),
            ("publicity.board_updates.health_education", 1),
            ("facilities.area_m2", 260),
            ("facilities.station_area_m2", 200),
        ])
    );
}

fn board_updated(topic: pb::BoardTopic, updated_on: &str) -> Any {
    board_update("b1", topic, updated_on, "Waste sorting")
}

fn board_update(board: &str, topic: pb::BoardTopic, updated_on: &str, text: &str) -> Any {
    fact(Fact::PublicityBoardUpdated {
        board_id: board.into(),
        topic,
        updated_on: updated_on.into(),
        text: text.into(),
    })
}

#[test]
fn board_updates_keep_a_row_per_board_and_day_with_topic_and_text() {
    let (views, _) = run(&[
        board_update("b1", pb::BoardTopic::Science, "2026-11-02", "Flu season"),
        board_update("b2", pb::BoardTopic::Science, "2026-11-02", "Flu season"),
        // The same board again that day: its last update stands.
        board_update(
            "b1",
            pb::BoardTopic::Politics,
            "2026-11-02",
            "Party history",
        ),
        // Recorded before topic codes: the text is the topic, the code `other`.
        board_update("b1", pb::BoardTopic::Unspecified, "2026-10-30", "Safety"),
        // No valid date: the day it was recorded.
        board_update("b1", pb::BoardTopic::HealthEducation, "", ""),
    ]);
    let rows: Vec<(&str, &str, &str, &str)> = views
        .board_updates
        .iter()
        .map(|(key, row)| {
            let row = row.as_ref().expect("written");
            assert_eq!(row.community, "c1");
            (
                key.as_str(),
                row.updated_on.as_str(),
                row.topic.as_str(),
                row.text.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("b1/2026-10-30", "2026-10-30", "other", "Safety"),
            ("b1/2026-11-02", "2026-11-02", "politics", "Party history"),
            ("b1/2026-11-28", "2026-11-28", "health_education", ""),
            ("b2/2026-11-02", "2026-11-02", "science", "Flu season"),
        ]
    );
}

#[test]
fn every_board_topic_has_the_code_of_its_element() {
    for (topic, code) in [
        (pb::BoardTopic::CurrentAffairs, "current_affairs"),
        (pb::BoardTopic::Politics, "politics"),
        (pb::BoardTopic::Economy, "economy"),
        (pb::BoardTopic::Science, "science"),
        (pb::BoardTopic::HealthEducation, "health_education"),
        (pb::BoardTopic::Other, "other"),
        (pb::BoardTopic::Unspecified, "other"),
    ] {
        assert_eq!(board_topic_code(topic), code);
    }
}

#[test]
fn board_updates_count_per_topic_on_the_day_updated() {
    let mut views = Views::default();
    let mut deltas = Deltas::new();
    for (topic, on) in [
        (pb::BoardTopic::Politics, "2026-11-02"),
        (pb::BoardTopic::Politics, "2026-11-02"),
        (pb::BoardTopic::Science, "2026-11-20"),
        // Recorded before topic codes: "other".
        (pb::BoardTopic::Unspecified, "2026-10-30"),
        (pb::BoardTopic::Other, ""),
    ] {
        let Any::Activities(f) = board_updated(topic, on) else {
            unreachable!()
        };
        apply(&f, "c1", "2026-11-28", &mut views, &mut deltas);
    }
    let rows: Vec<_> = deltas
        .iter()
        .map(|((e, _, day), v)| (*e, day.as_str(), *v))
        .collect();
    assert_eq!(
        rows,
        [
            ("publicity.board_updates", "2026-10-30", 1),
            ("publicity.board_updates", "2026-11-02", 2),
            ("publicity.board_updates", "2026-11-20", 1),
            // Without a valid date: the day it was recorded.
            ("publicity.board_updates", "2026-11-28", 1),
            ("publicity.board_updates.other", "2026-10-30", 1),
            ("publicity.board_updates.other", "2026-11-28", 1),
            ("publicity.board_updates.politics", "2026-11-02", 2),
            ("publicity.board_updates.science", "2026-11-20", 1),
        ]
    );
}

#[test]
fn a_board_update_decodes_its_topic_and_day() {
    let update = |topic_code| pb::PublicityBoardUpdated {
        board_id: "b1".into(),
        topic: "垃圾分类".into(),
        updated_on: Some(civitas_proto::common::v1::Date {
            year: 2026,
            month: 11,
            day: 3,
        }),
        topic_code,
    };
    let decoded = |msg: pb::PublicityBoardUpdated| {
        decode("PublicityBoardUpdated", &msg.encode_to_vec()).unwrap()
    };
    assert_eq!(
        decoded(update(pb::BoardTopic::Economy as i32)),
        Some(board_update(
            "b1",
            pb::BoardTopic::Economy,
            "2026-11-03",
            "垃圾分类"
        ))
    );
    // Before topic codes, and a code this build does not know: "other" when applied.
    for code in [0, 99] {
        assert_eq!(
            decoded(update(code)),
            Some(board_update(
                "b1",
                pb::BoardTopic::Unspecified,
                "2026-11-03",
                "垃圾分类"
            ))
        );
    }
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

#[test]
fn a_planned_item_is_due_once_published_and_delivered_in_its_month() {
    let added = |item: &str, month: i32, target: u32| {
        fact(Fact::PlannedItemAdded {
            item_id: item.into(),
            year: 2026,
            month,
            target,
        })
    };
    let published = fact(Fact::AnnualPlanPublished {
        year: 2026,
        version: 1,
        item_count: 2,
    });
    let delivering = |id: &str, item: &str| {
        fact(Fact::ActivityScheduled {
            activity_id: id.into(),
            planned_item_id: item.into(),
            category: Some(FilmScreening),
            title: "Film night".into(),
            starts_at: "2026-11-28T11:00:00Z".into(),
            ends_at: "2026-11-28T13:00:00Z".into(),
            capacity: 40,
        })
    };
    let mut views = Views::default();
    let mut deltas = Deltas::new();
    let day = "2026-11-28";
    for f in [added("i1", 11, 40), added("i2", 12, 30)] {
        super::super::apply(&f, "c1", day, &mut views, &mut deltas);
    }
    assert!(deltas.is_empty(), "a draft is not due: {deltas:?}");
    for f in [
        published,
        delivering("a1", "i1"),
        closed("a1", FilmScreening, 9, 10, 7),
        delivering("a2", "i2"),
        closed("a2", FilmScreening, 5, 5, 5),
    ] {
        super::super::apply(&f, "c1", day, &mut views, &mut deltas);
    }
    let at = |element: &str, day: &str| {
        deltas
            .get(&(element_code(element), "c1".to_owned(), day.to_owned()))
            .copied()
    };
    assert_eq!(at("plan.items_due", "2026-11-01"), Some(1));
    assert_eq!(at("plan.items_due", "2026-12-01"), Some(1));
    assert_eq!(at("plan.target_participants", "2026-12-01"), Some(30));
    // i1 closed in November, its month: delivered with its attendance. i2 (December)
    // closed in November is held, not delivered in its month.
    assert_eq!(at("plan.delivered_attendance", day), Some(9));
    let delivered: Vec<&str> = views
        .persons
        .values()
        .flatten()
        .filter(|p| p.element == "plan.items_delivered")
        .map(|p| p.person.as_str())
        .collect();
    assert_eq!(delivered, ["i1"]);
    assert_eq!(views.plans["c1/2026"].as_ref().unwrap().draft, "");
}

fn element_code(code: &str) -> &'static str {
    element(code).expect("in the catalog").code
}
