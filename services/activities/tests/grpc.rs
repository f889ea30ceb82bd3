//! End to end over gRPC: the annual plan, an activity's life, boards and facilities,
//! with the documented codes and the fields they blame.

mod support;

use chrono::{DateTime, Datelike, Duration, Utc};
use civitas_platform::auth::Role;
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::{ActivityCategory, FacilityType};
use support::{expect_code, expect_invalid, expect_rule, key, App, Client};
use tonic::Code;

fn item(year: i32, month: i32, title: &str) -> api::AddPlannedItemRequest {
    api::AddPlannedItemRequest {
        options: None,
        year,
        month,
        category: ActivityCategory::FilmScreening as i32,
        title: title.into(),
        target_participants: 40,
        community: String::new(),
    }
}

fn schedule(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: u32,
) -> api::ScheduleActivityRequest {
    api::ScheduleActivityRequest {
        options: None,
        category: ActivityCategory::FilmScreening as i32,
        title: "世界电影之夜".into(),
        venue: "社区文化室".into(),
        starts_at: Some(timestamp(starts_at)),
        ends_at: Some(timestamp(ends_at)),
        capacity,
        planned_item_id: String::new(),
        community: String::new(),
    }
}

fn resident() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn register(activity_id: &str, resident_id: &str) -> api::RegisterParticipantRequest {
    api::RegisterParticipantRequest {
        options: None,
        activity_id: activity_id.into(),
        resident_id: resident_id.into(),
    }
}

fn check_in(activity_id: &str, resident_id: &str, walk_in: bool) -> api::CheckInParticipantRequest {
    api::CheckInParticipantRequest {
        options: None,
        activity_id: activity_id.into(),
        resident_id: resident_id.into(),
        walk_in,
    }
}

async fn plan(client: &mut Client, year: i32) -> api::AnnualPlan {
    client
        .get_annual_plan(api::GetAnnualPlanRequest {
            year,
            community: String::new(),
        })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan")
}

async fn activity(client: &mut Client, activity_id: &str) -> api::Activity {
    client
        .get_activity(api::GetActivityRequest {
            activity_id: activity_id.into(),
        })
        .await
        .expect("activity")
        .into_inner()
        .activity
        .expect("activity")
}

#[tokio::test]
async fn an_annual_plan_is_drafted_published_and_amended_by_version() {
    let app = App::spawn().await;
    let mut staff = app.staff("xingfu").await;

    let first = staff
        .add_planned_item(api::AddPlannedItemRequest {
            options: key("plan-1"),
            ..item(2026, 3, "学雷锋志愿服务")
        })
        .await
        .expect("add")
        .into_inner();
    let result = first.result.expect("result");
    assert_eq!(result.stream_id, "annualplan-xingfu-2026");
    assert_eq!((result.version, result.replayed), (1, false));
    // A retry answers the first result, item id included, and writes nothing.
    let retried = staff
        .add_planned_item(api::AddPlannedItemRequest {
            options: key("plan-1"),
            ..item(2026, 3, "学雷锋志愿服务")
        })
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retried.item_id, first.item_id);
    assert!(retried.result.expect("result").replayed);
    let draft = plan(&mut staff, 2026).await;
    assert_eq!(draft.status, api::PlanStatus::Draft as i32);
    assert_eq!((draft.plan_version, draft.published_version), (1, 0));
    assert_eq!(draft.items.len(), 1);
    assert_eq!(draft.items[0].item_id, first.item_id);
    assert_eq!(draft.org.expect("org").street, "huafeng");

    let published = staff
        .publish_annual_plan(api::PublishAnnualPlanRequest {
            options: None,
            year: 2026,
            community: "xingfu".into(),
        })
        .await
        .expect("publish")
        .into_inner();
    assert_eq!(published.plan_version, 1);
    expect_rule(staff.add_planned_item(item(2026, 10, "重阳节")).await, None);
    expect_rule(
        staff
            .publish_annual_plan(api::PublishAnnualPlanRequest {
                year: 2026,
                ..Default::default()
            })
            .await,
        None,
    );
    expect_invalid(
        staff
            .amend_annual_plan(api::AmendAnnualPlanRequest {
                year: 2026,
                reason: " ".into(),
                ..Default::default()
            })
            .await,
        "reason",
    );
    let amended = staff
        .amend_annual_plan(api::AmendAnnualPlanRequest {
            year: 2026,
            reason: "add the Double Ninth visit".into(),
            ..Default::default()
        })
        .await
        .expect("amend")
        .into_inner();
    assert_eq!(amended.plan_version, 2);
    staff
        .add_planned_item(item(2026, 10, "重阳节"))
        .await
        .expect("add to the amendment");
    let republished = staff
        .publish_annual_plan(api::PublishAnnualPlanRequest {
            year: 2026,
            ..Default::default()
        })
        .await
        .expect("publish v2")
        .into_inner();
    assert_eq!(republished.plan_version, 2);
    let current = plan(&mut staff, 2026).await;
    assert_eq!(current.status, api::PlanStatus::Published as i32);
    assert_eq!((current.plan_version, current.published_version), (2, 2));
    assert_eq!(
        current
            .items
            .iter()
            .map(|i| (i.month, i.added_in_version))
            .collect::<Vec<_>>(),
        [(3, 1), (10, 2)]
    );
    assert_eq!(current.amendment_reason, "add the Double Ninth visit");

    // Refusals with their fields.
    expect_invalid(staff.add_planned_item(item(2026, 13, "x")).await, "month");
    expect_invalid(staff.add_planned_item(item(1999, 1, "x")).await, "year");
    expect_invalid(staff.add_planned_item(item(2027, 1, "")).await, "title");
    expect_invalid(
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                category: 0,
                ..item(2027, 1, "x")
            })
            .await,
        "category",
    );
    expect_invalid(
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                target_participants: 0,
                ..item(2027, 1, "x")
            })
            .await,
        "target_participants",
    );
    expect_code(
        staff
            .publish_annual_plan(api::PublishAnnualPlanRequest {
                year: 2030,
                ..Default::default()
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        staff
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: 2030,
                community: String::new(),
            })
            .await,
        Code::NotFound,
    );

    // The district office reads any community below it, naming which.
    let mut district = app.client(Role::District, "gulou").await;
    let seen = district
        .get_annual_plan(api::GetAnnualPlanRequest {
            year: 2026,
            community: "xingfu".into(),
        })
        .await
        .expect("district read")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!(seen.items.len(), 2);
    expect_invalid(
        district
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: 2026,
                community: String::new(),
            })
            .await,
        "community",
    );
}

