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

pub use error::ServiceError;
pub use service::Residents;
