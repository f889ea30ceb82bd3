//! The imperative shell of the safety service: authorize, parse, load the facts a
//! decision needs, decide, append. Handlers here take parsed requests and the caller;
//! `grpc.rs` only adapts them to tonic.

mod commands;
mod queries;

use std::sync::Arc;

use civitas_kernel::{AppendOutcome, EventStore, OrgPath, RecordedEvent};
use civitas_platform::auth::{AuthError, Caller};
use civitas_platform::command::{write_scope, WriteContext};
use civitas_platform::org::OrgTree;

use crate::error::ServiceError;

/// The safety service: its event store and the org tree.
#[derive(Clone)]
pub struct Safety {
    store: Arc<dyn EventStore>,
    tree: OrgTree,
}

/// An existing aggregate a command acts on or a query reads.
struct Target {
    /// What it is, for messages: "incident", "patrol", ...
    what: &'static str,
    id: String,
    stream_id: String,
}

impl Target {
    fn new(what: &'static str, id: String, stream_id: String) -> Self {
        Self {
            what,
            id,
            stream_id,
        }
    }
}

impl Safety {
    /// A service over an opened event store.
    pub fn new(store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self { store, tree }
    }

    /// The event store (for the event log and in-process tailers).
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The community a staff caller writes to (see [`write_scope`]).
    fn write_scope(&self, caller: &Caller, requested: &str) -> Result<OrgPath, ServiceError> {
        Ok(write_scope(caller, &self.tree, requested)?)
    }

    /// The stored outcome when this request is a retry of an earlier one. Checked
    /// before any parsing so a retry succeeds even when a date rule no longer would.
    async fn replayed(&self, meta: &WriteContext) -> Result<Option<AppendOutcome>, ServiceError> {
        match &meta.command.idempotency {
            None => Ok(None),
            Some(idem) => Ok(self.store.idempotent_outcome(idem).await?),
        }
    }

    /// The target's events and the org path its first event was written in; NOT_FOUND
    /// when it has none.
    async fn read_existing(
        &self,
        target: &Target,
    ) -> Result<(Vec<RecordedEvent>, OrgPath), ServiceError> {
        let recorded = self.store.read_stream(&target.stream_id).await?;
        let Some(first) = recorded.first() else {
            return Err(ServiceError::NotFound {
                what: target.what,
                id: target.id.clone(),
            });
        };
        let org = first.org.clone();
        Ok((recorded, org))
    }

    /// NOT_FOUND unless the target exists; PERMISSION_DENIED when it belongs to
    /// another community than the one the caller writes to.
    async fn require_in(&self, target: &Target, community: &str) -> Result<(), ServiceError> {
        let (_, org) = self.read_existing(target).await?;
        if org.community != community {
            return Err(AuthError::PermissionDenied(format!(
                "{} {} belongs to another community",
                target.what, target.id
            ))
            .into());
        }
        Ok(())
    }

    /// The target's events and org path, after checking the caller may read it.
    async fn read_authorized(
        &self,
        caller: &Caller,
        target: &Target,
    ) -> Result<(Vec<RecordedEvent>, OrgPath), ServiceError> {
        let (recorded, org) = self.read_existing(target).await?;
        caller.authorize_read(&org.community, &self.tree)?;
        Ok((recorded, org))
    }
}
