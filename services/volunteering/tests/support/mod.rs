//! Shared by the gRPC tests: a real server on 127.0.0.1:0 over a fresh SQLite store,
//! the residents log it checks resident volunteers against, tokens, authenticated
//! clients and request builders.

#![allow(dead_code)]

use std::sync::Arc;

use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent, OrgPath};
use civitas_platform::auth::Role;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::events::v1::VolunteerServiceCategory as Category;
use civitas_proto::volunteering::v1 as api;
use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
use civitas_testkit::{AuthChannel, TestServer};
use civitas_volunteering::residence::{Residence, StoreResidence};
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub type Client = VolunteeringServiceClient<AuthChannel>;

/// A residents event log of its own (a SQLite store), as the volunteering service
/// reads it: tests register and move out residents by appending the residents
/// service's event types with the org path (volunteering reads nothing else).
pub struct Residents {
    store: Arc<SqliteEventStore>,
    _dir: tempfile::TempDir,
}

impl Residents {
    pub async fn new() -> Residents {
        let dir = civitas_testkit::temp_dir();
        let store = SqliteEventStore::open(&dir.path().join("residents.db"))
            .await
            .expect("open the residents store");
        Residents {
            store: Arc::new(store),
            _dir: dir,
        }
    }

    /// What the volunteering service reads this log through.
    pub fn residence(&self) -> Arc<dyn Residence> {
        Arc::new(StoreResidence::new(self.store.clone()))
    }

    /// A new resident of `community`; their id.
    pub async fn register(&self, community: &str) -> String {
        let id = uuid();
        self.append(&id, community, "ResidentRegistered").await;
        id
    }

    /// `resident` (of `community`) moves out.
    pub async fn move_out(&self, resident: &str, community: &str) {
        self.append(resident, community, "ResidentMovedOut").await;
    }

    async fn append(&self, resident: &str, community: &str, event_type: &str) {
        let request = AppendRequest {
            stream_id: format!("resident-{resident}"),
            expected: ExpectedVersion::Any,
            metadata: Metadata {
                org: OrgPath {
                    community: community.to_owned(),
                    ..OrgPath::default()
                },
                ..Metadata::default()
            },
            events: vec![NewEvent::new(event_type, 1, chrono::Utc::now(), Vec::new())],
            idempotency: None,
            companions: Vec::new(),
        };
        self.store
            .append(request)
            .await
            .expect("append to the residents log");
    }
}

/// A running volunteering server over its own SQLite store and residents log.
pub struct Server {
    server: TestServer,
    pub residents: Residents,
}

impl Server {
    pub async fn start() -> Server {
        let residents = Residents::new().await;
        let residence = residents.residence();
        let server =
            TestServer::serve_app(|shell| civitas_volunteering::app(shell, residence)).await;
        Server { server, residents }
    }

    /// A new resident of `community`; their id.
    pub async fn resident(&self, community: &str) -> String {
        self.residents.register(community).await
    }

    /// A client with a token of `role` at `org`.
    pub async fn client_as(&self, role: Role, org: &str) -> Client {
        VolunteeringServiceClient::new(self.server.channel_as(role, org).await)
    }

    /// A client for staff of `community`.
    pub async fn staff(&self, community: &str) -> Client {
        self.client_as(Role::Staff, community).await
    }

    /// A client that sends no token.
    pub async fn anonymous(&self) -> Client {
        VolunteeringServiceClient::new(self.server.channel_with(None).await)
    }
}

/// Asserts the status code and, for INVALID_ARGUMENT, the BadRequest field.
#[track_caller]
pub fn assert_invalid(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = status
        .get_details_bad_request()
        .expect("bad request details");
    let fields: Vec<_> = bad
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, [field], "{status:?}");
}

/// Asserts FAILED_PRECONDITION naming `field` (or no field).
#[track_caller]
pub fn assert_rule(status: &Status, field: Option<&str>) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let subject = status
        .get_details_precondition_failure()
        .map(|p| p.violations[0].subject.clone());
    assert_eq!(subject.as_deref(), field, "{status:?}");
}

pub fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn key(k: &str) -> Option<WriteOptions> {
    Some(WriteOptions {
        idempotency_key: k.to_owned(),
        expected_version: None,
    })
}

pub fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// A day that is in the past in every time zone.
pub fn past_day(days_ago: i64) -> Option<Date> {
    use chrono::Datelike;
    let d = chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago);
    date(d.year(), d.month() as i32, d.day() as i32)
}

