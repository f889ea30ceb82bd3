//! The `PublicityBoard` aggregate: a board (宣传栏) at a place in the community and the
//! dates its content was refreshed, which drive the "publicity refresh" KPI.

use civitas_kernel::Decider;

use super::values::{BoardId, Location, PastDate, Topic};

/// The publicity board decider.
pub struct PublicityBoard;

/// What can be asked of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardCommand {
    /// Registers a board in the caller's community.
    Register {
        board_id: BoardId,
        community: String,
        location: Location,
    },
    /// Records that the board's content was refreshed.
    RecordUpdate { topic: Topic, updated_on: PastDate },
}

/// What happened to a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardEvent {
    Registered {
        board_id: BoardId,
        community: String,
        location: Location,
    },
    Updated {
        board_id: BoardId,
        topic: Topic,
        updated_on: PastDate,
    },
}

impl BoardEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            BoardEvent::Registered { .. } => "PublicityBoardRegistered",
            BoardEvent::Updated { .. } => "PublicityBoardUpdated",
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
            BoardCommand::Register {
                board_id,
                community,
                location,
            } => {
                if state.board_id.is_some() {
                    return Err(BoardError::AlreadyRegistered);
                }
                Ok(vec![BoardEvent::Registered {
                    board_id,
                    community,
                    location,
                }])
            }
            BoardCommand::RecordUpdate { topic, updated_on } => {
                let board_id = state.board_id.ok_or(BoardError::NotRegistered)?;
                Ok(vec![BoardEvent::Updated {
                    board_id,
                    topic,
                    updated_on,
                }])
            }
        }
    }

    fn evolve(mut state: BoardState, event: &BoardEvent) -> BoardState {
        match event {
            BoardEvent::Registered {
                board_id,
                community,
                location,
            } => {
                state.board_id = Some(*board_id);
                state.community.clone_from(community);
                state.location = Some(location.clone());
            }
            BoardEvent::Updated { updated_on, .. } => {
                state.updates += 1;
                // Updates may be recorded late and out of order; keep the latest day.
                state.last_updated_on = state.last_updated_on.max(Some(*updated_on));
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn id() -> BoardId {
        BoardId::from_uuid(Uuid::from_u128(5))
    }

    fn location() -> Location {
        Location::parse("location", "3 幢东侧").unwrap()
    }

    fn day(d: u32) -> PastDate {
        let date = NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        PastDate::parse("updated_on", date, date).unwrap()
    }

    fn registered() -> BoardEvent {
        BoardEvent::Registered {
            board_id: id(),
            community: "xingfu".into(),
            location: location(),
        }
    }

    fn update(d: u32) -> BoardCommand {
        BoardCommand::RecordUpdate {
            topic: Topic::parse("topic", "垃圾分类").unwrap(),
            updated_on: day(d),
        }
    }

    fn updated(d: u32) -> BoardEvent {
        BoardEvent::Updated {
            board_id: id(),
            topic: Topic::parse("topic", "垃圾分类").unwrap(),
            updated_on: day(d),
        }
    }

    #[test]
    fn registers_and_records_updates() {
        given::<PublicityBoard>([])
            .when(BoardCommand::Register {
                board_id: id(),
                community: "xingfu".into(),
                location: location(),
            })
            .then([registered()]);
        given::<PublicityBoard>([registered()])
            .when(update(3))
            .then([updated(3)]);
    }

    #[test]
    fn refusals_name_the_board() {
        given::<PublicityBoard>([registered()])
            .when(BoardCommand::Register {
                board_id: id(),
                community: "xingfu".into(),
                location: location(),
            })
            .then_error(BoardError::AlreadyRegistered);
        given::<PublicityBoard>([])
            .when(update(3))
            .then_error(BoardError::NotRegistered);
        assert_eq!(BoardError::NotRegistered.field(), Some("board_id"));
    }

    #[test]
    fn state_keeps_the_latest_update() {
        let state = PublicityBoard::fold(&[registered(), updated(9), updated(4)]);
        assert_eq!(state.updates, 2);
        assert_eq!(state.last_updated_on, Some(day(9)));
        assert_eq!(state.community, "xingfu");
        assert_eq!(registered().event_type(), "PublicityBoardRegistered");
        assert_eq!(updated(1).event_type(), "PublicityBoardUpdated");
    }
}
