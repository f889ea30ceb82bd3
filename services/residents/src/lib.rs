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

use civitas_platform::app::ServiceApp;
use civitas_platform::write::Shell;

pub use error::ServiceError;
pub use service::Residents;

/// The service's name: its NATS subject token, its schema and its event log's name.
pub const NAME: &str = "residents";

/// The residents service as the `civitas` binary composes it.
pub type App = ServiceApp<Residents>;

/// The service over its shell and key store, with the master key that wraps the data
/// keys.
pub fn app(shell: Shell, keys: keystore::KeyStore, master: crypto::MasterKey) -> App {
    ServiceApp::new(
        NAME,
        shell.shared_store(),
        Residents::new(shell, keys, master),
    )
}
