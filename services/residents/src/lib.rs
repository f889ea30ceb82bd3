//! The residents service: households, residents, residence types and care registers.
//!
//! Personal data (name, ID number, phone, birth date, address) is sealed per subject
//! before it enters an event (see [`crypto`] and [`keystore`]); events, logs and every
//! other service see pseudonymous ids and category codes only.

pub mod crypto;
pub mod domain;
pub mod keystore;

mod convert;
mod error;
mod grpc;
mod service;

use std::sync::Arc;

use civitas_kernel::EventStore;
use civitas_platform::app::ServiceApp;
use civitas_platform::org::OrgTree;

pub use error::ServiceError;
pub use service::Residents;

/// The service's name: its NATS subject token, its schema and its event log's name.
pub const NAME: &str = "residents";

/// The residents service as the `civitas` binary composes it.
pub type App = ServiceApp<Residents>;

/// The service over an opened event store and key store, with the master key that
/// wraps the data keys.
pub fn app(
    store: Arc<dyn EventStore>,
    keys: keystore::KeyStore,
    master: crypto::MasterKey,
    tree: OrgTree,
) -> App {
    ServiceApp::new(
        NAME,
        store.clone(),
        Residents::new(store, keys, master, tree),
    )
}
