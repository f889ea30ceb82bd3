//! The catalog check: turns the raw file into a [`Catalog`] or refuses it with every
//! problem found, each naming its entry (`indicator "x.y": numerator: unknown element
//! "foo"`), so a hand-edited file is fixed in one round.
//!
//! Refused: duplicate codes; elements that disagree with [`crate::catalog::ELEMENTS`]
//! (either way, or in aggregation); expressions that do not parse or reference unknown
//! elements or indicators; `N{…}` cycles (the cycle is named); unknown legend sets;
//! bands that are empty, overlap or are not ascending, or have a bad colour; targets
//! and alerts on unknown indicators or with a bad level, operator or severity;
//! missing or out-of-range thresholds; non-finite numbers; standards that are not the
//! plan's eight, or whose pass mark, indicators, weights or reasons are wrong
//! (`check_standards.rs`).

use std::collections::BTreeSet;
use std::fmt;

use civitas_platform::org::{OrgLevel, OrgTree};

use super::file::{CatalogError, RawBand, RawCatalog, RawElement, RawLegendSet, RawThresholds};
use super::model::{
    Band, Catalog, Element, ElementAggregation, LegendSet, Rule, Target, Thresholds,
};
use crate::catalog::{Aggregation, DataElement};

/// One thing wrong with a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The entry, e.g. `indicator "activities.show_up_rate"`.
    pub entry: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.message)
    }
}

/// Checks `raw`; with `code`, its elements must agree with those both ways.
pub(crate) fn check(
    raw: RawCatalog,
    source: &str,
    code: Option<&[DataElement]>,
) -> Result<Catalog, CatalogError> {
    let mut c = Checker::default();
    // Codes as declared, so that an entry refused for another reason is not also
    // reported as unknown wherever it is referenced.
    let declared: BTreeSet<String> = raw.indicator.iter().map(|i| i.code.clone()).collect();
    let element_codes: BTreeSet<String> = raw.element.iter().map(|e| e.code.clone()).collect();
    let thresholds = c.thresholds(raw.thresholds);
    let elements = c.elements(raw.element);
    if let Some(code) = code {
        c.agreement(&elements, code);
        c.rule_thresholds(&thresholds);
    }
    let legend_sets = c.legend_sets(raw.legend_set);
    let indicators = c.indicators(raw.indicator, &element_codes, &legend_sets);
    let order = c.order(&indicators);
    let targets = c.targets(raw.target, &declared);
    let alerts = c.alerts(raw.alert, &declared);
    let standards = c.standards(raw.standard, &declared);
    if !c.problems.is_empty() {
        return Err(CatalogError::Invalid {
            file: source.to_owned(),
            problems: c.problems,
        });
    }
    Ok(Catalog {
        source: source.to_owned(),
        thresholds,
        elements,
        indicators,
        legend_sets,
        targets,
        alerts,
        standards,
        order,
    })
}

