//! Hostile period identifiers: `Period::parse` never panics, refuses naming the input,
//! and reads every day, ISO week, month, quarter and year of years 0000–9999 back as
//! the range it names.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use civitas_projection::Period;
use civitas_testkit::hostile::cases;
use proptest::prelude::*;

fn day() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).expect("0000-01-01");
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("9999-12-31");
    (0..=(last - first).num_days()).prop_map(move |n| first + Days::new(n as u64))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn any_text_parses_or_is_refused_naming_it(
        id in prop_oneof![
            any::<String>(),
            "[0-9]{0,5}([WQ]?[0-9]{0,5})?",
            "[0-9]{4}(W[0-9]{1,2}|Q[0-9]|[0-9]{2}|[0-9]{4})",
        ],
    ) {
        match Period::parse(&id) {
            Ok(p) => prop_assert!(p.first <= p.last, "{id}: {p:?}"),
            Err(e) => prop_assert!(e.to_string().contains(&format!("{id:?}")), "{e}"),
        }
    }

    #[test]
    fn every_period_of_a_day_round_trips(d in day()) {
        let within = |id: String| {
            let p = Period::parse(&id).unwrap_or_else(|e| panic!("{e}"));
            assert!(p.first <= d && d <= p.last, "{d} not in {id} = {p:?}");
            p
        };
        prop_assert_eq!(within(d.format("%Y%m%d").to_string()), Period::day(d));
        let month = within(d.format("%Y%m").to_string());
        prop_assert_eq!((month.first.day(), month.last.succ_opt().map_or(1, |n| n.day())), (1, 1));
        let year = within(format!("{:04}", d.year()));
        prop_assert_eq!((year.first.ordinal(), year.last.year()), (1, d.year()));
        within(format!("{:04}Q{}", d.year(), d.month0() / 3 + 1));
        let week = d.iso_week();
        if (0..=9999).contains(&week.year()) {
            let w = within(format!("{:04}W{:02}", week.year(), week.week()));
            prop_assert_eq!(w.first.weekday(), Weekday::Mon);
            prop_assert_eq!((w.last - w.first).num_days(), 6);
        }
    }
}
