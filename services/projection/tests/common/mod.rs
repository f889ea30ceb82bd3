//! Shared test support: a projection on either backend, and a log of residents events
//! with stream versions and checkpoints assigned like a store would.
#![allow(dead_code)]

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::{Checkpoint, OrgPath, RecordedEvent};
use civitas_projection::{GapFiller, Projection};
use civitas_proto::events::v1 as pb;
use prost::Message;

pub mod areas;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A projection with whatever keeps its database alive.
pub struct TestDb {
    pub projection: Projection,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<civitas_testkit::FreshDb>,
}

impl Backend {
    pub async fn open(self) -> TestDb {
        match self {
            Backend::Sqlite => {
                let dir = civitas_testkit::temp_dir();
                let url = format!("sqlite://{}/projection.db?mode=rwc", dir.path().display());
                let projection = Projection::open(&url)
                    .await
                    .expect("open sqlite projection");
                TestDb {
                    projection,
                    url,
                    _dir: Some(dir),
                    _pg: None,
                }
            }
            Backend::Postgres => {
                let db = civitas_testkit::fresh_postgres_db()
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"));
                let projection = Projection::open(&db.url)
                    .await
                    .expect("open postgres projection");
                TestDb {
                    projection,
                    url: db.url.clone(),
                    _dir: None,
                    _pg: Some(db),
                }
            }
        }
    }
}

/// Generates `<name>::sqlite` and `<name>::postgres` tests from `async fn <name>(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("YYYY-MM-DD")
}

/// Noon in the district (UTC+08:00) on a `YYYY-MM-DD` day.
pub fn noon(s: &str) -> DateTime<Utc> {
    format!("{s}T12:00:00+08:00")
        .parse::<DateTime<chrono::FixedOffset>>()
        .expect("timestamp")
        .with_timezone(&Utc)
}

/// An event's type name and payload.
pub type Payload = (&'static str, Vec<u8>);

pub fn household(id: &str) -> Payload {
    (
        "HouseholdRegistered",
        pb::HouseholdRegistered {
            household_id: id.into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

pub fn registered(resident: &str, household: &str, kind: pb::ResidenceType) -> Payload {
    let msg = pb::ResidentRegistered {
        resident_id: resident.into(),
        household_id: household.into(),
        residence_type: kind as i32,
        ..Default::default()
    };
    ("ResidentRegistered", msg.encode_to_vec())
}

pub fn moved_out(resident: &str) -> Payload {
    (
        "ResidentMovedOut",
        pb::ResidentMovedOut {
            resident_id: resident.into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

pub fn type_changed(resident: &str, from: pb::ResidenceType, to: pb::ResidenceType) -> Payload {
    let msg = pb::ResidenceTypeChanged {
        resident_id: resident.into(),
        from: from as i32,
        to: to as i32,
    };
    ("ResidenceTypeChanged", msg.encode_to_vec())
}

pub fn assigned(resident: &str, category: pb::CareCategory) -> Payload {
    let msg = pb::CareCategoryAssigned {
        resident_id: resident.into(),
        category: category as i32,
    };
    ("CareCategoryAssigned", msg.encode_to_vec())
}

pub fn revoked(resident: &str, category: pb::CareCategory) -> Payload {
    let msg = pb::CareCategoryRevoked {
        resident_id: resident.into(),
        category: category as i32,
        ..Default::default()
    };
    ("CareCategoryRevoked", msg.encode_to_vec())
}

pub fn erased(resident: &str) -> Payload {
    (
        "ResidentErased",
        pb::ResidentErased {
            resident_id: resident.into(),
        }
        .encode_to_vec(),
    )
}

/// Events in commit order, numbered like an event store numbers them.
#[derive(Default)]
pub struct Log {
    versions: HashMap<String, u64>,
    pub events: Vec<RecordedEvent>,
}

impl Log {
    /// Appends the next event of `stream`, which happened in `community` at noon on `on`.
    pub fn push(
        &mut self,
        stream: &str,
        community: &str,
        on: &str,
        (event_type, payload): Payload,
    ) -> RecordedEvent {
        let version = self.versions.entry(stream.to_owned()).or_default();
        *version += 1;
        let at = noon(on);
        let event = RecordedEvent {
            event_id: uuid::Uuid::now_v7(),
            stream_id: stream.to_owned(),
            stream_version: *version,
            event_type: event_type.to_owned(),
            schema_version: 1,
            org: OrgPath {
                district: "gulou".into(),
                street: String::new(),
                community: community.to_owned(),
            },
            occurred_at: at,
            recorded_at: at,
            actor: "staff-1".into(),
            correlation_id: String::new(),
            causation_id: String::new(),
            traceparent: String::new(),
            payload,
            checkpoint: Checkpoint {
                xid: 0,
                position: self.events.len() as u64 + 1,
            },
        };
        self.events.push(event.clone());
        event
    }
}

/// A gap filler that serves a fixed set of events and counts its calls.
#[derive(Default)]
pub struct FixedGaps {
    pub events: Vec<RecordedEvent>,
    pub calls: std::sync::atomic::AtomicU64,
}

#[async_trait]
impl GapFiller for FixedGaps {
    async fn fetch(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self
            .events
            .iter()
            .filter(|e| e.stream_id == stream_id && e.stream_version > after_version)
            .cloned()
            .collect())
    }
}

/// A gap filler for tests that expect none: fails if asked.
pub struct NoGaps;

#[async_trait]
impl GapFiller for NoGaps {
    async fn fetch(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        anyhow::bail!("unexpected gap in {stream_id} after {after_version}")
    }
}
