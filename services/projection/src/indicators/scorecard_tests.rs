use super::*;
use crate::indicators::check::{check, tests as tests_support};
use crate::indicators::eval::{PerCommunity, Scope};
use crate::indicators::file::{CatalogError, RawCatalog};
use crate::period::Period;

fn shipped() -> Catalog {
    Catalog::shipped().unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------
// The standards section and its check.

/// A measurable standard over `indicators` (code, weight).
fn measurable(number: i64, pass_mark: f64, indicators: &[(&str, f64)]) -> String {
    let mut text = format!(
        "\n[[standard]]\nnumber = {number}\nname_zh = \"标准{number}\"\n\
         name_en = \"Standard {number}\"\npass_mark = {pass_mark:?}\n"
    );
    for (code, weight) in indicators {
        text += &format!("[[standard.indicator]]\ncode = \"{code}\"\nweight = {weight:?}\n");
    }
    text
}

/// A standard that is not measurable, with both reasons.
fn unmeasurable(number: i64) -> String {
    format!(
        "\n[[standard]]\nnumber = {number}\nname_zh = \"标准{number}\"\n\
         name_en = \"Standard {number}\"\npass_mark = 80.0\nmeasurable = false\n\
         reason_zh = \"尚无记录\"\nreason_en = \"Not recorded\"\n"
    )
}

/// Standards 1 to 8 over the small catalog: 1 scored from its indicator, the others
/// not measurable; `replace` gives some numbers other text.
fn eight(replace: &[(i64, String)]) -> String {
    (1..=8)
        .map(|n| match replace.iter().find(|(m, _)| *m == n) {
            Some((_, text)) => text.clone(),
            None if n == 1 => measurable(1, 80.0, &[("safety.on_time", 1.0)]),
            None => unmeasurable(n),
        })
        .collect()
}

fn parse_small(standards: &str) -> Result<Catalog, CatalogError> {
    let text = format!("{}{standards}", tests_support::SMALL);
    let raw = RawCatalog::from_toml(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    check(raw, "t.toml", Some(tests_support::CODE))
}

#[track_caller]
fn refused(standards: &str, expected: &[&str]) {
    let problems: Vec<String> = match parse_small(standards) {
        Ok(_) => panic!("accepted:\n{standards}"),
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    };
    assert_eq!(problems, expected, "{standards}");
}

#[test]
fn the_shipped_catalog_has_the_plans_eight_standards() {
    let catalog = shipped();
    let numbers: Vec<u8> = catalog.standards().iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
    let unmeasurable: Vec<u8> = catalog
        .standards()
        .iter()
        .filter(|s| matches!(s.measure, Measure::NotMeasurable { .. }))
        .map(|s| s.number)
        .collect();
    assert_eq!(unmeasurable, [1, 4], "committee, environment");
    for s in catalog.standards() {
        assert!(!s.name_zh.is_ascii(), "standard {}", s.number);
        assert!((0.0..=100.0).contains(&s.pass_mark));
        if let Measure::Indicators(indicators) = &s.measure {
            for i in indicators {
                assert!(catalog.indicator(&i.code).is_some(), "{}", i.code);
                assert!(
                    catalog
                        .target(&i.code, 2026, OrgLevel::Community, "")
                        .is_some(),
                    "{}: a standard's indicator needs a community target",
                    i.code
                );
            }
        }
    }
    let codes = |n: u8| match &catalog.standard(n).unwrap().measure {
        Measure::Indicators(list) => list.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        Measure::NotMeasurable { .. } => vec![],
    };
    assert_eq!(codes(2), ["publicity.board_update_count"]);
    assert_eq!(codes(8), ["population.floating_checked_share"]);
    assert!(codes(7).contains(&"safety.major_incidents"));
    assert_eq!(catalog.standard(9), None);
}

#[test]
fn a_catalog_without_standards_has_no_scorecard() {
    let catalog = parse_small("").unwrap();
    assert!(catalog.standards().is_empty());
}

#[test]
fn the_eight_standards_are_accepted_in_any_order_and_kept_by_number() {
    let text = eight(&[]);
    let mut entries: Vec<&str> = text.split("\n[[standard]]").skip(1).collect();
    entries.reverse();
    let reversed: String = entries
        .iter()
        .map(|e| format!("\n[[standard]]{e}"))
        .collect();
    let catalog = parse_small(&reversed).unwrap_or_else(|e| panic!("{e}"));
    let numbers: Vec<u8> = catalog.standards().iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        catalog.standard(1).unwrap().measure,
        Measure::Indicators(vec![StandardIndicator {
            code: "safety.on_time".into(),
            weight: 1.0
        }])
    );
    assert_eq!(
        catalog.standard(2).unwrap().measure,
        Measure::NotMeasurable {
            reason_zh: "尚无记录".into(),
            reason_en: "Not recorded".into()
        }
    );
}

#[test]
fn numbers_must_be_one_to_eight_each_once() {
    refused(
        &eight(&[(8, unmeasurable(9))]),
        &[
            "standard 9: number 9 is not 1 to 8",
            "standard 8: missing: the plan has standards 1 to 8",
        ],
    );
    refused(
        &eight(&[(8, unmeasurable(7))]),
        &[
            "standard 7: a second standard numbered 7",
            "standard 8: missing: the plan has standards 1 to 8",
        ],
    );
    refused(
        &eight(&[(3, unmeasurable(0))]),
        &[
            "standard 0: number 0 is not 1 to 8",
            "standard 3: missing: the plan has standards 1 to 8",
        ],
    );
}

#[test]
fn indicators_must_be_known_with_a_weight_above_zero() {
    refused(
        &eight(&[(1, measurable(1, 80.0, &[("safety.nope", 1.0)]))]),
        &[r#"standard 1: indicator "safety.nope": unknown indicator"#],
    );
    refused(
        &eight(&[(1, measurable(1, 80.0, &[("safety.on_time", 0.0)]))]),
        &[r#"standard 1: indicator "safety.on_time": weight 0 is not a number above 0"#],
    );
    refused(
        &eight(&[(1, measurable(1, 80.0, &[("safety.on_time", -2.0)]))]),
        &[r#"standard 1: indicator "safety.on_time": weight -2 is not a number above 0"#],
    );
    refused(
        &eight(&[(
            1,
            measurable(1, 80.0, &[("safety.on_time", 1.0), ("safety.on_time", 2.0)]),
        )]),
        &[r#"standard 1: indicator "safety.on_time": listed twice"#],
    );
}

#[test]
fn the_pass_mark_must_be_between_0_and_100() {
    for bad in [101.0, -1.0] {
        let expected = format!("standard 1: pass_mark {bad} is not between 0 and 100");
        refused(
            &eight(&[(1, measurable(1, bad, &[("safety.on_time", 1.0)]))]),
            &[&expected],
        );
    }
    let edges = eight(&[
        (1, measurable(1, 0.0, &[("safety.on_time", 1.0)])),
        (2, measurable(2, 100.0, &[("safety.on_time", 1.0)])),
    ]);
    assert!(parse_small(&edges).is_ok());
    refused(
        &eight(&[(
            1,
            measurable(1, 80.0, &[("safety.on_time", 1.0)])
                .replace("pass_mark = 80.0", "pass_mark = nan"),
        )]),
        &["standard 1: pass_mark NaN is not a finite number"],
    );
}

#[test]
fn unmeasurable_standards_need_reasons_and_no_indicators() {
    let with_indicator = format!(
        "{}[[standard.indicator]]\ncode = \"safety.on_time\"\nweight = 1\n",
        unmeasurable(2)
    );
    refused(
        &eight(&[(2, with_indicator)]),
        &["standard 2: measurable = false, but it lists indicators"],
    );
    let no_reason = unmeasurable(3).replace("reason_en = \"Not recorded\"\n", "");
    refused(
        &eight(&[(3, no_reason)]),
        &["standard 3: measurable = false needs reason_en: what cannot be recorded yet"],
    );
    let empty_reason = unmeasurable(4).replace("\"尚无记录\"", "\" \"");
    refused(
        &eight(&[(4, empty_reason)]),
        &["standard 4: measurable = false needs reason_zh: what cannot be recorded yet"],
    );
}

#[test]
fn measurable_standards_need_indicators_and_no_reasons() {
    refused(
        &eight(&[(1, measurable(1, 80.0, &[]))]),
        &["standard 1: no indicators: list some, or say measurable = false with the reason"],
    );
    let explicit = unmeasurable(5).replace("measurable = false", "measurable = true");
    refused(
        &eight(&[(5, explicit)]),
        &[
            "standard 5: reason_zh is only for measurable = false",
            "standard 5: reason_en is only for measurable = false",
            "standard 5: no indicators: list some, or say measurable = false with the reason",
        ],
    );
}

#[test]
fn problems_name_every_bad_standard_at_once() {
    let text = eight(&[
        (1, measurable(1, 120.0, &[("nope", 1.0)])),
        (6, measurable(6, 80.0, &[])),
    ]);
    refused(
        &text,
        &[
            "standard 1: pass_mark 120 is not between 0 and 100",
            r#"standard 1: indicator "nope": unknown indicator"#,
            "standard 6: no indicators: list some, or say measurable = false with the reason",
        ],
    );
}

// ---------------------------------------------------------------------------------
// Scoring.

fn values(elements: &[(&str, f64)]) -> PerCommunity {
    let elements = elements.iter().map(|(e, v)| (e.to_string(), *v)).collect();
    PerCommunity::from([("xingfu".to_owned(), elements)])
}

/// xingfu's scorecard for 2026 from `per` with the shipped catalog.
fn xingfu(per: &PerCommunity) -> Scorecard {
    let catalog = shipped();
    let communities = ["xingfu".to_owned()];
    let scope = Scope {
        unit: "xingfu",
        level: OrgLevel::Community,
        communities: &communities,
    };
    let year = Period::parse("2026").unwrap();
    catalog.scorecard(&catalog.evaluate(&scope, &year, per, None))
}

fn outcome(card: &Scorecard, number: u8) -> &Outcome {
    &card
        .standards
        .iter()
        .find(|s| s.number == number)
        .unwrap()
        .outcome
}

fn score(card: &Scorecard, number: u8) -> (Option<f64>, Option<bool>) {
    match outcome(card, number) {
        Outcome::Measurable { score, passed, .. } => (*score, *passed),
        Outcome::NotMeasurable { .. } => panic!("standard {number} is not measurable"),
    }
}

fn parts(card: &Scorecard, number: u8) -> &[Part] {
    match outcome(card, number) {
        Outcome::Measurable { parts, .. } => parts,
        Outcome::NotMeasurable { .. } => panic!("standard {number} is not measurable"),
    }
}

fn part<'a>(card: &'a Scorecard, number: u8, code: &str) -> &'a Part {
    parts(card, number)
        .iter()
        .find(|p| p.indicator == code)
        .unwrap()
}

/// A year of xingfu (community targets; xingfu's own: 16 classes, 95 % on time).
fn a_year() -> PerCommunity {
    values(&[
        // (2) 18 of 24 board updates.
        ("publicity.board_updates", 18.0),
        // (3) 20 classes of 16 (capped), 1.5 of 2 reach per minor.
        ("activities.held.citizen_school_class", 20.0),
        ("activities.minors_reached", 150.0),
        ("residents.care.minor", 100.0),
        // (6) 24 of 30 m² per 100 households, 12 of 10 activities per 1,000 (capped),
        // 70 % of 80 % show-up.
        ("facilities.area_m2", 600.0),
        ("households", 2500.0),
        ("activities.held", 96.0),
        ("residents", 8000.0),
        ("activities.registered_attended", 70.0),
        ("activities.registered_at_close", 100.0),
        // (7) one major incident; 90 % of 95 % on time; 85 % of 85 % inspections
        // passed; no rectification verified (no value).
        ("incidents.major", 1.0),
        ("incidents.resolved", 100.0),
        ("incidents.resolved_within_48h", 90.0),
        ("inspections.passed", 17.0),
        ("inspections.failed", 3.0),
    ])
}

#[test]
fn standards_score_the_weighted_mean_of_capped_achievements() {
    let card = xingfu(&a_year());
    assert_eq!((card.unit.as_str(), card.year), ("xingfu", 2026));
    assert_eq!(score(&card, 2), (Some(75.0), Some(false)));
    assert_eq!(score(&card, 3), (Some(87.5), Some(true)), "(100 + 75) / 2");
    let classes = part(&card, 3, "activities.citizen_school_classes");
    assert_eq!(
        (classes.value, classes.target, classes.percent, classes.met),
        (Some(20.0), Some(16.0), Some(100.0), Some(true)),
        "125 % counts as 100"
    );
    // (2 × 80 + 100 + 87.5) / 4 = 86.875
    assert_eq!(score(&card, 6), (Some(86.9), Some(true)));
    let area = part(&card, 6, "facilities.area_per_100_households");
    assert_eq!(
        (area.value, area.weight, area.percent),
        (Some(24.0), 2.0, Some(80.0))
    );
}

#[test]
fn a_part_without_a_percent_counts_by_met_and_one_without_a_value_is_left_out() {
    let card = xingfu(&a_year());
    let major = part(&card, 7, "safety.major_incidents");
    assert_eq!(
        (major.value, major.target, major.percent, major.met),
        (Some(1.0), Some(0.0), Some(0.0), Some(false))
    );
    let rectifications = part(&card, 7, "safety.rectification_on_time_rate");
    assert_eq!(
        rectifications.uncounted,
        Some(Uncounted::NoValue(NoValue::ZeroDenominator))
    );
    assert_eq!((rectifications.percent, rectifications.met), (None, None));
    assert_eq!(
        rectifications.target,
        Some(90.0),
        "the target is still shown"
    );
    // (0 + 94.7 + 100) / 3, the rectifications' weight renormalised away.
    assert_eq!(score(&card, 7), (Some(64.9), Some(false)));
    assert_eq!(
        part(&card, 7, "safety.on_time_resolution_rate").percent,
        Some(94.7)
    );

    let calm = xingfu(&values(&[]));
    let major = part(&calm, 7, "safety.major_incidents");
    assert_eq!((major.percent, major.met), (Some(100.0), Some(true)));
}

#[test]
fn unmeasurable_standards_carry_their_reason_and_no_number() {
    let card = xingfu(&a_year());
    let catalog = shipped();
    for n in [1, 4] {
        let Measure::NotMeasurable {
            reason_zh,
            reason_en,
        } = &catalog.standard(n).unwrap().measure
        else {
            panic!("standard {n}");
        };
        assert_eq!(
            outcome(&card, n),
            &Outcome::NotMeasurable {
                reason_zh: reason_zh.clone(),
                reason_en: reason_en.clone()
            }
        );
    }
}

#[test]
fn the_overall_counts_measurable_standards_only() {
    let card = xingfu(&a_year());
    // 75, 87.5, 86.9 and 64.9: (3) and (6) passed; (5) and (8) have nothing to score.
    assert_eq!(
        card.overall,
        Overall {
            measurable: 6,
            scored: 4,
            passed: 2,
            mean_score: Some(78.6),
        }
    );
}

#[test]
fn a_standard_with_no_part_counting_has_no_score() {
    let card = xingfu(&values(&[]));
    let (score6, passed6) = score(&card, 6);
    assert_eq!((score6, passed6), (None, None));
    assert!(parts(&card, 6)
        .iter()
        .all(|p| p.uncounted == Some(Uncounted::NoValue(NoValue::ZeroDenominator))));
    // (2) 0 of 24, (3) 0 classes (the reach has no value), (7) no major incident
    // and nothing else with a value.
    assert_eq!(score(&card, 2), (Some(0.0), Some(false)));
    assert_eq!(score(&card, 3), (Some(0.0), Some(false)));
    assert_eq!(score(&card, 7), (Some(100.0), Some(true)));
    assert_eq!(
        card.overall,
        Overall {
            measurable: 6,
            scored: 3,
            passed: 1,
            mean_score: Some(33.3),
        }
    );
}

#[test]
fn parts_without_a_target_or_an_evaluation_are_left_out() {
    let catalog = shipped();
    let communities = ["xingfu".to_owned()];
    let scope = Scope {
        unit: "xingfu",
        level: OrgLevel::Community,
        communities: &communities,
    };
    let per = a_year();
    // No 2031 targets.
    let later = catalog.evaluate(&scope, &Period::parse("2031").unwrap(), &per, None);
    let card = catalog.scorecard(&later);
    let board = part(&card, 2, "publicity.board_update_count");
    assert_eq!(
        (board.value, board.uncounted.clone()),
        (Some(18.0), Some(Uncounted::NoTarget))
    );
    assert_eq!(card.overall.scored, 0);
    assert_eq!(card.overall.mean_score, None);

    let standards = [Standard {
        number: 1,
        name_zh: "标准".into(),
        name_en: "Standard".into(),
        pass_mark: 50.0,
        measure: Measure::Indicators(vec![
            StandardIndicator {
                code: "not.in.the.evaluation".into(),
                weight: 3.0,
            },
            StandardIndicator {
                code: "publicity.board_update_count".into(),
                weight: 1.0,
            },
        ]),
    }];
    let year = catalog.evaluate(&scope, &Period::parse("2026").unwrap(), &per, None);
    let card = score_standards(&standards, &year);
    assert_eq!(score(&card, 1), (Some(75.0), Some(true)));
    assert_eq!(parts(&card, 1)[0].uncounted, Some(Uncounted::NotEvaluated));
}

// ---------------------------------------------------------------------------------
// League table.

fn card(passed: usize, mean_score: Option<f64>) -> Scorecard {
    Scorecard {
        unit: String::new(),
        level: OrgLevel::Community,
        year: 2026,
        standards: vec![],
        overall: Overall {
            measurable: 4,
            scored: 4,
            passed,
            mean_score,
        },
    }
}

#[test]
fn the_league_ranks_by_passed_then_mean_score_and_ties_share_a_rank() {
    let rows = league_table([
        ("fengshou".to_owned(), card(1, None)),
        ("dongfang".to_owned(), card(2, Some(70.0))),
        ("xingfu".to_owned(), card(2, Some(90.0))),
        ("anning".to_owned(), card(1, Some(50.0))),
        ("beiyuan".to_owned(), card(3, Some(60.0))),
        ("changle".to_owned(), card(2, Some(90.0))),
        ("guanghua".to_owned(), card(1, None)),
    ]);
    let table: Vec<(u32, &str, usize, Option<f64>)> = rows
        .iter()
        .map(|r| (r.rank, r.community.as_str(), r.passed, r.mean_score))
        .collect();
    assert_eq!(
        table,
        [
            (1, "beiyuan", 3, Some(60.0)),
            (2, "changle", 2, Some(90.0)),
            (2, "xingfu", 2, Some(90.0)),
            (4, "dongfang", 2, Some(70.0)),
            (5, "anning", 1, Some(50.0)),
            (6, "fengshou", 1, None),
            (6, "guanghua", 1, None),
        ]
    );
    assert_eq!(rows[0].measurable, 4);
    assert!(league_table(Vec::new()).is_empty());
}

#[test]
fn the_league_of_real_scorecards() {
    let good = xingfu(&a_year());
    let empty = xingfu(&values(&[]));
    let rows = league_table([("b".to_owned(), empty), ("a".to_owned(), good.clone())]);
    assert_eq!(rows[0].community, "a");
    assert_eq!(rows[0].scorecard, good);
    assert_eq!((rows[0].rank, rows[1].rank), (1, 2));
}
