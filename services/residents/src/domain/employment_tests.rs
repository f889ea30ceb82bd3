//! Given/when/then tests of the `JobSeeker` decider.

use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn resident() -> ResidentId {
    ResidentId::from_uuid(Uuid::from_u128(7))
}

fn case() -> CaseId {
    CaseId::of_resident(resident())
}

fn register(facts: ResidentFacts, day: u32) -> JobCommand {
    JobCommand::Register {
        case_id: case(),
        resident_id: resident(),
        resident: facts,
        kind: JobSeekerKind::LaidOff,
        today: d(day),
    }
}

fn registered(day: u32) -> JobEvent {
    JobEvent::JobSeekerRegistered {
        case_id: case(),
        resident_id: resident(),
        kind: JobSeekerKind::LaidOff,
        registered_on: d(day),
    }
}

fn placed(day: u32) -> JobEvent {
    JobEvent::JobSeekerPlaced {
        case_id: case(),
        placed_on: d(day),
    }
}

#[test]
fn one_case_per_resident_reopened_after_it_closes() {
    assert_eq!(case(), CaseId::of_resident(resident()), "name-based");
    given::<JobSeeker>([])
        .when(register(ResidentFacts::Active, 2))
        .then([registered(2)]);
    given::<JobSeeker>([])
        .when(register(ResidentFacts::Gone, 2))
        .then_error(JobError::ResidentGone);
    given::<JobSeeker>([registered(2)])
        .when(register(ResidentFacts::Active, 3))
        .then_error(JobError::AlreadyOpen);
    given::<JobSeeker>([registered(2), placed(20)])
        .when(register(ResidentFacts::Active, 25))
        .then([registered(25)]);
}

#[test]
fn help_and_a_placement_come_while_the_case_is_open() {
    let training = |day| JobCommand::RecordTraining {
        course: Course::parse("course", "家政服务培训").unwrap(),
        attended_on: d(day),
    };
    given::<JobSeeker>([])
        .when(training(5))
        .then_error(JobError::NotRegistered);
    given::<JobSeeker>([registered(2)])
        .when(training(1))
        .then_error(JobError::BeforeOpened);
    given::<JobSeeker>([registered(2)])
        .when(training(5))
        .then([JobEvent::JobTrainingAttended {
            case_id: case(),
            course: Course::parse("course", "家政服务培训").unwrap(),
            attended_on: d(5),
        }]);
    given::<JobSeeker>([registered(2)])
        .when(JobCommand::RecordReferral { referred_on: d(6) })
        .then([JobEvent::JobReferralMade {
            case_id: case(),
            referred_on: d(6),
        }]);
    given::<JobSeeker>([registered(2)])
        .when(JobCommand::RecordPlacement { placed_on: d(20) })
        .then([placed(20)]);
    given::<JobSeeker>([registered(2), placed(20)])
        .when(JobCommand::RecordReferral { referred_on: d(21) })
        .then_error(JobError::Closed);
    given::<JobSeeker>([registered(2)])
        .when(JobCommand::Close {
            reason: CaseClosure::NoLongerSeeking,
            today: d(9),
        })
        .then([JobEvent::JobSeekerCaseClosed {
            case_id: case(),
            reason: CaseClosure::NoLongerSeeking,
            closed_on: d(9),
        }]);
}
