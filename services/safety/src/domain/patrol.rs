//! The `Patrol` aggregate: a mass patrol (群防群治) planned along a route through some
//! grids, then completed with the number of people, the minutes walked and the grids
//! actually covered — the facts behind the patrol-coverage KPI.

use chrono::{DateTime, Utc};
use civitas_kernel::Decider;

use super::values::{Grids, Minutes, Participants, PatrolId, Route};

/// The patrol decider.
pub struct Patrol;

/// What can be asked of a patrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatrolCommand {
    /// Plans a patrol in the caller's community.
    Schedule {
        patrol_id: PatrolId,
        route: Route,
        planned_start: DateTime<Utc>,
        planned_grids: Grids,
    },
    /// Records that the patrol took place.
    Complete {
        participants: Participants,
        minutes: Minutes,
        grids_covered: Grids,
        /// When the command was received.
        now: DateTime<Utc>,
    },
}

/// What happened to a patrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatrolEvent {
    /// The patrol was planned.
    Scheduled {
        patrol_id: PatrolId,
        route: Route,
        planned_start: DateTime<Utc>,
        planned_grids: Grids,
    },
    /// The patrol took place; `planned_grid_count` lets coverage be computed from this
    /// event alone.
    Completed {
        patrol_id: PatrolId,
        participants: Participants,
        minutes: Minutes,
        grids_covered: Grids,
        planned_grid_count: u32,
    },
}

impl PatrolEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            PatrolEvent::Scheduled { .. } => "PatrolScheduled",
            PatrolEvent::Completed { .. } => "PatrolCompleted",
        }
    }
}

/// The plan of a scheduled patrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatrolPlan {
    pub patrol_id: PatrolId,
    pub route: Route,
    pub planned_start: DateTime<Utc>,
    pub planned_grids: Grids,
}

/// What a completed patrol did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatrolOutcome {
    pub participants: Participants,
    pub minutes: Minutes,
    pub grids_covered: Grids,
}

/// A patrol as its events leave it; `Default` is a patrol never scheduled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatrolState {
    pub plan: Option<PatrolPlan>,
    pub outcome: Option<PatrolOutcome>,
}

/// A refused patrol command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatrolError {
    #[error("patrol is already scheduled")]
    AlreadyScheduled,
    #[error("patrol is not scheduled")]
    NotScheduled,
    #[error("patrol is already completed")]
    AlreadyCompleted,
    #[error("patrol cannot be completed before its planned start")]
    NotStarted,
}

impl PatrolError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PatrolError::AlreadyScheduled
            | PatrolError::NotScheduled
            | PatrolError::AlreadyCompleted
            | PatrolError::NotStarted => None,
        }
    }
}

impl Decider for Patrol {
    type State = PatrolState;
    type Command = PatrolCommand;
    type Event = PatrolEvent;
    type Error = PatrolError;

