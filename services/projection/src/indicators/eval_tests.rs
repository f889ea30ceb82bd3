use chrono::NaiveDate;

use super::*;
use crate::indicators::assess::Direction;
use crate::indicators::check::{check, tests as tests_support};
use crate::indicators::file::{RawCatalog, SHIPPED_TOML};
use crate::indicators::model::Severity;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn month(y: i32, m: u32) -> Period {
    Period::parse(&format!("{y}{m:02}")).unwrap()
}

fn values(rows: &[(&str, &[(&str, f64)])]) -> PerCommunity {
    rows.iter()
        .map(|(community, elements)| {
            let elements = elements.iter().map(|(e, v)| (e.to_string(), *v)).collect();
            (community.to_string(), elements)
        })
        .collect()
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

/// The small test catalog of the check tests plus `extra` entries, checked against
/// the code's elements.
fn small(extra: &str) -> Catalog {
    let text = format!("{}{extra}", tests_support::SMALL);
    let raw = RawCatalog::from_toml(&text, "t.toml").unwrap();
    check(raw, "t.toml", Some(tests_support::CODE)).unwrap_or_else(|e| panic!("{e}"))
}

fn find<'a>(e: &'a UnitEvaluation, code: &str) -> &'a IndicatorValue {
    e.indicators.iter().find(|i| i.code == code).unwrap()
}

#[test]
fn a_street_is_the_ratio_of_its_sums_not_the_mean_of_its_communities() {
    let catalog = small("");
    let per = values(&[
        (
            "big",
            &[
                ("incidents.resolved", 1000.0),
                ("incidents.resolved_within_48h", 1.0),
            ],
        ),
        (
            "small",
            &[
                ("incidents.resolved", 10.0),
                ("incidents.resolved_within_48h", 10.0),
            ],
        ),
        ("elsewhere", &[("incidents.resolved", 5.0)]),
    ]);
    let communities = codes(&["big", "small"]);
    let scope = Scope {
        unit: "street",
        level: OrgLevel::Street,
        communities: &communities,
    };
    let e = catalog.evaluate(&scope, &month(2026, 3), &per, None);
    let v = find(&e, "safety.on_time");
    assert_eq!((v.numerator, v.denominator), (Some(11.0), Some(1010.0)));
    assert_eq!(v.value, Some(1.1)); // 11/1010 = 1.089 %, not (100 % + 0.1 %) / 2
    assert_eq!(v.no_value, None);
}

#[test]
fn a_zero_denominator_gives_no_value_and_no_judgement() {
    let catalog = small("");
    let communities = codes(&["xingfu"]);
    let scope = Scope {
        unit: "xingfu",
        level: OrgLevel::Community,
        communities: &communities,
    };
    let e = catalog.evaluate(&scope, &month(2026, 3), &PerCommunity::new(), None);
    let v = find(&e, "safety.on_time");
    assert_eq!(
        (v.value, v.no_value.clone()),
        (None, Some(NoValue::ZeroDenominator))
    );
    assert_eq!((v.numerator, v.denominator), (Some(0.0), Some(0.0)));
    assert!(v.achievement.is_none() && v.band.is_none() && v.trend.is_none());
    assert!(
        v.target.is_some(),
        "the target is known even without a value"
    );
    assert!(e.alerts.is_empty(), "no value fires no alert");
}

#[test]
fn a_new_indicator_in_the_file_is_evaluated_without_code_changes() {
    let extra = "\n[[indicator]]\ncode = \"volunteers.per_1000\"\nname_zh = \"每千人志愿者数\"\n\
                 name_en = \"Volunteers per 1,000\"\nnumerator = \"#{volunteers.registered}\"\n\
                 denominator = \"#{residents} / 1000\"\nfactor = 1\ndecimals = 2\n\
                 higher_is_better = true\nlegend = \"volunteer_rate\"\n";
    let text = format!("{SHIPPED_TOML}{extra}");
    let catalog = Catalog::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    let per = values(&[(
        "xingfu",
        &[("volunteers.registered", 41.0), ("residents", 8200.0)],
    )]);
    let communities = codes(&["xingfu"]);
    let scope = Scope {
        unit: "xingfu",
        level: OrgLevel::Community,
        communities: &communities,
    };
    let e = catalog.evaluate(&scope, &month(2026, 3), &per, None);
    assert_eq!(find(&e, "volunteers.per_1000").value, Some(5.0));
    assert_eq!(find(&e, "volunteers.registration_rate").value, Some(0.5));
}

