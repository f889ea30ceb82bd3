//! Given/when/then tests of the `Activity` decider: every rule and every refusal.

use chrono::TimeZone;
use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 16, hour, minute, 0).unwrap()
}

fn id() -> ActivityId {
    ActivityId::from_uuid(Uuid::from_u128(0xa1))
}

fn item() -> PlannedItemId {
    PlannedItemId::from_uuid(Uuid::from_u128(0xb1))
}

fn resident(n: u128) -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(n))
}

/// A film night from 11:00 to 13:00 UTC with `capacity` places.
fn details(capacity: u32) -> ActivityPlan {
    ActivityPlan {
        category: ActivityCategory::FilmScreening,
        title: Title::parse("title", "世界电影周").unwrap(),
        venue: Venue::parse("venue", "社区文化室").unwrap(),
        window: TimeWindow::parse("ends_at", at(11, 0), at(13, 0)).unwrap(),
        capacity: Capacity::parse("capacity", capacity).unwrap(),
        plan_year: PlanYear::parse("starts_at", 2026).unwrap(),
    }
}

fn schedule(planned_item: Option<PlannedItemFact>) -> ActivityCommand {
    ActivityCommand::ScheduleActivity {
        activity_id: id(),
        community: "xingfu".into(),
        details: details(2),
        planned_item,
    }
}

fn scheduled_with(capacity: u32) -> ActivityEvent {
    ActivityEvent::ActivityScheduled {
        activity_id: id(),
        community: "xingfu".into(),
        details: details(capacity),
        planned_item: None,
    }
}

fn scheduled() -> ActivityEvent {
    scheduled_with(2)
}

fn registered(n: u128, count: u32) -> ActivityEvent {
    ActivityEvent::ParticipantRegistered {
        activity_id: id(),
        resident_id: resident(n),
        registered_count: count,
    }
}

fn checked_in(attendee: Attendee, when: DateTime<Utc>) -> ActivityEvent {
    ActivityEvent::ParticipantCheckedIn {
        activity_id: id(),
        attendee,
        at: when,
    }
}

fn check_in(attendee: Attendee, now: DateTime<Utc>) -> ActivityCommand {
    ActivityCommand::CheckInParticipant { attendee, now }
}

fn report() -> Note {
    Note::parse("report", "放映顺利").unwrap()
}

fn close(attendance: Option<u32>, now: DateTime<Utc>) -> ActivityCommand {
    ActivityCommand::CloseActivity {
        attendance,
        report: report(),
        now,
    }
}

fn reason() -> Reason {
    Reason::parse("reason", "typhoon warning").unwrap()
}

fn cancelled() -> ActivityEvent {
    ActivityEvent::ActivityCancelled {
        activity_id: id(),
        category: ActivityCategory::FilmScreening,
        reason: reason(),
    }
}

fn closed(attendance: u32, registered: u32, attended: u32, walk_ins: u32) -> ActivityEvent {
    ActivityEvent::ActivityClosed {
        activity_id: id(),
        category: ActivityCategory::FilmScreening,
        attendance,
        registered,
        registered_attended: attended,
        walk_ins,
        report: report(),
        closed_at: at(13, 5),
    }
}

// ---------------------------------------------------------------- schedule

#[test]
fn schedules_an_activity_with_or_without_a_planned_item() {
    given::<Activity>([])
        .when(schedule(None))
        .then([scheduled()]);
    given::<Activity>([])
        .when(schedule(Some(PlannedItemFact {
            item_id: item(),
            in_plan: true,
        })))
        .then([ActivityEvent::ActivityScheduled {
            activity_id: id(),
            community: "xingfu".into(),
            details: details(2),
            planned_item: Some(item()),
        }]);
}

#[test]
fn the_planned_item_must_be_in_the_plan() {
    given::<Activity>([])
        .when(schedule(Some(PlannedItemFact {
            item_id: item(),
            in_plan: false,
        })))
        .then_error(ActivityError::PlannedItemNotInPlan);
}

