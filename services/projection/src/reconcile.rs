//! Reconcile: heals streams whose last events never reached the projection.
//!
//! A gap inside a stream is noticed when a later version arrives ([`crate::apply`]);
//! a lost *last* event has no later version to reveal it. So, every interval, the
//! projection pages through each service's stream heads ([`SourceLog::heads`]: the
//! newest version of every stream changed since the previous page, from the event log
//! over gRPC in distributed mode or from the store in embedded mode), compares them
//! with its own stream versions, and applies the missing events through the ordinary
//! batch path under the source [`RECONCILE_SOURCE`] (so no consumer's checkpoint
//! moves). A stream counts as lost only after it stayed behind for `grace`, so events
//! merely in flight are left to the consumer; at most [`MAX_HEALS_PER_ROUND`] streams
//! are healed per round, so a projection far behind is not flooded with stream reads.
//! Each comparison also records what the log held, for [`crate::freshness`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use civitas_platform::auth::BearerToken;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_proto::eventlog::v1::{ListStreamHeadsRequest, ReadStreamRequest};
use civitas_streams::heads::{heads_after, page_size};
use civitas_streams::HeadsPage;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::apply::{GapFiller, StoreGapFiller};
use crate::db::{self, Conn};
use crate::error::ProjectionError;
use crate::freshness::{self, Observation};
use crate::Projection;

/// The source under which healed events are applied (its checkpoint means nothing).
pub const RECONCILE_SOURCE: &str = "reconcile";
/// Most head pages read from one log per round.
const MAX_PAGES_PER_ROUND: usize = 20;
/// Most streams healed per log per round.
pub const MAX_HEALS_PER_ROUND: usize = 200;

/// How the reconcile runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileConfig {
    /// How often each log is compared.
    pub interval: Duration,
    /// How long a stream stays behind before its missing events count as lost.
    pub grace: Duration,
    /// Events per page of heads.
    pub page: u32,
}

impl ReconcileConfig {
    /// Comparing every `interval`, with a grace of one interval.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            grace: interval,
            page: 1000,
        }
    }
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        Self::every(Duration::from_secs(5))
    }
}

/// A service's event log as the reconcile reads it: stream heads, and the events of
/// one stream (its [`GapFiller`] side, which names the service as every stream's owner).
#[async_trait]
pub trait SourceLog: GapFiller {
    /// The service whose log this is.
    fn service(&self) -> &str;

    /// The heads of the streams changed after `after`, reading at most `max_events`.
    async fn heads(&self, after: Checkpoint, max_events: u32) -> anyhow::Result<HeadsPage>;

    /// This log as the gap filler of the batches it heals.
    fn gaps(&self) -> &dyn GapFiller;
}

/// The log of a store in this process (embedded mode).
pub struct StoreLog {
    service: String,
    store: Arc<dyn EventStore>,
    streams: StoreGapFiller,
}

impl StoreLog {
    pub fn new(service: &str, store: Arc<dyn EventStore>) -> Self {
        Self {
            service: service.to_owned(),
            streams: StoreGapFiller::new(store.clone()),
            store,
        }
    }
}

#[async_trait]
impl GapFiller for StoreLog {
    async fn fetch(&self, stream_id: &str, after: u64) -> anyhow::Result<Vec<RecordedEvent>> {
        self.streams.fetch(stream_id, after).await
    }

    fn owner(&self, _stream_id: &str) -> Option<String> {
        Some(self.service.clone())
    }
}

#[async_trait]
impl SourceLog for StoreLog {
    fn service(&self) -> &str {
        &self.service
    }

    async fn heads(&self, after: Checkpoint, max_events: u32) -> anyhow::Result<HeadsPage> {
        let page = heads_after(self.store.as_ref(), after, page_size(max_events), |_| true);
        Ok(page.await?)
    }

    fn gaps(&self) -> &dyn GapFiller {
        self
    }
}

type Client = EventLogServiceClient<InterceptedService<Channel, BearerToken>>;

/// A service's `EventLogService` over gRPC (distributed mode).
pub struct RemoteLog {
    service: String,
    client: Client,
}

