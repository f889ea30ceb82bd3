//! The imperative shell of the residents service: authorize, parse, seal personal data,
//! load the facts a decision needs, decide, append. Handlers here take parsed requests
//! and the caller; `grpc.rs` only adapts them to tonic.

mod commands;
mod queries;

use std::sync::Arc;

use civitas_kernel::{EventStore, OrgPath};
use civitas_platform::auth::Caller;
use civitas_platform::command::write_scope;
use civitas_platform::org::OrgTree;

use crate::crypto::MasterKey;
use crate::error::ServiceError;
use crate::keystore::KeyStore;

/// The residents service: its event store, its key store and the org tree.
#[derive(Clone)]
pub struct Residents {
    store: Arc<dyn EventStore>,
    keys: KeyStore,
    master: Arc<MasterKey>,
    tree: OrgTree,
}

impl Residents {
    /// A service over an opened event store and key store.
    pub fn new(
        store: Arc<dyn EventStore>,
        keys: KeyStore,
        master: MasterKey,
        tree: OrgTree,
    ) -> Self {
        Self {
            store,
            keys,
            master: Arc::new(master),
            tree,
        }
    }

    /// The event store (for the event log and in-process tailers).
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The community a staff caller writes to (see [`write_scope`]).
    fn write_scope(&self, caller: &Caller, requested: &str) -> Result<OrgPath, ServiceError> {
        Ok(write_scope(caller, &self.tree, requested)?)
    }
}