#[test]
fn schedules_only_once() {
    given::<Activity>([scheduled()])
        .when(schedule(None))
        .then_error(ActivityError::AlreadyScheduled);
    given::<Activity>([scheduled(), cancelled()])
        .when(schedule(None))
        .then_error(ActivityError::AlreadyScheduled);
}

#[test]
fn nothing_happens_to_an_activity_never_scheduled() {
    for command in [
        ActivityCommand::RegisterParticipant {
            resident_id: resident(1),
        },
        ActivityCommand::CancelRegistration {
            resident_id: resident(1),
        },
        check_in(Attendee::WalkIn, at(12, 0)),
        close(None, at(14, 0)),
        ActivityCommand::CancelActivity { reason: reason() },
    ] {
        given::<Activity>([])
            .when(command)
            .then_error(ActivityError::NotScheduled);
    }
}

// ---------------------------------------------------------------- registrations

#[test]
fn registers_up_to_capacity() {
    given::<Activity>([scheduled()])
        .when(ActivityCommand::RegisterParticipant {
            resident_id: resident(1),
        })
        .then([registered(1, 1)]);
    given::<Activity>([scheduled(), registered(1, 1)])
        .when(ActivityCommand::RegisterParticipant {
            resident_id: resident(2),
        })
        .then([registered(2, 2)]);
    given::<Activity>([scheduled(), registered(1, 1), registered(2, 2)])
        .when(ActivityCommand::RegisterParticipant {
            resident_id: resident(3),
        })
        .then_error(ActivityError::Full { capacity: 2 });
}

#[test]
fn a_cancelled_registration_frees_its_place() {
    let history = [scheduled(), registered(1, 1), registered(2, 2)];
    given::<Activity>(history.clone())
        .when(ActivityCommand::CancelRegistration {
            resident_id: resident(1),
        })
        .then([ActivityEvent::RegistrationCancelled {
            activity_id: id(),
            resident_id: resident(1),
            registered_count: 1,
        }]);
    let freed = ActivityEvent::RegistrationCancelled {
        activity_id: id(),
        resident_id: resident(1),
        registered_count: 1,
    };
    given::<Activity>([
        scheduled(),
        registered(1, 1),
        registered(2, 2),
        freed.clone(),
    ])
    .when(ActivityCommand::RegisterParticipant {
        resident_id: resident(3),
    })
    .then([registered(3, 2)]);
    // The resident who cancelled may register again.
    given::<Activity>([scheduled(), registered(1, 1), freed])
        .when(ActivityCommand::RegisterParticipant {
            resident_id: resident(1),
        })
        .then([registered(1, 1)]);
}

#[test]
fn no_registering_twice() {
    given::<Activity>([scheduled(), registered(1, 1)])
        .when(ActivityCommand::RegisterParticipant {
            resident_id: resident(1),
        })
        .then_error(ActivityError::AlreadyRegistered);
}

#[test]
fn only_a_registration_not_yet_checked_in_can_be_cancelled() {
    given::<Activity>([scheduled()])
        .when(ActivityCommand::CancelRegistration {
            resident_id: resident(1),
        })
        .then_error(ActivityError::NotRegistered);
    given::<Activity>([
        scheduled(),
        registered(1, 1),
        checked_in(Attendee::Registered(resident(1)), at(11, 0)),
    ])
    .when(ActivityCommand::CancelRegistration {
        resident_id: resident(1),
    })
    .then_error(ActivityError::AlreadyCheckedIn);
}

// ---------------------------------------------------------------- check-in