#[tokio::test]
async fn an_activity_runs_from_registration_to_closing() {
    let app = App::spawn().await;
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
    let app = App::spawn().await;
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

#[tokio::test]
async fn boards_and_facilities_are_registered_and_kept() {
    let app = App::spawn().await;
    let mut staff = app.staff("jinxiu").await;
    let today = district_day(Utc::now());
    let date = |d: chrono::NaiveDate| Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    };

    expect_invalid(
        staff
            .register_publicity_board(api::RegisterPublicityBoardRequest::default())
            .await,
        "location",
    );
    let board = staff
        .register_publicity_board(api::RegisterPublicityBoardRequest {
            options: None,
            location: "3 幢东侧".into(),
            community: String::new(),
        })
        .await
        .expect("board")
        .into_inner();
    assert_eq!(
        board.result.expect("result").stream_id,
        format!("publicityboard-{}", board.board_id)
    );
    let update = |updated_on, board_id: &str| api::RecordBoardUpdateRequest {
        options: None,
        board_id: board_id.into(),
        topic: "垃圾分类".into(),
        updated_on,
    };
    staff
        .record_board_update(update(Some(date(today)), &board.board_id))
        .await
        .expect("update");
    expect_invalid(
        staff
            .record_board_update(update(
                Some(date(today + Duration::days(1))),
                &board.board_id,
            ))
            .await,
        "updated_on",
    );
    expect_invalid(
        staff
            .record_board_update(update(None, &board.board_id))
            .await,
        "updated_on",
    );
    expect_code(
        staff
            .record_board_update(update(Some(date(today)), &uuid::Uuid::now_v7().to_string()))
            .await,
        Code::NotFound,
    );

    let facility = |facility_type: FacilityType, area| api::RegisterFacilityRequest {
        options: None,
        facility_type: facility_type as i32,
        name: "居家养老服务站".into(),
        area_square_meters: area,
        community: String::new(),
    };
    expect_invalid(
        staff
            .register_facility(facility(FacilityType::ServiceStation, 0))
            .await,
        "area_square_meters",
    );
    expect_invalid(
        staff
            .register_facility(facility(FacilityType::Unspecified, 200))
            .await,
        "facility_type",
    );
    let station = staff
        .register_facility(facility(FacilityType::ServiceStation, 200))
        .await
        .expect("facility")
        .into_inner();
    let maintained = staff
        .record_facility_maintenance(api::RecordFacilityMaintenanceRequest {
            options: None,
            facility_id: station.facility_id.clone(),
            maintained_on: Some(date(today)),
            note: "replaced the lights".into(),
        })
        .await
        .expect("maintenance")
        .into_inner();
    assert_eq!(maintained.result.expect("result").version, 2);
    expect_invalid(
        staff
            .record_facility_maintenance(api::RecordFacilityMaintenanceRequest {
                options: None,
                facility_id: station.facility_id.clone(),
                maintained_on: Some(date(today)),
                note: String::new(),
            })
            .await,
        "note",
    );
}
