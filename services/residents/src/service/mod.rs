//! The imperative shell of the residents service: authorize, parse, seal personal data,
//! load the facts a decision needs, decide, append — the shared steps through
//! [`Shell`], the key store and its master key being this service's own. Handlers take
//! the request and the verified caller; `grpc.rs` only wires them to tonic.
//!
//! - [`registration`]: the two writes that create a subject, its data key and its
//!   sealed personal data;
//! - [`commands`]: the register changes on an existing resident, erasure included;
//! - [`queries`]: reads, opening personal data only for the resident's own staff.

mod commands;
mod queries;
mod registration;

use std::sync::Arc;

use civitas_platform::write::{Shell, Target};

use crate::crypto::MasterKey;
use crate::domain::{ResidentId, ValidationError};
use crate::keystore::KeyStore;

/// The residents service: the write shell over its event store and the org tree, and
/// the key store with the master key that wraps its data keys.
#[derive(Clone)]
pub struct Residents {
    shell: Shell,
    keys: KeyStore,
    master: Arc<MasterKey>,
}

impl Residents {
    /// The service over its shell and key store, with the master key that wraps the
    /// data keys.
    pub fn new(shell: Shell, keys: KeyStore, master: MasterKey) -> Self {
        Self {
            shell,
            keys,
            master: Arc::new(master),
        }
    }
}

/// The resident a request names, as the target of a command or a read.
fn resident_target(id: &ResidentId) -> Target {
    Target::new("resident", id, id.stream_id())
}

/// The required `resident_id` of a request.
fn parse_resident_id(input: &str) -> Result<ResidentId, ValidationError> {
    civitas_platform::command::required(input, "resident_id")
        .and_then(|s| ResidentId::parse("resident_id", s))
}
