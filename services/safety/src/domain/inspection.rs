//! The `Inspection` aggregate: one recorded check of sanitation, door-front duties
//! (门前三包), pests, illegal building or fire safety, with a score, a verdict and the
//! hazards found. A failed inspection is what a rectification is ordered against.

use chrono::NaiveDate;
use civitas_kernel::Decider;

use super::values::{Hazard, InspectionId, InspectionTarget, InspectionType, Score};

/// The inspection decider.
pub struct Inspection;

/// What can be asked of an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectionCommand {
    /// Records an inspection in the caller's community; `inspected_on` is the
    /// district's calendar day when the command was received.
    Record(InspectionRecord),
}

/// What happened to an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectionEvent {
    /// The inspection was recorded.
    Recorded(InspectionRecord),
}

impl InspectionEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            InspectionEvent::Recorded(_) => "InspectionRecorded",
        }
    }
}

/// A recorded inspection: the event's content and the aggregate's whole state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRecord {
    pub inspection_id: InspectionId,
    pub inspection_type: InspectionType,
    pub target: InspectionTarget,
    pub score: Score,
    pub passed: bool,
    pub hazards: Vec<Hazard>,
    pub inspected_on: NaiveDate,
}

/// An inspection as its events leave it; `Default` is one never recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionState {
    pub record: Option<InspectionRecord>,
}

/// A refused inspection command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InspectionError {
    #[error("inspection is already recorded")]
    AlreadyRecorded,
    /// A value refused alone: INVALID_ARGUMENT on `hazards`.
    #[error("must list at least one hazard when the inspection failed")]
    FailWithoutHazard,
}

impl InspectionError {
    /// The field whose value alone is refused (INVALID_ARGUMENT naming it), when the
    /// command fails for a value rather than for the state it meets.
    pub fn invalid_field(&self) -> Option<&'static str> {
        match self {
            InspectionError::FailWithoutHazard => Some("hazards"),
            InspectionError::AlreadyRecorded => None,
        }
    }

    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            InspectionError::AlreadyRecorded => None,
            InspectionError::FailWithoutHazard => Some("hazards"),
        }
    }
}

impl Decider for Inspection {
    type State = InspectionState;
    type Command = InspectionCommand;
    type Event = InspectionEvent;
    type Error = InspectionError;

    fn decide(
        state: &InspectionState,
        command: InspectionCommand,
    ) -> Result<Vec<InspectionEvent>, InspectionError> {
        let InspectionCommand::Record(record) = command;
        if state.record.is_some() {
            return Err(InspectionError::AlreadyRecorded);
        }
        if !record.passed && record.hazards.is_empty() {
            return Err(InspectionError::FailWithoutHazard);
        }
        Ok(vec![InspectionEvent::Recorded(record)])
    }

    fn evolve(_state: InspectionState, event: &InspectionEvent) -> InspectionState {
        match event {
            InspectionEvent::Recorded(record) => InspectionState {
                record: Some(record.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn hazards(list: &[&str]) -> Vec<Hazard> {
        list.iter()
            .map(|h| Hazard::parse("hazards", h).unwrap())
            .collect()
    }

    fn record(passed: bool, found: &[&str]) -> InspectionCommand {
        let InspectionEvent::Recorded(record) = recorded(passed, found);
        InspectionCommand::Record(record)
    }

    fn recorded(passed: bool, found: &[&str]) -> InspectionEvent {
        InspectionEvent::Recorded(InspectionRecord {
            inspection_id: InspectionId::from_uuid(Uuid::from_u128(5)),
            inspection_type: InspectionType::FireSafety,
            target: InspectionTarget::parse("target", "building 5 stairwell").unwrap(),
            score: Score::parse("score", if passed { 92 } else { 41 }).unwrap(),
            passed,
            hazards: hazards(found),
            inspected_on: today(),
        })
    }

    #[test]
    fn records_a_pass_with_or_without_hazards() {
        given::<Inspection>([])
            .when(record(true, &[]))
            .then([recorded(true, &[])]);
        given::<Inspection>([])
            .when(record(true, &["faded exit sign"]))
            .then([recorded(true, &["faded exit sign"])]);
    }

    #[test]
    fn records_a_fail_with_its_hazards() {
        let found = ["blocked exit", "expired extinguisher"];
        given::<Inspection>([])
            .when(record(false, &found))
            .then([recorded(false, &found)]);
    }

    #[test]
    fn a_fail_needs_a_hazard() {
        given::<Inspection>([])
            .when(record(false, &[]))
            .then_error(InspectionError::FailWithoutHazard);
        assert_eq!(InspectionError::FailWithoutHazard.field(), Some("hazards"));
    }

    #[test]
    fn records_once() {
        given::<Inspection>([recorded(true, &[])])
            .when(record(true, &[]))
            .then_error(InspectionError::AlreadyRecorded);
        assert_eq!(InspectionError::AlreadyRecorded.field(), None);
    }

    #[test]
    fn state_is_the_record() {
        let state = Inspection::fold([recorded(false, &["rats"])].iter());
        let record = state.record.expect("recorded");
        assert!(!record.passed);
        assert_eq!(record.score.get(), 41);
        assert_eq!(record.inspected_on, today());
        assert_eq!(recorded(true, &[]).event_type(), "InspectionRecorded");
    }
}
