//! Fixed and relative DHIS2 periods, for dashboards and trends: which month is
//! `LAST_MONTH` today, the twelve months ending with this one, the quarter before.
//!
//! A [`FixedPeriod`] is a period of a type (day, ISO week, month, quarter, year) with
//! its DHIS2 id (`20261128`, `2026W48`, `202611`, `2026Q4`, `2026`); its days are a
//! [`Period`], the range the projection reads values for. Relative periods follow
//! DHIS2: `LAST_3_MONTHS` and `LAST_12_MONTHS` are the complete months before the
//! current one, `LAST_4_WEEKS` and `LAST_4_QUARTERS` likewise.
//!
//! Functions return `None` only at the ends of chrono's calendar (±262,000 years).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::period::{Period, PeriodError};

/// The type of a fixed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodType {
    Day,
    /// ISO week, Monday to Sunday.
    Week,
    Month,
    Quarter,
    Year,
}

/// One period of a type: its type and its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPeriod {
    kind: PeriodType,
    range: Period,
}

impl FixedPeriod {
    /// The period of type `kind` containing `day`.
    pub fn containing(kind: PeriodType, day: NaiveDate) -> Option<FixedPeriod> {
        let first = match kind {
            PeriodType::Day => day,
            PeriodType::Week => {
                day.checked_sub_days(Days::new(day.weekday().num_days_from_monday().into()))?
            }
            PeriodType::Month => day.with_day(1)?,
            PeriodType::Quarter => {
                NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1)?
            }
            PeriodType::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1)?,
        };
        let last = match kind {
            PeriodType::Day => first,
            PeriodType::Week => first.checked_add_days(Days::new(6))?,
            PeriodType::Month => first.checked_add_months(Months::new(1))?.pred_opt()?,
            PeriodType::Quarter => first.checked_add_months(Months::new(3))?.pred_opt()?,
            PeriodType::Year => first.checked_add_months(Months::new(12))?.pred_opt()?,
        };
        Some(FixedPeriod {
            kind,
            range: Period { first, last },
        })
    }

    /// Parses a DHIS2 period id (see [`Period::parse`]) and tells its type.
    pub fn parse(id: &str) -> Result<FixedPeriod, PeriodError> {
        let range = Period::parse(id)?;
        let rest = &id[4..];
        let kind = if rest.is_empty() {
            PeriodType::Year
        } else if rest.starts_with('W') {
            PeriodType::Week
        } else if rest.starts_with('Q') {
            PeriodType::Quarter
        } else if rest.len() == 2 {
            PeriodType::Month
        } else {
            PeriodType::Day
        };
        Ok(FixedPeriod { kind, range })
    }

    /// The period's type.
    pub fn kind(&self) -> PeriodType {
        self.kind
    }

    /// The period's days.
    pub fn range(&self) -> Period {
        self.range
    }

    /// The DHIS2 id: `20261128`, `2026W48` (ISO year and week), `202611`, `2026Q4`,
    /// `2026`.
    pub fn id(&self) -> String {
        let first = self.range.first;
        match self.kind {
            PeriodType::Day => first.format("%Y%m%d").to_string(),
            PeriodType::Week => {
                let week = first.iso_week();
                format!("{}W{}", week.year(), week.week())
            }
            PeriodType::Month => first.format("%Y%m").to_string(),
            PeriodType::Quarter => format!("{}Q{}", first.year(), first.month0() / 3 + 1),
            PeriodType::Year => first.year().to_string(),
        }
    }

    /// The period of the same type just before this one.
    pub fn previous(&self) -> Option<FixedPeriod> {
        FixedPeriod::containing(self.kind, self.range.first.pred_opt()?)
    }

    /// The `n` periods of this type ending with this one, oldest first (for trends).
    pub fn ending_with(&self, n: usize) -> Option<Vec<FixedPeriod>> {
        let mut out = Vec::with_capacity(n);
        let mut at = *self;
        for i in 0..n {
            out.push(at);
            if i + 1 < n {
                at = at.previous()?;
            }
        }
        out.reverse();
        Some(out)
    }
}

