use super::*;
use crate::catalog::{
    INCIDENTS_RESOLVED, INCIDENTS_RESOLVED_WITHIN_48H, RESIDENTS, VOLUNTEERS_REGISTERED,
};
use crate::indicators::model::AlertOp;

/// The code's side of a small catalog.
pub(crate) const CODE: &[DataElement] = &[
    RESIDENTS,
    VOLUNTEERS_REGISTERED,
    INCIDENTS_RESOLVED,
    INCIDENTS_RESOLVED_WITHIN_48H,
];

/// A small, valid catalog over [`CODE`].
pub(crate) const SMALL: &str = r##"
[thresholds]
incident_resolution_hours = 48
hour_approval_days = 7
upcoming_activities_window_days = 30
rectification_grace_days = 0
care_visit_interval_days = 30

[[element]]
code = "residents"
name_zh = "实有人口"
name_en = "Residents"
aggregation = "LAST"
rule = "residents"

[[element]]
code = "volunteers.registered"
name_zh = "注册志愿者数"
name_en = "Registered volunteers"
aggregation = "LAST"
rule = "volunteering"

[[element]]
code = "incidents.resolved"
name_zh = "办结事件数"
name_en = "Incidents resolved"
aggregation = "SUM"
rule = "safety"

[[element]]
code = "incidents.resolved_within_48h"
name_zh = "48小时内办结事件数"
name_en = "Incidents resolved within 48 hours"
aggregation = "SUM"
rule = "safety"

[[indicator]]
code = "safety.on_time"
name_zh = "事件48小时办结率"
name_en = "On-time resolution"
numerator = "#{incidents.resolved_within_48h}"
denominator = "#{incidents.resolved}"
factor = 100
decimals = 1
higher_is_better = true
legend = "pct"

[[legend_set]]
code = "pct"
name_zh = "百分比"
name_en = "Percentage"
[[legend_set.band]]
from = 0
to = 60
colour = "#D7301F"
label_zh = "低"
label_en = "Low"
[[legend_set.band]]
from = 60
to = 80
colour = "#FDAE61"
label_zh = "中"
label_en = "Medium"
[[legend_set.band]]
from = 80
colour = "#1A9850"
label_zh = "高"
label_en = "High"

[[target]]
indicator = "safety.on_time"
year = 2026
level = "community"
value = 90
[target.units]
xingfu = 95

[[alert]]
indicator = "safety.on_time"
op = "<"
value = 80
severity = "warning"
message_zh = "办结率{value}%"
message_en = "On time {value}%"
"##;

/// An indicator entry over [`SMALL`]'s elements.
pub(crate) fn indicator(code: &str, numerator: &str, denominator: &str) -> String {
    format!(
        "\n[[indicator]]\ncode = \"{code}\"\nname_zh = \"指标\"\nname_en = \"Indicator\"\n\
         numerator = \"{numerator}\"\ndenominator = \"{denominator}\"\nfactor = 100\n\
         decimals = 1\nhigher_is_better = true\nlegend = \"pct\"\n"
    )
}

fn parse(text: &str, code: &[DataElement]) -> Result<Catalog, CatalogError> {
    let raw = RawCatalog::from_toml(text, "t.toml")?;
    check(raw, "t.toml", Some(code))
}

/// The problems of a refused catalog, as displayed.
fn problems(text: &str) -> Vec<String> {
    problems_against(text, CODE)
}

fn problems_against(text: &str, code: &[DataElement]) -> Vec<String> {
    match parse(text, code) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => {
            assert!(e.to_string().starts_with("t.toml: "), "{e}");
            e.problems().iter().map(|p| p.to_string()).collect()
        }
    }
}

#[track_caller]
fn refused(text: &str, expected: &str) {
    let problems = problems(text);
    assert!(
        problems.iter().any(|p| p == expected),
        "expected {expected:?} in {problems:#?}"
    );
}