impl RemoteLog {
    /// The log of `service` at `url`, read with `token` (a service token of the
    /// district, to see every community); connects on first use.
    pub fn new(service: &str, url: &str, token: &BearerToken) -> anyhow::Result<Self> {
        let channel = Channel::from_shared(url.to_owned())
            .with_context(|| format!("invalid event log url {url} for {service}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .connect_lazy();
        Ok(Self {
            service: service.to_owned(),
            client: EventLogServiceClient::with_interceptor(channel, token.clone()),
        })
    }
}

#[async_trait]
impl GapFiller for RemoteLog {
    async fn fetch(&self, stream_id: &str, after: u64) -> anyhow::Result<Vec<RecordedEvent>> {
        let service = &self.service;
        let response = self
            .client
            .clone()
            .read_stream(ReadStreamRequest {
                stream_id: stream_id.to_owned(),
                after_version: after,
                service: service.clone(),
            })
            .await
            .with_context(|| format!("failed to read {stream_id} from the {service} event log"))?;
        let envelopes = response.into_inner().envelopes.into_iter();
        envelopes
            .map(|e| civitas_proto::convert::recorded_of(e).map_err(anyhow::Error::from))
            .collect()
    }

    fn owner(&self, _stream_id: &str) -> Option<String> {
        Some(self.service.clone())
    }
}

#[async_trait]
impl SourceLog for RemoteLog {
    fn service(&self) -> &str {
        &self.service
    }

    async fn heads(&self, after: Checkpoint, max_events: u32) -> anyhow::Result<HeadsPage> {
        let service = &self.service;
        let response = self
            .client
            .clone()
            .list_stream_heads(ListStreamHeadsRequest {
                service: service.clone(),
                after_xid: after.xid,
                after_position: after.position,
                max_events,
            })
            .await
            .with_context(|| format!("failed to list the stream heads of {service}"))?;
        Ok(HeadsPage::from_pb(response.into_inner()))
    }

    fn gaps(&self) -> &dyn GapFiller {
        self
    }
}

/// Compares the projection with every log in `logs` each `config.interval` until
/// `shutdown`; a failed round is logged and tried again at the next interval.
pub async fn run_reconcile(
    projection: Projection,
    logs: Vec<Arc<dyn SourceLog>>,
    config: ReconcileConfig,
    shutdown: CancellationToken,
) {
    let mut tracked: Vec<Tracked> = logs.into_iter().map(Tracked::new).collect();
    let mut ticks = tokio::time::interval(config.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        for log in &mut tracked {
            let service = log.log.service().to_owned();
            tokio::select! {
                () = shutdown.cancelled() => return,
                done = log.round(&projection, &config) => if let Err(e) = done {
                    tracing::warn!(service, error = %format!("{e:#}"), "reconcile round failed, retrying at the next interval");
                }
            }
        }
    }
}

/// A stream's version in the log, and since when the projection is behind it.
struct Behind {
    version: u64,
    noticed: Option<Instant>,
}

/// One log's comparison so far.
struct Tracked {
    log: Arc<dyn SourceLog>,
    /// Where the next page of heads starts.
    cursor: Checkpoint,
    /// Streams whose head is past the projection's version (or not compared yet).
    behind: BTreeMap<String, Behind>,
    newest_event_at: Option<DateTime<Utc>>,
}

impl Tracked {
    fn new(log: Arc<dyn SourceLog>) -> Self {
        Self {
            log,
            cursor: Checkpoint::START,
            behind: BTreeMap::new(),
            newest_event_at: None,
        }
    }

    /// Reads the new heads, drops the streams the projection has caught up with, heals
    /// those behind for longer than the grace, and records what the log held.
    async fn round(
        &mut self,
        projection: &Projection,
        config: &ReconcileConfig,
    ) -> anyhow::Result<()> {
        let mut end = None;
        for _ in 0..MAX_PAGES_PER_ROUND {
            let page = self.log.heads(self.cursor, config.page).await?;
            for (stream_id, head) in page.heads {
                let behind = self.behind.entry(stream_id).or_insert(Behind {
                    version: head.version,
                    noticed: None,
                });
                behind.version = behind.version.max(head.version);
            }
            self.newest_event_at = self.newest_event_at.max(page.newest_event_at);
            self.cursor = page.next;
            if page.at_end {
                end = Some(page.relay_pending_since);
                break;
            }
        }
        let applied = self.applied_versions(projection).await?;
        let version = |id: &str| applied.get(id).copied().unwrap_or(0);
        self.behind.retain(|id, b| version(id) < b.version);
        let complete = self.behind.is_empty();

        let now = Instant::now();
        let mut lost = Vec::new();
        for (stream_id, behind) in &mut self.behind {
            let noticed = *behind.noticed.get_or_insert(now);
            if now - noticed >= config.grace && lost.len() < MAX_HEALS_PER_ROUND {
                lost.push(stream_id.clone());
            }
        }
        self.heal(projection, &lost, version).await?;

        if let Some(relay_pending_since) = end {
            let seen = Observation {
                newest_event_at: self.newest_event_at,
                relay_pending_since,
                observed_at: Utc::now(),
                complete,
            };
            freshness::note_observed(&projection.pool, self.log.service(), &seen).await?;
        }
        Ok(())
    }

    /// The projection's version of every stream behind (or not compared yet).
    async fn applied_versions(
        &self,
        projection: &Projection,
    ) -> Result<HashMap<String, u64>, ProjectionError> {
        let ids: Vec<&str> = self.behind.keys().map(String::as_str).collect();
        let mut conn = projection.pool.acquire().await?;
        db::stream_versions(&mut Conn::Any(&mut conn), &ids).await
    }

    /// Fetches the events of the `lost` streams after the projection's `version` of
    /// each and applies them in one batch.
    async fn heal(
        &self,
        projection: &Projection,
        lost: &[String],
        version: impl Fn(&str) -> u64,
    ) -> anyhow::Result<()> {
        let mut events = Vec::new();
        for stream_id in lost {
            events.extend(self.log.fetch(stream_id, version(stream_id)).await?);
        }
        if events.is_empty() {
            return Ok(());
        }
        let service = self.log.service().to_owned();
        let stats = projection
            .apply_batch(RECONCILE_SOURCE, &events, self.log.gaps())
            .await?;
        tracing::info!(
            service,
            streams = lost.len(),
            applied = stats.applied,
            "reconciled events the projection never received"
        );
        metrics::counter!("civitas_projection_reconciled_total", "service" => service)
            .increment(stats.applied);
        Ok(())
    }
}
