//! Shared by the gRPC tests: a real server on 127.0.0.1:0 over a fresh SQLite store,
//! tokens, authenticated clients and request builders.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::store::SqliteEventStore;
use civitas_platform::auth::{AuthInterceptor, Role, TokenKeys};
use civitas_platform::grpc::ServerLimits;
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::volunteering::v1 as api;
use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
use civitas_volunteering::{Volunteering, VolunteeringConfig};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

pub type Client = VolunteeringServiceClient<InterceptedService<Channel, Bearer>>;

/// A running volunteering server and what tests need to talk to it.
pub struct Server {
    pub addr: String,
    pub keys: Arc<TokenKeys>,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(VolunteeringConfig::default()).await
    }

    pub async fn start_with(config: VolunteeringConfig) -> Server {
        let dir = civitas_testkit::temp_dir();
        let store = SqliteEventStore::open(&dir.path().join("volunteering.db"))
            .await
            .expect("open store");
        let service = Volunteering::with_config(Arc::new(store), OrgTree::demo(), config);
        let keys = Arc::new(TokenKeys::new(b"test-secret-32-bytes-long......."));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = format!("http://{}", listener.local_addr().expect("addr"));
        let server = service.server(&ServerLimits::default(), AuthInterceptor::new(keys.clone()));
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(server)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .expect("serve");
        });
        Server {
            addr,
            keys,
            _dir: dir,
            _task: task,
        }
    }

    pub fn token(&self, role: Role, org: &str) -> String {
        self.keys
            .issue(
                &format!("{role}-{org}"),
                role,
                org,
                Duration::from_secs(600),
            )
            .expect("issue token")
    }

    pub async fn client(&self, token: Option<String>) -> Client {
        let channel = Channel::from_shared(self.addr.clone())
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        VolunteeringServiceClient::with_interceptor(channel, Bearer(token))
    }

    /// A client for staff of `community`.
    pub async fn staff(&self, community: &str) -> Client {
        self.client(Some(self.token(Role::Staff, community))).await
    }
}

/// Adds `authorization: Bearer <token>` to every request (or nothing).
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}").parse().expect("header value");
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
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

pub async fn register_resident(client: &mut Client) -> String {
    client
        .register_volunteer(api::RegisterVolunteerRequest {
            resident_id: uuid(),
            ..Default::default()
        })
        .await
        .expect("register volunteer")
        .into_inner()
        .volunteer_id
}

pub async fn form_team(client: &mut Client) -> String {
    client
        .form_team(api::FormTeamRequest {
            name: "空巢老人关爱队".into(),
            purpose: "weekly visits to empty-nest elderly".into(),
            category: civitas_proto::events::v1::VolunteerServiceCategory::EmptyNestCare as i32,
            ..Default::default()
        })
        .await
        .expect("form team")
        .into_inner()
        .team_id
}

pub async fn publish(client: &mut Client, spots: u32) -> String {
    client
        .publish_opportunity(api::PublishOpportunityRequest {
            title: "weekend tutoring".into(),
            role: "maths tutor".into(),
            category: civitas_proto::events::v1::VolunteerServiceCategory::Tutoring as i32,
            spots,
            starts_at: timestamp_in(24),
            ends_at: timestamp_in(27),
            ..Default::default()
        })
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