#[test]
fn the_small_catalog_is_accepted() {
    let catalog = parse(SMALL, CODE).unwrap();
    assert_eq!(catalog.elements.len(), 4);
    assert_eq!(
        catalog.indicators[0].numerator.text(),
        "#{incidents.resolved_within_48h}"
    );
    assert_eq!(catalog.legend_sets[0].bands.len(), 3);
    assert_eq!(catalog.targets[0].units.get("xingfu"), Some(&95.0));
    assert_eq!(catalog.alerts[0].op, AlertOp::Lt);
}

#[test]
fn unknown_references_name_the_indicator_and_side() {
    let text = format!(
        "{SMALL}{}",
        indicator("x.y", "#{foo}", "#{residents} + N{nope}")
    );
    refused(
        &text,
        r#"indicator "x.y": numerator: unknown element "foo""#,
    );
    refused(
        &text,
        r#"indicator "x.y": denominator: unknown indicator "nope""#,
    );
}

#[test]
fn bad_expressions_give_the_position() {
    let text = format!("{SMALL}{}", indicator("x.y", "#{residents} *", "1"));
    refused(
        &text,
        r##"indicator "x.y": numerator: at column 15: unexpected end of expression in "#{residents} *""##,
    );
    let text = format!("{SMALL}{}", indicator("x.y", "1", "(#{residents}"));
    refused(
        &text,
        r##"indicator "x.y": denominator: at column 14: '(' at column 1 not closed in "(#{residents}""##,
    );
}

