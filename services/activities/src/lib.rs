//! The activities service: a community's annual plan (planned items per month and
//! category, published and amended by version), its activities (citizen-school classes,
//! film nights, performances, ...) with registration, check-in and attendance, its
//! publicity boards and its facilities.
//!
//! Residents appear only by pseudonymous resident id and walk-ins only as a count: no
//! personal data enters this service, its events or its logs.

pub mod domain;

mod convert;
mod error;
mod grpc;
mod service;

pub use error::ServiceError;
pub use service::{Activities, ActivitiesConfig};
