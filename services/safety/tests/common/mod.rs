//! Shared helpers for the safety gRPC tests: start the real server on 127.0.0.1:0 over a
//! fresh SQLite store, make authenticated clients, build valid requests.

#![allow(dead_code)] // each test binary uses its own subset

use chrono::Utc;
use civitas_platform::auth::Role;
use civitas_proto::common::v1::{Date, WriteOptions};
use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;
use civitas_proto::safety::v1::safety_service_client::SafetyServiceClient;
use civitas_testkit::{AuthChannel, TestServer};
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub use civitas_proto::convert::timestamp;

/// A client that sends a bearer token (or none).
pub type Client = SafetyServiceClient<AuthChannel>;

/// The safety service served over a fresh SQLite store; both go when it drops.
pub struct SafetyServer {
    server: TestServer,
}

impl SafetyServer {
    /// Starts the service on a free port over an empty store.
    pub async fn start() -> SafetyServer {
        SafetyServer {
            server: TestServer::serve_app(civitas_safety::app).await,
        }
    }

    /// A client with a token for `role` in `org`.
    pub async fn client(&self, role: Role, org: &str) -> Client {
        SafetyServiceClient::new(self.server.channel_as(role, org).await)
    }

    /// A client for community staff.
    pub async fn staff(&self, community: &str) -> Client {
        self.client(Role::Staff, community).await
    }

    /// A client with this token, or none.
    pub async fn client_with(&self, token: Option<&str>) -> Client {
        SafetyServiceClient::new(self.server.channel_with(token).await)
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

/// A date `days` from today in the district (UTC+8).
pub fn date_in(days: i64) -> Date {
    let day = civitas_platform::command::district_day(Utc::now()) + chrono::Duration::days(days);
    civitas_proto::convert::date_to_pb(day)
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

pub fn dispatch(incident_id: &str, assignee: &str) -> api::DispatchIncidentRequest {
    api::DispatchIncidentRequest {
        options: None,
        incident_id: incident_id.into(),
        assignee: assignee.into(),
    }
}

pub fn resolve(incident_id: &str, resolution: &str) -> api::ResolveIncidentRequest {
    api::ResolveIncidentRequest {
        options: None,
        incident_id: incident_id.into(),
        resolution: resolution.into(),
    }
}

pub fn close(incident_id: &str) -> api::CloseIncidentRequest {
    api::CloseIncidentRequest {
        options: None,
        incident_id: incident_id.into(),
    }
}

pub fn escalate(
    incident_id: &str,
    target: ev::EscalationTarget,
    reason: &str,
) -> api::EscalateIncidentRequest {
    api::EscalateIncidentRequest {
        options: None,
        incident_id: incident_id.into(),
        target: target as i32,
        reason: reason.into(),
    }
}

pub fn verify(rectification_id: &str) -> api::VerifyRectificationRequest {
    api::VerifyRectificationRequest {
        options: None,
        rectification_id: rectification_id.into(),
    }
}

/// The incident as `client` reads it; panics when the read is refused.
pub async fn get_incident(client: &mut Client, id: &str) -> api::Incident {
    client
        .get_incident(api::GetIncidentRequest {
            incident_id: id.to_owned(),
        })
        .await
        .expect("get incident")
        .into_inner()
        .incident
        .expect("incident")
}

/// The rectification as `client` reads it; panics when the read is refused.
pub async fn get_rectification(client: &mut Client, id: &str) -> api::Rectification {
    client
        .get_rectification(api::GetRectificationRequest {
            rectification_id: id.to_owned(),
        })
        .await
        .expect("get rectification")
        .into_inner()
        .rectification
        .expect("rectification")
}

/// One aggregate of each kind, created by `owner`.
pub struct Fixtures {
    pub incident_id: String,
    pub patrol_id: String,
    pub failed_inspection_id: String,
    pub rectification_id: String,
}

impl Fixtures {
    pub async fn create(owner: &mut Client) -> Fixtures {
        let incident_id = owner
            .report_incident(report(
                ev::IncidentCategory::Theft,
                ev::IncidentSeverity::Minor,
            ))
            .await
            .expect("report")
            .into_inner()
            .incident_id;
        let patrol_id = owner
            .schedule_patrol(schedule_patrol())
            .await
            .expect("schedule")
            .into_inner()
            .patrol_id;
        let failed_inspection_id = owner
            .record_inspection(inspection(false, &["blocked exit"]))
            .await
            .expect("inspect")
            .into_inner()
            .inspection_id;
        let rectification_id = owner
            .order_rectification(order_for(&failed_inspection_id, 7))
            .await
            .expect("order")
            .into_inner()
            .rectification_id;
        Fixtures {
            incident_id,
            patrol_id,
            failed_inspection_id,
            rectification_id,
        }
    }
}
