//! The safety service: incidents (reported, dispatched, resolved, closed, escalated),
//! mass patrols, inspections (sanitation, door-front duties, pests, illegal building,
//! fire safety) and the rectifications they lead to.
//!
//! The domain is pure (see [`domain`]); the shell authorizes every write against the
//! caller's community, loads the facts a decision needs and appends through the
//! platform's write shell. No personal data enters this service: places are grids,
//! buildings and short descriptions; teams are unit names; people are counted.

pub mod domain;

mod convert;
mod error;
mod grpc;
mod service;

use civitas_platform::app::ServiceApp;
use civitas_platform::write::Shell;

pub use error::ServiceError;
pub use service::Safety;

/// The service's name: its NATS subject token, its schema and its event log's name.
pub const NAME: &str = "safety";

/// The safety service as the `civitas` binary composes it.
pub type App = ServiceApp<Safety>;

/// The service over its shell (event store, org tree, event size limit).
pub fn app(shell: Shell) -> App {
    ServiceApp::new(NAME, shell.shared_store(), Safety::new(shell))
}
