use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn ids(r: RelativePeriod, today: NaiveDate) -> Vec<String> {
    r.periods(today).unwrap().iter().map(|p| p.id()).collect()
}

fn range(r: RelativePeriod, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let p = r.range(today).unwrap();
    (p.first, p.last)
}

#[test]
fn relative_periods_at_the_turn_of_the_year() {
    let today = d(2026, 1, 15);
    assert_eq!(ids(RelativePeriod::ThisMonth, today), ["202601"]);
    assert_eq!(ids(RelativePeriod::LastMonth, today), ["202512"]);
    assert_eq!(
        ids(RelativePeriod::Last3Months, today),
        ["202510", "202511", "202512"]
    );
    assert_eq!(
        range(RelativePeriod::Last3Months, today),
        (d(2025, 10, 1), d(2025, 12, 31))
    );
    assert_eq!(ids(RelativePeriod::ThisQuarter, today), ["2026Q1"]);
    assert_eq!(ids(RelativePeriod::LastQuarter, today), ["2025Q4"]);
    assert_eq!(ids(RelativePeriod::ThisYear, today), ["2026"]);
    assert_eq!(ids(RelativePeriod::LastYear, today), ["2025"]);
    let last12 = ids(RelativePeriod::Last12Months, today);
    assert_eq!(last12.len(), 12);
    assert_eq!(
        (last12[0].as_str(), last12[11].as_str()),
        ("202501", "202512")
    );
    assert_eq!(
        range(RelativePeriod::Last12Months, today),
        (d(2025, 1, 1), d(2025, 12, 31))
    );
    assert_eq!(
        ids(RelativePeriod::Last4Quarters, today),
        ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    );
}

#[test]
fn relative_periods_on_the_first_and_last_days() {
    // The first day of a quarter is in it; LAST_* excludes the current period.
    assert_eq!(ids(RelativePeriod::ThisQuarter, d(2026, 4, 1)), ["2026Q2"]);
    assert_eq!(ids(RelativePeriod::LastQuarter, d(2026, 4, 1)), ["2026Q1"]);
    assert_eq!(ids(RelativePeriod::ThisQuarter, d(2026, 3, 31)), ["2026Q1"]);
    assert_eq!(
        range(RelativePeriod::LastMonth, d(2024, 3, 1)),
        (d(2024, 2, 1), d(2024, 2, 29))
    );
    assert_eq!(
        ids(RelativePeriod::Last3Months, d(2026, 12, 31)),
        ["202609", "202610", "202611"]
    );
    assert_eq!(ids(RelativePeriod::ThisYear, d(2026, 12, 31)), ["2026"]);
}

#[test]
fn weeks_are_iso_weeks_across_the_year_boundary() {
    // 2026-01-01 is a Thursday in 2026W1 (Mon 2025-12-29 to Sun 2026-01-04).
    assert_eq!(ids(RelativePeriod::ThisWeek, d(2026, 1, 1)), ["2026W1"]);
    assert_eq!(ids(RelativePeriod::LastWeek, d(2026, 1, 1)), ["2025W52"]);
    assert_eq!(
        range(RelativePeriod::ThisWeek, d(2026, 1, 1)),
        (d(2025, 12, 29), d(2026, 1, 4))
    );
    assert_eq!(
        ids(RelativePeriod::Last4Weeks, d(2026, 1, 5)),
        ["2025W50", "2025W51", "2025W52", "2026W1"]
    );
    // 2026 has 53 ISO weeks.
    let w53 = FixedPeriod::parse("2026W53").unwrap();
    assert_eq!(w53.previous().unwrap().id(), "2026W52");
    assert_eq!(
        FixedPeriod::containing(PeriodType::Week, d(2027, 1, 3)).unwrap(),
        w53
    );
}

#[test]
fn previous_and_ending_with_for_trends() {
    let p = |id: &str| FixedPeriod::parse(id).unwrap();
    assert_eq!(p("202601").previous().unwrap().id(), "202512");
    assert_eq!(p("2026Q1").previous().unwrap().id(), "2025Q4");
    assert_eq!(p("2026").previous().unwrap().id(), "2025");
    assert_eq!(p("20260301").previous().unwrap().id(), "20260228");
    assert_eq!(p("2026W1").previous().unwrap().id(), "2025W52");
    let months: Vec<String> = p("202602")
        .ending_with(4)
        .unwrap()
        .iter()
        .map(|m| m.id())
        .collect();
    assert_eq!(months, ["202511", "202512", "202601", "202602"]);
    let quarters: Vec<String> = p("2026Q2")
        .ending_with(3)
        .unwrap()
        .iter()
        .map(|q| q.to_string())
        .collect();
    assert_eq!(quarters, ["2025Q4", "2026Q1", "2026Q2"]);
    assert_eq!(p("2026").ending_with(0).unwrap(), []);
}

#[test]
fn parsed_periods_keep_their_type_and_days() {
    for (id, kind) in [
        ("20261128", PeriodType::Day),
        ("2026W48", PeriodType::Week),
        ("202611", PeriodType::Month),
        ("2026Q4", PeriodType::Quarter),
        ("2026", PeriodType::Year),
    ] {
        let p = FixedPeriod::parse(id).unwrap();
        assert_eq!((p.kind(), p.id()), (kind, id.to_owned()));
        assert_eq!(p.range(), Period::parse(id).unwrap());
        let again = FixedPeriod::containing(kind, p.range().last).unwrap();
        assert_eq!(again, p, "{id}");
    }
    assert_eq!(FixedPeriod::parse("2026W01").unwrap().id(), "2026W1");
    assert!(FixedPeriod::parse("202613").is_err());
}

#[test]
fn relative_period_names_round_trip() {
    for r in RelativePeriod::ALL {
        assert_eq!(r.as_str().parse::<RelativePeriod>(), Ok(r));
        assert_eq!(r.to_string(), r.as_str());
    }
    let err = "LAST_MONTHS"
        .parse::<RelativePeriod>()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"LAST_MONTHS\"") && err.contains("LAST_3_MONTHS"),
        "{err}"
    );
}
