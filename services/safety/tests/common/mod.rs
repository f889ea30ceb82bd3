//! Shared helpers for the safety gRPC tests: start the real server on 127.0.0.1:0 over a
//! fresh SQLite store, make authenticated clients, build valid requests.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, Utc};
use civitas_kernel::store::SqliteEventStore;
use civitas_platform::auth::{AuthInterceptor, Role, TokenKeys};
use civitas_platform::grpc::ServerLimits;
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;
use civitas_proto::safety::v1::safety_service_client::SafetyServiceClient;
use civitas_safety::Safety;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// A client that sends a bearer token (or none).
pub type Client = SafetyServiceClient<InterceptedService<Channel, Bearer>>;

/// A running safety server and what tests need to talk to it.
pub struct TestServer {
    pub addr: String,
    keys: Arc<TokenKeys>,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts the service on a free port over an empty store.
    pub async fn start() -> TestServer {
        let dir = civitas_testkit::temp_dir();
        let store = SqliteEventStore::open(&dir.path().join("safety.db"))
            .await
            .expect("open the event store");
        let safety = Safety::new(Arc::new(store), OrgTree::demo());
        let keys = Arc::new(TokenKeys::new(b"test-secret-32-bytes-long......."));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = format!("http://{}", listener.local_addr().expect("addr"));
        let service = safety.server(&ServerLimits::default(), AuthInterceptor::new(keys.clone()));
        let task = tokio::spawn(async move {
            Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .expect("serve");
        });
        TestServer {
            addr,
            keys,
            _dir: dir,
            _task: task,
        }
    }

    /// A client with a token for `role` in `org`.
    pub async fn client(&self, role: Role, org: &str) -> Client {
        let token = self
            .keys
            .issue(
                &format!("{role}-{org}"),
                role,
                org,
                Duration::from_secs(600),
            )
            .expect("issue token");
        self.client_with(Some(token)).await
    }

    /// A client for community staff.
    pub async fn staff(&self, community: &str) -> Client {
        self.client(Role::Staff, community).await
    }

    /// A client with this token, or none.
    pub async fn client_with(&self, token: Option<String>) -> Client {
        let channel = Channel::from_shared(self.addr.clone())
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        SafetyServiceClient::with_interceptor(channel, Bearer(token))
    }
}

/// Adds `authorization: Bearer <token>` to every request (or nothing).
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::internal("bad token"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

/// Asserts INVALID_ARGUMENT with a BadRequest naming exactly `field`.
#[track_caller]
pub fn assert_invalid(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad_request = status
        .get_details_bad_request()
        .expect("a BadRequest detail");
    let fields: Vec<_> = bad_request
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, [field], "{status:?}");
}

/// Asserts FAILED_PRECONDITION; with `Some(field)`, a PreconditionFailure naming it.
#[track_caller]
pub fn assert_rule(status: &Status, field: Option<&str>) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let subjects: Vec<String> = status
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.subject).collect())
        .unwrap_or_default();
    match field {
        Some(field) => assert_eq!(subjects, [field], "{status:?}"),
        None => assert!(subjects.is_empty(), "{status:?}"),
    }
}

pub fn timestamp(at: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// A date `days` from today in the district (UTC+8).
pub fn date_in(days: i64) -> Date {
    let day = civitas_platform::command::district_day(Utc::now()) + chrono::Duration::days(days);
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

pub fn keyed(key: &str) -> Option<WriteOptions> {
    Some(WriteOptions {
        idempotency_key: key.into(),
        expected_version: None,
    })
}

pub fn report(
    category: ev::IncidentCategory,
    severity: ev::IncidentSeverity,
) -> api::ReportIncidentRequest {
    api::ReportIncidentRequest {
        options: None,
        category: category as i32,
        severity: severity as i32,
        grid: "G-03".into(),
        building: "5栋".into(),
        location: "east gate bike shed".into(),
        occurred_at: Some(timestamp(Utc::now() - chrono::Duration::hours(1))),
        community: String::new(),
    }
}

pub fn schedule_patrol() -> api::SchedulePatrolRequest {
    api::SchedulePatrolRequest {
        options: None,
        route: "north loop".into(),
        planned_start: Some(timestamp(Utc::now() - chrono::Duration::hours(2))),
        planned_grids: vec!["G1".into(), "G2".into(), "G3".into()],
        community: String::new(),
    }
}

pub fn complete_patrol(patrol_id: &str) -> api::CompletePatrolRequest {
    api::CompletePatrolRequest {
        options: None,
        patrol_id: patrol_id.into(),
        participants: 6,
        minutes: 90,
        grids_covered: vec!["G1".into(), "G2".into()],
    }
}

pub fn inspection(passed: bool, hazards: &[&str]) -> api::RecordInspectionRequest {
    api::RecordInspectionRequest {
        options: None,
        inspection_type: ev::InspectionType::FireSafety as i32,
        target: "building 5 stairwell".into(),
        score: if passed { 90 } else { 40 },
        passed,
        hazards: hazards.iter().map(|h| (*h).to_owned()).collect(),
        community: String::new(),
    }
}

pub fn order_for(inspection_id: &str, deadline_in_days: i64) -> api::OrderRectificationRequest {
    api::OrderRectificationRequest {
        options: None,
        inspection_id: inspection_id.into(),
        hazard: String::new(),
        deadline: Some(date_in(deadline_in_days)),
        community: String::new(),
    }
}