pub fn timestamp_in(hours: i64) -> Option<prost_types::Timestamp> {
    let t = chrono::Utc::now() + chrono::Duration::hours(hours);
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

/// Registers a new resident of `community` (the client's) as a volunteer; the
/// volunteer's id.
pub async fn register_resident(
    residents: &Residents,
    client: &mut Client,
    community: &str,
) -> String {
    client
        .register_volunteer(api::RegisterVolunteerRequest {
            resident_id: residents.register(community).await,
            ..Default::default()
        })
        .await
        .expect("register volunteer")
        .into_inner()
        .volunteer_id
}

/// A valid FormTeam request.
pub fn team_request() -> api::FormTeamRequest {
    api::FormTeamRequest {
        name: "空巢老人关爱队".into(),
        purpose: "weekly visits to empty-nest elderly".into(),
        category: Category::EmptyNestCare as i32,
        ..Default::default()
    }
}

pub async fn form_team(client: &mut Client) -> String {
    client
        .form_team(team_request())
        .await
        .expect("form team")
        .into_inner()
        .team_id
}

/// A valid PublishOpportunity request for `spots`, starting in a day, lasting 3 hours.
pub fn opportunity_request(spots: u32) -> api::PublishOpportunityRequest {
    api::PublishOpportunityRequest {
        title: "weekend tutoring".into(),
        role: "maths tutor".into(),
        category: Category::Tutoring as i32,
        spots,
        starts_at: timestamp_in(24),
        ends_at: timestamp_in(27),
        ..Default::default()
    }
}

pub async fn publish(client: &mut Client, spots: u32) -> String {
    client
        .publish_opportunity(opportunity_request(spots))
        .await
        .expect("publish opportunity")
        .into_inner()
        .opportunity_id
}

/// Submits `minutes` on a past day and returns the record id.
pub async fn submit(client: &mut Client, volunteer: &str, days_ago: i64, minutes: u32) -> String {
    let record_id = uuid();
    client
        .submit_hours(api::SubmitHoursRequest {
            volunteer_id: volunteer.into(),
            record_id: record_id.clone(),
            service_date: past_day(days_ago),
            minutes,
            ..Default::default()
        })
        .await
        .expect("submit hours");
    record_id
}

/// Submits and approves; returns the record id and the star level after approval.
pub async fn approved(
    client: &mut Client,
    volunteer: &str,
    days_ago: i64,
    minutes: u32,
) -> (String, u32) {
    let record_id = submit(client, volunteer, days_ago, minutes).await;
    let star = client
        .approve_hours(api::ApproveHoursRequest {
            volunteer_id: volunteer.into(),
            record_id: record_id.clone(),
            ..Default::default()
        })
        .await
        .expect("approve hours")
        .into_inner()
        .star_level;
    (record_id, star)
}

pub fn verification(volunteer: &str) -> api::VerifyVolunteerRequest {
    api::VerifyVolunteerRequest {
        volunteer_id: volunteer.into(),
        ..Default::default()
    }
}

pub fn deactivation(volunteer: &str, reason: &str) -> api::DeactivateVolunteerRequest {
    api::DeactivateVolunteerRequest {
        volunteer_id: volunteer.into(),
        reason: reason.into(),
        ..Default::default()
    }
}

pub fn deposit(volunteer: &str, record_id: &str) -> api::DepositTimeCreditsRequest {
    api::DepositTimeCreditsRequest {
        volunteer_id: volunteer.into(),
        record_id: record_id.into(),
        ..Default::default()
    }
}

/// Fills `volunteer`'s time bank with `minutes` of approved, deposited records of at
/// most a day each, served 100 days ago and before (so recent days stay free).
pub async fn fill_time_bank(client: &mut Client, volunteer: &str, minutes: u64) {
    let mut left = minutes;
    for days_ago in 100.. {
        if left == 0 {
            break;
        }
        let served = u32::try_from(left.min(24 * 60)).expect("a day's minutes");
        let (record_id, _) = approved(client, volunteer, days_ago, served).await;
        client
            .deposit_time_credits(deposit(volunteer, &record_id))
            .await
            .expect("deposit time credits");
        left -= u64::from(served);
    }
}

pub async fn get(client: &mut Client, volunteer: &str) -> api::Volunteer {
    client
        .get_volunteer(api::GetVolunteerRequest {
            volunteer_id: volunteer.into(),
        })
        .await
        .expect("get volunteer")
        .into_inner()
        .volunteer
        .expect("volunteer")
}
