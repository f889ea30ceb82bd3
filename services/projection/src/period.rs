//! DHIS2 period identifiers: `20261128` (day), `2026W48` (ISO week), `202611` (month),
//! `2026Q4` (quarter), `2026` (year), each parsed into its first and last day.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A period as an inclusive range of calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// A period identifier that is not one of the supported DHIS2 formats or names no real
/// calendar period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period {0:?} is not a day (20261128), ISO week (2026W48), month (202611), quarter (2026Q4) or year (2026)")]
pub struct PeriodError(pub String);

impl Period {
    /// Parses a DHIS2 period identifier.
    pub fn parse(id: &str) -> Result<Period, PeriodError> {
        // The error quotes at most the first 40 characters of what it was given.
        let invalid = || PeriodError(id.chars().take(40).collect());
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !id.is_ascii() || id.len() < 4 || !digits(&id[..4]) {
            return Err(invalid());
        }
        let year: i32 = id[..4].parse().map_err(|_| invalid())?;
        let rest = &id[4..];
        let period = if rest.is_empty() {
            Self::year(year)
        } else if let Some(week) = rest.strip_prefix('W').filter(|w| digits(w) && w.len() <= 2) {
            Self::iso_week(year, week.parse().map_err(|_| invalid())?)
        } else if let Some(quarter) = rest.strip_prefix('Q').filter(|q| digits(q) && q.len() == 1) {
            Self::quarter(year, quarter.parse().map_err(|_| invalid())?)
        } else if digits(rest) && rest.len() == 2 {
            Self::month(year, rest.parse().map_err(|_| invalid())?)
        } else if digits(rest) && rest.len() == 4 {
            let (month, day) = (
                rest[..2].parse().map_err(|_| invalid())?,
                rest[2..].parse().map_err(|_| invalid())?,
            );
            NaiveDate::from_ymd_opt(year, month, day).map(|d| Period { first: d, last: d })
        } else {
            None
        };
        period.ok_or_else(invalid)
    }

    /// `YYYY-MM` when the period is exactly one calendar month.
    pub fn calendar_month(&self) -> Option<String> {
        let whole = self.first.day() == 1
            && self.first.year() == self.last.year()
            && self.first.month() == self.last.month()
            && self.last.succ_opt().is_some_and(|next| next.day() == 1);
        whole.then(|| self.first.format("%Y-%m").to_string())
    }

    /// The period containing a single day.
    pub fn day(day: NaiveDate) -> Period {
        Period {
            first: day,
            last: day,
        }
    }

    fn year(year: i32) -> Option<Period> {
        Some(Period {
            first: NaiveDate::from_ymd_opt(year, 1, 1)?,
            last: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    fn iso_week(year: i32, week: u32) -> Option<Period> {
        let first = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(Period {
            first,
            last: first.checked_add_days(Days::new(6))?,
        })
    }

    fn month(year: i32, month: u32) -> Option<Period> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Period {
            first,
            last: next.pred_opt()?,
        })
    }

    fn quarter(year: i32, quarter: u32) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = Self::month(year, quarter * 3 - 2)?.first;
        let last = Self::month(year, quarter * 3)?.last;
        debug_assert_eq!(first.year(), last.year());
        Some(Period { first, last })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn range(id: &str) -> (NaiveDate, NaiveDate) {
        let p = Period::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        (p.first, p.last)
    }

    #[test]
    fn parses_every_dhis2_format() {
        assert_eq!(range("20261128"), (d(2026, 11, 28), d(2026, 11, 28)));
        assert_eq!(range("2026W48"), (d(2026, 11, 23), d(2026, 11, 29)));
        assert_eq!(range("2026W1"), (d(2025, 12, 29), d(2026, 1, 4)));
        assert_eq!(range("2026W01"), (d(2025, 12, 29), d(2026, 1, 4)));
        assert_eq!(range("2026W53"), (d(2026, 12, 28), d(2027, 1, 3)));
        assert_eq!(range("202611"), (d(2026, 11, 1), d(2026, 11, 30)));
        assert_eq!(range("202402"), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(range("202612"), (d(2026, 12, 1), d(2026, 12, 31)));
        assert_eq!(range("2026Q1"), (d(2026, 1, 1), d(2026, 3, 31)));
        assert_eq!(range("2026Q4"), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!(range("2026"), (d(2026, 1, 1), d(2026, 12, 31)));
    }

    #[test]
    fn rejects_malformed_and_impossible_periods() {
        for bad in [
            "",
            "26",
            "20x6",
            "2026W",
            "2026W0",
            "2025W53",
            "2026W54",
            "2026W123",
            "202613",
            "202600",
            "2026Q0",
            "2026Q5",
            "20260230",
            "2026113",
            "2026-11",
            "2026S1",
            " 2026",
            "２０２６",
        ] {
            let err = Period::parse(bad).expect_err(bad);
            assert!(err.to_string().starts_with("period"), "{err}");
        }
        let month = Period::parse("202602").unwrap();
        assert_eq!(month.calendar_month().as_deref(), Some("2026-02"));
        for not_a_month in ["2026Q1", "2026W05", "20260201", "2026"] {
            assert_eq!(Period::parse(not_a_month).unwrap().calendar_month(), None);
        }
        let long = "名".repeat(1001);
        assert_eq!(Period::parse(&long).unwrap_err().0.chars().count(), 40);
    }
}
