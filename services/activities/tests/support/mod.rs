//! A real activities server on 127.0.0.1:0 over a fresh SQLite store, served by the
//! platform's assembly, and clients that carry a bearer token for a role and org unit.
#![allow(dead_code)]

use chrono::{Datelike, Duration, Utc};
use civitas_platform::auth::Role;
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::{ActivityCategory, FacilityType};
use civitas_testkit::{AuthChannel, TestServer};
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// A running server and the store it writes; both go when it drops.
pub struct TestApp {
    server: TestServer,
}

pub type Client = ActivitiesServiceClient<AuthChannel>;

impl TestApp {
    /// Starts a server with a fresh store.
    pub async fn spawn() -> TestApp {
        TestApp {
            server: TestServer::serve_app(civitas_activities::app).await,
        }
    }

    /// A client with a token for `role` over `org`.
    pub async fn client(&self, role: Role, org: &str) -> Client {
        ActivitiesServiceClient::new(self.server.channel_as(role, org).await)
    }

    /// Staff of a community.
    pub async fn staff(&self, community: &str) -> Client {
        self.client(Role::Staff, community).await
    }

    /// A client with this token, or none.
    pub async fn client_with(&self, token: Option<&str>) -> Client {
        ActivitiesServiceClient::new(self.server.channel_with(token).await)
    }
}

/// A registered resident's pseudonymous id.
pub const RESIDENT: &str = "0190f0a2-7b3c-7d4e-8f10-111213141516";

/// One aggregate of each kind, created by a community's own staff: a plan item for the
/// current year, an activity that ended five minutes ago with [`RESIDENT`] registered,
/// a publicity board and a facility.
pub struct Aggregates {
    pub year: i32,
    pub activity_id: String,
    pub board_id: String,
    pub facility_id: String,
    /// A good deed, published.
    pub deed_id: String,
    /// A co-building unit.
    pub unit_id: String,
    /// A contest with three entrants.
    pub contest_id: String,
}

impl Aggregates {
    pub async fn create(app: &TestApp, community: &str) -> Aggregates {
        let mut staff = app.staff(community).await;
        let now = Utc::now();
        let year = district_day(now).year();
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                options: None,
                year,
                month: 5,
                category: ActivityCategory::CitizenSchoolClass as i32,
                title: "市民学校".into(),
                target_participants: 30,
                community: String::new(),
            })
            .await
            .expect("plan");
        let activity_id = staff
            .schedule_activity(api::ScheduleActivityRequest {
                category: ActivityCategory::Performance as i32,
                title: "家庭才艺表演".into(),
                venue: "广场".into(),
                starts_at: Some(timestamp(now - Duration::hours(2))),
                ends_at: Some(timestamp(now - Duration::minutes(5))),
                capacity: 50,
                ..Default::default()
            })
            .await
            .expect("activity")
            .into_inner()
            .activity_id;
        staff
            .register_participant(api::RegisterParticipantRequest {
                options: None,
                activity_id: activity_id.clone(),
                resident_id: RESIDENT.into(),
            })
            .await
            .expect("registration");
        let board_id = staff
            .register_publicity_board(api::RegisterPublicityBoardRequest {
                location: "北门".into(),
                ..Default::default()
            })
            .await
            .expect("board")
            .into_inner()
            .board_id;
        let facility_id = staff
            .register_facility(api::RegisterFacilityRequest {
                facility_type: FacilityType::CulturalRoom as i32,
                name: "文化活动室".into(),
                area_square_meters: 80,
                ..Default::default()
            })
            .await
            .expect("facility")
            .into_inner()
            .facility_id;
        let deed_id = staff
            .record_good_deed(good_deed())
            .await
            .expect("good deed")
            .into_inner()
            .deed_id;
        staff
            .publish_good_deed(api::PublishGoodDeedRequest {
                options: None,
                deed_id: deed_id.clone(),
            })
            .await
            .expect("published");
        let unit_id = staff
            .register_co_building_unit(api::RegisterCoBuildingUnitRequest {
                name: "区第一中学".into(),
                ..Default::default()
            })
            .await
            .expect("co-building unit")
            .into_inner()
            .unit_id;
        let contest_id = staff
            .record_contest(contest())
            .await
            .expect("contest")
            .into_inner()
            .contest_id;
        Aggregates {
            year,
            activity_id,
            board_id,
            facility_id,
            deed_id,
            unit_id,
            contest_id,
        }
    }
}

/// A learning-families contest held today with three entrants.
pub fn contest() -> api::RecordContestRequest {
    api::RecordContestRequest {
        kind: civitas_proto::events::v1::ContestKind::LearningFamily as i32,
        title: "学习型家庭评选".into(),
        held_on: today(),
        entrants: 3,
        ..Default::default()
    }
}

/// A good deed that happened today.
pub fn good_deed() -> api::RecordGoodDeedRequest {
    api::RecordGoodDeedRequest {
        title: "拾金不昧".into(),
        story: "3 栋居民拾到钱包，交还失主。".into(),
        happened_on: today(),
        ..Default::default()
    }
}

/// The wire form of a calendar date.
pub fn date(d: chrono::NaiveDate) -> Date {
    civitas_proto::convert::date_to_pb(d)
}

/// Today in the district, on the wire.
pub fn today() -> Option<Date> {
    Some(date(district_day(Utc::now())))
}

/// Last month in the district, as a report names it (`YYYYMM`).
pub fn last_month() -> String {
    let today = district_day(Utc::now());
    let last = today.with_day(1).unwrap() - Duration::days(1);
    format!("{:04}{:02}", last.year(), last.month())
}

/// This month in the district (`YYYYMM`), which has not ended.
pub fn this_month() -> String {
    let today = district_day(Utc::now());
    format!("{:04}{:02}", today.year(), today.month())
}

/// Write options with an idempotency key.
pub fn key(k: &str) -> Option<WriteOptions> {
    Some(WriteOptions {
        idempotency_key: k.into(),
        expected_version: None,
    })
}

/// Asserts a status code and returns the status.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), code, "{s:?}");
            s
        }
    }
}

/// Asserts INVALID_ARGUMENT naming exactly `field` in its BadRequest.
#[track_caller]
pub fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) {
    let status = expect_code(result, Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, [field], "{status:?}");
}

/// Asserts FAILED_PRECONDITION, blaming `field` when given.
#[track_caller]
pub fn expect_rule<T: std::fmt::Debug>(result: Result<T, Status>, field: Option<&str>) -> Status {
    let status = expect_code(result, Code::FailedPrecondition);
    let subject = status
        .get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.subject);
    assert_eq!(subject.as_deref(), field, "{status:?}");
    status
}
