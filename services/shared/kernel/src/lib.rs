//! The event-sourcing core shared by every civitas service: pure deciders, the event
//! envelope, the command shell, and the event stores (PostgreSQL for distributed mode,
//! SQLite for embedded).

pub mod aggregate;
pub mod command;
pub mod envelope;
pub mod store;
pub mod values;

/// Re-exported for the id macros.
pub use uuid;

pub use aggregate::Decider;
pub use command::{CommandContext, CommandError, DecodeError, EventCodec};
pub use envelope::{Checkpoint, Metadata, NewEvent, OrgPath, RecordedEvent};
pub use store::{
    AppendError, AppendOutcome, AppendRequest, Companion, EventStore, ExpectedVersion, Idempotency,
    StoreError,
};
pub use values::ValidationError;
