//! The projection: applies committed events to read models and KPI data elements, and
//! serves them over the Insights and Worklist gRPC APIs.
//!
//! Events arrive in batches (from the in-process tailer over an event store, or from a
//! NATS consumer); each batch is applied in one forward pass ([`apply`]) and one
//! transaction with its source's checkpoint, and the last applied version per stream
//! makes duplicates harmless and gaps visible (they are fetched from a [`GapFiller`]
//! instead of being counted wrong). An event that cannot be applied is parked
//! ([`parked`]) and the rest flow. Storage is `sqlx::AnyPool`, so the same code runs on
//! SQLite and PostgreSQL.
//!
//! Wiring, as the binary does it in embedded mode:
//!
//! ```no_run
//! use std::sync::Arc;
//! use civitas_kernel::{store::SqliteEventStore, EventStore};
//! use civitas_platform::{auth::AuthInterceptor, grpc::{ServerLimits, Services}, org::OrgTree};
//! use civitas_projection::{run_tailer, Projection, StoreGapFiller};
//!
//! # async fn wire(data_dir: &std::path::Path, limits: &ServerLimits, auth: AuthInterceptor) -> anyhow::Result<()> {
//! let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&data_dir.join("residents.db")).await?);
//! let projection = Projection::open(&format!("sqlite://{}/projection.db?mode=rwc", data_dir.display())).await?;
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let gaps = Arc::new(StoreGapFiller::new(store.clone()));
//! tokio::spawn(run_tailer(projection.clone(), "residents", store, gaps, shutdown.clone()));
//! let mut services = Services::default();
//! projection.add_to(&mut services, limits, auth, OrgTree::demo()); // Insights and Worklist
//! # Ok(()) }
//! ```

pub mod apply;
pub mod catalog;
pub mod consumer;
pub mod dashboard;
mod db;
pub mod error;
pub mod freshness;
pub mod indicators;
pub mod insights;
pub mod parked;
pub mod period;
pub mod rebuild;
pub mod reconcile;
mod rules;
pub mod tailer;
pub mod worklist;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use civitas_kernel::{Checkpoint, RecordedEvent};
use civitas_platform::auth::AuthInterceptor;
use civitas_platform::grpc::{ServerLimits, Services};
use civitas_platform::org::{self, OrgTree};
use civitas_proto::insights::v1::insights_service_server::InsightsServiceServer;
use civitas_proto::insights::v1::worklist_service_server::WorklistServiceServer;
use sqlx::AnyPool;
use uuid::Uuid;

pub use apply::{ApplyStats, GapFiller, StoreGapFiller};
pub use catalog::{Aggregation, DataElement};
pub use db::lock_writers;
pub use db::public::{CommunityNotices, PublicBoardUpdate, PublicDeed, PublicTeam};
pub use error::ProjectionError;
pub use insights::Insights;
pub use parked::{ParkedEvent, RetryOutcome};
pub use period::{Period, PeriodError};
pub use rebuild::Rebuild;
pub use tailer::run_tailer;
pub use worklist::Worklist;

/// A handle on the projection database; cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Projection {
    pool: AnyPool,
    /// Where batches go (native on PostgreSQL).
    writer: db::Writer,
    /// Native connections for the district reads on PostgreSQL (see
    /// [`db::conn::rollup`]); `None` on SQLite, which reads through `pool`.
    reader: Option<sqlx::PgPool>,
    /// Batches are applied one at a time per process: SQLite has a single writer, and
    /// on PostgreSQL it keeps concurrent tailers from contending for the same rows.
    write: Arc<tokio::sync::Mutex<()>>,
    /// The KPI catalog the indicator RPCs evaluate (the shipped one unless configured).
    catalog: Arc<indicators::Catalog>,
}

impl Projection {
    /// Connects to `database_url` (`sqlite://<dir>/projection.db?mode=rwc` or
    /// `postgres://…`) and applies pending migrations.
    pub async fn open(database_url: &str) -> anyhow::Result<Projection> {
        Self::open_in(database_url, None).await
    }

    /// Like [`Projection::open`], with the tables in a PostgreSQL schema (ignored on
    /// SQLite): distributed mode uses `projection`, a rebuild a fresh one.
    pub async fn open_in(
        database_url: &str,
        pg_schema: Option<&str>,
    ) -> anyhow::Result<Projection> {
        let pool = db::open(database_url, pg_schema).await?;
        let writer = db::open_writer(database_url, pg_schema, &pool).await?;
        let reader = db::conn::rollup::open_reader(&writer);
        Ok(Projection {
            pool,
            writer,
            reader,
            write: Arc::default(),
            catalog: Arc::new(indicators::Catalog::shipped()?),
        })
    }

