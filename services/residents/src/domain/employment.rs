//! The `JobSeeker` aggregate: a resident's re-employment case (下岗再就业帮扶), one per
//! resident (`jobseeker-<uuid>`, a name-based id of the resident): registered as laid
//! off or unemployed, helped with training and job referrals, and closed by a placement
//! or for another reason. A closed case opens again when the resident registers again.

use chrono::NaiveDate;
use civitas_kernel::{text_value, uuid_id, Decider};

pub use civitas_proto::codes::{CaseClosure, JobSeekerKind};

use super::care::ResidentFacts;
use super::values::ResidentId;

uuid_id!(
    /// A re-employment case's id, derived from the resident's: one case per resident.
    CaseId,
    "jobseeker"
);

impl CaseId {
    /// The case of `resident`.
    pub fn of_resident(resident: ResidentId) -> Self {
        Self::from_uuid(uuid::Uuid::new_v5(
            &JOB_SEEKERS,
            resident.to_string().as_bytes(),
        ))
    }
}

/// The namespace of [`CaseId::of_resident`] (fixed forever).
const JOB_SEEKERS: uuid::Uuid = uuid::uuid!("3e5d1c9a-6b0f-4f27-8a44-91c2d7e0b613");

text_value!(
    /// A training course's name, e.g. "家政服务培训".
    Course,
    max = 100
);

/// The job seeker decider.
pub struct JobSeeker;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCommand {
    Register {
        case_id: CaseId,
        resident_id: ResidentId,
        resident: ResidentFacts,
        kind: JobSeekerKind,
        today: NaiveDate,
    },
    RecordTraining {
        course: Course,
        attended_on: NaiveDate,
    },
    RecordReferral {
        referred_on: NaiveDate,
    },
    RecordPlacement {
        placed_on: NaiveDate,
    },
    Close {
        reason: CaseClosure,
        today: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    JobSeekerRegistered {
        case_id: CaseId,
        resident_id: ResidentId,
        kind: JobSeekerKind,
        registered_on: NaiveDate,
    },
    JobTrainingAttended {
        case_id: CaseId,
        course: Course,
        attended_on: NaiveDate,
    },
    JobReferralMade {
        case_id: CaseId,
        referred_on: NaiveDate,
    },
    JobSeekerPlaced {
        case_id: CaseId,
        placed_on: NaiveDate,
    },
    JobSeekerCaseClosed {
        case_id: CaseId,
        reason: CaseClosure,
        closed_on: NaiveDate,
    },
}

impl JobEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            JobEvent::JobSeekerRegistered { .. } => "JobSeekerRegistered",
            JobEvent::JobTrainingAttended { .. } => "JobTrainingAttended",
            JobEvent::JobReferralMade { .. } => "JobReferralMade",
            JobEvent::JobSeekerPlaced { .. } => "JobSeekerPlaced",
            JobEvent::JobSeekerCaseClosed { .. } => "JobSeekerCaseClosed",
        }
    }
}

/// A case as its events leave it; `Default` is one never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobState {
    pub case_id: Option<CaseId>,
    pub open: bool,
    /// The day the case was (last) opened: help and a placement come after it.
    pub opened_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("the resident already has an open re-employment case")]
    AlreadyOpen,
    #[error("re-employment case not found")]
    NotRegistered,
    #[error("the re-employment case is closed")]
    Closed,
    #[error("resident has moved out or been erased")]
    ResidentGone,
    #[error("the day is before the case was opened")]
    BeforeOpened,
}

impl JobError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            JobError::AlreadyOpen | JobError::ResidentGone => Some("resident_id"),
            JobError::NotRegistered | JobError::Closed => Some("resident_id"),
            JobError::BeforeOpened => None,
        }
    }
}

/// The open case's id, and a refusal for a day before it was opened.
fn open_case(state: &JobState, day: NaiveDate) -> Result<CaseId, JobError> {
    let case_id = state.case_id.ok_or(JobError::NotRegistered)?;
    if !state.open {
        return Err(JobError::Closed);
    }
    if state.opened_on.is_some_and(|opened| day < opened) {
        return Err(JobError::BeforeOpened);
    }
    Ok(case_id)
}

impl Decider for JobSeeker {
    type State = JobState;
    type Command = JobCommand;
    type Event = JobEvent;
    type Error = JobError;

    fn decide(state: &JobState, command: JobCommand) -> Result<Vec<JobEvent>, JobError> {
        let event = match command {
            JobCommand::Register {
                case_id,
                resident_id,
                resident,
                kind,
                today,
            } => {
                if resident != ResidentFacts::Active {
                    return Err(JobError::ResidentGone);
                }
                if state.open {
                    return Err(JobError::AlreadyOpen);
                }
                JobEvent::JobSeekerRegistered {
                    case_id,
                    resident_id,
                    kind,
                    registered_on: today,
                }
            }
            JobCommand::RecordTraining {
                course,
                attended_on,
            } => JobEvent::JobTrainingAttended {
                case_id: open_case(state, attended_on)?,
                course,
                attended_on,
            },
            JobCommand::RecordReferral { referred_on } => JobEvent::JobReferralMade {
                case_id: open_case(state, referred_on)?,
                referred_on,
            },
            JobCommand::RecordPlacement { placed_on } => JobEvent::JobSeekerPlaced {
                case_id: open_case(state, placed_on)?,
                placed_on,
            },
            JobCommand::Close { reason, today } => JobEvent::JobSeekerCaseClosed {
                case_id: open_case(state, today)?,
                reason,
                closed_on: today,
            },
        };
        Ok(vec![event])
    }

    fn evolve(mut state: JobState, event: &JobEvent) -> JobState {
        match event {
            JobEvent::JobSeekerRegistered {
                case_id,
                registered_on,
                ..
            } => {
                state.case_id = Some(*case_id);
                state.open = true;
                state.opened_on = Some(*registered_on);
            }
            JobEvent::JobSeekerPlaced { .. } | JobEvent::JobSeekerCaseClosed { .. } => {
                state.open = false
            }
            JobEvent::JobTrainingAttended { .. } | JobEvent::JobReferralMade { .. } => {}
        }
        state
    }
}

#[cfg(test)]
#[path = "employment_tests.rs"]
mod tests;
