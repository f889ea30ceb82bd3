//! Platform plumbing shared by every civitas service: layered configuration, key
//! material, telemetry, the org tree, JWT authentication and scope rules, gRPC server
//! assembly and the mapping of errors onto the richer gRPC error model.
//!
//! Nothing here knows about a particular domain; services depend on this crate so that
//! every server starts, authenticates, limits and reports errors the same way.

pub mod app;
pub mod auth;
pub mod command;
pub mod config;
pub mod error;
pub mod grpc;
pub mod guard;
pub mod org;
pub mod paging;
pub mod secrets;
pub mod shed;
pub mod telemetry;
pub mod write;

pub use auth::{Caller, Role};
pub use grpc::ServerLimits;
pub use org::OrgTree;