    /// The same projection evaluating indicators from `catalog` (checked already,
    /// e.g. loaded with [`indicators::Catalog::load`]).
    pub fn with_catalog(mut self, catalog: indicators::Catalog) -> Projection {
        self.catalog = Arc::new(catalog);
        self
    }

    /// The same projection reading every value through the portable per-community
    /// path (`sqlx::Any`) on PostgreSQL too, as on SQLite: for comparing the two.
    #[doc(hidden)]
    pub fn with_portable_reads(mut self) -> Projection {
        self.reader = None;
        self
    }

    /// The KPI catalog indicators are evaluated from.
    pub fn catalog(&self) -> &indicators::Catalog {
        &self.catalog
    }

    /// Applies a batch of events from `source` in one transaction with the source's
    /// checkpoint: duplicates are skipped, gaps are filled from `gaps` first, and
    /// events that cannot be applied are parked. On error nothing is written and the
    /// checkpoint stays where it was.
    #[tracing::instrument(name = "apply_batch", skip_all, fields(source = %source, events = events.len()))]
    pub async fn apply_batch(
        &self,
        source: &str,
        events: &[RecordedEvent],
        gaps: &dyn GapFiller,
    ) -> Result<ApplyStats, ProjectionError> {
        if events.is_empty() {
            return Ok(ApplyStats::default());
        }
        let _writer = self.write.lock().await;
        let mut tx = self.writer.begin().await?;
        let applied = apply::apply_batch(&mut tx.conn(), source, events, gaps).await?;
        freshness::note_applied(&mut tx.conn(), source, events, gaps, &applied.parked).await?;
        tx.commit().await?;
        Ok(applied.report())
    }

    /// Parks messages the consumer refused on arrival (see [`ParkedEvent::refused`]).
    pub async fn park_refused(&self, refused: &[ParkedEvent]) -> Result<(), ProjectionError> {
        if refused.is_empty() {
            return Ok(());
        }
        let _writer = self.write.lock().await;
        parked::park_refused(&self.pool, refused).await?;
        metrics::counter!("civitas_projection_parked_total").increment(refused.len() as u64);
        Ok(())
    }

