//! The imperative shell around a [`Decider`]: load the stream, fold it, decide, encode,
//! append — with the caller's expected version or, when it gave none, the version just
//! loaded (retried a few times if a concurrent writer got there first).

use crate::aggregate::Decider;
use crate::envelope::{Metadata, NewEvent, RecordedEvent};
use crate::store::{
    AppendError, AppendOutcome, AppendRequest, Companion, EventStore, ExpectedVersion, Idempotency,
    StoreError,
};
use chrono::{DateTime, Utc};

/// How an aggregate's events are stored: a type name and a protobuf payload.
pub trait EventCodec: Sized {
    /// The payload schema version written today; older ones are upcast in `decode`.
    const SCHEMA_VERSION: u32 = 1;

    /// The event's type name, e.g. `ResidentRegistered` (also its NATS subject token).
    fn event_type(&self) -> &'static str;

    /// The payload bytes.
    fn encode(&self) -> Vec<u8>;

    /// Decodes a stored event, upcasting older schema versions.
    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError>;
}

/// A stored event that cannot be decoded: data corruption or a missing upcaster.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode {event_type} v{schema_version}: {reason}")]
pub struct DecodeError {
    pub event_type: String,
    pub schema_version: u32,
    pub reason: String,
}

/// What a command carries besides its domain content.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub metadata: Metadata,
    pub idempotency: Option<Idempotency>,
    /// The version the client saw; `None` means "whatever I load now".
    pub expected_version: Option<u64>,
    pub occurred_at: DateTime<Utc>,
    /// Rows that commit with the command's events or not at all (see [`Companion`]).
    pub companions: Vec<Companion>,
}

/// Why a command did not produce its events.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The decider refused the command.
    #[error(transparent)]
    Rejected(E),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl<E: std::error::Error> From<StoreError> for CommandError<E> {
    fn from(e: StoreError) -> Self {
        CommandError::Append(AppendError::Store(e))
    }
}

/// A stream's decoded state and version.
pub struct Loaded<D: Decider> {
    pub state: D::State,
    pub version: u64,
}

/// Reads and folds one stream.
pub async fn load<D>(
    store: &dyn EventStore,
    stream_id: &str,
) -> Result<Loaded<D>, CommandError<D::Error>>
where
    D: Decider,
    D::Event: EventCodec,
{
    folded(&store.read_stream(stream_id).await?)
}

/// Folds a stream's recorded events.
pub fn folded<D>(recorded: &[RecordedEvent]) -> Result<Loaded<D>, CommandError<D::Error>>
where
    D: Decider,
    D::Event: EventCodec,
{
    let version = recorded.last().map_or(0, |e| e.stream_version);
    let events = decode_all::<D::Event>(recorded)?;
    Ok(Loaded {
        state: D::fold(events.iter()),
        version,
    })
}

/// Decodes recorded events of one aggregate type.
pub fn decode_all<E: EventCodec>(recorded: &[RecordedEvent]) -> Result<Vec<E>, DecodeError> {
    recorded
        .iter()
        .map(|r| E::decode(&r.event_type, r.schema_version, &r.payload))
        .collect()
}

/// Runs one command against one stream. `decide` may be called more than once when no
/// expected version was given and a concurrent append wins the race.
///
/// `read`: the stream's events as the caller has just read them (a fresh id's stream:
/// none), so the first attempt does not read them again; `None` reads them. A retry
/// after a lost race always reads afresh.
pub async fn execute<D, F>(
    store: &dyn EventStore,
    stream_id: &str,
    read: Option<Vec<RecordedEvent>>,
    context: CommandContext,
    mut decide: F,
) -> Result<AppendOutcome, CommandError<D::Error>>
where
    D: Decider,
    D::Event: EventCodec,
    F: FnMut(&D::State) -> Result<Vec<D::Event>, D::Error>,
{
    const ATTEMPTS: usize = 3;
    if let Some(idem) = &context.idempotency {
        if let Some(outcome) = store.idempotent_outcome(idem).await? {
            return Ok(outcome);
        }
    }
    let mut attempt = 0;
    let mut read = read;
    loop {
        attempt += 1;
        let loaded = match read.take() {
            Some(recorded) => folded::<D>(&recorded)?,
            None => load::<D>(store, stream_id).await?,
        };
        let expected = match context.expected_version {
            Some(v) if v != loaded.version => {
                return Err(AppendError::Conflict {
                    stream_id: stream_id.to_owned(),
                    expected: ExpectedVersion::Exact(v),
                    actual: loaded.version,
                }
                .into())
            }
            Some(v) => ExpectedVersion::Exact(v),
            None if loaded.version == 0 => ExpectedVersion::NoStream,
            None => ExpectedVersion::Exact(loaded.version),
        };
        let events = decide(&loaded.state).map_err(CommandError::Rejected)?;
        let request = AppendRequest {
            stream_id: stream_id.to_owned(),
            expected,
            metadata: context.metadata.clone(),
            events: events
                .iter()
                .map(|e| {
                    NewEvent::new(
                        e.event_type(),
                        D::Event::SCHEMA_VERSION,
                        context.occurred_at,
                        e.encode(),
                    )
                })
                .collect(),
            idempotency: context.idempotency.clone(),
            companions: context.companions.clone(),
        };
        match store.append(request).await {
            Err(AppendError::Conflict { .. })
                if context.expected_version.is_none() && attempt < ATTEMPTS =>
            {
                continue
            }
            result => return Ok(result?),
        }
    }
}
