//! What the `civitas` binary needs of a write service, so that the embedded mode
//! (`civitas up`) and the distributed mode (`civitas serve <service>`) only compose
//! service apps and never reach into one.

use std::sync::Arc;

use civitas_kernel::EventStore;

use crate::auth::AuthInterceptor;
use crate::grpc::{ServerLimits, Services};

/// A write service, built by its crate's `App::new` over an opened event store.
pub trait WriteApp: Send + Sync {
    /// The service's name: its NATS subject token, its schema and its event log's name.
    fn name(&self) -> &'static str;

    /// The event store it appends to (read by the relay, the event log and, embedded,
    /// the projection's tailers).
    fn store(&self) -> Arc<dyn EventStore>;

    /// Adds the service's gRPC server (behind `auth`, with the message size limits).
    fn add_to(&self, services: &mut Services, limits: &ServerLimits, auth: AuthInterceptor);
}
