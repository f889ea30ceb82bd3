//! Distributed mode: the projection consumes `CIVITAS_EVENTS` with a durable pull
//! consumer, applies each fetched batch in one transaction with its checkpoint, and
//! acknowledges only after the commit.
//!
//! Delivery is at least once and JetStream may lose acknowledged writes, so nothing
//! here trusts it: a redelivered or duplicated event is skipped by the per-stream
//! versions, and a missing one (a version gap) is fetched from the owning service's
//! event log before the batch is applied.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::pull, AckKind};
use civitas_kernel::{Checkpoint, RecordedEvent};
use civitas_platform::auth::BearerToken;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_proto::eventlog::v1::ReadStreamRequest;
use civitas_proto::events::v1::Envelope;
use civitas_streams::StreamSettings;
use futures::StreamExt;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::{GapFiller, ParkedEvent, Projection};

/// The source name under which the consumer's checkpoint (the stream sequence) is kept.
pub const NATS_SOURCE: &str = "nats";

/// Most messages per batch by default. Only a consumer that is behind fills a batch
/// (otherwise a batch is what arrived within `max_wait`), and then the larger the
/// batch, the fewer statements per event: 100,000 events of backlog applied at 30,000
/// events/s in batches of 5,000 and at 44,000-47,000 in batches of 20,000
/// (`apply_bench`, BENCHMARKS.md). The pull keeps up to one batch of envelopes in
/// memory besides the batch being applied.
pub const BATCH: usize = 20_000;

/// How the consumer fetches.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub stream: StreamSettings,
    /// Durable consumer name (one per projection deployment).
    pub durable: String,
    /// Most messages per batch (and per transaction): [`BATCH`].
    pub batch: usize,
    /// How long a batch waits for more messages after its first one.
    pub max_wait: Duration,
}

impl ConsumerConfig {
    pub fn new(stream: StreamSettings) -> Self {
        Self {
            stream,
            durable: "projection".to_owned(),
            batch: BATCH,
            max_wait: Duration::from_millis(5),
        }
    }
}

/// Fills gaps from the owning service's `EventLogService.ReadStream`. The owner of a
/// stream is learnt from the envelopes the consumer sees.
pub struct EventLogGapFiller {
    clients: HashMap<String, EventLogServiceClient<InterceptedService<Channel, BearerToken>>>,
    owners: Mutex<HashMap<String, String>>,
}

impl EventLogGapFiller {
    /// `endpoints`: service name → gRPC URL of its event log; `token`: what the
    /// requests carry (a service token of the district, renewed as it ages).
    pub fn new(endpoints: &[(String, String)], token: &BearerToken) -> anyhow::Result<Self> {
        let mut clients = HashMap::new();
        for (service, url) in endpoints {
            let channel = Channel::from_shared(url.clone())
                .with_context(|| format!("invalid event log url {url} for {service}"))?
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .connect_lazy();
            clients.insert(
                service.clone(),
                EventLogServiceClient::with_interceptor(channel, token.clone()),
            );
        }
        Ok(Self {
            clients,
            owners: Mutex::default(),
        })
    }

    fn note_owner(&self, stream_id: &str, service: &str) {
        if let Ok(mut owners) = self.owners.lock() {
            owners
                .entry(stream_id.to_owned())
                .or_insert_with(|| service.to_owned());
        }
    }
}

#[async_trait::async_trait]
impl GapFiller for EventLogGapFiller {
    async fn fetch(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let owner = self
            .owners
            .lock()
            .map_err(|_| anyhow::anyhow!("owner map poisoned"))?
            .get(stream_id)
            .cloned()
            .with_context(|| format!("no known owner for stream {stream_id}"))?;
        let mut client = self
            .clients
            .get(&owner)
            .cloned()
            .with_context(|| format!("no event log configured for service {owner}"))?;
        let response = client
            .read_stream(ReadStreamRequest {
                stream_id: stream_id.to_owned(),
                after_version,
                service: owner.clone(),
            })
            .await
            .with_context(|| format!("failed to read {stream_id} from the {owner} event log"))?
            .into_inner();
        metrics::counter!("civitas_projection_gap_fetches_total", "service" => owner).increment(1);
        response
            .envelopes
            .into_iter()
            .map(|e| civitas_proto::convert::recorded_of(e).map_err(anyhow::Error::from))
            .collect()
    }

    fn owner(&self, stream_id: &str) -> Option<String> {
        self.owners.lock().ok()?.get(stream_id).cloned()
    }
}

