//! The imperative shell of the activities service: authorize, parse, load the facts a
//! decision needs, decide, append. Handlers here take parsed requests and the caller;
//! `grpc.rs` only adapts them to tonic.

mod commands;
mod places;
mod queries;

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::command::{decode_all, execute};
use civitas_kernel::{AppendOutcome, Decider, EventCodec, EventStore, OrgPath};
use civitas_platform::auth::{AuthError, Caller};
use civitas_platform::command::{write_scope, WriteContext};
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::WriteOptions;

use crate::domain::ValidationError;
use crate::error::ServiceError;

/// Settings of the activities service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivitiesConfig {
    /// How long before an activity starts and after it ends check-in stays open.
    /// Default 30 minutes: people arrive early and sign in on their way out.
    pub checkin_margin: Duration,
}

impl Default for ActivitiesConfig {
    fn default() -> Self {
        Self {
            checkin_margin: Duration::from_secs(30 * 60),
        }
    }
}

/// The activities service: its event store, the org tree and its settings.
#[derive(Clone)]
pub struct Activities {
    store: Arc<dyn EventStore>,
    tree: OrgTree,
    config: ActivitiesConfig,
}

/// The existing aggregate a command acts on.
struct Target {
    what: &'static str,
    id: String,
    stream_id: String,
}

impl Activities {
    /// A service over an opened event store, with default settings.
    pub fn new(store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self {
            store,
            tree,
            config: ActivitiesConfig::default(),
        }
    }

    /// The same service with other settings.
    pub fn with_config(mut self, config: ActivitiesConfig) -> Self {
        self.config = config;
        self
    }

    /// The service's settings.
    pub fn config(&self) -> &ActivitiesConfig {
        &self.config
    }

    /// The event store (for the event log and in-process tailers).
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The community a staff caller writes to (see [`write_scope`]).
    fn write_scope(&self, caller: &Caller, requested: &str) -> Result<OrgPath, ServiceError> {
        Ok(write_scope(caller, &self.tree, requested.trim())?)
    }

    /// The stored outcome when this request is a retry of an earlier one.
    async fn replayed(&self, meta: &WriteContext) -> Result<Option<AppendOutcome>, ServiceError> {
        match &meta.command.idempotency {
            None => Ok(None),
            Some(idem) => Ok(self.store.idempotent_outcome(idem).await?),
        }
    }

    /// Runs a command on an existing aggregate of the caller's community: authorize,
    /// replay a retried request, check the aggregate is there and ours, decide, append.
    #[allow(clippy::too_many_arguments)]
    async fn on_existing<D>(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        target: impl FnOnce() -> Result<Target, ValidationError>,
        command: impl FnOnce(&WriteContext) -> Result<D::Command, ServiceError>,
    ) -> Result<AppendOutcome, ServiceError>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        D::Error: Into<ServiceError>,
    {
        let org = self.write_scope(caller, "")?;
        let meta = WriteContext::new(caller, org.clone(), options, rpc, request)?;
        if let Some(replayed) = self.replayed(&meta).await? {
            return Ok(replayed);
        }
        let target = target()?;
        self.require_in(&target, &org.community).await?;
        let command = command(&meta)?;
        let outcome = execute::<D, _>(&*self.store, &target.stream_id, meta.command, |state| {
            D::decide(state, command.clone())
        })
        .await?;
        Ok(outcome)
    }

    /// NOT_FOUND unless the aggregate exists; PERMISSION_DENIED when it belongs to
    /// another community (its first event's org says where).
    async fn require_in(&self, target: &Target, community: &str) -> Result<(), ServiceError> {
        let stream = self.store.read_stream(&target.stream_id).await?;
        match stream.first() {
            None => Err(ServiceError::NotFound {
                what: target.what,
                id: target.id.clone(),
            }),
            Some(first) if first.org.community != community => Err(AuthError::PermissionDenied(
                format!("{} {} belongs to another community", target.what, target.id),
            )
            .into()),
            Some(_) => Ok(()),
        }
    }

    /// The event a stream holds at `version` (what an append or its replay wrote).
    async fn event_at<E: EventCodec>(
        &self,
        stream_id: &str,
        version: u64,
    ) -> Result<E, ServiceError> {
        let recorded = self.store.read_stream(stream_id).await?;
        let at = recorded
            .iter()
            .find(|r| r.stream_version == version)
            .ok_or_else(|| {
                ServiceError::Unexpected(anyhow::anyhow!(
                    "stream {stream_id} has no version {version}"
                ))
            })?;
        Ok(decode_all::<E>(std::slice::from_ref(at))?.remove(0))
    }
}
