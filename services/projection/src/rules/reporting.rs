//! Monthly reporting, from the activities service's `MonthlyReport` streams: DHIS2's
//! data set reporting. A report counts for the month it reports on (its deltas fall on
//! that month's first day), so a month's completeness is read from that month's values
//! whenever the report arrives:
//! - `reporting.reports_received`: the first submission of a community's month;
//! - `reporting.reports_on_time`: of those, submitted by the 5th of the next month
//!   (district time, the envelope's day);
//! - `reporting.reports_approved`: approved by the district office (the second step),
//!   taken back when the district withdraws the approval.
//!
//! Reports expected (`reporting.reports_expected`) follow from the calendar, not from
//! events: see [`crate::Projection::community_values_over`].

use chrono::{Datelike, Months, NaiveDate};
use civitas_proto::codes::ApprovalLevel;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, Deltas, Views};
use crate::catalog::{
    DataElement, REPORTING_APPROVED, REPORTING_DUE, REPORTING_EXPECTED, REPORTING_ON_TIME,
    REPORTING_RECEIVED,
};
use crate::period::Period;

/// The day of the next month by which a report is on time.
pub const ON_TIME_BY_DAY: u32 = 5;

/// A community's report for one month as the status list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportRow {
    pub community: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The day of the first submission, `YYYY-MM-DD`.
    pub submitted_on: String,
    pub on_time: bool,
    pub submissions: i64,
    /// The approval in force: "", `street` or `district`.
    pub approval: String,
}

/// A monthly-report event reduced to what the projection uses; `month` is the
/// reported month's first day, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Submitted {
        month: String,
        submission: u32,
    },
    Approved {
        month: String,
        level: Option<ApprovalLevel>,
    },
    Withdrawn {
        month: String,
    },
}

/// Decodes a monthly-report event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "MonthlyReportSubmitted" => {
            let e = pb::MonthlyReportSubmitted::decode(p)?;
            Fact::Submitted {
                month: first_day(&e.month)?,
                submission: e.submission,
            }
        }
        "MonthlyReportApproved" => {
            let e = pb::MonthlyReportApproved::decode(p)?;
            Fact::Approved {
                month: first_day(&e.month)?,
                level: ApprovalLevel::from_wire(e.level),
            }
        }
        "MonthlyReportApprovalWithdrawn" => Fact::Withdrawn {
            month: first_day(&pb::MonthlyReportApprovalWithdrawn::decode(p)?.month)?,
        },
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Reporting(fact)))
}

/// `YYYYMM` as its first day, `YYYY-MM-DD`; anything else does not decode (the event
/// is parked rather than counted on a made-up day).
fn first_day(month: &str) -> Result<String, prost::DecodeError> {
    let parsed = (month.len() == 6 && month.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(&format!("{month}01"), "%Y%m%d").ok())
        .flatten();
    match parsed {
        Some(day) => Ok(day.format("%Y-%m-%d").to_string()),
        #[allow(deprecated)] // prost offers no other way to say why a payload is wrong
        None => Err(prost::DecodeError::new(format!(
            "month {month:?} is not YYYYMM"
        ))),
    }
}

/// The last day a report of the month starting on `month` (`YYYY-MM-01`) is on time.
pub fn on_time_until(month: &str) -> Option<NaiveDate> {
    let first = NaiveDate::parse_from_str(month, "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(Months::new(1))?;
    next.with_day(ON_TIME_BY_DAY)
}

/// A community's value of a calendar element in `period` on `today`, `None` for
/// every other element: the whole months of the period that have ended
/// (`reporting.reports_expected`) or whose deadline has passed as well
/// (`reporting.reports_due`). Each community reports once a month.
pub fn calendar_value(element: &DataElement, period: &Period, today: NaiveDate) -> Option<i64> {
    let due = match element.code {
        code if code == REPORTING_EXPECTED.code => false,
        code if code == REPORTING_DUE.code => true,
        _ => return None,
    };
    let mut count = 0;
    let mut first = period.first.with_day(1)?;
    if first < period.first {
        first = first.checked_add_months(Months::new(1))?;
    }
    while let Some(next) = first.checked_add_months(Months::new(1)) {
        let last = next.pred_opt()?;
        if last > period.last {
            break;
        }
        let deadline = next.with_day(ON_TIME_BY_DAY)?;
        if last < today && (!due || deadline < today) {
            count += 1;
        }
        first = next;
    }
    Some(count)
}

/// Whether an approved report freezes the element's value for its month: every
/// element but the reporting ones, which describe the reporting itself.
pub fn locked_by_approval(element: &DataElement) -> bool {
    !element.code.starts_with("reporting.")
}

/// The report row key: one report per community and month (`YYYY-MM`).
pub fn report_key(community: &str, month_first_day: &str) -> String {
    format!(
        "{community}/{}",
        &month_first_day[..7.min(month_first_day.len())]
    )
}

impl Fact {
    fn month(&self) -> &str {
        match self {
            Fact::Submitted { month, .. }
            | Fact::Approved { month, .. }
            | Fact::Withdrawn { month } => month,
        }
    }

    /// Names the report row this fact reads and writes.
    pub(super) fn need(&self, community: &str, views: &mut Views) {
        views
            .reports
            .entry(report_key(community, self.month()))
            .or_default();
    }
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let month = fact.month();
    let mut count = |element, delta| add(deltas, element, community, month, delta);
    let row = views
        .reports
        .entry(report_key(community, month))
        .or_default();
    match (fact, row) {
        (Fact::Submitted { submission, .. }, row @ None) => {
            let on_time = on_time_until(month)
                .is_some_and(|until| day <= until.format("%Y-%m-%d").to_string().as_str());
            count(&REPORTING_RECEIVED, 1);
            if on_time {
                count(&REPORTING_ON_TIME, 1);
            }
            *row = Some(ReportRow {
                community: community.to_owned(),
                month: month[..7].to_owned(),
                submitted_on: day.to_owned(),
                on_time,
                submissions: i64::from(*submission),
                approval: String::new(),
            });
        }
        (Fact::Submitted { submission, .. }, Some(row)) => {
            row.submissions = row.submissions.max(i64::from(*submission));
        }
        (Fact::Approved { level, .. }, Some(row)) => {
            let level = level.map(|l| l.to_string()).unwrap_or_default();
            if level == ApprovalLevel::District.to_string() && row.approval != level {
                count(&REPORTING_APPROVED, 1);
            }
            row.approval = level;
        }
        (Fact::Withdrawn { .. }, Some(row)) => {
            if row.approval == ApprovalLevel::District.to_string() {
                count(&REPORTING_APPROVED, -1);
            }
            row.approval.clear();
        }
        // An approval of a report the projection never saw submitted changes nothing.
        (Fact::Approved { .. } | Fact::Withdrawn { .. }, None) => {
            tracing::debug!(community, month, "report approval without a submission");
        }
    }
}

#[cfg(test)]
#[path = "reporting_tests.rs"]
mod tests;
