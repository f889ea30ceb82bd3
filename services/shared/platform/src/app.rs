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

/// A service type that can add its own gRPC server to a process's services
/// (implemented by [`grpc_service_server!`](crate::grpc_service_server)).
pub trait GrpcServer: Send + Sync {
    fn add_to(&self, services: &mut Services, limits: &ServerLimits, auth: AuthInterceptor);
}

/// A write service with its name and store: what each service crate's `app(...)`
/// returns and the binary composes.
pub struct ServiceApp<S> {
    name: &'static str,
    store: Arc<dyn EventStore>,
    service: S,
}

impl<S: GrpcServer> ServiceApp<S> {
    pub fn new(name: &'static str, store: Arc<dyn EventStore>, service: S) -> Self {
        Self {
            name,
            store,
            service,
        }
    }

    /// The service itself (in-process callers and tests).
    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S: GrpcServer> WriteApp for ServiceApp<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    fn add_to(&self, services: &mut Services, limits: &ServerLimits, auth: AuthInterceptor) {
        self.service.add_to(services, limits, auth);
    }
}
