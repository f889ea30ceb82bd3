//! `GetReportingStatus`: DHIS2's reporting rates for one month — completeness and
//! timeliness for the unit and each child, read from the same values as the
//! indicators — and every community's report with its approval and late figures.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use civitas_platform::auth::Caller;
use civitas_platform::error::invalid_argument;
use civitas_platform::org::OrgUnit;
use civitas_proto::common::v1::Date;
use civitas_proto::insights::v1 as pb;
use tonic::Status;

use super::indicators::today;
use super::{readable_unit, Figures, Insights};
use crate::catalog::{
    ELEMENTS, REPORTING_APPROVED, REPORTING_EXPECTED, REPORTING_ON_TIME, REPORTING_RECEIVED,
};
use crate::period::Period;
use crate::{db, sum};

/// The month a request names: `YYYYMM`, `THIS_MONTH` or `LAST_MONTH`.
fn month(text: &str, today: NaiveDate) -> Result<Period, Status> {
    let this_month = || today.with_day(1).map(Period::day);
    let first = match text.trim() {
        "THIS_MONTH" => this_month().map(|p| p.first),
        "LAST_MONTH" => this_month().and_then(|p| p.first.checked_sub_months(Months::new(1))),
        other => Period::parse(other)
            .ok()
            .filter(|p| p.calendar_month().is_some())
            .map(|p| p.first),
    };
    let whole = |first: NaiveDate| {
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Period { first, last })
    };
    first.and_then(whole).ok_or_else(|| {
        invalid_argument(
            "month",
            "must be a month as YYYYMM (e.g. 202610), THIS_MONTH or LAST_MONTH",
        )
    })
}

impl Insights {
    /// Reporting rates and every community's report for one month.
    pub async fn get_reporting_status(
        &self,
        caller: &Caller,
        request: pb::GetReportingStatusRequest,
    ) -> Result<pb::GetReportingStatusResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let period = month(&request.month, today())?;
        let month = period.calendar_month().expect("a whole month");
        let communities = self.communities(&unit.code);
        let live = self
            .projection
            .live_values_over(&communities, &[period])
            .await?
            .pop()
            .unwrap_or_default();
        // Both are served: the approved figures and, beside them, the live ones.
        let mut served = live.clone();
        self.projection
            .approved_values(&communities, &period, &mut served)
            .await?;
        let reports = db::report_rows(&self.projection.pool, &communities, &month).await?;
        let locked = db::locked_communities(&self.projection.pool, &communities, &month).await?;

        let mut rates = vec![self.rate(unit, &live)];
        rates.extend(
            self.tree
                .children(&unit.code)
                .into_iter()
                .map(|child| self.rate(child, &live)),
        );
        let community_reports = self
            .tree
            .communities_under(&unit.code)
            .into_iter()
            .map(|c| {
                let report = reports.get(&c.code);
                let is_locked = locked.contains(&c.code);
                let late = match is_locked {
                    true => late_figures(served.get(&c.code), live.get(&c.code)),
                    false => Vec::new(),
                };
                pb::CommunityReport {
                    community: c.code.clone(),
                    name: c.name.clone(),
                    submitted: report.is_some(),
                    submitted_on: report.and_then(|r| date(&r.submitted_on)),
                    on_time: report.is_some_and(|r| r.on_time),
                    submissions: report.map_or(0, |r| r.submissions as u32),
                    approval: report.map(|r| r.approval.clone()).unwrap_or_default(),
                    locked: is_locked,
                    late,
                }
            })
            .collect();
        Ok(pb::GetReportingStatusResponse {
            org_unit: unit.code.clone(),
            month: month.replace('-', ""),
            rates,
            communities: community_reports,
        })
    }

    /// One unit's reporting rates from the summed values of its communities.
    fn rate(&self, unit: &OrgUnit, values: &Figures) -> pb::ReportingRate {
        let communities = self.communities(&unit.code);
        let totals = sum(communities.iter().filter_map(|c| values.get(c)));
        let count = |code: &str| totals.get(code).copied().unwrap_or_default();
        let expected = count(REPORTING_EXPECTED.code);
        let percent = |n: f64| match expected > 0.0 {
            true => (n / expected * 1000.0).round() / 10.0,
            false => 0.0,
        };
        pb::ReportingRate {
            org_unit: unit.code.clone(),
            level: unit.level.to_string(),
            expected: expected as u32,
            received: count(REPORTING_RECEIVED.code) as u32,
            on_time: count(REPORTING_ON_TIME.code) as u32,
            approved: count(REPORTING_APPROVED.code) as u32,
            completeness: percent(count(REPORTING_RECEIVED.code)),
            timeliness: percent(count(REPORTING_ON_TIME.code)),
        }
    }
}

/// The elements whose approved and current values differ, in catalog order.
fn late_figures(
    approved: Option<&BTreeMap<String, f64>>,
    current: Option<&BTreeMap<String, f64>>,
) -> Vec<pb::LateFigure> {
    let value = |m: Option<&BTreeMap<String, f64>>, code: &str| {
        m.and_then(|m| m.get(code)).copied().unwrap_or_default()
    };
    ELEMENTS
        .iter()
        .filter_map(|e| {
            let (approved, current) = (value(approved, e.code), value(current, e.code));
            (approved != current).then(|| pb::LateFigure {
                element: e.code.to_owned(),
                approved,
                current,
            })
        })
        .collect()
}

/// A `YYYY-MM-DD` day as a proto date.
fn date(day: &str) -> Option<Date> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_named_or_relative() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let range = |text: &str| month(text, today).map(|p| (p.first, p.last));
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(range("202602").unwrap(), (d(2, 1), d(2, 28)));
        assert_eq!(range("LAST_MONTH").unwrap(), (d(10, 1), d(10, 31)));
        assert_eq!(range("THIS_MONTH").unwrap(), (d(11, 1), d(11, 30)));
        for bad in ["", "2026Q4", "20261101", "2026", "NEXT_MONTH"] {
            let err = range(bad).expect_err(bad);
            assert!(err.message().starts_with("invalid month"), "{bad}: {err}");
        }
    }
}
