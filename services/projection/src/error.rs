//! Why applying events or reading the projection failed.

use tonic::Status;

/// A projection failure. Every variant leaves the checkpoint where it was: the batch
/// is retried as a whole. (An event that cannot be applied is no failure: it is
/// parked, see [`crate::parked`].)
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The gap filler failed to fetch a stream's missing events.
    #[error("failed to fetch missing events of stream {stream_id}")]
    GapFill {
        stream_id: String,
        #[source]
        source: anyhow::Error,
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
