//! The `MonthlyReport` aggregate: a community's work report for one month (DHIS2's data
//! set report), submitted by its staff once the month is over, approved by its street
//! office and then by the district office, and unlocked again only by the district.
//! One stream per community and month, `monthlyreport-<community>-<YYYYMM>`.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use civitas_kernel::{text_value, Decider};

pub use civitas_proto::codes::ApprovalLevel;

use super::values::{Reason, ValidationError};

text_value!(
    /// What the community did in the month, in a few paragraphs; staff keep names out.
    Narrative,
    max = 2000
);

/// A report's month, `YYYYMM` (2000–2100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportMonth {
    year: i32,
    month: u32,
}

impl ReportMonth {
    /// Accepts `YYYYMM` with a year 2000–2100 and a month 01–12, naming `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let invalid = || ValidationError::new(field, "must be a month as YYYYMM, e.g. 202611");
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let year: i32 = text[..4].parse().map_err(|_| invalid())?;
        let month: u32 = text[4..].parse().map_err(|_| invalid())?;
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        Ok(Self { year, month })
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a checked month")
    }

    /// Whether the month has ended by `today` (today lies in a later month).
    pub fn has_ended(self, today: NaiveDate) -> bool {
        (today.year(), today.month()) > (self.year, self.month)
    }
}

impl fmt::Display for ReportMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}

/// The stream of a community's report for a month.
pub fn report_stream_id(community: &str, month: ReportMonth) -> String {
    format!("monthlyreport-{community}-{month}")
}

/// The monthly report decider.
pub struct MonthlyReport;

/// What can be asked of a month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCommand {
    /// Staff submit (or, before any approval, resubmit) the report of an ended month.
    Submit {
        community: String,
        month: ReportMonth,
        narrative: Narrative,
        /// The district's day of the command.
        today: NaiveDate,
    },
    /// An office approves the report at its level (the caller's scope decides which).
    Approve {
        level: ApprovalLevel,
        approver_unit: String,
    },
    /// The district withdraws every approval; the month is open again.
    WithdrawApproval { reason: Reason },
}

/// What happened to a month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportEvent {
    MonthlyReportSubmitted {
        community: String,
        month: ReportMonth,
        narrative: Narrative,
        submission: u32,
    },
    MonthlyReportApproved {
        community: String,
        month: ReportMonth,
        level: ApprovalLevel,
        approver_unit: String,
    },
    MonthlyReportApprovalWithdrawn {
        community: String,
        month: ReportMonth,
        reason: Reason,
    },
}

impl ReportEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            ReportEvent::MonthlyReportSubmitted { .. } => "MonthlyReportSubmitted",
            ReportEvent::MonthlyReportApproved { .. } => "MonthlyReportApproved",
            ReportEvent::MonthlyReportApprovalWithdrawn { .. } => "MonthlyReportApprovalWithdrawn",
        }
    }
}

/// A month's report as its events leave it; `Default` is a report never submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportState {
    pub community: String,
    pub month: Option<ReportMonth>,
    pub submissions: u32,
    /// The highest approval in force: none, the street's, or the district's too.
    pub approved: Option<ApprovalLevel>,
}

/// A refused report command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the month has not ended yet: a report covers a whole month")]
    MonthNotOver,
    #[error("no report has been submitted for this month")]
    NotSubmitted,
    #[error(
        "the report is approved and locked; the district office must withdraw the approval first"
    )]
    Locked,
    #[error("the report is already approved at this level")]
    AlreadyApproved,
    #[error("the street office must approve the report before the district office")]
    StreetApprovalFirst,
    #[error("the report is not approved")]
    NotApproved,
}

impl ReportError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ReportError::MonthNotOver | ReportError::NotSubmitted => Some("month"),
            ReportError::Locked
            | ReportError::AlreadyApproved
            | ReportError::StreetApprovalFirst
            | ReportError::NotApproved => None,
        }
    }
}

impl Decider for MonthlyReport {
    type State = ReportState;
    type Command = ReportCommand;
    type Event = ReportEvent;
    type Error = ReportError;

    fn decide(
        state: &ReportState,
        command: ReportCommand,
    ) -> Result<Vec<ReportEvent>, ReportError> {
        match command {
            ReportCommand::Submit {
                community,
                month,
                narrative,
                today,
            } => {
                if !month.has_ended(today) {
                    return Err(ReportError::MonthNotOver);
                }
                if state.approved.is_some() {
                    return Err(ReportError::Locked);
                }
                Ok(vec![ReportEvent::MonthlyReportSubmitted {
                    community,
                    month,
                    narrative,
                    submission: state.submissions + 1,
                }])
            }
            ReportCommand::Approve {
                level,
                approver_unit,
            } => {
                let month = state.month.ok_or(ReportError::NotSubmitted)?;
                match (state.approved, level) {
                    (Some(ApprovalLevel::District), _)
                    | (Some(ApprovalLevel::Street), ApprovalLevel::Street) => {
                        return Err(ReportError::AlreadyApproved)
                    }
                    (None, ApprovalLevel::District) => {
                        return Err(ReportError::StreetApprovalFirst)
                    }
                    _ => {}
                }
                Ok(vec![ReportEvent::MonthlyReportApproved {
                    community: state.community.clone(),
                    month,
                    level,
                    approver_unit,
                }])
            }
            ReportCommand::WithdrawApproval { reason } => {
                let month = state.month.ok_or(ReportError::NotSubmitted)?;
                if state.approved.is_none() {
                    return Err(ReportError::NotApproved);
                }
                Ok(vec![ReportEvent::MonthlyReportApprovalWithdrawn {
                    community: state.community.clone(),
                    month,
                    reason,
                }])
            }
        }
    }

    fn evolve(mut state: ReportState, event: &ReportEvent) -> ReportState {
        match event {
            ReportEvent::MonthlyReportSubmitted {
                community,
                month,
                submission,
                ..
            } => {
                state.community.clone_from(community);
                state.month = Some(*month);
                state.submissions = *submission;
            }
            ReportEvent::MonthlyReportApproved { level, .. } => state.approved = Some(*level),
            ReportEvent::MonthlyReportApprovalWithdrawn { .. } => state.approved = None,
        }
        state
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