#[test]
fn legend_bands_include_from_and_exclude_to() {
    let catalog = small("");
    let legend = catalog.legend_set("pct").unwrap();
    let label = |v: f64| legend.band(v).map(|b| b.label_en.as_str());
    assert_eq!(label(0.0), Some("Low"));
    assert_eq!(label(59.9), Some("Low"));
    assert_eq!(label(60.0), Some("Medium"));
    assert_eq!(label(79.99), Some("Medium"));
    assert_eq!(label(80.0), Some("High"));
    assert_eq!(label(1e9), Some("High"), "the last band is open-ended");
    assert_eq!(label(-0.1), None);
}

#[test]
fn targets_resolve_by_year_level_and_unit_override() {
    let catalog = small("");
    let t = |level, unit| catalog.target("safety.on_time", 2026, level, unit);
    let xingfu = t(OrgLevel::Community, "xingfu").unwrap();
    assert_eq!((xingfu.value, xingfu.unit_override), (95.0, true));
    let heping = t(OrgLevel::Community, "heping").unwrap();
    assert_eq!((heping.value, heping.unit_override), (90.0, false));
    assert_eq!(
        t(OrgLevel::Street, "huafeng"),
        None,
        "no fallback to another level"
    );
    assert_eq!(
        catalog.target("safety.on_time", 2025, OrgLevel::Community, "xingfu"),
        None
    );
}

#[test]
fn evaluation_carries_target_achievement_band_trend_and_alerts() {
    let catalog = small("");
    let communities = codes(&["xingfu"]);
    let scope = Scope {
        unit: "xingfu",
        level: OrgLevel::Community,
        communities: &communities,
    };
    let now = values(&[(
        "xingfu",
        &[
            ("incidents.resolved", 20.0),
            ("incidents.resolved_within_48h", 15.0),
        ],
    )]);
    let before = values(&[(
        "xingfu",
        &[
            ("incidents.resolved", 10.0),
            ("incidents.resolved_within_48h", 9.0),
        ],
    )]);
    let e = catalog.evaluate(
        &scope,
        &month(2026, 3),
        &now,
        Some((&month(2026, 2), &before)),
    );
    assert_eq!((e.year, e.level), (2026, OrgLevel::Community));
    let v = find(&e, "safety.on_time");
    assert_eq!(v.value, Some(75.0));
    assert_eq!(v.target.as_ref().map(|t| t.value), Some(95.0));
    assert_eq!(
        v.achievement,
        Some(Achievement {
            percent: Some(78.9),
            met: false
        })
    );
    assert_eq!(v.band.as_ref().map(|b| b.colour.as_str()), Some("#FDAE61"));
    let trend = v.trend.unwrap();
    assert_eq!((trend.previous, trend.change), (90.0, -15.0));
    assert_eq!(
        (trend.direction, trend.better),
        (Direction::Down, Some(false))
    );
    assert_eq!(e.alerts.len(), 1);
    assert_eq!(e.alerts[0].message_en, "On time 75.0%");
    assert_eq!(e.alerts[0].severity, Severity::Warning);
}