    /// Marks the dashboard's one-time login link `jti` (usable until `expires_at`,
    /// seconds since the epoch) redeemed; `false` when it was before.
    pub async fn redeem_login_link(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, ProjectionError> {
        db::links::redeem(&self.pool, jti, expires_at).await
    }

    /// What the public page of `community` (an org unit code) shows beside its
    /// figures: the latest publicity board updates, the volunteer teams and the good
    /// deeds standing published, newest first and bounded, with no id of any kind (see
    /// [`CommunityNotices`]). Public by design: no caller, no scope beyond the one
    /// community.
    pub async fn community_notices(
        &self,
        community: &str,
    ) -> Result<CommunityNotices, ProjectionError> {
        db::public::community_notices(&self.pool, community).await
    }

    /// Every parked event (see [`parked`]), oldest first.
    pub async fn parked(&self) -> Result<Vec<ParkedEvent>, ProjectionError> {
        parked::list(&self.pool).await
    }

    /// Re-decodes and applies the parked events with the given ids (every one if
    /// `None`), one transaction per event: applied ones leave the parked list, the
    /// others stay with their new reason.
    pub async fn retry_parked(
        &self,
        event_ids: Option<&[Uuid]>,
    ) -> Result<RetryOutcome, ProjectionError> {
        let _writer = self.write.lock().await;
        parked::retry(&self.pool, event_ids).await
    }

    /// Where `source` is: the position after its last applied event.
    pub async fn checkpoint(&self, source: &str) -> Result<Checkpoint, ProjectionError> {
        let mut conn = self.pool.acquire().await?;
        db::checkpoint(&mut conn, source).await
    }

    /// Every catalog element's value for the period `first..=last`, summed over
    /// `communities` according to its aggregation; 0 where there are no deltas.
    pub async fn values(
        &self,
        communities: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<BTreeMap<String, f64>, ProjectionError> {
        let per_community = self.community_values(communities, first, last).await?;
        Ok(sum(per_community.values()))
    }

    /// Events applied so far over every source.
    pub async fn applied_events(&self) -> Result<u64, ProjectionError> {
        db::applied_events(&self.pool).await
    }

    /// The Insights gRPC service over this projection and `tree`, without the auth
    /// interceptor and limits [`Projection::add_to`] applies.
    pub fn insights(&self, tree: OrgTree) -> InsightsServiceServer<Insights> {
        InsightsServiceServer::new(Insights::new(self.clone(), tree))
    }

    /// The Worklist gRPC service (staff daily lists) over this projection and `tree`,
    /// without the auth interceptor and limits [`Projection::add_to`] applies.
    pub fn worklist(&self, tree: OrgTree) -> WorklistServiceServer<Worklist> {
        WorklistServiceServer::new(Worklist::new(self.clone(), tree))
    }

    /// Adds the Insights and Worklist servers over this projection and `tree` to
    /// `services`, behind `auth` and with the message size limits of `limits`.
    pub fn add_to(
        &self,
        services: &mut Services,
        limits: &ServerLimits,
        auth: AuthInterceptor,
        tree: OrgTree,
    ) {
        services
            .add(Insights::new(self.clone(), tree.clone()).server(limits, auth.clone()))
            .add(Worklist::new(self.clone(), tree).server(limits, auth));
    }

    /// Per community, every catalog element's value for the period.
    pub(crate) async fn community_values(
        &self,
        communities: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<BTreeMap<String, BTreeMap<String, f64>>, ProjectionError> {
        let period = Period { first, last };
        let mut values = self.community_values_over(communities, &[period]).await?;
        Ok(values.pop().unwrap_or_default())
    }

    /// [`Projection::community_values`] for consecutive periods (each starting the
    /// day after the one before ends, oldest first) in one read of the facts: what a
    /// trend or a comparison with the previous period needs. A month that a
    /// community's approved report locked reads as approved (see
    /// [`Projection::approved_values`]).
    pub(crate) async fn community_values_over(
        &self,
        communities: &[String],
        periods: &[Period],
    ) -> Result<Vec<BTreeMap<String, BTreeMap<String, f64>>>, ProjectionError> {
        let mut values = self.live_values_over(communities, periods).await?;
        for (values, period) in values.iter_mut().zip(periods) {
            self.approved_values(communities, period, values).await?;
        }
        Ok(values)
    }

    /// Puts into `values` (per community, per element, for `period`) the approved
    /// figures in place of the live values of every community whose report locked the period, when
    /// it is a calendar month. The reporting elements themselves are never locked.
    pub(crate) async fn approved_values(
        &self,
        communities: &[String],
        period: &Period,
        values: &mut BTreeMap<String, BTreeMap<String, f64>>,
    ) -> Result<(), ProjectionError> {
        let Some(month) = period.calendar_month() else {
            return Ok(());
        };
        let locked = db::locked_communities(&self.pool, communities, &month).await?;
        if locked.is_empty() {
            return Ok(());
        }
        let approved = db::approved_figures(&self.pool, communities, &month).await?;
        for community in &locked {
            let figures = approved.get(community);
            let Some(values) = values.get_mut(community) else {
                continue;
            };
            for element in catalog::ELEMENTS {
                if !rules::reporting::locked_by_approval(element) {
                    continue;
                }
                let held = figures.and_then(|f| f.get(element.code)).copied();
                let held = held.unwrap_or_default();
                let value = match element.aggregation {
                    Aggregation::Sum => held.in_month,
                    Aggregation::Last => held.to_end,
                    Aggregation::Distinct => continue,
                };
                values.insert(element.code.to_owned(), value as f64);
            }
        }
        Ok(())
    }

    /// [`Projection::community_values_over`] for `communities` with the DISTINCT
    /// elements counted for each of `units` (see [`Projection::with_distinct`]): what
    /// the evaluation of those units needs.
    pub(crate) async fn values_over(
        &self,
        tree: &OrgTree,
        units: &[&org::OrgUnit],
        communities: &[String],
        periods: &[Period],
    ) -> Result<Vec<BTreeMap<String, BTreeMap<String, f64>>>, ProjectionError> {
        let mut values = self.community_values_over(communities, periods).await?;
        let groups: Vec<db::Group> = units
            .iter()
            .map(|u| {
                let under = tree.communities_under(&u.code);
                (
                    u.code.clone(),
                    under.iter().map(|c| c.code.clone()).collect(),
                )
            })
            .collect();
        self.with_distinct(&mut values, &groups, periods).await?;
        Ok(values)
    }

    /// [`Projection::values_over`] for one period.
    pub(crate) async fn values_in(
        &self,
        tree: &OrgTree,
        units: &[&org::OrgUnit],
        communities: &[String],
        period: Period,
    ) -> Result<BTreeMap<String, BTreeMap<String, f64>>, ProjectionError> {
        let mut values = self
            .values_over(tree, units, communities, &[period])
            .await?;
        Ok(values.pop().unwrap_or_default())
    }

    /// Adds the DISTINCT elements to `values` (per code, per element, one map per
    /// period of `periods`): for every group, the persons counted across its
    /// communities. A community's group is itself and its own row gets the counts; a
    /// street's or the district's gets a row under its own code holding only the
    /// DISTINCT elements, which evaluation puts in place of the sum of its communities
    /// ([`indicators::unit_values`]).
    pub(crate) async fn with_distinct(
        &self,
        values: &mut [BTreeMap<String, BTreeMap<String, f64>>],
        groups: &[db::Group],
        periods: &[Period],
    ) -> Result<(), ProjectionError> {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let distinct: Vec<&DataElement> = catalog::ELEMENTS
            .iter()
            .filter(|e| e.aggregation == Aggregation::Distinct)
            .collect();
        for (values, period) in values.iter_mut().zip(periods) {
            let counts =
                db::distinct_counts(&self.pool, groups, &day(period.first), &day(period.last))
                    .await?;
            for (code, _) in groups {
                let row = values.entry(code.clone()).or_default();
                for element in &distinct {
                    let n = counts.get(code).and_then(|c| c.get(element.code));
                    row.insert(element.code.to_owned(), n.copied().unwrap_or(0) as f64);
                }
            }
        }
        Ok(())
    }

    /// Every catalog element's live value per community for consecutive periods, read
    /// from the facts as they stand.
    pub(crate) async fn live_values_over(
        &self,
        communities: &[String],
        periods: &[Period],
    ) -> Result<Vec<BTreeMap<String, BTreeMap<String, f64>>>, ProjectionError> {
        debug_assert!(
            periods
                .windows(2)
                .all(|p| p[0].last.succ_opt() == Some(p[1].first)),
            "consecutive periods"
        );
        let Some(last) = periods.last() else {
            return Ok(Vec::new());
        };
        if communities.is_empty() {
            return Ok(vec![BTreeMap::new(); periods.len()]);
        }
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let starts: Vec<String> = periods.iter().map(|p| day(p.first)).collect();
        let starts: Vec<&str> = starts.iter().map(String::as_str).collect();
        let totals = db::window_totals(&self.pool, communities, &starts, &day(last.last)).await?;
        let today = rules::district_date(chrono::Utc::now());
        let value_in = |k: usize, element: &DataElement, w: &db::Windows| -> i64 {
            match element.aggregation {
                Aggregation::Sum => w.in_window[k],
                // A stock at the end of period k: everything to date but what came after.
                Aggregation::Last => w.to_date - w.in_window[k + 1..].iter().sum::<i64>(),
                Aggregation::Distinct => 0, // left out above: persons, not deltas
            }
        };
        Ok((0..periods.len())
            .map(|k| {
                communities
                    .iter()
                    .map(|community| {
                        let deltas = totals.get(community);
                        // DISTINCT elements are persons, not deltas: see `with_distinct`.
                        let values = catalog::ELEMENTS
                            .iter()
                            .filter(|e| e.aggregation != Aggregation::Distinct)
                            .map(|element| {
                                let calendar =
                                    rules::reporting::calendar_value(element, &periods[k], today);
                                let value = calendar.unwrap_or_else(|| {
                                    deltas
                                        .and_then(|d| d.get(element.code))
                                        .map_or(0, |w| value_in(k, element, w))
                                });
                                (element.code.to_owned(), value as f64)
                            })
                            .collect();
                        (community.clone(), values)
                    })
                    .collect()
            })
            .collect())
    }
}

/// A unit's values from per-community ones: the sums of `communities`' values, except
/// the DISTINCT elements, read from the unit's own row (see
/// [`Projection::with_distinct`]); every catalog element is present.
pub(crate) fn unit_values(
    per_community: &BTreeMap<String, BTreeMap<String, f64>>,
    unit: &str,
    communities: &[String],
) -> BTreeMap<String, f64> {
    let mut values = sum(communities.iter().filter_map(|c| per_community.get(c)));
    let own = per_community.get(unit);
    for element in catalog::ELEMENTS {
        if element.aggregation == Aggregation::Distinct {
            let value = own.and_then(|own| own.get(element.code)).copied();
            values.insert(element.code.to_owned(), value.unwrap_or_default());
        }
    }
    values
}

/// Sums per-community values element by element; every catalog element is present.
pub(crate) fn sum<'a>(
    values: impl IntoIterator<Item = &'a BTreeMap<String, f64>>,
) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = catalog::ELEMENTS
        .iter()
        .map(|e| (e.code.to_owned(), 0.0))
        .collect();
    for community in values {
        for (element, value) in community {
            *out.entry(element.clone()).or_default() += value;
        }
    }
    out
}