#[test]
fn checks_in_registered_residents_and_walk_ins() {
    let who = Attendee::Registered(resident(1));
    given::<Activity>([scheduled(), registered(1, 1)])
        .when(check_in(who, at(11, 10)))
        .then([checked_in(who, at(11, 10))]);
    given::<Activity>([scheduled()])
        .when(check_in(Attendee::WalkIn, at(12, 0)))
        .then([checked_in(Attendee::WalkIn, at(12, 0))]);
    // Walk-ins are counted, not identified: many of them, even past capacity.
    given::<Activity>([
        scheduled_with(1),
        checked_in(Attendee::WalkIn, at(11, 0)),
        checked_in(Attendee::WalkIn, at(11, 1)),
    ])
    .when(check_in(Attendee::WalkIn, at(11, 2)))
    .then([checked_in(Attendee::WalkIn, at(11, 2))]);
}

#[test]
fn a_window_at_the_edge_of_the_calendar_checks_in_without_overflow() {
    let mut edge = details(2);
    edge.window = TimeWindow::parse("ends_at", at(11, 0), DateTime::<Utc>::MAX_UTC).unwrap();
    let scheduled = ActivityEvent::ActivityScheduled {
        activity_id: id(),
        community: "xingfu".into(),
        details: edge,
        planned_item: None,
    };
    given::<Activity>([scheduled.clone()])
        .when(check_in(Attendee::WalkIn, at(12, 0)))
        .then([checked_in(Attendee::WalkIn, at(12, 0))]);
    given::<Activity>([scheduled])
        .when(check_in(Attendee::WalkIn, at(10, 0)))
        .then_error(ActivityError::OutsideCheckInWindow {
            opens: at(10, 30),
            closes: DateTime::<Utc>::MAX_UTC,
        });
}

#[test]
fn check_in_is_open_within_the_window_and_its_margin() {
    let who = Attendee::Registered(resident(1));
    for now in [at(10, 30), at(11, 0), at(13, 0), at(13, 30)] {
        given::<Activity>([scheduled(), registered(1, 1)])
            .when(check_in(who, now))
            .then([checked_in(who, now)]);
    }
    let outside = ActivityError::OutsideCheckInWindow {
        opens: at(10, 30),
        closes: at(13, 30),
    };
    for now in [at(10, 29), at(13, 31)] {
        given::<Activity>([scheduled(), registered(1, 1)])
            .when(check_in(who, now))
            .then_error(outside.clone());
        given::<Activity>([scheduled()])
            .when(check_in(Attendee::WalkIn, now))
            .then_error(outside.clone());
    }
}

#[test]
fn check_in_needs_a_registration_and_happens_once() {
    let who = Attendee::Registered(resident(1));
    given::<Activity>([scheduled()])
        .when(check_in(who, at(11, 0)))
        .then_error(ActivityError::NotRegistered);
    given::<Activity>([scheduled(), registered(1, 1), checked_in(who, at(11, 0))])
        .when(check_in(who, at(11, 5)))
        .then_error(ActivityError::AlreadyCheckedIn);
}

// ---------------------------------------------------------------- close and cancel

fn busy_evening() -> Vec<ActivityEvent> {
    vec![
        scheduled_with(3),
        registered(1, 1),
        registered(2, 2),
        registered(3, 3),
        checked_in(Attendee::Registered(resident(1)), at(11, 0)),
        checked_in(Attendee::Registered(resident(3)), at(11, 2)),
        checked_in(Attendee::WalkIn, at(11, 3)),
    ]
}

#[test]
fn closing_counts_every_check_in() {
    given::<Activity>(busy_evening())
        .when(close(None, at(13, 5)))
        .then([closed(3, 3, 2, 1)]);
    given::<Activity>(busy_evening())
        .when(close(Some(3), at(13, 5)))
        .then([closed(3, 3, 2, 1)]);
    given::<Activity>([scheduled()])
        .when(close(Some(0), at(13, 5)))
        .then([closed(0, 0, 0, 0)]);
}

