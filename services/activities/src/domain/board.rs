//! The `PublicityBoard` aggregate: a board (宣传栏) at a place in the community and the
//! dates its content was refreshed, each with its topic, which drive the "publicity
//! refresh" KPI and its count per topic.

use civitas_kernel::Decider;

use super::values::{BoardId, Location, PastDate, Topic};

civitas_kernel::code_enum!(
    /// What a board update is about; the plan counts updates per topic. Its wire form
    /// is `civitas.events.v1.BoardTopic` (`convert/board.rs`), and each code is the
    /// wire value's name without its `BOARD_TOPIC_` prefix, in lowercase.
    BoardTopic {
        /// Current affairs (时事).
        CurrentAffairs => "current_affairs",
        /// Politics (政治).
        Politics => "politics",
        /// The economy (经济).
        Economy => "economy",
        /// Popular science (科普).
        Science => "science",
        /// Health education (健康教育).
        HealthEducation => "health_education",
        /// Anything else.
        Other => "other",
    }
);

/// The publicity board decider.
pub struct PublicityBoard;

/// What can be asked of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardCommand {
    /// Registers a board in the caller's community.
    RegisterPublicityBoard {
        board_id: BoardId,
        community: String,
        location: Location,
    },
    /// Records that the board's content was refreshed, about `topic`, with an
    /// optional title or note.
    RecordBoardUpdate {
        topic: BoardTopic,
        title: Option<Topic>,
        updated_on: PastDate,
    },
}

/// What happened to a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardEvent {
    PublicityBoardRegistered {
        board_id: BoardId,
        community: String,
        location: Location,
    },
    PublicityBoardUpdated {
        board_id: BoardId,
        /// `None` only on events written before topic codes; they count as
        /// [`BoardTopic::Other`].
        topic: Option<BoardTopic>,
        /// Free text: on events written before topic codes the topic itself, now an
        /// optional title or note.
        title: Option<Topic>,
        updated_on: PastDate,
    },
}

impl BoardEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            BoardEvent::PublicityBoardRegistered { .. } => "PublicityBoardRegistered",
            BoardEvent::PublicityBoardUpdated { .. } => "PublicityBoardUpdated",
        }
    }
}

/// A board as its events leave it; `Default` is a board never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardState {
    pub board_id: Option<BoardId>,
    pub community: String,
    pub location: Option<Location>,
    pub updates: u32,
    pub last_updated_on: Option<PastDate>,
}

/// A refused board command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    #[error("publicity board is already registered")]
    AlreadyRegistered,
    #[error("publicity board is not registered")]
    NotRegistered,
}

impl BoardError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            BoardError::AlreadyRegistered | BoardError::NotRegistered => Some("board_id"),
        }
    }
}

impl Decider for PublicityBoard {
    type State = BoardState;
    type Command = BoardCommand;
    type Event = BoardEvent;
    type Error = BoardError;

    fn decide(state: &BoardState, command: BoardCommand) -> Result<Vec<BoardEvent>, BoardError> {
        match command {
            BoardCommand::RegisterPublicityBoard {
                board_id,
                community,
                location,
            } => {
                if state.board_id.is_some() {
                    return Err(BoardError::AlreadyRegistered);
                }
                Ok(vec![BoardEvent::PublicityBoardRegistered {
                    board_id,
                    community,
                    location,
                }])
            }
            BoardCommand::RecordBoardUpdate {
                topic,
                title,
                updated_on,
            } => {
                let board_id = state.board_id.ok_or(BoardError::NotRegistered)?;
                Ok(vec![BoardEvent::PublicityBoardUpdated {
                    board_id,
                    topic: Some(topic),
                    title,
                    updated_on,
                }])
            }
        }
    }

    fn evolve(mut state: BoardState, event: &BoardEvent) -> BoardState {
        match event {
            BoardEvent::PublicityBoardRegistered {
                board_id,
                community,
                location,
            } => {
                state.board_id = Some(*board_id);
                state.community.clone_from(community);
                state.location = Some(location.clone());
            }
            BoardEvent::PublicityBoardUpdated { updated_on, .. } => {
                state.updates += 1;
                // Updates may be recorded late and out of order; keep the latest day.
                state.last_updated_on = state.last_updated_on.max(Some(*updated_on));
            }
        }
        state
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
