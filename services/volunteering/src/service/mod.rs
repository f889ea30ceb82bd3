//! The imperative shell of the volunteering service: authorize, parse, load the facts a
//! decision needs, decide, append. Handlers take parsed requests and the caller;
//! `grpc.rs` only adapts them to tonic.

mod commands;
mod hours;
mod queries;

use std::sync::Arc;

use civitas_kernel::command::{execute, load};
use civitas_kernel::{AppendOutcome, CommandContext, Decider, EventCodec, EventStore, OrgPath};
use civitas_platform::auth::{AuthError, Caller};
use civitas_platform::command::{write_scope, WriteContext};
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::WriteOptions;

use crate::domain::{Volunteer, VolunteerFacts, VolunteerId};
use crate::error::ServiceError;

/// Settings of the volunteering service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolunteeringConfig {
    /// The most time credits one volunteer may hold, in minutes (default 1500 h).
    pub time_bank_cap_minutes: u64,
}

impl Default for VolunteeringConfig {
    fn default() -> Self {
        Self {
            time_bank_cap_minutes: 1500 * 60,
        }
    }
}

/// The volunteering service: its event store, the org tree and its settings.
#[derive(Clone)]
pub struct Volunteering {
    store: Arc<dyn EventStore>,
    tree: OrgTree,
    config: VolunteeringConfig,
}

impl Volunteering {
    /// A service over an opened event store, with default settings.
    pub fn new(store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self::with_config(store, tree, VolunteeringConfig::default())
    }

    /// A service with explicit settings.
    pub fn with_config(
        store: Arc<dyn EventStore>,
        tree: OrgTree,
        config: VolunteeringConfig,
    ) -> Self {
        Self {
            store,
            tree,
            config,
        }
    }

    /// The event store (for the event log and in-process tailers).
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The settings in force.
    pub fn config(&self) -> &VolunteeringConfig {
        &self.config
    }

    /// The community a staff caller writes to and the command's context. A community
    /// named in the body (`requested`) may only repeat the caller's own.
    fn begin(
        &self,
        caller: &Caller,
        requested: &str,
        options: Option<&WriteOptions>,
        rpc: &str,
        request: &impl prost::Message,
    ) -> Result<(OrgPath, WriteContext), ServiceError> {
        let org = write_scope(caller, &self.tree, requested)?;
        let meta = WriteContext::new(caller, org.clone(), options, rpc, request)?;
        Ok((org, meta))
    }

    /// Runs one command against one stream (replaying a retried idempotency key).
    async fn run<D>(
        &self,
        stream_id: &str,
        context: CommandContext,
        command: D::Command,
    ) -> Result<AppendOutcome, ServiceError>
    where
        D: Decider,
        D::Command: Clone,
        D::Event: EventCodec,
        D::Error: Into<ServiceError>,
    {
        Ok(execute::<D, _>(&*self.store, stream_id, context, |state| {
            D::decide(state, command.clone())
        })
        .await?)
    }

    /// NOT_FOUND unless the stream exists; PERMISSION_DENIED when its first event was
    /// recorded in another community than `community`.
    async fn require_in(
        &self,
        what: &'static str,
        stream_id: &str,
        id: &(dyn std::fmt::Display + Sync),
        community: &str,
    ) -> Result<(), ServiceError> {
        let stream = self.store.read_stream(stream_id).await?;
        match stream.first() {
            None => Err(ServiceError::NotFound {
                what,
                id: id.to_string(),
            }),
            Some(first) if first.org.community != community => Err(AuthError::PermissionDenied(
                format!("{what} {id} belongs to another community"),
            )
            .into()),
            Some(_) => Ok(()),
        }
    }

    /// A volunteer of `community` as a decision about another stream needs it.
    async fn volunteer_facts(
        &self,
        id: VolunteerId,
        community: &str,
    ) -> Result<VolunteerFacts, ServiceError> {
        self.require_in("volunteer", &id.stream_id(), &id, community)
            .await?;
        let state = load::<Volunteer>(&*self.store, &id.stream_id())
            .await?
            .state;
        Ok(VolunteerFacts {
            volunteer_id: id,
            exists: state.volunteer_id.is_some(),
            active: state.is_active(),
            community: state.community.clone(),
            balance_minutes: state.balance_minutes,
        })
    }
}

/// The id part of a `<prefix>-<uuid>` stream id (for creations answered from a replay).
fn id_of(stream_id: &str, prefix: &str) -> String {
    stream_id
        .strip_prefix(prefix)
        .and_then(|s| s.strip_prefix('-'))
        .unwrap_or(stream_id)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cap_is_1500_hours_and_ids_come_from_stream_ids() {
        assert_eq!(VolunteeringConfig::default().time_bank_cap_minutes, 90_000);
        assert_eq!(id_of("volunteer-abc", "volunteer"), "abc");
        assert_eq!(id_of("team-x-y", "team"), "x-y");
    }
}
