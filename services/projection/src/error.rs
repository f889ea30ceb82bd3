//! Why applying events or reading the projection failed.

use tonic::Status;

/// A projection failure. Every variant leaves the checkpoint where it was: the batch
/// is retried as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A stream skipped versions and the gap filler could not supply them.
    #[error("stream {stream_id} has a gap: expected version {expected}, got {found}")]
    Gap {
        stream_id: String,
        expected: u64,
        found: u64,
    },
    /// The gap filler failed to fetch a stream's missing events.
    #[error("failed to fetch missing events of stream {stream_id}")]
    GapFill {
        stream_id: String,
        #[source]
        source: anyhow::Error,
    },
    /// A known event type whose payload does not decode: applying around it would
    /// count wrong, so the projection stops here until it is fixed (or upcast).
    #[error("event {stream_id}@{version} of type {event_type} has an undecodable payload")]
    Decode {
        stream_id: String,
        version: u64,
        event_type: String,
        #[source]
        source: prost::DecodeError,
    },
    /// The projection database failed.
    #[error("projection database failure")]
    Database(#[from] sqlx::Error),
    /// Anything else unexpected.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A read that failed is INTERNAL for the client; the whole error chain goes to the log.
impl From<ProjectionError> for Status {
    fn from(error: ProjectionError) -> Status {
        civitas_platform::error::internal(&format!("{:#}", anyhow::Error::new(error)))
    }
}
