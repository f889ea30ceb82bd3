//! Events leaving a write service's store: the relay that publishes them to NATS
//! JetStream (subject tree, stream setup, pipelined publishing with deduplication ids)
//! and the `EventLogService` that serves the store itself over gRPC, with the stream
//! heads the projection reconciles against.

pub mod eventlog;
pub mod heads;
pub mod horizon;
pub mod jetstream;
pub mod lease;
pub mod relay;
pub mod subject;

pub use eventlog::EventLog;
pub use heads::{Head, HeadsPage};
pub use jetstream::{
    connect, ensure_stream, max_event_bytes, open_stream, with_patience, NatsSettings, StreamError,
    RELAY_OVERHEAD_BYTES,
};
pub use lease::Lease;
pub use relay::{run_relay, RelayConfig};
pub use subject::StreamSettings;
