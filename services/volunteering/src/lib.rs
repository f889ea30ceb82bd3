//! The volunteering service: volunteers (registration, real-name verification), teams,
//! opportunities with their assignments, service hours with approval and star levels,
//! and the time bank (deposit, redeem, donate, capped balance).
//!
//! No personal data lives here: residents are referred to by their pseudonymous id and
//! external volunteers by their organisation only.

pub mod domain;

mod convert;
mod error;
mod grpc;
mod service;

pub use error::ServiceError;
pub use service::{Volunteering, VolunteeringConfig};