#[test]
fn achievement_for_higher_and_lower_is_better() {
    // ((higher is better, value, target), (percent, met))
    let cases = [
        ((true, 45.0, 90.0), (Some(50.0), false)),
        ((true, 108.0, 90.0), (Some(120.0), true)),
        ((true, 3.0, 0.0), (None, true)),
        ((false, 16.0, 8.0), (Some(50.0), false)),
        ((false, 4.0, 8.0), (Some(100.0), true)),
        ((false, 0.0, 8.0), (Some(100.0), true)),
        ((false, 0.0, 0.0), (None, true)),
        ((false, 1.0, 0.0), (None, false)),
    ];
    for ((higher, value, target), (percent, met)) in cases {
        assert_eq!(
            achievement(higher, value, target),
            Achievement { percent, met },
            "higher {higher}, value {value}, target {target}"
        );
    }
}

#[test]
fn trend_direction_and_whether_it_is_better() {
    let up = trend(true, 82.5, 80.0, 1);
    assert_eq!(
        (up.direction, up.better, up.change),
        (Direction::Up, Some(true), 2.5)
    );
    let up_bad = trend(false, 3.0, 1.0, 0);
    assert_eq!(
        (up_bad.direction, up_bad.better),
        (Direction::Up, Some(false))
    );
    let down_good = trend(false, 1.0, 3.0, 0);
    assert_eq!(
        (down_good.direction, down_good.better),
        (Direction::Down, Some(true))
    );
    let flat = trend(true, 0.3, 0.1 + 0.2, 1);
    assert_eq!(
        (flat.direction, flat.better, flat.change),
        (Direction::Flat, None, 0.0)
    );
}

#[test]
fn alerts_fire_by_operator_most_severe_first() {
    let catalog = Catalog::shipped().unwrap();
    let rounded = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
        pairs.iter().map(|(c, v)| (c.to_string(), *v)).collect()
    };
    let fired = catalog.alerts_for(&rounded(&[
        ("safety.on_time_resolution_rate", 79.9),
        ("safety.major_incidents", 2.0),
        ("safety.open_rectifications", 10.0),
        ("activities.show_up_rate", 50.0),
    ]));
    let summary: Vec<(&str, Severity)> = fired
        .iter()
        .map(|a| (a.indicator.as_str(), a.severity))
        .collect();
    assert_eq!(
        summary,
        [
            ("safety.major_incidents", Severity::Critical),
            ("safety.on_time_resolution_rate", Severity::Warning),
            ("safety.open_rectifications", Severity::Warning),
        ]
    );
    assert_eq!(fired[0].message_zh, "发生重大事件2起，请立即核查处置。");
    assert_eq!(
        fired[1].message_en,
        "79.9% of incidents resolved within 48 hours, below 80%."
    );
    assert!(catalog
        .alerts_for(&rounded(&[("safety.major_incidents", 0.0)]))
        .is_empty());
}

#[test]
fn indicators_can_use_indicators() {
    let extra = format!(
        "{}{}",
        tests_support::indicator("late", "100 - N{safety.on_time}", "1"),
        tests_support::indicator("late_twice", "N{late} * 2", "100"),
    );
    let catalog = small(&extra);
    let sums = BTreeMap::from([
        ("incidents.resolved".to_owned(), 8.0),
        ("incidents.resolved_within_48h".to_owned(), 6.0),
    ]);
    let computed = catalog.compute(&sums, &month(2026, 3));
    // late: (100 − 75) / 1 × 100; late_twice: 2500 × 2 / 100 × 100.
    assert_eq!(computed["late"].value, Ok(2500.0));
    assert_eq!(computed["late_twice"].value, Ok(5000.0));
    let none = catalog.compute(&BTreeMap::new(), &month(2026, 3));
    assert_eq!(
        none["late"].value,
        Err(NoValue::Indicator("safety.on_time".into()))
    );
    assert_eq!(
        none["late_twice"].value,
        Err(NoValue::Indicator("late".into()))
    );
}

