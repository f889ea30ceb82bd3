//! The one civitas binary's library: the embedded application behind `civitas up`
//! (every service and the projection in one process on SQLite) and the small helpers its
//! subcommands share. `main.rs` only parses flags, starts telemetry and runs these.

pub mod bench_append;
pub mod bench_baseline;
pub mod bench_pipeline;
pub mod distributed;
pub mod embedded;
pub mod export;
pub mod import;
pub mod keys;
pub mod parked;
pub mod rebuild;
pub mod simulate;
pub mod stream;

pub mod tail;

pub use embedded::{Application, UpConfig};