impl Catalog {
    /// Checks the catalog's unit overrides against an org tree: every `[target.units]`
    /// code must be a unit of the target's level.
    pub fn check_units(&self, tree: &OrgTree) -> Result<(), CatalogError> {
        let mut c = Checker::default();
        for (i, t) in self.targets.iter().enumerate() {
            for code in t.units.keys() {
                match tree.unit(code) {
                    None => c.problem(target_entry(i, t), format!("unknown org unit {code:?}")),
                    Some(u) if u.level != t.level => c.problem(
                        target_entry(i, t),
                        format!("org unit {code:?} is a {}, not a {}", u.level, t.level),
                    ),
                    Some(_) => {}
                }
            }
        }
        match c.problems.is_empty() {
            true => Ok(()),
            false => Err(CatalogError::Invalid {
                file: self.source.clone(),
                problems: c.problems,
            }),
        }
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

fn entry(kind: &str, code: &str) -> String {
    format!("{kind} {code:?}")
}

fn target_entry(i: usize, t: &Target) -> String {
    let level = t.level.to_string();
    raw_target_entry(i, &t.indicator, t.year, &level)
}

fn raw_target_entry(i: usize, indicator: &str, year: i32, level: &str) -> String {
    format!("target {} ({indicator:?}, {year}, {level:?})", i + 1)
}

/// The org-unit level named in a target.
pub(crate) fn parse_level(level: &str) -> Option<OrgLevel> {
    match level {
        "district" => Some(OrgLevel::District),
        "street" => Some(OrgLevel::Street),
        "community" => Some(OrgLevel::Community),
        _ => None,
    }
}

impl Checker {
    fn problem(&mut self, entry: String, message: impl Into<String>) {
        self.problems.push(Problem {
            entry,
            message: message.into(),
        });
    }

    /// Refuses codes seen before (and empty ones); true if `code` is new.
    fn unique(&mut self, seen: &mut BTreeSet<String>, kind: &str, code: &str) -> bool {
        if code.is_empty() {
            self.problem(kind.to_owned(), "empty code");
            return false;
        }
        if !seen.insert(code.to_owned()) {
            self.problem(entry(kind, code), "duplicate code");
            return false;
        }
        true
    }

    fn non_empty(&mut self, at: &str, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            if value.trim().is_empty() {
                self.problem(at.to_owned(), format!("empty {name}"));
            }
        }
    }

    fn finite(&mut self, at: &str, name: &str, value: f64) -> bool {
        if !value.is_finite() {
            self.problem(
                at.to_owned(),
                format!("{name} {value} is not a finite number"),
            );
        }
        value.is_finite()
    }

    fn thresholds(&mut self, raw: Option<RawThresholds>) -> Thresholds {
        let raw = raw.unwrap_or(RawThresholds {
            incident_resolution_hours: None,
            hour_approval_days: None,
            upcoming_activities_window_days: None,
            rectification_grace_days: None,
            care_visit_interval_days: None,
        });
        Thresholds {
            incident_resolution_hours: self.threshold(
                "incident_resolution_hours",
                raw.incident_resolution_hours,
                1,
            ),
            hour_approval_days: self.threshold("hour_approval_days", raw.hour_approval_days, 1),
            upcoming_activities_window_days: self.threshold(
                "upcoming_activities_window_days",
                raw.upcoming_activities_window_days,
                1,
            ),
            rectification_grace_days: self.threshold(
                "rectification_grace_days",
                raw.rectification_grace_days,
                0,
            ),
            care_visit_interval_days: self.threshold(
                "care_visit_interval_days",
                raw.care_visit_interval_days,
                1,
            ),
        }
    }

    /// The thresholds the rules of this build derive elements with must be the file's:
    /// the element codes name them (`incidents.resolved_within_48h`), and facts already
    /// derived were counted with them, so changing one is a code change and a rebuild,
    /// not a catalog edit.
    fn rule_thresholds(&mut self, thresholds: &Thresholds) {
        use crate::catalog::{HOUR_APPROVAL_DAYS, INCIDENT_RESOLUTION_HOURS};
        let compiled = [
            (
                "incident_resolution_hours",
                thresholds.incident_resolution_hours,
                INCIDENT_RESOLUTION_HOURS,
            ),
            (
                "hour_approval_days",
                thresholds.hour_approval_days,
                HOUR_APPROVAL_DAYS,
            ),
        ];
        for (name, file, rules) in compiled {
            if file != 0 && file != rules {
                self.problem(
                    "thresholds".to_owned(),
                    format!(
                        "{name} = {file}: the rules of this build count {rules} (the element codes \
                         name it); another value needs new elements and a rebuild"
                    ),
                );
            }
        }
    }

    fn threshold(&mut self, name: &str, value: Option<i64>, min: i64) -> u32 {
        let at = || "thresholds".to_owned();
        match value.map(|v| (v, u32::try_from(v))) {
            None => self.problem(at(), format!("missing {name}")),
            Some((v, Ok(ok))) if v >= min => return ok,
            Some((v, _)) => self.problem(at(), format!("{name} = {v}: must be {min} or more")),
        }
        0
    }

    fn elements(&mut self, raw: Vec<RawElement>) -> Vec<Element> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for e in raw {
            if !self.unique(&mut seen, "element", &e.code) {
                continue;
            }
            let at = entry("element", &e.code);
            self.non_empty(&at, &[("name_zh", &e.name_zh), ("name_en", &e.name_en)]);
            let aggregation = match e.aggregation.as_str() {
                "SUM" => Some(ElementAggregation::Sum),
                "LAST" => Some(ElementAggregation::Last),
                "DISTINCT" => Some(ElementAggregation::Distinct),
                other => {
                    let msg = format!("aggregation {other:?} is not SUM, LAST or DISTINCT");
                    self.problem(at.clone(), msg);
                    None
                }
            };
            let rule = Rule::ALL.into_iter().find(|r| r.as_str() == e.rule);
            if rule.is_none() {
                let names: Vec<_> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                let msg = format!("rule {:?} is not one of {}", e.rule, names.join(", "));
                self.problem(at, msg);
            }
            if let (Some(aggregation), Some(rule)) = (aggregation, rule) {
                out.push(Element {
                    code: e.code,
                    name_zh: e.name_zh,
                    name_en: e.name_en,
                    aggregation,
                    rule,
                });
            }
        }
        out
    }

