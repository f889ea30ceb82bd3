//! The safety service: incidents (reported, dispatched, resolved, closed, escalated),
//! mass patrols, inspections (sanitation, door-front duties, pests, illegal building,
//! fire safety) and the rectifications they lead to.
//!
//! The domain is pure (see [`domain`]); the shell authorizes every write against the
//! caller's community, loads the facts a decision needs and appends through the
//! kernel's command shell. No personal data enters this service: places are grids,
//! buildings and short descriptions; teams are unit names; people are counted.

pub mod domain;

mod convert;
mod error;
mod grpc;
mod service;

pub use error::ServiceError;
pub use service::Safety;