    fn decide(
        state: &PatrolState,
        command: PatrolCommand,
    ) -> Result<Vec<PatrolEvent>, PatrolError> {
        let event = match command {
            PatrolCommand::Schedule {
                patrol_id,
                route,
                planned_start,
                planned_grids,
            } => {
                if state.plan.is_some() {
                    return Err(PatrolError::AlreadyScheduled);
                }
                PatrolEvent::Scheduled {
                    patrol_id,
                    route,
                    planned_start,
                    planned_grids,
                }
            }
            PatrolCommand::Complete {
                participants,
                minutes,
                grids_covered,
                now,
            } => {
                let plan = state.plan.as_ref().ok_or(PatrolError::NotScheduled)?;
                if state.outcome.is_some() {
                    return Err(PatrolError::AlreadyCompleted);
                }
                if now < plan.planned_start {
                    return Err(PatrolError::NotStarted);
                }
                PatrolEvent::Completed {
                    patrol_id: plan.patrol_id,
                    participants,
                    minutes,
                    grids_covered,
                    planned_grid_count: u32::try_from(plan.planned_grids.len()).unwrap_or(u32::MAX),
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: PatrolState, event: &PatrolEvent) -> PatrolState {
        match event {
            PatrolEvent::Scheduled {
                patrol_id,
                route,
                planned_start,
                planned_grids,
            } => {
                state.plan = Some(PatrolPlan {
                    patrol_id: *patrol_id,
                    route: route.clone(),
                    planned_start: *planned_start,
                    planned_grids: planned_grids.clone(),
                })
            }
            PatrolEvent::Completed {
                participants,
                minutes,
                grids_covered,
                ..
            } => {
                state.outcome = Some(PatrolOutcome {
                    participants: *participants,
                    minutes: *minutes,
                    grids_covered: grids_covered.clone(),
                })
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).unwrap()
    }

    fn id() -> PatrolId {
        PatrolId::from_uuid(Uuid::from_u128(3))
    }

    fn grids(list: &[&str]) -> Grids {
        Grids::parse("grids", list).unwrap()
    }

    fn schedule() -> PatrolCommand {
        PatrolCommand::Schedule {
            patrol_id: id(),
            route: Route::parse("route", "north loop").unwrap(),
            planned_start: at(19),
            planned_grids: grids(&["G1", "G2", "G3"]),
        }
    }

    fn scheduled() -> PatrolEvent {
        PatrolEvent::Scheduled {
            patrol_id: id(),
            route: Route::parse("route", "north loop").unwrap(),
            planned_start: at(19),
            planned_grids: grids(&["G1", "G2", "G3"]),
        }
    }

    fn complete(now: DateTime<Utc>) -> PatrolCommand {
        PatrolCommand::Complete {
            participants: Participants::parse("participants", 6).unwrap(),
            minutes: Minutes::parse("minutes", 90).unwrap(),
            grids_covered: grids(&["G1", "G2"]),
            now,
        }
    }

    fn completed() -> PatrolEvent {
        PatrolEvent::Completed {
            patrol_id: id(),
            participants: Participants::parse("participants", 6).unwrap(),
            minutes: Minutes::parse("minutes", 90).unwrap(),
            grids_covered: grids(&["G1", "G2"]),
            planned_grid_count: 3,
        }
    }

    #[test]
    fn schedules_then_completes() {
        given::<Patrol>([]).when(schedule()).then([scheduled()]);
        given::<Patrol>([scheduled()])
            .when(complete(at(21)))
            .then([completed()]);
    }

    #[test]
    fn completes_from_the_planned_start_on() {
        given::<Patrol>([scheduled()])
            .when(complete(at(19)))
            .then([completed()]);
        given::<Patrol>([scheduled()])
            .when(complete(at(18)))
            .then_error(PatrolError::NotStarted);
    }

    #[test]
    fn refuses_out_of_order_commands() {
        given::<Patrol>([scheduled()])
            .when(schedule())
            .then_error(PatrolError::AlreadyScheduled);
        given::<Patrol>([])
            .when(complete(at(21)))
            .then_error(PatrolError::NotScheduled);
        given::<Patrol>([scheduled(), completed()])
            .when(complete(at(22)))
            .then_error(PatrolError::AlreadyCompleted);
        for e in [
            PatrolError::AlreadyScheduled,
            PatrolError::NotScheduled,
            PatrolError::AlreadyCompleted,
            PatrolError::NotStarted,
        ] {
            assert_eq!(e.field(), None);
        }
    }

    #[test]
    fn state_keeps_plan_and_outcome() {
        let state = Patrol::fold([scheduled(), completed()].iter());
        let plan = state.plan.expect("plan");
        assert_eq!(plan.route.as_str(), "north loop");
        assert_eq!(plan.planned_grids.len(), 3);
        let outcome = state.outcome.expect("outcome");
        assert_eq!(outcome.participants.get(), 6);
        assert_eq!(outcome.minutes.get(), 90);
        assert_eq!(outcome.grids_covered.to_strings(), ["G1", "G2"]);
        assert_eq!(scheduled().event_type(), "PatrolScheduled");
        assert_eq!(completed().event_type(), "PatrolCompleted");
    }
}