#[test]
fn distinct_elements_are_the_units_own_count_never_a_sum() {
    let text =
        tests_support::SMALL.replacen(r#"aggregation = "LAST""#, r#"aggregation = "DISTINCT""#, 1)
            + &tests_support::indicator("coverage", "#{volunteers.registered}", "#{residents}");
    let raw = RawCatalog::from_toml(&text, "t.toml").unwrap();
    let catalog = check(raw, "t.toml", None).unwrap_or_else(|e| panic!("{e}"));
    // Two communities count 6 and 5 persons; one of them in both, so the street
    // counted 10, which its own row says.
    let row = |residents: f64, volunteers: f64| {
        BTreeMap::from([
            ("residents".to_owned(), residents),
            ("volunteers.registered".to_owned(), volunteers),
        ])
    };
    let mut per_community = PerCommunity::from([
        ("c1".to_owned(), row(6.0, 1.0)),
        ("c2".to_owned(), row(5.0, 1.0)),
    ]);
    let communities = ["c1".to_owned(), "c2".to_owned()];
    let street = Scope {
        unit: "s",
        level: OrgLevel::Street,
        communities: &communities,
    };
    let without_own_row = catalog.compute(
        &catalog.unit_values(&per_community, &street),
        &month(2026, 3),
    );
    assert_eq!(
        without_own_row["coverage"].value,
        Err(NoValue::Distinct("residents".into())),
        "a sum of persons is never served"
    );
    per_community.insert(
        "s".to_owned(),
        BTreeMap::from([("residents".to_owned(), 10.0)]),
    );
    let values = catalog.unit_values(&per_community, &street);
    assert_eq!(
        (values["residents"], values["volunteers.registered"]),
        (10.0, 2.0)
    );
    let computed = catalog.compute(&values, &month(2026, 3));
    assert_eq!(computed["coverage"].value, Ok(20.0));
    let community = Scope {
        unit: "c1",
        level: OrgLevel::Community,
        communities: &communities[..1],
    };
    assert_eq!(
        catalog.unit_values(&per_community, &community)["residents"],
        6.0
    );
    let sums = BTreeMap::from([("volunteers.registered".to_owned(), 1.0)]);
    let computed = catalog.compute(&sums, &month(2026, 3));
    assert!(
        computed["safety.on_time"].value.is_err(),
        "0/0 still has no value"
    );
}

#[test]
fn annualized_indicators_scale_to_a_year() {
    assert_eq!(annualization_factor(&month(2026, 2)), 12.0);
    assert_eq!(annualization_factor(&Period::parse("2026Q3").unwrap()), 4.0);
    assert_eq!(annualization_factor(&Period::parse("2026").unwrap()), 1.0);
    let last_3 = Period {
        first: d(2025, 10, 1),
        last: d(2025, 12, 31),
    };
    assert_eq!(annualization_factor(&last_3), 4.0);
    let last_12 = Period {
        first: d(2025, 2, 1),
        last: d(2026, 1, 31),
    };
    assert_eq!(annualization_factor(&last_12), 1.0);
    assert_eq!(
        annualization_factor(&Period::parse("2026W10").unwrap()),
        365.0 / 7.0
    );
    assert_eq!(annualization_factor(&Period::day(d(2026, 3, 15))), 365.0);

    let catalog = Catalog::shipped().unwrap();
    let sums = BTreeMap::from([
        ("incidents.reported".to_owned(), 5.0),
        ("residents".to_owned(), 6000.0),
    ]);
    let computed = catalog.compute(&sums, &month(2026, 3));
    // 5 incidents in a month among 6,000 residents: 10 per 1,000 per year.
    assert_eq!(computed["safety.incidents_per_1000"].value, Ok(10.0));
}

#[test]
fn rounding_is_half_away_from_zero_without_negative_zero() {
    assert_eq!(round(1.25, 1), 1.3);
    assert_eq!(round(-1.25, 1), -1.3);
    assert_eq!(round(2.0 / 3.0, 2), 0.67);
    assert_eq!(round(-0.0001, 2).to_bits(), 0.0f64.to_bits());
    assert_eq!(round(1234.5, 0), 1235.0);
}
