//! The `GoodDeed` aggregate: a good deed (好人好事) in the community, recorded by staff,
//! published on the community page after their review, and retracted if it should not
//! stand. Its story names no one: the community page shows it to anybody, and it is
//! reviewed before publication for exactly that.

use civitas_kernel::Decider;

use super::values::{DeedId, Note, PastDate, Reason, Title};

/// The good deed decider.
pub struct GoodDeed;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeedCommand {
    Record {
        deed_id: DeedId,
        community: String,
        title: Title,
        story: Note,
        happened_on: PastDate,
    },
    /// Publishes the reviewed deed on the community page.
    Publish { published_on: PastDate },
    /// Takes a published deed off the community page.
    Retract { reason: Reason },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeedEvent {
    GoodDeedRecorded {
        deed_id: DeedId,
        community: String,
        title: Title,
        story: Note,
        happened_on: PastDate,
    },
    GoodDeedPublished {
        deed_id: DeedId,
        published_on: PastDate,
    },
    GoodDeedRetracted {
        deed_id: DeedId,
        reason: Reason,
    },
}

impl DeedEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            DeedEvent::GoodDeedRecorded { .. } => "GoodDeedRecorded",
            DeedEvent::GoodDeedPublished { .. } => "GoodDeedPublished",
            DeedEvent::GoodDeedRetracted { .. } => "GoodDeedRetracted",
        }
    }
}

/// A deed as its events leave it; `Default` is one never recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeedState {
    pub deed_id: Option<DeedId>,
    pub published: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeedError {
    #[error("good deed is already recorded")]
    AlreadyRecorded,
    #[error("good deed not found")]
    NotRecorded,
    #[error("good deed is already published")]
    AlreadyPublished,
    #[error("good deed is not published")]
    NotPublished,
}

impl DeedError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DeedError::AlreadyRecorded | DeedError::NotRecorded => Some("deed_id"),
            DeedError::AlreadyPublished | DeedError::NotPublished => None,
        }
    }
}

impl Decider for GoodDeed {
    type State = DeedState;
    type Command = DeedCommand;
    type Event = DeedEvent;
    type Error = DeedError;

    fn decide(state: &DeedState, command: DeedCommand) -> Result<Vec<DeedEvent>, DeedError> {
        let event = match command {
            DeedCommand::Record {
                deed_id,
                community,
                title,
                story,
                happened_on,
            } => {
                if state.deed_id.is_some() {
                    return Err(DeedError::AlreadyRecorded);
                }
                DeedEvent::GoodDeedRecorded {
                    deed_id,
                    community,
                    title,
                    story,
                    happened_on,
                }
            }
            DeedCommand::Publish { published_on } => {
                let deed_id = state.deed_id.ok_or(DeedError::NotRecorded)?;
                if state.published {
                    return Err(DeedError::AlreadyPublished);
                }
                DeedEvent::GoodDeedPublished {
                    deed_id,
                    published_on,
                }
            }
            DeedCommand::Retract { reason } => {
                let deed_id = state.deed_id.ok_or(DeedError::NotRecorded)?;
                if !state.published {
                    return Err(DeedError::NotPublished);
                }
                DeedEvent::GoodDeedRetracted { deed_id, reason }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: DeedState, event: &DeedEvent) -> DeedState {
        match event {
            DeedEvent::GoodDeedRecorded { deed_id, .. } => state.deed_id = Some(*deed_id),
            DeedEvent::GoodDeedPublished { .. } => state.published = true,
            DeedEvent::GoodDeedRetracted { .. } => state.published = false,
        }
        state
    }
}

#[cfg(test)]
#[path = "deed_tests.rs"]
mod tests;
