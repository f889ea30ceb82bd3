//! The activities service: a community's annual plan (planned items per month and
//! category, published and amended by version), its activities (citizen-school classes,
//! film nights, performances, ...) with registration, check-in and attendance, its
//! publicity boards and its facilities, and its ledger of funds received and spent.
//!
//! Residents appear only by pseudonymous resident id and walk-ins only as a count: no
//! personal data enters this service, its events or its logs.

pub mod domain;

mod convert;
mod error;
mod grpc;
mod service;

use civitas_platform::app::ServiceApp;
use civitas_platform::write::Shell;

pub use error::ServiceError;
pub use service::Activities;

/// The service's name: its NATS subject token, its schema and its event log's name.
pub const NAME: &str = "activities";

/// The activities service as the `civitas` binary composes it.
pub type App = ServiceApp<Activities>;

/// The service over its shell (event store, org tree, event size limit).
pub fn app(shell: Shell) -> App {
    ServiceApp::new(NAME, shell.shared_store(), Activities::new(shell))
}