    /// The file's elements and the code's, both ways, with the same aggregation.
    fn agreement(&mut self, elements: &[Element], code: &[DataElement]) {
        for e in elements {
            let Some(c) = code.iter().find(|c| c.code == e.code) else {
                let msg = "not in the projection's catalog (catalog::ELEMENTS)";
                self.problem(entry("element", &e.code), msg);
                continue;
            };
            let in_code = match c.aggregation {
                Aggregation::Sum => ElementAggregation::Sum,
                Aggregation::Last => ElementAggregation::Last,
                Aggregation::Distinct => ElementAggregation::Distinct,
            };
            if e.aggregation != in_code {
                let msg = format!(
                    "aggregation {} in the file, {in_code} in catalog::ELEMENTS",
                    e.aggregation
                );
                self.problem(entry("element", &e.code), msg);
            }
        }
        for c in code {
            if !elements.iter().any(|e| e.code == c.code) {
                let msg = "in catalog::ELEMENTS but missing from the file";
                self.problem(entry("element", c.code), msg);
            }
        }
    }

    fn legend_sets(&mut self, raw: Vec<RawLegendSet>) -> Vec<LegendSet> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for l in raw {
            if !self.unique(&mut seen, "legend set", &l.code) {
                continue;
            }
            let at = entry("legend set", &l.code);
            self.non_empty(&at, &[("name_zh", &l.name_zh), ("name_en", &l.name_en)]);
            let bands = self.bands(&at, l.band);
            out.push(LegendSet {
                code: l.code,
                name_zh: l.name_zh,
                name_en: l.name_en,
                bands,
            });
        }
        out
    }

    fn bands(&mut self, at: &str, raw: Vec<RawBand>) -> Vec<Band> {
        if raw.is_empty() {
            self.problem(at.to_owned(), "no bands");
        }
        let mut previous_to: Option<Option<f64>> = None;
        let mut out = Vec::new();
        for (i, b) in raw.into_iter().enumerate() {
            let band_at = format!("{at}: band {}", i + 1);
            let finite = self.finite(&band_at, "from", b.from)
                & b.to.is_none_or(|to| self.finite(&band_at, "to", to));
            self.non_empty(
                &band_at,
                &[("label_zh", &b.label_zh), ("label_en", &b.label_en)],
            );
            if !is_colour(&b.colour) {
                let msg = format!("colour {:?} is not #RRGGBB", b.colour);
                self.problem(band_at.clone(), msg);
            }
            if let Some(to) = b.to.filter(|to| *to <= b.from) {
                self.problem(
                    band_at.clone(),
                    format!("from {} is not below to {to}", b.from),
                );
            }
            match previous_to {
                Some(None) => self.problem(band_at, "follows an open-ended band (no `to`)"),
                Some(Some(to)) if b.from < to => self.problem(
                    band_at,
                    format!(
                        "from {} overlaps band {} (to {to}) or is not ascending",
                        b.from, i
                    ),
                ),
                _ => {}
            }
            previous_to = Some(b.to);
            if finite {
                out.push(Band {
                    from: b.from,
                    to: b.to,
                    colour: b.colour,
                    label_zh: b.label_zh,
                    label_en: b.label_en,
                });
            }
        }
        out
    }
}

fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[path = "check_refs.rs"]
mod refs;

#[path = "check_standards.rs"]
mod standards;

#[cfg(test)]
#[path = "check_tests.rs"]
pub(crate) mod tests;
