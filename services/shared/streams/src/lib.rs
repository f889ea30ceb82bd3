//! Events leaving a write service's store: the relay that publishes them to NATS
//! JetStream (subject tree, stream setup, pipelined publishing with deduplication ids)
//! and the `EventLogService` that serves the store itself over gRPC.

pub mod eventlog;
pub mod jetstream;
pub mod relay;
pub mod subject;

pub use eventlog::EventLog;
pub use jetstream::{connect, ensure_stream, NatsSettings};
pub use relay::{run_relay, RelayConfig};
pub use subject::StreamSettings;
