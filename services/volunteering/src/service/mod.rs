//! The imperative shell of the volunteering service. Every write handler follows the
//! shared order of [`Shell`]: begin (the caller's community and the command's context)
//! → replayed (a retried idempotency key answers with the first outcome) → parse → load
//! the facts a decision needs → run (decide and append). `commands.rs` holds
//! registration, teams and opportunities, `hours.rs` service records and the time bank,
//! `queries.rs` the reads; `grpc.rs` only adapts them to tonic.

mod commands;
mod hours;
mod queries;

use std::sync::Arc;

use civitas_kernel::command::decode_all;
use civitas_kernel::{AppendOutcome, Decider, EventCodec, RecordedEvent, ValidationError};
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, WriteContext};
use civitas_platform::write::{Shell, Target, WriteError};
use civitas_proto::common::v1::WriteOptions;

use crate::domain::{
    Opportunity, OpportunityCommand, OpportunityId, Team, TeamFacts, TeamId, Volunteer,
    VolunteerCommand, VolunteerFacts, VolunteerId,
};
use crate::error::ServiceError;
use crate::residence::Residence;

/// The volunteering service: the write shell over its event store and the org tree,
/// and where residents live (for resident volunteers).
#[derive(Clone)]
pub struct Volunteering {
    shell: Shell,
    residence: Arc<dyn Residence>,
}

impl Volunteering {
    /// The service over its shell (event store, org tree, event size limit) and the
    /// residents log.
    pub fn new(shell: Shell, residence: Arc<dyn Residence>) -> Self {
        Self { shell, residence }
    }

    /// The state of the aggregate in `stream_id` (its default when the stream is empty).
    async fn state_of<D>(&self, stream_id: &str) -> Result<D::State, WriteError>
    where
        D: Decider,
        D::Event: EventCodec,
    {
        fold::<D>(&self.shell.store().read_stream(stream_id).await?)
    }

    /// A volunteer of `community` as a decision about another stream needs it.
    async fn volunteer_facts(
        &self,
        id: VolunteerId,
        community: &str,
    ) -> Result<VolunteerFacts, ServiceError> {
        let recorded = self
            .shell
            .require_in(&volunteer_target(id), community)
            .await?;
        let state = fold::<Volunteer>(&recorded)?;
        Ok(VolunteerFacts {
            volunteer_id: id,
            exists: state.volunteer_id.is_some(),
            active: state.is_active(),
            community: state.community,
            balance_minutes: state.balance_minutes,
        })
    }

    /// A team of `community` as an opportunity naming it needs it.
    async fn team_facts(&self, id: TeamId, community: &str) -> Result<TeamFacts, ServiceError> {
        let recorded = self.shell.require_in(&team_target(id), community).await?;
        let state = fold::<Team>(&recorded)?;
        Ok(TeamFacts {
            team_id: id,
            exists: state.team_id.is_some(),
            community: state.community,
        })
    }

    /// The shell's whole path for a command on the volunteer a request's
    /// `volunteer_id` names.
    async fn on_volunteer(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        volunteer_id: &str,
        command: impl FnOnce(&WriteContext) -> Result<VolunteerCommand, ServiceError>,
    ) -> Result<AppendOutcome, ServiceError> {
        let target = || id(volunteer_id, "volunteer_id", VolunteerId::parse).map(volunteer_target);
        self.shell
            .on_existing::<Volunteer, ServiceError>(caller, rpc, options, request, target, command)
            .await
    }

    /// The shell's whole path for a command on the opportunity a request's
    /// `opportunity_id` names.
    async fn on_opportunity(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        opportunity_id: &str,
        command: impl FnOnce(&WriteContext) -> Result<OpportunityCommand, ServiceError>,
    ) -> Result<AppendOutcome, ServiceError> {
        let target =
            || id(opportunity_id, "opportunity_id", OpportunityId::parse).map(opportunity_target);
        self.shell
            .on_existing::<Opportunity, ServiceError>(
                caller, rpc, options, request, target, command,
            )
            .await
    }
}

/// Folds one stream's recorded events into its aggregate's state.
fn fold<D>(recorded: &[RecordedEvent]) -> Result<D::State, WriteError>
where
    D: Decider,
    D::Event: EventCodec,
{
    let events: Vec<D::Event> = decode_all(recorded)?;
    Ok(D::fold(events.iter()))
}

/// A required id field.
fn id<T>(
    value: &str,
    field: &'static str,
    parse: fn(&'static str, &str) -> Result<T, ValidationError>,
) -> Result<T, ValidationError> {
    required(value, field).and_then(|v| parse(field, v))
}

fn volunteer_target(id: VolunteerId) -> Target {
    Target::new("volunteer", id, id.stream_id())
}

fn team_target(id: TeamId) -> Target {
    Target::new("team", id, id.stream_id())
}

fn opportunity_target(id: OpportunityId) -> Target {
    Target::new("opportunity", id, id.stream_id())
}