impl fmt::Display for FixedPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// A DHIS2 relative period, resolved against "today".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelativePeriod {
    ThisWeek,
    LastWeek,
    Last4Weeks,
    ThisMonth,
    LastMonth,
    Last3Months,
    Last12Months,
    ThisQuarter,
    LastQuarter,
    Last4Quarters,
    ThisYear,
    LastYear,
}

/// A name that is not a supported relative period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("relative period {0:?} is not one of {names}", names = RelativePeriod::names())]
pub struct RelativePeriodError(pub String);

impl RelativePeriod {
    /// Every relative period.
    pub const ALL: [RelativePeriod; 12] = [
        RelativePeriod::ThisWeek,
        RelativePeriod::LastWeek,
        RelativePeriod::Last4Weeks,
        RelativePeriod::ThisMonth,
        RelativePeriod::LastMonth,
        RelativePeriod::Last3Months,
        RelativePeriod::Last12Months,
        RelativePeriod::ThisQuarter,
        RelativePeriod::LastQuarter,
        RelativePeriod::Last4Quarters,
        RelativePeriod::ThisYear,
        RelativePeriod::LastYear,
    ];

    /// The DHIS2 name, e.g. `LAST_3_MONTHS`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelativePeriod::ThisWeek => "THIS_WEEK",
            RelativePeriod::LastWeek => "LAST_WEEK",
            RelativePeriod::Last4Weeks => "LAST_4_WEEKS",
            RelativePeriod::ThisMonth => "THIS_MONTH",
            RelativePeriod::LastMonth => "LAST_MONTH",
            RelativePeriod::Last3Months => "LAST_3_MONTHS",
            RelativePeriod::Last12Months => "LAST_12_MONTHS",
            RelativePeriod::ThisQuarter => "THIS_QUARTER",
            RelativePeriod::LastQuarter => "LAST_QUARTER",
            RelativePeriod::Last4Quarters => "LAST_4_QUARTERS",
            RelativePeriod::ThisYear => "THIS_YEAR",
            RelativePeriod::LastYear => "LAST_YEAR",
        }
    }

    fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
        names.join(", ")
    }

    /// The period type, whether it starts with the current period or the one before,
    /// and how many periods it spans.
    fn shape(self) -> (PeriodType, bool, usize) {
        use PeriodType::*;
        match self {
            RelativePeriod::ThisWeek => (Week, true, 1),
            RelativePeriod::LastWeek => (Week, false, 1),
            RelativePeriod::Last4Weeks => (Week, false, 4),
            RelativePeriod::ThisMonth => (Month, true, 1),
            RelativePeriod::LastMonth => (Month, false, 1),
            RelativePeriod::Last3Months => (Month, false, 3),
            RelativePeriod::Last12Months => (Month, false, 12),
            RelativePeriod::ThisQuarter => (Quarter, true, 1),
            RelativePeriod::LastQuarter => (Quarter, false, 1),
            RelativePeriod::Last4Quarters => (Quarter, false, 4),
            RelativePeriod::ThisYear => (Year, true, 1),
            RelativePeriod::LastYear => (Year, false, 1),
        }
    }

    /// The fixed periods it means on `today`, oldest first.
    pub fn periods(self, today: NaiveDate) -> Option<Vec<FixedPeriod>> {
        let (kind, current, n) = self.shape();
        let this = FixedPeriod::containing(kind, today)?;
        let last = if current { this } else { this.previous()? };
        last.ending_with(n)
    }

    /// The days it means on `today`: from the first period's first day to the last
    /// period's last day.
    pub fn range(self, today: NaiveDate) -> Option<Period> {
        let periods = self.periods(today)?;
        Some(Period {
            first: periods.first()?.range().first,
            last: periods.last()?.range().last,
        })
    }
}

impl FromStr for RelativePeriod {
    type Err = RelativePeriodError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| RelativePeriodError(name.to_owned()))
    }
}

impl fmt::Display for RelativePeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[path = "periods_tests.rs"]
mod tests;
