//! The `Contest` aggregate: a contest the community held (speeches, blackboard
//! newspapers, learning families 学习型家庭, …) with how many entered, and the prizes
//! it awarded. One stream per contest, `contest-<uuid>`. Winners appear only as
//! pseudonymous resident ids, or not at all (a family, a team).

use civitas_kernel::Decider;

pub use civitas_proto::codes::ContestKind;

use super::values::{ContestId, PastDate, ResidentId, Title};

/// The contest decider.
pub struct Contest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContestCommand {
    Record {
        contest_id: ContestId,
        community: String,
        kind: ContestKind,
        title: Title,
        held_on: PastDate,
        entrants: u32,
    },
    AwardPrize {
        prize: Title,
        winner: Option<ResidentId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContestEvent {
    ContestHeld {
        contest_id: ContestId,
        community: String,
        kind: ContestKind,
        title: Title,
        held_on: PastDate,
        entrants: u32,
    },
    PrizeAwarded {
        contest_id: ContestId,
        kind: ContestKind,
        prize: Title,
        winner: Option<ResidentId>,
    },
}

impl ContestEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            ContestEvent::ContestHeld { .. } => "ContestHeld",
            ContestEvent::PrizeAwarded { .. } => "PrizeAwarded",
        }
    }
}

/// A contest as its events leave it; `Default` is one never recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContestState {
    pub held: Option<(ContestId, ContestKind)>,
    pub entrants: u32,
    pub prizes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContestError {
    #[error("contest is already recorded")]
    AlreadyRecorded,
    #[error("contest not found")]
    NotRecorded,
    #[error("a contest cannot award more prizes than it had entrants")]
    MorePrizesThanEntrants,
}

impl ContestError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ContestError::AlreadyRecorded | ContestError::NotRecorded => Some("contest_id"),
            ContestError::MorePrizesThanEntrants => Some("prize"),
        }
    }
}

impl Decider for Contest {
    type State = ContestState;
    type Command = ContestCommand;
    type Event = ContestEvent;
    type Error = ContestError;

    fn decide(
        state: &ContestState,
        command: ContestCommand,
    ) -> Result<Vec<ContestEvent>, ContestError> {
        let event = match command {
            ContestCommand::Record {
                contest_id,
                community,
                kind,
                title,
                held_on,
                entrants,
            } => {
                if state.held.is_some() {
                    return Err(ContestError::AlreadyRecorded);
                }
                ContestEvent::ContestHeld {
                    contest_id,
                    community,
                    kind,
                    title,
                    held_on,
                    entrants,
                }
            }
            ContestCommand::AwardPrize { prize, winner } => {
                let (contest_id, kind) = state.held.ok_or(ContestError::NotRecorded)?;
                if state.prizes >= state.entrants {
                    return Err(ContestError::MorePrizesThanEntrants);
                }
                ContestEvent::PrizeAwarded {
                    contest_id,
                    kind,
                    prize,
                    winner,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: ContestState, event: &ContestEvent) -> ContestState {
        match event {
            ContestEvent::ContestHeld {
                contest_id,
                kind,
                entrants,
                ..
            } => {
                state.held = Some((*contest_id, *kind));
                state.entrants = *entrants;
            }
            ContestEvent::PrizeAwarded { .. } => state.prizes += 1,
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

    fn held(entrants: u32) -> ContestEvent {
        let day = NaiveDate::from_ymd_opt(2026, 11, 8).unwrap();
        ContestEvent::ContestHeld {
            contest_id: ContestId::from_uuid(Uuid::from_u128(4)),
            community: "xingfu".into(),
            kind: ContestKind::LearningFamily,
            title: Title::parse("title", "学习型家庭评选").unwrap(),
            held_on: PastDate::parse("held_on", day, day).unwrap(),
            entrants,
        }
    }

    fn award() -> ContestCommand {
        ContestCommand::AwardPrize {
            prize: Title::parse("prize", "学习型家庭").unwrap(),
            winner: None,
        }
    }

    fn awarded() -> ContestEvent {
        ContestEvent::PrizeAwarded {
            contest_id: ContestId::from_uuid(Uuid::from_u128(4)),
            kind: ContestKind::LearningFamily,
            prize: Title::parse("prize", "学习型家庭").unwrap(),
            winner: None,
        }
    }

    #[test]
    fn prizes_go_to_a_recorded_contest_and_never_outnumber_its_entrants() {
        let ContestEvent::ContestHeld {
            contest_id,
            community,
            kind,
            title,
            held_on,
            entrants,
        } = held(2)
        else {
            unreachable!()
        };
        let record = ContestCommand::Record {
            contest_id,
            community,
            kind,
            title,
            held_on,
            entrants,
        };
        given::<Contest>([]).when(record.clone()).then([held(2)]);
        given::<Contest>([held(2)])
            .when(record)
            .then_error(ContestError::AlreadyRecorded);
        given::<Contest>([])
            .when(award())
            .then_error(ContestError::NotRecorded);
        given::<Contest>([held(2)]).when(award()).then([awarded()]);
        given::<Contest>([held(2), awarded(), awarded()])
            .when(award())
            .then_error(ContestError::MorePrizesThanEntrants);
    }
}