#[test]
fn the_file_and_the_code_must_agree_both_ways() {
    let extra = [CODE, &[crate::catalog::HOUSEHOLDS]].concat();
    let missing = problems_against(SMALL, &extra);
    assert_eq!(
        missing,
        [r#"element "households": in catalog::ELEMENTS but missing from the file"#]
    );
    let unknown = SMALL.replace(r#"code = "residents""#, r#"code = "residents.all""#);
    let problems = problems(&unknown);
    assert!(problems.contains(
        &r#"element "residents.all": not in the projection's catalog (catalog::ELEMENTS)"#.into()
    ));
    assert!(problems.contains(
        &r#"element "residents": in catalog::ELEMENTS but missing from the file"#.into()
    ));
    let sum = SMALL.replacen(r#"aggregation = "LAST""#, r#"aggregation = "SUM""#, 1);
    refused(
        &sum,
        r#"element "residents": aggregation SUM in the file, LAST in catalog::ELEMENTS"#,
    );
    let distinct = SMALL.replacen(r#"aggregation = "LAST""#, r#"aggregation = "DISTINCT""#, 1);
    refused(
        &distinct,
        r#"element "residents": aggregation DISTINCT in the file, LAST in catalog::ELEMENTS"#,
    );
}

#[test]
fn bad_element_fields_are_named() {
    let text = SMALL
        .replacen(r#"aggregation = "LAST""#, r#"aggregation = "AVERAGE""#, 1)
        .replacen(r#"rule = "safety""#, r#"rule = "police""#, 1)
        .replacen(r#"name_zh = "实有人口""#, r#"name_zh = " ""#, 1);
    refused(
        &text,
        r#"element "residents": aggregation "AVERAGE" is not SUM, LAST or DISTINCT"#,
    );
    refused(
        &text,
        r#"element "incidents.resolved": rule "police" is not one of residents, activities, volunteering, safety, reporting"#,
    );
    refused(&text, r#"element "residents": empty name_zh"#);
}

#[test]
fn duplicate_codes_are_refused() {
    let element = "\n[[element]]\ncode = \"residents\"\nname_zh = \"人口\"\nname_en = \"R\"\n\
                   aggregation = \"LAST\"\nrule = \"residents\"\n";
    refused(
        &format!("{SMALL}{element}"),
        r#"element "residents": duplicate code"#,
    );
    let twice = indicator("safety.on_time", "1", "1");
    refused(
        &format!("{SMALL}{twice}"),
        r#"indicator "safety.on_time": duplicate code"#,
    );
    let legend = "\n[[legend_set]]\ncode = \"pct\"\nname_zh = \"百分比\"\nname_en = \"P\"\n\
                  [[legend_set.band]]\nfrom = 0\ncolour = \"#000000\"\nlabel_zh = \"全\"\n\
                  label_en = \"All\"\n";
    refused(
        &format!("{SMALL}{legend}"),
        r#"legend set "pct": duplicate code"#,
    );
    let same_as_element = indicator("residents", "1", "1");
    refused(
        &format!("{SMALL}{same_as_element}"),
        r#"indicator "residents": the code is also an element's code"#,
    );
}

#[test]
fn indicator_cycles_are_named() {
    let text = format!(
        "{SMALL}{}{}{}",
        indicator("a", "N{b}", "1"),
        indicator("b", "#{residents}", "N{a}"),
        indicator("self", "N{self}", "1"),
    );
    let problems = problems(&text);
    assert!(
        problems.contains(&r#"indicator "a": N{} references form a cycle: a → b → a"#.into()),
        "{problems:#?}"
    );
    assert!(
        problems.contains(&r#"indicator "self": N{} references form a cycle: self → self"#.into())
    );
    assert_eq!(problems.len(), 2, "each cycle once: {problems:#?}");
    // References without a cycle are fine, in any file order.
    let chain = format!(
        "{SMALL}{}{}",
        indicator("c", "N{d} * 2", "1"),
        indicator("d", "N{safety.on_time}", "1")
    );
    let catalog = parse(&chain, CODE).unwrap();
    let order: Vec<&str> = catalog
        .order
        .iter()
        .map(|i| catalog.indicators[*i].code.as_str())
        .collect();
    assert_eq!(order, ["safety.on_time", "d", "c"]);
}

#[test]
fn bad_indicator_fields_are_named() {
    let text = SMALL
        .replace("legend = \"pct\"", "legend = \"percent\"")
        .replace("factor = 100", "factor = 0")
        .replace("decimals = 1", "decimals = 11");
    refused(
        &text,
        r#"indicator "safety.on_time": unknown legend set "percent""#,
    );
    refused(&text, r#"indicator "safety.on_time": factor 0"#);
    refused(
        &text,
        r#"indicator "safety.on_time": decimals 11 is more than 10"#,
    );
}

#[test]
fn legend_bands_must_ascend_without_overlap() {
    let overlap = SMALL.replacen("from = 60", "from = 50", 1);
    refused(
        &overlap,
        r#"legend set "pct": band 2: from 50 overlaps band 1 (to 60) or is not ascending"#,
    );
    let descending = SMALL.replacen("from = 80", "from = 10", 1);
    refused(
        &descending,
        r#"legend set "pct": band 3: from 10 overlaps band 2 (to 80) or is not ascending"#,
    );
    let open_early = SMALL.replacen("to = 80\n", "", 1);
    refused(
        &open_early,
        r#"legend set "pct": band 3: follows an open-ended band (no `to`)"#,
    );
    let empty = SMALL.replacen("to = 60", "to = 0", 1);
    refused(
        &empty,
        r#"legend set "pct": band 1: from 0 is not below to 0"#,
    );
    let colour = SMALL.replacen("#FDAE61", "orange", 1);
    refused(
        &colour,
        r#"legend set "pct": band 2: colour "orange" is not #RRGGBB"#,
    );
    let start = SMALL.find("[[legend_set.band]]").unwrap();
    let end = SMALL.find("[[target]]").unwrap();
    let no_bands = format!("{}{}", &SMALL[..start], &SMALL[end..]);
    refused(&no_bands, r#"legend set "pct": no bands"#);
    // Gaps are allowed: a value in one has no band.
    let gap = SMALL.replacen("from = 80", "from = 85", 1);
    let catalog = parse(&gap, CODE).unwrap();
    assert!(catalog.legend_sets[0].band(82.0).is_none());
}

#[test]
fn targets_need_a_known_indicator_and_level_once() {
    let text = SMALL.replacen(r#"level = "community""#, r#"level = "ward""#, 1);
    refused(
        &text,
        r#"target 1 ("safety.on_time", 2026, "ward"): level "ward" is not district, street or community"#,
    );
    let target = |indicator: &str| {
        format!("\n[[target]]\nindicator = \"{indicator}\"\nyear = 2026\nlevel = \"community\"\nvalue = 1\n")
    };
    refused(
        &format!("{SMALL}{}", target("nope")),
        r#"target 2 ("nope", 2026, "community"): unknown indicator "nope""#,
    );
    refused(
        &format!("{SMALL}{}", target("safety.on_time")),
        r#"target 2 ("safety.on_time", 2026, "community"): a second target for the same indicator, year and level"#,
    );
}

#[test]
fn alerts_need_a_known_indicator_operator_and_severity() {
    let text = SMALL
        .replacen(
            r#"indicator = "safety.on_time"
op"#,
            r#"indicator = "safety.late"
op"#,
            1,
        )
        .replacen(r#"op = "<""#, r#"op = "=<""#, 1)
        .replacen(r#"severity = "warning""#, r#"severity = "high""#, 1);
    refused(
        &text,
        r#"alert 1 ("safety.late"): unknown indicator "safety.late""#,
    );
    refused(
        &text,
        r#"alert 1 ("safety.late"): op "=<" is not <, <=, > or >="#,
    );
    refused(
        &text,
        r#"alert 1 ("safety.late"): severity "high" is not info, warning or critical"#,
    );
}

#[test]
fn thresholds_must_all_be_there() {
    let text = SMALL.replace("hour_approval_days = 7\n", "");
    assert_eq!(problems(&text), ["thresholds: missing hour_approval_days"]);
    let zero = SMALL.replace(
        "incident_resolution_hours = 48",
        "incident_resolution_hours = 0",
    );
    assert_eq!(
        problems(&zero),
        ["thresholds: incident_resolution_hours = 0: must be 1 or more"]
    );
    let start = SMALL.find("[thresholds]").unwrap();
    let end = SMALL.find("[[element]]").unwrap();
    let none = format!("{}{}", &SMALL[..start], &SMALL[end..]);
    assert_eq!(problems(&none).len(), 5);
    let typo = SMALL.replace("hour_approval_days", "hours_approval_days");
    let err = parse(&typo, CODE).unwrap_err().to_string();
    assert!(err.contains("unknown field `hours_approval_days`"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!("{SMALL}{}", indicator("x.y", "#{foo}", "1"))
        .replace("rectification_grace_days = 0\n", "")
        .replacen("#FDAE61", "amber", 1);
    let problems = problems(&text);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    let err = parse(&text, CODE).unwrap_err().to_string();
    assert!(err.contains("; "), "{err}");
}

#[test]
fn unit_overrides_are_checked_against_the_org_tree() {
    let tree = OrgTree::demo();
    parse(SMALL, CODE).unwrap().check_units(&tree).unwrap();
    let text = SMALL.replace("xingfu = 95", "huafeng = 95\natlantis = 1");
    let err = parse(&text, CODE).unwrap().check_units(&tree).unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            r#"target 1 ("safety.on_time", 2026, "community"): unknown org unit "atlantis""#,
            r#"target 1 ("safety.on_time", 2026, "community"): org unit "huafeng" is a street, not a community"#,
        ]
    );
}

/// The rules' thresholds are code (the element codes name them): a catalog that says
/// otherwise is refused rather than silently disagreeing with the counts.
#[test]
fn rule_thresholds_must_be_the_rules_own() {
    let shipped = crate::indicators::SHIPPED_TOML;
    let changed = shipped.replace(
        "incident_resolution_hours = 48",
        "incident_resolution_hours = 72",
    );
    assert_ne!(changed, shipped, "the shipped catalog states 48 h");
    let err = crate::indicators::Catalog::parse(&changed, "test").unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "thresholds: incident_resolution_hours = 72: the rules of this build count 48"
        ),
        "{problems:?}"
    );
}