/// Consumes until `shutdown`; errors are logged and retried, never fatal.
pub async fn run_consumer(
    projection: Projection,
    js: jetstream::Context,
    config: ConsumerConfig,
    gaps: Arc<EventLogGapFiller>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match consume(&projection, &js, &config, &gaps, &shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "projection consumer interrupted, retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn consume(
    projection: &Projection,
    js: &jetstream::Context,
    config: &ConsumerConfig,
    gaps: &Arc<EventLogGapFiller>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let stream = js
        .get_stream(&config.stream.name)
        .await
        .context("failed to find the events stream")?;
    let consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(
            &config.durable,
            pull::Config {
                durable_name: Some(config.durable.clone()),
                filter_subject: config.stream.all_subjects(),
                // Explicit, not All: with AckAll, acknowledging a later batch would also
                // acknowledge messages delivered to a crashed instance and never applied.
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(10),
                max_ack_pending: 100_000,
                ..Default::default()
            },
        )
        .await
        .context("failed to create the durable consumer")?;
    tracing::info!(durable = %config.durable, stream = %config.stream.name, "projection consumer started");
    // One long-lived pull (the library keeps a request of `batch` messages open and
    // renews it, with heartbeats), cut into batches here: a batch is whatever has
    // arrived when the first message is in plus at most `max_wait`. Under load batches
    // fill up while the previous one is applied; when idle a single event goes
    // through at once. (A fetch per batch cost up to expires + 5 s whenever the
    // server's timeout status was missed, which is where seconds of lag came from.)
    let mut incoming = consumer
        .stream()
        .max_messages_per_batch(config.batch)
        .expires(Duration::from_secs(30))
        .heartbeat(Duration::from_secs(5))
        .messages()
        .await
        .context("failed to start pulling")?;
    loop {
        let mut messages = Vec::with_capacity(config.batch);
        let first = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            first = incoming.next() => first,
        };
        match first {
            Some(message) => messages.extend(pulled(message)?),
            None => anyhow::bail!("the pull subscription ended"),
        }
        let deadline = tokio::time::Instant::now() + config.max_wait;
        while messages.len() < config.batch {
            match tokio::time::timeout_at(deadline, incoming.next()).await {
                Ok(Some(message)) => messages.extend(pulled(message)?),
                Ok(None) | Err(_) => break,
            }
        }
        if messages.is_empty() {
            continue;
        }
        let batch = decode_batch(&messages, &config.stream, gaps);
        for refused in &batch.refused {
            tracing::error!(subject = %refused.event.stream_id, event_id = %refused.event.event_id, reason = %refused.reason, "message refused and parked");
        }
        projection
            .park_refused(&batch.refused)
            .await
            .context("failed to park refused messages")?;
        // The batch's span links to every command that produced its events, so a trace
        // can be followed from the gRPC call to the read model.
        let span = tracing::info_span!("project_batch", events = batch.events.len());
        for event in batch.events.iter().filter(|e| !e.traceparent.is_empty()) {
            civitas_platform::telemetry::link_span_to_traceparent(&span, &event.traceparent);
        }
        let applied = tracing::Instrument::instrument(
            apply_until_done(projection, &batch.events, gaps.as_ref(), shutdown),
            span,
        )
        .await;
        if !applied {
            // Stopped before the batch committed: not acknowledged, so redelivered later.
            return Ok(());
        }
        record_lag(&messages, &batch);
        for message in &messages {
            message
                .ack_with(AckKind::Ack)
                .await
                .map_err(|e| anyhow::anyhow!("failed to acknowledge: {e}"))?;
        }
        metrics::counter!("civitas_projection_consumed_total").increment(messages.len() as u64);
    }
}

/// A fetched batch, read: the events to apply (checkpoint = JetStream sequence), and
/// the messages refused on arrival, to be parked.
struct Decoded {
    events: Vec<RecordedEvent>,
    /// The producing service of each event, as its envelope says (and its subject).
    services: Vec<String>,
    refused: Vec<ParkedEvent>,
}

/// A pulled message (`None`: nothing, go on), or why pulling must start over. A
/// missed heartbeat is not fatal: the library asks again, so it is logged and the
/// wait goes on.
fn pulled(
    message: Result<jetstream::Message, pull::MessagesError>,
) -> anyhow::Result<Option<jetstream::Message>> {
    match message {
        Ok(message) => Ok(Some(message)),
        Err(e) if e.kind() == pull::MessagesErrorKind::MissingHeartbeat => {
            tracing::warn!("missed a heartbeat from JetStream; pulling again");
            Ok(None)
        }
        Err(e) => Err(anyhow::anyhow!("pulling failed: {e}")),
    }
}

