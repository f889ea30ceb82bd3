//! The write shell every service's command handlers share, so that each handler is
//! only "parse → build the domain command → map the answer":
//!
//! 1. [`Shell::begin`]: the community the caller writes to (the token's, never the
//!    body's) and the command's context (actor, trace, idempotency fingerprint);
//! 2. [`Shell::replayed`]: a retried idempotency key answers with the first outcome
//!    before anything is parsed or checked again (a date rule that held then may not
//!    hold now);
//! 3. [`Shell::require_in`]: a targeted aggregate exists and belongs to the caller's
//!    community;
//! 4. [`Shell::run`]: decide and append (the kernel's [`execute`]), refusing an event
//!    too large for the event stream (see [`Shell::with_max_event_bytes`]).
//!
//! [`Shell::on_existing`] and [`Shell::create`] are the two whole paths; handlers that
//! need facts from other streams call the steps themselves, in the same order.
//! [`WriteError`] is what these steps fail with; each service embeds it in its own error
//! (see [`service_error!`](crate::service_error)).

use std::marker::PhantomData;
use std::sync::Arc;

use civitas_kernel::command::{decode_all, execute};
use civitas_kernel::{
    AppendError, AppendOutcome, Checkpoint, CommandContext, CommandError, Decider, DecodeError,
    EventCodec, EventStore, OrgPath, RecordedEvent, StoreError, ValidationError,
};
use civitas_proto::common::v1::WriteOptions;
use tonic::Status;

use crate::auth::{AuthError, Caller};
use crate::command::{write_scope, WriteContext};
use crate::error as status;
use crate::org::OrgTree;

/// Why the shared write steps failed; each service's error wraps it.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A concurrent writer got there first (stale expected version).
    #[error("{0}")]
    Conflict(String),
    #[error("idempotency key {0} was already used for a different request")]
    IdempotencyKeyReused(String),
    /// A unique value the command's companion row claims is held already (see
    /// `civitas_kernel::Companion`); the service says which of its values that is.
    #[error("{0}")]
    Taken(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The event store could not be reached or was too busy (see
    /// [`StoreError::is_transient`]): UNAVAILABLE, so a client retries.
    #[error("event store unavailable: {0:#}")]
    StoreUnavailable(anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            WriteError::StoreUnavailable(e.0)
        } else {
            WriteError::Unexpected(e.0.context("event store failure"))
        }
    }
}

impl From<DecodeError> for WriteError {
    fn from(e: DecodeError) -> Self {
        WriteError::Unexpected(anyhow::Error::new(e).context("stored event cannot be decoded"))
    }
}

impl From<AppendError> for WriteError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict { .. } => WriteError::Conflict(e.to_string()),
            AppendError::IdempotencyMismatch { key } => WriteError::IdempotencyKeyReused(key),
            AppendError::Taken { .. } => WriteError::Taken(e.to_string()),
            AppendError::Store(e) => e.into(),
        }
    }
}

impl From<WriteError> for Status {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(v) => status::invalid_argument(v.field, v.message),
            WriteError::NotFound { what, id } => status::not_found(what, &id),
            WriteError::Conflict(m) => status::aborted(m),
            WriteError::IdempotencyKeyReused(_) => status::invalid_argument(
                "options.idempotency_key",
                "was already used for a different request",
            ),
            WriteError::Taken(m) => status::already_exists(m),
            WriteError::Auth(a) => a.into(),
            WriteError::StoreUnavailable(e) => {
                tracing::warn!(error = %format!("{e:#}"), "event store unavailable");
                Status::unavailable(
                    "the event store is unavailable; retry with the same idempotency key",
                )
            }
            WriteError::Unexpected(e) => status::internal(&format!("{e:#}")),
        }
    }
}