#[test]
fn closing_refuses_a_wrong_attendance_or_an_unfinished_activity() {
    given::<Activity>(busy_evening())
        .when(close(Some(5), at(13, 5)))
        .then_error(ActivityError::AttendanceMismatch {
            counted: 5,
            checked_in: 3,
        });
    given::<Activity>(busy_evening())
        .when(close(None, at(12, 59)))
        .then_error(ActivityError::NotEnded { ends_at: at(13, 0) });
    // The end itself is enough.
    let ActivityEvent::ActivityClosed { closed_at, .. } = given::<Activity>(busy_evening())
        .when(close(None, at(13, 0)))
        .result()
        .unwrap()
        .remove(0)
    else {
        panic!("expected a close");
    };
    assert_eq!(closed_at, at(13, 0));
}

#[test]
fn cancels_with_a_reason() {
    given::<Activity>([scheduled(), registered(1, 1)])
        .when(ActivityCommand::CancelActivity { reason: reason() })
        .then([cancelled()]);
}

#[test]
fn a_closed_or_cancelled_activity_takes_nothing_more() {
    let ended = [
        (closed(0, 0, 0, 0), ActivityError::Closed),
        (cancelled(), ActivityError::Cancelled),
    ];
    for (end, error) in ended {
        for command in [
            ActivityCommand::RegisterParticipant {
                resident_id: resident(9),
            },
            ActivityCommand::CancelRegistration {
                resident_id: resident(1),
            },
            check_in(Attendee::Registered(resident(1)), at(12, 0)),
            check_in(Attendee::WalkIn, at(12, 0)),
            close(None, at(14, 0)),
            ActivityCommand::CancelActivity { reason: reason() },
        ] {
            given::<Activity>([scheduled(), registered(1, 1), end.clone()])
                .when(command)
                .then_error(error.clone());
        }
    }
}

// ---------------------------------------------------------------- state and errors

#[test]
fn state_follows_the_stream() {
    let mut history = busy_evening();
    history.push(closed(3, 3, 2, 1));
    let state = Activity::fold(&history);
    assert_eq!(state.status, Some(ActivityStatus::Closed));
    assert_eq!(state.community, "xingfu");
    assert_eq!(state.registered.len(), 3);
    assert_eq!(state.checked_in.len(), 2);
    assert_eq!(state.walk_ins, 1);
    assert_eq!(state.attendance(), 3);
    assert_eq!(
        (state.registered_count(), state.registered_attended()),
        (3, 2)
    );
    assert_eq!(state.report, Some(report()));
    let state = Activity::fold(&[scheduled(), cancelled()]);
    assert_eq!(state.status, Some(ActivityStatus::Cancelled));
    assert_eq!(state.cancel_reason, Some(reason()));
}

#[test]
fn event_names() {
    let names: Vec<_> = [
        scheduled(),
        registered(1, 1),
        ActivityEvent::RegistrationCancelled {
            activity_id: id(),
            resident_id: resident(1),
            registered_count: 0,
        },
        checked_in(Attendee::WalkIn, at(11, 0)),
        closed(0, 0, 0, 0),
        cancelled(),
    ]
    .iter()
    .map(ActivityEvent::event_type)
    .collect();
    assert_eq!(
        names,
        [
            "ActivityScheduled",
            "ParticipantRegistered",
            "RegistrationCancelled",
            "ParticipantCheckedIn",
            "ActivityClosed",
            "ActivityCancelled"
        ]
    );
}

#[test]
fn errors_name_their_fields() {
    use ActivityError::*;
    assert_eq!(AlreadyScheduled.field(), Some("activity_id"));
    assert_eq!(PlannedItemNotInPlan.field(), Some("planned_item_id"));
    for e in [AlreadyRegistered, NotRegistered, AlreadyCheckedIn] {
        assert_eq!(e.field(), Some("resident_id"));
    }
    assert_eq!(
        AttendanceMismatch {
            counted: 1,
            checked_in: 2
        }
        .field(),
        Some("attendance")
    );
    for e in [
        NotScheduled,
        Closed,
        Cancelled,
        Full { capacity: 1 },
        NotEnded { ends_at: at(1, 0) },
    ] {
        assert_eq!(e.field(), None, "{e}");
    }
    assert_eq!(
        Full { capacity: 2 }.to_string(),
        "activity is full (2 places)"
    );
}
