//! The volunteering service: volunteers (registration, real-name verification), teams,
//! opportunities with their assignments, service hours with approval and star levels,
//! and the time bank (deposit, redeem, donate, capped balance).
//!
//! No personal data lives here: residents are referred to by their pseudonymous id and
//! external volunteers by their organisation only.

pub mod domain;

pub mod residence;

mod convert;
mod error;
mod grpc;
mod service;

use std::sync::Arc;

use civitas_platform::app::ServiceApp;
use civitas_platform::write::Shell;

pub use error::ServiceError;
pub use residence::Residence;
pub use service::Volunteering;

/// The service's name: its NATS subject token, its schema and its event log's name.
pub const NAME: &str = "volunteering";

/// The volunteering service as the `civitas` binary composes it.
pub type App = ServiceApp<Volunteering>;

/// The service over its shell (event store, org tree, event size limit) and the
/// residents log it checks resident volunteers against.
pub fn app(shell: Shell, residence: Arc<dyn Residence>) -> App {
    ServiceApp::new(
        NAME,
        shell.shared_store(),
        Volunteering::new(shell, residence),
    )
}