/// Implements, for a service's error type with a `Write(WriteError)` variant, every
/// conversion the shell's `?` needs: from [`WriteError`] and each error it wraps, and
/// from the kernel's `CommandError<E>` for any domain error `E` the service converts.
#[macro_export]
macro_rules! service_error {
    ($error:ident) => {
        impl From<$crate::write::WriteError> for $error {
            fn from(e: $crate::write::WriteError) -> Self {
                $error::Write(e)
            }
        }
        $crate::service_error!(@via $error,
            ::civitas_kernel::ValidationError,
            ::civitas_kernel::StoreError,
            ::civitas_kernel::DecodeError,
            ::civitas_kernel::AppendError,
            $crate::auth::AuthError,
            ::anyhow::Error
        );
        impl<E> From<::civitas_kernel::CommandError<E>> for $error
        where
            E: ::std::error::Error + Into<$error>,
        {
            fn from(e: ::civitas_kernel::CommandError<E>) -> Self {
                match e {
                    ::civitas_kernel::CommandError::Rejected(e) => e.into(),
                    ::civitas_kernel::CommandError::Append(e) => e.into(),
                    ::civitas_kernel::CommandError::Decode(e) => e.into(),
                }
            }
        }
    };
    (@via $error:ident, $($from:ty),+) => {
        $(
            impl From<$from> for $error {
                fn from(e: $from) -> Self {
                    $error::Write($crate::write::WriteError::from(e))
                }
            }
        )+
    };
}

/// An existing aggregate a command acts on or a query reads.
#[derive(Debug, Clone)]
pub struct Target {
    /// What it is, for messages: "incident", "activity", ...
    pub what: &'static str,
    /// Its id as the client sent it.
    pub id: String,
    pub stream_id: String,
}

impl Target {
    pub fn new(what: &'static str, id: impl ToString, stream_id: String) -> Self {
        Self {
            what,
            id: id.to_string(),
            stream_id,
        }
    }
}

/// What a creating command answers: the new aggregate's id and the append outcome.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub outcome: AppendOutcome,
}

/// A service's event store and org tree, with the write steps every handler shares.
#[derive(Clone)]
pub struct Shell {
    store: Arc<dyn EventStore>,
    tree: OrgTree,
    max_event_bytes: Option<usize>,
}

impl Shell {
    pub fn new(store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self {
            store,
            tree,
            max_event_bytes: None,
        }
    }

    /// Refuses, as INVALID_ARGUMENT, a command whose event envelope would be larger than
    /// `max` bytes: an event the relay cannot publish would block every later event of
    /// the service, so it must never be stored. `None` (embedded mode, no NATS) accepts
    /// any size; distributed mode passes `civitas_streams::max_event_bytes`.
    pub fn with_max_event_bytes(mut self, max: Option<usize>) -> Self {
        self.max_event_bytes = max;
        self
    }

    /// The service's event store.
    pub fn store(&self) -> &dyn EventStore {
        &*self.store
    }

    /// The event store, shared (for the relay, the event log and tailers).
    pub fn shared_store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The district's org tree.
    pub fn tree(&self) -> &OrgTree {
        &self.tree
    }

    /// Step 1: the caller's community (a community named in the body, `requested`,
    /// may only repeat it) and the command's context.
    pub fn begin(
        &self,
        caller: &Caller,
        requested: &str,
        options: Option<&WriteOptions>,
        rpc: &str,
        request: &impl prost::Message,
    ) -> Result<WriteContext, WriteError> {
        let org = write_scope(caller, &self.tree, requested.trim())?;
        Ok(WriteContext::new(caller, org, options, rpc, request)?)
    }

    /// Step 2: the stored outcome when this request is a retry of an earlier one.
    pub async fn replayed(&self, ctx: &WriteContext) -> Result<Option<AppendOutcome>, WriteError> {
        match &ctx.command.idempotency {
            None => Ok(None),
            Some(idem) => Ok(self.store.idempotent_outcome(idem).await?),
        }
    }

    /// The target's events and the org path its latest event was written in (the
    /// community it belongs to now); NOT_FOUND when it has none.
    pub async fn read_existing(
        &self,
        target: &Target,
    ) -> Result<(Vec<RecordedEvent>, OrgPath), WriteError> {
        let recorded = self.store.read_stream(&target.stream_id).await?;
        // The latest event's: a stream stays in one community except a resident
        // transferred between communities, whose accepting event is the new one's.
        let org = match recorded.last() {
            None => {
                return Err(WriteError::NotFound {
                    what: target.what,
                    id: target.id.clone(),
                })
            }
            Some(first) => first.org.clone(),
        };
        Ok((recorded, org))
    }