/// Envelopes → events. A message that is not an envelope, or whose envelope
/// contradicts its subject (another service or community than the subject names, as a
/// forged or misrouted message would), is refused: parked with the reason, never
/// applied, and its stream does not move, so the real event (if any) still comes from
/// the owning service's log. Blocking instead would stall every community's figures.
fn decode_batch(
    messages: &[jetstream::Message],
    stream: &StreamSettings,
    gaps: &EventLogGapFiller,
) -> Decoded {
    let mut decoded = Decoded {
        events: Vec::with_capacity(messages.len()),
        services: Vec::with_capacity(messages.len()),
        refused: Vec::new(),
    };
    for message in messages {
        let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
        let checkpoint = Checkpoint {
            xid: 0,
            position: sequence,
        };
        let envelope = match Envelope::decode(message.payload.clone()) {
            Ok(envelope) => envelope,
            Err(e) => {
                decoded
                    .refused
                    .push(not_an_envelope(message, checkpoint, &e.to_string()));
                continue;
            }
        };
        let service = envelope.service.clone();
        let mut event = match civitas_proto::convert::recorded_of(envelope) {
            Ok(event) => event,
            Err(e) => {
                decoded
                    .refused
                    .push(not_an_envelope(message, checkpoint, &e.to_string()));
                continue;
            }
        };
        event.checkpoint = checkpoint;
        let expected = stream.subject(&service, &event.org, &event.event_type);
        if message.subject.as_str() != expected {
            let reason = format!(
                "the envelope (service {service:?}, community {:?}, type {:?}) does not match its subject {}",
                event.org.community,
                event.event_type,
                message.subject
            );
            decoded
                .refused
                .push(ParkedEvent::refused(event, Some(service), reason));
            continue;
        }
        gaps.note_owner(&event.stream_id, &service);
        decoded.events.push(event);
        decoded.services.push(service);
    }
    decoded
}

/// A refused message that could not be read as an event: its bytes and subject are
/// kept (as the payload and stream id) under a fresh id.
fn not_an_envelope(
    message: &jetstream::Message,
    checkpoint: Checkpoint,
    error: &str,
) -> ParkedEvent {
    let now = chrono::Utc::now();
    let event = RecordedEvent {
        event_id: uuid::Uuid::new_v4(),
        stream_id: message.subject.to_string(),
        stream_version: 0,
        event_type: String::new(),
        schema_version: 0,
        org: Default::default(),
        occurred_at: now,
        recorded_at: now,
        actor: String::new(),
        correlation_id: String::new(),
        causation_id: String::new(),
        traceparent: String::new(),
        payload: message.payload.to_vec(),
        checkpoint,
    };
    let reason = format!("not an event envelope: {error}");
    ParkedEvent::refused(event, None, reason)
}

/// Records each applied event's lag: from its commit (`civitas_projection_lag_seconds`,
/// the whole pipeline) and from its arrival in JetStream
/// (`civitas_projection_consumer_lag_seconds`, this stage alone).
fn record_lag(messages: &[jetstream::Message], batch: &Decoded) {
    for (event, service) in batch.events.iter().zip(&batch.services) {
        metrics::histogram!("civitas_projection_lag_seconds", "service" => service.clone())
            .record(event.seconds_since_recorded());
    }
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
    let consumer_lag = metrics::histogram!("civitas_projection_consumer_lag_seconds");
    for info in messages.iter().filter_map(|m| m.info().ok()) {
        let published = i64::try_from(info.published.unix_timestamp_nanos()).unwrap_or(0);
        consumer_lag.record(now.saturating_sub(published).max(0) as f64 / 1e9);
    }
}

/// Applies a batch, retrying with backoff until it commits (true) or shutdown is asked
/// (false).
async fn apply_until_done(
    projection: &Projection,
    events: &[RecordedEvent],
    gaps: &dyn GapFiller,
    shutdown: &CancellationToken,
) -> bool {
    let mut backoff = Duration::from_millis(50);
    loop {
        match projection.apply_batch(NATS_SOURCE, events, gaps).await {
            Ok(stats) => {
                metrics::counter!("civitas_projection_duplicates_total")
                    .increment(stats.duplicates);
                metrics::counter!("civitas_projection_gaps_healed_total")
                    .increment(stats.gap_filled);
                return true;
            }
            Err(e) => {
                tracing::warn!(error = %e, events = events.len(), "failed to apply a batch, retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return false,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
