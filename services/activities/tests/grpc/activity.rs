//! An activity's life: registration, check-in within its window, closing, cancelling.

use chrono::{Datelike, Duration, Utc};
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1::ActivityCategory;
use tonic::Code;

use super::support::{expect_code, expect_invalid, expect_rule, TestApp};
use super::{activity, check_in, item, register, resident, schedule};

#[tokio::test]
async fn an_activity_runs_from_registration_to_closing() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("heping").await;
    let now = Utc::now();
    // Ended ten minutes ago: still inside the check-in margin, and closable.
    let (starts_at, ends_at) = (now - Duration::hours(2), now - Duration::minutes(10));
    let year = district_day(starts_at).year();
    let planned = staff
        .add_planned_item(item(
            year,
            district_day(starts_at).month() as i32,
            "周末电影",
        ))
        .await
        .expect("plan item")
        .into_inner();

    expect_rule(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                planned_item_id: uuid::Uuid::now_v7().to_string(),
                ..schedule(starts_at, ends_at, 2)
            })
            .await,
        Some("planned_item_id"),
    );
    let scheduled = staff
        .schedule_activity(api::ScheduleActivityRequest {
            planned_item_id: planned.item_id.clone(),
            ..schedule(starts_at, ends_at, 2)
        })
        .await
        .expect("schedule")
        .into_inner();
    let id = scheduled.activity_id.clone();
    assert_eq!(
        scheduled.result.expect("result").stream_id,
        format!("activity-{id}")
    );

    let (alice, bob, carol) = (resident(), resident(), resident());
    staff
        .register_participant(register(&id, &alice))
        .await
        .expect("alice");
    staff
        .register_participant(register(&id, &bob))
        .await
        .expect("bob");
    expect_rule(
        staff.register_participant(register(&id, &carol)).await,
        None,
    );
    expect_rule(
        staff.register_participant(register(&id, &alice)).await,
        Some("resident_id"),
    );
    expect_invalid(
        staff.register_participant(register(&id, "someone")).await,
        "resident_id",
    );
    expect_invalid(
        staff.register_participant(register("", &carol)).await,
        "activity_id",
    );
    expect_code(
        staff
            .register_participant(register(&uuid::Uuid::now_v7().to_string(), &carol))
            .await,
        Code::NotFound,
    );
    // A stale expected version is a conflict.
    expect_code(
        staff
            .register_participant(api::RegisterParticipantRequest {
                options: Some(WriteOptions {
                    idempotency_key: String::new(),
                    expected_version: Some(1),
                }),
                ..register(&id, &carol)
            })
            .await,
        Code::Aborted,
    );

    staff
        .check_in_participant(check_in(&id, &alice, false))
        .await
        .expect("alice checks in");
    staff
        .check_in_participant(check_in(&id, "", true))
        .await
        .expect("a walk-in");
    expect_invalid(
        staff
            .check_in_participant(check_in(&id, &carol, true))
            .await,
        "resident_id",
    );
    expect_rule(
        staff
            .check_in_participant(check_in(&id, &carol, false))
            .await,
        Some("resident_id"),
    );
    expect_rule(
        staff
            .check_in_participant(check_in(&id, &alice, false))
            .await,
        Some("resident_id"),
    );
    expect_rule(
        staff
            .cancel_registration(api::CancelRegistrationRequest {
                options: None,
                activity_id: id.clone(),
                resident_id: alice.clone(),
            })
            .await,
        Some("resident_id"),
    );
    staff
        .cancel_registration(api::CancelRegistrationRequest {
            options: None,
            activity_id: id.clone(),
            resident_id: bob.clone(),
        })
        .await
        .expect("bob cancels");

    expect_rule(
        staff
            .close_activity(api::CloseActivityRequest {
                options: None,
                activity_id: id.clone(),
                attendance: Some(5),
                report: "放映顺利".into(),
            })
            .await,
        Some("attendance"),
    );
    expect_invalid(
        staff
            .close_activity(api::CloseActivityRequest {
                activity_id: id.clone(),
                ..Default::default()
            })
            .await,
        "report",
    );
    let closed = staff
        .close_activity(api::CloseActivityRequest {
            options: None,
            activity_id: id.clone(),
            attendance: Some(2),
            report: "放映顺利".into(),
        })
        .await
        .expect("close")
        .into_inner();
    assert_eq!(closed.attendance, 2);
    expect_rule(
        staff.register_participant(register(&id, &carol)).await,
        None,
    );
    expect_rule(
        staff.check_in_participant(check_in(&id, "", true)).await,
        None,
    );

    let seen = activity(&mut staff, &id).await;
    assert_eq!(seen.status, api::ActivityStatus::Closed as i32);
    assert_eq!(seen.category, ActivityCategory::FilmScreening as i32);
    assert_eq!(seen.planned_item_id, planned.item_id);
    assert_eq!(
        (
            seen.registered,
            seen.registered_checked_in,
            seen.walk_ins,
            seen.attendance
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(seen.capacity, 2);
    assert_eq!(seen.report, "放映顺利");
    assert_eq!(seen.org.expect("org").community, "heping");
}

#[tokio::test]
async fn activities_keep_to_their_time_window() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("minzhu").await;
    let now = Utc::now();
    expect_invalid(
        staff
            .schedule_activity(schedule(now, now - Duration::hours(1), 10))
            .await,
        "ends_at",
    );
    expect_invalid(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                starts_at: None,
                ..schedule(now, now, 10)
            })
            .await,
        "starts_at",
    );
    expect_invalid(
        staff
            .schedule_activity(schedule(now, now + Duration::hours(1), 0))
            .await,
        "capacity",
    );
    expect_invalid(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                category: 0,
                ..schedule(now, now + Duration::hours(1), 1)
            })
            .await,
        "category",
    );
    let later = staff
        .schedule_activity(schedule(
            now + Duration::hours(2),
            now + Duration::hours(3),
            10,
        ))
        .await
        .expect("schedule")
        .into_inner()
        .activity_id;
    expect_rule(
        staff.check_in_participant(check_in(&later, "", true)).await,
        None,
    );
    expect_rule(
        staff
            .close_activity(api::CloseActivityRequest {
                activity_id: later.clone(),
                report: "too early".into(),
                ..Default::default()
            })
            .await,
        None,
    );
    let cancel = api::CancelActivityRequest {
        options: None,
        activity_id: later.clone(),
        reason: "typhoon warning".into(),
    };
    staff.cancel_activity(cancel.clone()).await.expect("cancel");
    expect_rule(staff.cancel_activity(cancel).await, None);
    let seen = activity(&mut staff, &later).await;
    assert_eq!(seen.status, api::ActivityStatus::Cancelled as i32);
    assert_eq!(seen.cancel_reason, "typhoon warning");
    expect_code(
        staff
            .get_activity(api::GetActivityRequest {
                activity_id: uuid::Uuid::now_v7().to_string(),
            })
            .await,
        Code::NotFound,
    );
}
