//! Publicity boards and facilities: registered, updated, maintained; and the services
//! the service station delivers.

use chrono::{Duration, Utc};
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1::{BoardTopic, FacilityType, StationServiceKind};
use tonic::Code;

use super::support::{
    date, expect_code, expect_invalid, expect_rule, today, Aggregates, TestApp, RESIDENT,
};

#[tokio::test]
async fn boards_and_facilities_are_registered_and_kept() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("jinxiu").await;
    let today = district_day(Utc::now());
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
        topic_code: BoardTopic::HealthEducation as i32,
    };
    staff
        .record_board_update(update(Some(date(today)), &board.board_id))
        .await
        .expect("update");
    // The topic code is required; the title is optional.
    let updated = staff
        .record_board_update(api::RecordBoardUpdateRequest {
            topic: String::new(),
            topic_code: BoardTopic::CurrentAffairs as i32,
            ..update(Some(date(today)), &board.board_id)
        })
        .await
        .expect("an update without a title")
        .into_inner();
    assert_eq!(updated.result.expect("result").version, 3);
    expect_invalid(
        staff
            .record_board_update(api::RecordBoardUpdateRequest {
                topic_code: BoardTopic::Unspecified as i32,
                ..update(Some(date(today)), &board.board_id)
            })
            .await,
        "topic_code",
    );
    expect_invalid(
        staff
            .record_board_update(api::RecordBoardUpdateRequest {
                topic_code: 99,
                ..update(Some(date(today)), &board.board_id)
            })
            .await,
        "topic_code",
    );
    expect_invalid(
        staff
            .record_board_update(api::RecordBoardUpdateRequest {
                topic: "长".repeat(101),
                ..update(Some(date(today)), &board.board_id)
            })
            .await,
        "topic",
    );
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

#[tokio::test]
async fn the_service_station_delivers_services_and_nothing_else_does() {
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;
    let mut staff = app.staff("xingfu").await;
    let station = staff
        .register_facility(api::RegisterFacilityRequest {
            facility_type: FacilityType::ServiceStation as i32,
            name: "社区服务站".into(),
            area_square_meters: 220,
            ..Default::default()
        })
        .await
        .expect("station")
        .into_inner()
        .facility_id;
    let serve = |facility_id: &str| api::RecordStationServiceRequest {
        facility_id: facility_id.to_owned(),
        resident_id: RESIDENT.into(),
        kind: StationServiceKind::Meals as i32,
        served_on: today(),
        ..Default::default()
    };
    let served = staff
        .record_station_service(serve(&station))
        .await
        .expect("served")
        .into_inner();
    assert_eq!(served.service_id.len(), 36);
    // The cultural room is no station; an unknown facility is not found.
    expect_rule(
        staff.record_station_service(serve(&x.facility_id)).await,
        Some("facility_id"),
    );
    expect_code(
        staff
            .record_station_service(serve(&uuid::Uuid::now_v7().to_string()))
            .await,
        Code::NotFound,
    );
    expect_invalid(
        staff
            .record_station_service(api::RecordStationServiceRequest {
                kind: 0,
                ..serve(&station)
            })
            .await,
        "kind",
    );
}