    /// Step 3: NOT_FOUND unless the target exists; PERMISSION_DENIED when it belongs
    /// to another community than `community`. Returns its events.
    pub async fn require_in(
        &self,
        target: &Target,
        community: &str,
    ) -> Result<Vec<RecordedEvent>, WriteError> {
        let (recorded, org) = self.read_existing(target).await?;
        if org.community != community {
            return Err(AuthError::PermissionDenied(format!(
                "{} {} belongs to another community",
                target.what, target.id
            ))
            .into());
        }
        Ok(recorded)
    }

    /// The target's events and org path, after checking the caller may read it.
    pub async fn read_authorized(
        &self,
        caller: &Caller,
        target: &Target,
    ) -> Result<(Vec<RecordedEvent>, OrgPath), WriteError> {
        let (recorded, org) = self.read_existing(target).await?;
        caller.authorize_read(&org.community, &self.tree)?;
        Ok((recorded, org))
    }

    /// Step 4: decides `command` on one stream and appends the events, unless one of
    /// them is over the event size limit.
    pub async fn run<D, E>(
        &self,
        stream_id: &str,
        ctx: WriteContext,
        command: D::Command,
    ) -> Result<AppendOutcome, E>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        E: From<WriteError> + From<D::Error>,
    {
        self.decide_and_append::<D, E>(stream_id, None, ctx, command)
            .await
    }

    /// Step 4 on a stream the caller has just read (`recorded`; for a fresh id, no
    /// events), so it is not read again.
    pub async fn run_on<D, E>(
        &self,
        stream_id: &str,
        recorded: Vec<RecordedEvent>,
        ctx: WriteContext,
        command: D::Command,
    ) -> Result<AppendOutcome, E>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        E: From<WriteError> + From<D::Error>,
    {
        self.decide_and_append::<D, E>(stream_id, Some(recorded), ctx, command)
            .await
    }

    async fn decide_and_append<D, E>(
        &self,
        stream_id: &str,
        read: Option<Vec<RecordedEvent>>,
        ctx: WriteContext,
        command: D::Command,
    ) -> Result<AppendOutcome, E>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        E: From<WriteError> + From<D::Error>,
    {
        let context = ctx.command.clone();
        let started = ctx.now;
        let outcome =
            execute::<SizeChecked<D>, _>(&*self.store, stream_id, read, ctx.command, |state| {
                let events = D::decide(state, command.clone()).map_err(Refused::Rule)?;
                if let Some(max) = self.max_event_bytes {
                    check_event_sizes(&events, stream_id, &context, max)
                        .map_err(Refused::TooLarge)?;
                }
                Ok(events)
            })
            .await
            .map_err(|e| match e {
                CommandError::Rejected(Refused::Rule(e)) => E::from(e),
                CommandError::Rejected(Refused::TooLarge(e)) => E::from(WriteError::Invalid(e)),
                CommandError::Append(e) => E::from(WriteError::from(e)),
                CommandError::Decode(e) => E::from(WriteError::from(e)),
            });
        if outcome.is_ok() {
            // The first stage of the pipeline's lag: command received → committed.
            let took = (chrono::Utc::now() - started).to_std().unwrap_or_default();
            metrics::histogram!("civitas_command_commit_seconds").record(took.as_secs_f64());
        }
        outcome
    }

    /// The whole path of a command on an existing aggregate of the caller's
    /// community: begin, replay, parse the target, require it is ours, build the
    /// command, run.
    #[allow(clippy::too_many_arguments)]
    pub async fn on_existing<D, E>(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        target: impl FnOnce() -> Result<Target, ValidationError>,
        command: impl FnOnce(&WriteContext) -> Result<D::Command, E>,
    ) -> Result<AppendOutcome, E>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        E: From<WriteError> + From<D::Error>,
    {
        let ctx = self.begin(caller, "", options, rpc, request)?;
        if let Some(replayed) = self.replayed(&ctx).await? {
            return Ok(replayed);
        }
        let target = target().map_err(WriteError::from)?;
        let recorded = self.require_in(&target, &ctx.org().community).await?;
        let command = command(&ctx)?;
        self.run_on::<D, E>(&target.stream_id, recorded, ctx, command)
            .await
    }

