//! Shared test support: a projection on either backend, events as a store would record
//! them, residents event builders (the other areas' are in [`areas`]), and the reads
//! the tests assert on.
#![allow(dead_code)]

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::{Checkpoint, OrgPath, RecordedEvent};
use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::catalog::{REPORTING_DUE, REPORTING_EXPECTED};
use civitas_projection::{GapFiller, Projection};
use civitas_proto::events::v1 as pb;
use civitas_proto::insights::v1::OrgUnitKpis;
use civitas_testkit::TestServer;
use prost::Message;
use sqlx::Row;

pub mod areas;
pub mod generate;

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
        let (url, dir, pg) = match self {
            Backend::Sqlite => {
                let dir = civitas_testkit::temp_dir();
                let url = format!("sqlite://{}/projection.db?mode=rwc", dir.path().display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let db = civitas_testkit::fresh_postgres_db()
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"));
                (db.url.clone(), None, Some(db))
            }
        };
        let projection = Projection::open(&url)
            .await
            .unwrap_or_else(|e| panic!("open {self:?} projection: {e:#}"));
        TestDb {
            projection,
            url,
            _dir: dir,
            _pg: pg,
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

/// An event before it is recorded: its stream, type name and payload.
pub struct Draft {
    pub stream: String,
    pub event_type: &'static str,
    pub payload: Vec<u8>,
}

impl Draft {
    /// An event of the stream `<kind>-<id>`, named like its message.
    pub fn new(kind: &str, id: &str, event_type: &'static str, message: impl Message) -> Draft {
        Draft::raw(&format!("{kind}-{id}"), event_type, message.encode_to_vec())
    }

    /// An event with any payload, e.g. one the projection cannot decode.
    pub fn raw(stream: &str, event_type: &'static str, payload: Vec<u8>) -> Draft {
        Draft {
            stream: stream.to_owned(),
            event_type,
            payload,
        }
    }
}

/// Events in commit order, numbered like an event store numbers them.
#[derive(Default)]
pub struct Log {
    versions: HashMap<String, u64>,
    pub events: Vec<RecordedEvent>,
}

impl Log {
    /// Appends the next event of the draft's stream, which happened in xingfu (where
    /// most tests stage their events) at noon on `on`.
    pub fn push(&mut self, on: &str, draft: Draft) {
        self.push_in("xingfu", on, draft);
    }

    /// Appends the next event of the draft's stream, which happened in `community` at
    /// noon on `on`.
    pub fn push_in(&mut self, community: &str, on: &str, draft: Draft) {
        let version = self.versions.entry(draft.stream.clone()).or_default();
        *version += 1;
        let at = noon(on);
        self.events.push(RecordedEvent {
            event_id: uuid::Uuid::now_v7(),
            stream_id: draft.stream,
            stream_version: *version,
            event_type: draft.event_type.to_owned(),
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
            payload: draft.payload,
            checkpoint: Checkpoint {
                xid: 0,
                position: self.events.len() as u64 + 1,
            },
        });
    }
}

// ------------------------------------------------------------------- residents

pub fn household_registered(id: &str) -> Draft {
    let msg = pb::HouseholdRegistered {
        household_id: id.into(),
        ..Default::default()
    };
    Draft::new("household", id, "HouseholdRegistered", msg)
}

pub fn resident_registered(resident: &str, household: &str, kind: pb::ResidenceType) -> Draft {
    let msg = pb::ResidentRegistered {
        resident_id: resident.into(),
        household_id: household.into(),
        residence_type: kind as i32,
        ..Default::default()
    };
    Draft::new("resident", resident, "ResidentRegistered", msg)
}

pub fn resident_moved_out(resident: &str) -> Draft {
    let msg = pb::ResidentMovedOut {
        resident_id: resident.into(),
        ..Default::default()
    };
    Draft::new("resident", resident, "ResidentMovedOut", msg)
}

pub fn residence_type_changed(
    resident: &str,
    from: pb::ResidenceType,
    to: pb::ResidenceType,
) -> Draft {
    let msg = pb::ResidenceTypeChanged {
        resident_id: resident.into(),
        from: from as i32,
        to: to as i32,
    };
    Draft::new("resident", resident, "ResidenceTypeChanged", msg)
}

pub fn care_category_assigned(resident: &str, category: pb::CareCategory) -> Draft {
    let msg = pb::CareCategoryAssigned {
        resident_id: resident.into(),
        category: category as i32,
    };
    Draft::new("resident", resident, "CareCategoryAssigned", msg)
}

pub fn care_category_revoked(resident: &str, category: pb::CareCategory) -> Draft {
    let msg = pb::CareCategoryRevoked {
        resident_id: resident.into(),
        category: category as i32,
        ..Default::default()
    };
    Draft::new("resident", resident, "CareCategoryRevoked", msg)
}

pub fn resident_erased(resident: &str) -> Draft {
    let msg = pb::ResidentErased {
        resident_id: resident.into(),
    };
    Draft::new("resident", resident, "ResidentErased", msg)
}

// ----------------------------------------------------------------- gap fillers

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

// ----------------------------------------------------------------------- reads

/// The non-zero values of `communities` for the period `first..=last`.
pub async fn values(
    p: &Projection,
    communities: &[&str],
    first: &str,
    last: &str,
) -> Vec<(String, f64)> {
    let communities: Vec<String> = communities.iter().map(|c| c.to_string()).collect();
    let all = p
        .values(&communities, day(first), day(last))
        .await
        .expect("values");
    // The reporting calendar's elements count the months ended by today's date, not
    // anything applied: left out, so the tests do not change with the clock.
    let calendar = [REPORTING_EXPECTED.code, REPORTING_DUE.code];
    all.into_iter()
        .filter(|(e, v)| *v != 0.0 && !calendar.contains(&e.as_str()))
        .collect()
}

/// Expected (element, value) pairs, in element order like [`values`].
pub fn expect(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = list.iter().map(|(e, n)| (e.to_string(), *n)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Every delta row, as `element|community|day|value`, in key order.
pub const KPI_ROWS: &str = "SELECT element || '|' || community || '|' || day || '|' || CAST(value AS TEXT) FROM kpi_facts ORDER BY element, community, day";

/// Every month-end balance row, as `element|community|month|in_month|to_end|latest`,
/// in key order.
pub const KPI_MONTH_ROWS: &str = "SELECT element || '|' || community || '|' || month || '|' || CAST(in_month AS TEXT) || '|' || CAST(to_end AS TEXT) || '|' || CAST(latest AS TEXT) FROM kpi_months ORDER BY element, community, month";

/// Every board update row, as `key|community|day|topic|text`, in key order.
pub const BOARD_UPDATE_ROWS: &str = "SELECT update_key || '|' || community || '|' || updated_on || '|' || topic || '|' || content FROM board_update_view ORDER BY update_key";

/// Every team row, as `id|community|formed_on|name|purpose|category|members`.
pub const TEAM_ROWS: &str = "SELECT team_id || '|' || community || '|' || formed_on || '|' || name || '|' || purpose || '|' || category || '|' || CAST(members AS TEXT) FROM team_view ORDER BY team_id";

/// Every good deed row, as `id|community|happened_on|title|story|published`.
pub const DEED_ROWS: &str = "SELECT deed_id || '|' || community || '|' || happened_on || '|' || title || '|' || story || '|' || CAST(published AS TEXT) FROM good_deed_view ORDER BY deed_id";

/// The rows the community page reads from.
pub const PUBLIC_ROWS: &[&str] = &[BOARD_UPDATE_ROWS, TEAM_ROWS, DEED_ROWS];

/// Every row of every table a rebuild must reproduce (the read models, KPI facts and
/// month-end balances, stream versions and checkpoints), one text per row, for
/// [`rows`].
pub const TABLE_ROWS: &[&str] = &[
    KPI_ROWS,
    KPI_MONTH_ROWS,
    "SELECT resident_id || community || household_id || residence_type || care_categories || CAST(active AS TEXT) || last_visited FROM resident_view ORDER BY resident_id",
    "SELECT activity_id || community || category || title || starts_at || ends_at || CAST(capacity AS TEXT) || CAST(registered AS TEXT) || CAST(checked_in AS TEXT) || CAST(walk_ins AS TEXT) || status || planned_item || planned_month FROM activity_view ORDER BY activity_id",
    "SELECT plan_key || community || CAST(year AS TEXT) || CAST(version AS TEXT) || CAST(item_count AS TEXT) || draft FROM plan_view ORDER BY plan_key",
    "SELECT item_id || community || month || CAST(target AS TEXT) FROM plan_item_view ORDER BY item_id",
    "SELECT volunteer_id || community || status || CAST(approved_minutes AS TEXT) || CAST(star_level AS TEXT) || CAST(pending_records AS TEXT) FROM volunteer_view ORDER BY volunteer_id",
    "SELECT record_id || volunteer_id || community || CAST(minutes AS TEXT) || service_date || submitted_on FROM pending_approval_view ORDER BY record_id",
    "SELECT incident_id || community || category || severity || state || reported_at || reported_day || CAST(alert AS TEXT) FROM incident_view ORDER BY incident_id",
    "SELECT rectification_id || community || ordered_on || deadline || state FROM rectification_view ORDER BY rectification_id",
    "SELECT report_key || community || month || submitted_on || CAST(on_time AS TEXT) || CAST(submissions AS TEXT) || approval FROM report_view ORDER BY report_key",
    "SELECT person_key || element || community || day || person FROM kpi_persons ORDER BY person_key",
    BOARD_UPDATE_ROWS,
    TEAM_ROWS,
    DEED_ROWS,
    "SELECT stream_id || '|' || CAST(version AS TEXT) FROM projection_stream_versions ORDER BY stream_id",
    "SELECT source || CAST(xid AS TEXT) || CAST(position AS TEXT) || CAST(applied AS TEXT) FROM projection_checkpoints ORDER BY source",
];

/// The first column of every row of each query in `sql`, as text, one after another.
pub async fn rows(url: &str, sql: &[&str]) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut out = Vec::new();
    for sql in sql {
        for row in sqlx::query(sql).fetch_all(&pool).await.unwrap() {
            out.push(row.get::<String, _>(0));
        }
    }
    pool.close().await;
    out
}

/// A fresh projection with `log` applied from `source` in one batch.
pub async fn applied(backend: Backend, source: &str, log: &Log) -> TestDb {
    let db = backend.open().await;
    db.projection
        .apply_batch(source, &log.events, &NoGaps)
        .await
        .unwrap();
    db
}

/// Applies `log` to a fresh projection in one batch and, on another, one event per
/// batch, and returns what `dump` reads from each.
pub async fn rebuilt_both_ways(
    backend: Backend,
    log: &Log,
    dump: &[&str],
) -> (Vec<String>, Vec<String>) {
    let whole = applied(backend, "all", log).await;
    let single = backend.open().await;
    for event in &log.events {
        single
            .projection
            .apply_batch("all", std::slice::from_ref(event), &NoGaps)
            .await
            .unwrap();
    }
    (rows(&whole.url, dump).await, rows(&single.url, dump).await)
}

// ------------------------------------------------------------------------ gRPC

/// A verified caller, as the auth interceptor leaves it.
pub fn caller(role: Role, org_unit: &str) -> Caller {
    Caller {
        subject: "tester".into(),
        role,
        org_unit: org_unit.into(),
    }
}

/// An element's value in a unit's KPI row.
pub fn value(unit: &OrgUnitKpis, element: &str) -> f64 {
    unit.values
        .iter()
        .find(|v| v.element == element)
        .unwrap_or_else(|| panic!("{element} missing in {}", unit.code))
        .value
}

/// The projection's Insights and Worklist servers over the demo tree, as the binary
/// serves them, on an empty SQLite projection.
pub async fn served() -> (TestServer, TestDb) {
    let db = Backend::Sqlite.open().await;
    let projection = db.projection.clone();
    let server = TestServer::start(|services, limits, auth| {
        projection.add_to(services, limits, auth, OrgTree::demo())
    })
    .await;
    (server, db)
}
