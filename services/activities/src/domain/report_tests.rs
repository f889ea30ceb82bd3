//! Given/when/then tests of the `MonthlyReport` decider.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;

use super::*;

fn month() -> ReportMonth {
    ReportMonth::parse("month", "202610").unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn narrative() -> Narrative {
    Narrative::parse("narrative", "十月：市民学校两次课，电影放映一场。").unwrap()
}

fn submit(today: NaiveDate) -> ReportCommand {
    ReportCommand::Submit {
        community: "xingfu".into(),
        month: month(),
        narrative: narrative(),
        today,
    }
}

fn submitted(submission: u32) -> ReportEvent {
    ReportEvent::MonthlyReportSubmitted {
        community: "xingfu".into(),
        month: month(),
        narrative: narrative(),
        submission,
    }
}

fn approve(level: ApprovalLevel) -> ReportCommand {
    let approver_unit = match level {
        ApprovalLevel::Street => "huafeng",
        ApprovalLevel::District => "gulou",
    };
    ReportCommand::Approve {
        level,
        approver_unit: approver_unit.into(),
    }
}

fn approved(level: ApprovalLevel) -> ReportEvent {
    let ReportCommand::Approve {
        level,
        approver_unit,
    } = approve(level)
    else {
        unreachable!()
    };
    ReportEvent::MonthlyReportApproved {
        community: "xingfu".into(),
        month: month(),
        level,
        approver_unit,
    }
}

fn withdraw() -> ReportCommand {
    ReportCommand::WithdrawApproval {
        reason: Reason::parse("reason", "数据有误，重新核对").unwrap(),
    }
}

fn withdrawn() -> ReportEvent {
    ReportEvent::MonthlyReportApprovalWithdrawn {
        community: "xingfu".into(),
        month: month(),
        reason: Reason::parse("reason", "数据有误，重新核对").unwrap(),
    }
}

#[test]
fn months_parse_as_yyyymm_only() {
    assert_eq!(month().to_string(), "202610");
    assert_eq!(month().first_day(), day(2026, 10, 1));
    for bad in [
        "",
        "2026-10",
        "202613",
        "202600",
        "199912",
        "2026101",
        "２０２６１０",
    ] {
        let err = ReportMonth::parse("month", bad).expect_err(bad);
        assert_eq!(err.field, "month", "{bad}");
    }
    assert_eq!(
        report_stream_id("xingfu", month()),
        "monthlyreport-xingfu-202610"
    );
}

#[test]
fn a_report_covers_an_ended_month_and_may_be_resubmitted_before_approval() {
    given::<MonthlyReport>([])
        .when(submit(day(2026, 10, 31)))
        .then_error(ReportError::MonthNotOver);
    given::<MonthlyReport>([])
        .when(submit(day(2026, 11, 1)))
        .then([submitted(1)]);
    given::<MonthlyReport>([submitted(1)])
        .when(submit(day(2026, 11, 9)))
        .then([submitted(2)]);
}

#[test]
fn the_street_approves_first_then_the_district() {
    given::<MonthlyReport>([])
        .when(approve(ApprovalLevel::Street))
        .then_error(ReportError::NotSubmitted);
    given::<MonthlyReport>([submitted(1)])
        .when(approve(ApprovalLevel::District))
        .then_error(ReportError::StreetApprovalFirst);
    given::<MonthlyReport>([submitted(1)])
        .when(approve(ApprovalLevel::Street))
        .then([approved(ApprovalLevel::Street)]);
    given::<MonthlyReport>([submitted(1), approved(ApprovalLevel::Street)])
        .when(approve(ApprovalLevel::Street))
        .then_error(ReportError::AlreadyApproved);
    given::<MonthlyReport>([submitted(1), approved(ApprovalLevel::Street)])
        .when(approve(ApprovalLevel::District))
        .then([approved(ApprovalLevel::District)]);
    given::<MonthlyReport>([
        submitted(1),
        approved(ApprovalLevel::Street),
        approved(ApprovalLevel::District),
    ])
    .when(approve(ApprovalLevel::Street))
    .then_error(ReportError::AlreadyApproved);
}

#[test]
fn an_approved_month_is_locked_until_the_district_withdraws() {
    given::<MonthlyReport>([submitted(1), approved(ApprovalLevel::Street)])
        .when(submit(day(2026, 11, 9)))
        .then_error(ReportError::Locked);
    given::<MonthlyReport>([submitted(1)])
        .when(withdraw())
        .then_error(ReportError::NotApproved);
    given::<MonthlyReport>([submitted(1), approved(ApprovalLevel::Street)])
        .when(withdraw())
        .then([withdrawn()]);
    // Withdrawn: open again, resubmitted and approved anew from the street.
    let history = [submitted(1), approved(ApprovalLevel::Street), withdrawn()];
    given::<MonthlyReport>(history.clone())
        .when(submit(day(2026, 11, 20)))
        .then([submitted(2)]);
    given::<MonthlyReport>(history)
        .when(approve(ApprovalLevel::District))
        .then_error(ReportError::StreetApprovalFirst);
}