    /// The whole path of a command that creates an aggregate with a fresh id in the
    /// caller's community (or the one the body names, `requested`, which may only
    /// repeat it): begin, replay, build `(stream id, command)`, run. The id answered
    /// is cut from the stream id ("`<prefix>-<id>`"), the same way for a replay.
    #[allow(clippy::too_many_arguments)]
    pub async fn create<D, E>(
        &self,
        caller: &Caller,
        rpc: &str,
        requested: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        prefix: &str,
        new: impl FnOnce(&WriteContext) -> Result<(String, D::Command), E>,
    ) -> Result<Created, E>
    where
        D: Decider,
        D::Event: EventCodec,
        D::Command: Clone,
        E: From<WriteError> + From<D::Error>,
    {
        let ctx = self.begin(caller, requested, options, rpc, request)?;
        let outcome = match self.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                // A fresh id: its stream is known to be empty.
                let (stream_id, command) = new(&ctx)?;
                self.run_on::<D, E>(&stream_id, Vec::new(), ctx, command)
                    .await?
            }
        };
        Ok(Created {
            id: created_id(&outcome.stream_id, prefix),
            outcome,
        })
    }

    /// The event a stream holds at `version` (what an append or its replay wrote).
    pub async fn event_at<E: EventCodec>(
        &self,
        stream_id: &str,
        version: u64,
    ) -> Result<E, WriteError> {
        let recorded = self.store.read_stream(stream_id).await?;
        let at = recorded
            .iter()
            .find(|r| r.stream_version == version)
            .ok_or_else(|| anyhow::anyhow!("stream {stream_id} has no version {version}"))?;
        Ok(decode_all::<E>(std::slice::from_ref(at))?.remove(0))
    }
}

/// `D` with one more way to refuse a command: an event too large to publish. Only its
/// error type differs, so the kernel's `execute` can stop before appending.
struct SizeChecked<D>(PhantomData<D>);

impl<D: Decider> Decider for SizeChecked<D> {
    type State = D::State;
    type Command = D::Command;
    type Event = D::Event;
    type Error = Refused<D::Error>;

    fn decide(state: &D::State, command: D::Command) -> Result<Vec<D::Event>, Self::Error> {
        D::decide(state, command).map_err(Refused::Rule)
    }

    fn evolve(state: D::State, event: &D::Event) -> D::State {
        D::evolve(state, event)
    }
}

/// Why a [`SizeChecked`] decider refuses: the domain's rule, or the event size.
#[derive(Debug, thiserror::Error)]
enum Refused<E: std::error::Error> {
    #[error(transparent)]
    Rule(E),
    #[error(transparent)]
    TooLarge(ValidationError),
}

/// Refuses events whose envelope, encoded as the relay publishes it, exceeds `max`.
///
/// The size is the envelope's with the largest stream version and checkpoint numbers
/// (their varints are only known after the append) and without the producing service's
/// name, which `max` leaves room for along with the NATS headers. The violation names
/// "request": the shell sees encoded events, not which request field filled them;
/// handlers bound their free text fields, this is the backstop for what gets past.
fn check_event_sizes<Ev: EventCodec>(
    events: &[Ev],
    stream_id: &str,
    context: &CommandContext,
    max: usize,
) -> Result<(), ValidationError> {
    for event in events {
        let metadata = &context.metadata;
        let recorded = RecordedEvent {
            event_id: uuid::Uuid::nil(),
            stream_id: stream_id.to_owned(),
            stream_version: u64::MAX,
            event_type: event.event_type().to_owned(),
            schema_version: Ev::SCHEMA_VERSION,
            org: metadata.org.clone(),
            occurred_at: context.occurred_at,
            recorded_at: context.occurred_at,
            actor: metadata.actor.clone(),
            correlation_id: metadata.correlation_id.clone(),
            causation_id: metadata.causation_id.clone(),
            traceparent: metadata.traceparent.clone(),
            payload: event.encode(),
            checkpoint: Checkpoint {
                xid: u64::MAX,
                position: u64::MAX,
            },
        };
        let size = prost::Message::encoded_len(&civitas_proto::convert::envelope_of("", &recorded));
        if size > max {
            return Err(ValidationError::new(
                "request",
                format!(
                    "the {} event would be {size} bytes, over the event stream's limit of {max} bytes",
                    recorded.event_type
                ),
            ));
        }
    }
    Ok(())
}

/// The aggregate id of a stream id "`<prefix>-<id>`"; the whole stream id when it does
/// not start with the prefix.
pub fn created_id(stream_id: &str, prefix: &str) -> String {
    stream_id
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(stream_id)
        .to_owned()
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
