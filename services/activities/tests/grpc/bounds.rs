//! Every free-text field of every request is bounded: a 1.5 MB value (well under the
//! message limit) is INVALID_ARGUMENT naming the field, never written, logged or quoted
//! back.

use chrono::{Duration, Utc};
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1::{FacilityType, FundSource};

use super::support::{expect_invalid, today, Aggregates, TestApp};
use super::{item, schedule};

#[tokio::test]
async fn a_huge_value_is_refused_naming_its_field() {
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;
    let mut staff = app.staff("xingfu").await;
    let huge = || "x".repeat(1_500_000);
    let now = Utc::now();
    let later = now + Duration::hours(1);

    expect_invalid(
        staff.add_planned_item(item(x.year, 6, &huge())).await,
        "title",
    );
    expect_invalid(
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                community: huge(),
                ..item(x.year, 6, "film")
            })
            .await,
        "community",
    );
    expect_invalid(
        staff
            .amend_annual_plan(api::AmendAnnualPlanRequest {
                year: x.year,
                reason: huge(),
                ..Default::default()
            })
            .await,
        "reason",
    );
    expect_invalid(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                title: huge(),
                ..schedule(now, later, 5)
            })
            .await,
        "title",
    );
    expect_invalid(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                venue: huge(),
                ..schedule(now, later, 5)
            })
            .await,
        "venue",
    );
    expect_invalid(
        staff
            .schedule_activity(api::ScheduleActivityRequest {
                planned_item_id: huge(),
                ..schedule(now, later, 5)
            })
            .await,
        "planned_item_id",
    );
    expect_invalid(
        staff
            .register_participant(api::RegisterParticipantRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                resident_id: huge(),
            })
            .await,
        "resident_id",
    );
    expect_invalid(
        staff
            .close_activity(api::CloseActivityRequest {
                activity_id: x.activity_id.clone(),
                report: huge(),
                ..Default::default()
            })
            .await,
        "report",
    );
    expect_invalid(
        staff
            .cancel_activity(api::CancelActivityRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                reason: huge(),
            })
            .await,
        "reason",
    );
    expect_invalid(
        staff
            .register_publicity_board(api::RegisterPublicityBoardRequest {
                location: huge(),
                ..Default::default()
            })
            .await,
        "location",
    );
    expect_invalid(
        staff
            .record_board_update(api::RecordBoardUpdateRequest {
                options: None,
                board_id: x.board_id.clone(),
                topic: huge(),
                updated_on: today(),
                topic_code: civitas_proto::events::v1::BoardTopic::Politics as i32,
            })
            .await,
        "topic",
    );
    expect_invalid(
        staff
            .register_facility(api::RegisterFacilityRequest {
                facility_type: FacilityType::Other as i32,
                name: huge(),
                area_square_meters: 10,
                ..Default::default()
            })
            .await,
        "name",
    );
    expect_invalid(
        staff
            .record_facility_maintenance(api::RecordFacilityMaintenanceRequest {
                options: None,
                facility_id: x.facility_id.clone(),
                maintained_on: today(),
                note: huge(),
            })
            .await,
        "note",
    );
    expect_invalid(
        staff
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: x.year,
                community: huge(),
            })
            .await,
        "community",
    );
    let received = || api::RecordFundsReceivedRequest {
        source: FundSource::CoBuildingUnits as i32,
        amount_yuan: 100,
        received_on: today(),
        ..Default::default()
    };
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                note: huge(),
                ..received()
            })
            .await,
        "note",
    );
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                unit_id: huge(),
                ..received()
            })
            .await,
        "unit_id",
    );
    let spent = || api::RecordFundsSpentRequest {
        source: FundSource::Government as i32,
        amount_yuan: 100,
        spent_on: today(),
        purpose: "p".into(),
        ..Default::default()
    };
    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                purpose: huge(),
                ..spent()
            })
            .await,
        "purpose",
    );
    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                note: huge(),
                ..spent()
            })
            .await,
        "note",
    );
    expect_invalid(
        staff
            .get_activity(api::GetActivityRequest {
                activity_id: huge(),
            })
            .await,
        "activity_id",
    );
}

/// The activity a user scheduled to end in year 262143 (after which checking in
/// panicked adding the margin) is refused at the edge, naming the field; so is one
/// starting before 1900.
#[tokio::test]
async fn times_outside_the_sane_years_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let now = Utc::now();
    let far = chrono::NaiveDate::from_ymd_opt(262_142, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("chrono's last year")
        .and_utc();
    expect_invalid(
        staff.schedule_activity(schedule(now, far, 5)).await,
        "ends_at",
    );
    let long_ago = chrono::NaiveDate::from_ymd_opt(1899, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a date")
        .and_utc();
    expect_invalid(
        staff.schedule_activity(schedule(long_ago, now, 5)).await,
        "starts_at",
    );
}
