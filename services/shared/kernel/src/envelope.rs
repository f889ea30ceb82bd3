//! The envelope every event travels in: identity, stream position, org path, timing,
//! causation and trace context around an opaque protobuf payload.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where in the org tree an event happened: district → street → community codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct OrgPath {
    pub district: String,
    pub street: String,
    pub community: String,
}

/// Who caused an append and in which trace; shared by all events of one command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub org: OrgPath,
    /// Token subject of the caller.
    pub actor: String,
    pub correlation_id: String,
    pub causation_id: String,
    /// W3C `traceparent` of the command's span, empty when tracing is off.
    pub traceparent: String,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    /// Protobuf encoding of `civitas.events.v1.<event_type>`.
    pub payload: Vec<u8>,
}

impl NewEvent {
    /// A new event with a fresh UUIDv7 id.
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u32,
        occurred_at: DateTime<Utc>,
        payload: Vec<u8>,
    ) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version,
            occurred_at,
            payload,
        }
    }
}

/// A position in a store's gap-safe global order. PostgreSQL orders by
/// (transaction id, position); SQLite has one writer, so `xid` is always 0 there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Checkpoint {
    pub xid: u64,
    pub position: u64,
}

impl Checkpoint {
    /// The position before the first event.
    pub const START: Checkpoint = Checkpoint {
        xid: 0,
        position: 0,
    };
}

/// An event as stored: the envelope of `events.proto` (see docs/ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream_id: String,
    /// 1 for a stream's first event.
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub org: OrgPath,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub correlation_id: String,
    pub causation_id: String,
    pub traceparent: String,
    pub payload: Vec<u8>,
    pub checkpoint: Checkpoint,
}

impl RecordedEvent {
    /// Seconds from the event's commit until now (0 when the clocks disagree): the lag
    /// of whatever stage is handling it.
    pub fn seconds_since_recorded(&self) -> f64 {
        (chrono::Utc::now() - self.recorded_at)
            .to_std()
            .unwrap_or_default()
            .as_secs_f64()
    }
}
