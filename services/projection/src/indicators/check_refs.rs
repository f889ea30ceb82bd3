//! The checks of the entries that reference others: indicators (their expressions,
//! what those reference, `N{…}` cycles and legend sets), targets and alerts. A child
//! of [`check`](super) so it shares its [`Checker`].

use std::collections::{BTreeMap, BTreeSet};

use super::{entry, parse_level, raw_target_entry, Checker};
use crate::indicators::expr::{Expr, Ref};
use crate::indicators::file::{RawAlert, RawIndicator, RawTarget};
use crate::indicators::model::{Alert, AlertOp, Indicator, LegendSet, Severity, Target};

/// Most decimals an indicator may ask for.
const MAX_DECIMALS: u32 = 10;

impl Checker {
    pub(super) fn indicators(
        &mut self,
        raw: Vec<RawIndicator>,
        elements: &BTreeSet<String>,
        legend_sets: &[LegendSet],
    ) -> Vec<Indicator> {
        let codes: BTreeSet<&str> = raw.iter().map(|i| i.code.as_str()).collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for i in &raw {
            if !self.unique(&mut seen, "indicator", &i.code) {
                continue;
            }
            let at = entry("indicator", &i.code);
            self.non_empty(&at, &[("name_zh", &i.name_zh), ("name_en", &i.name_en)]);
            if elements.contains(&i.code) {
                self.problem(at.clone(), "the code is also an element's code");
            }
            let numerator = self.expr(&at, "numerator", &i.numerator, elements, &codes);
            let denominator = self.expr(&at, "denominator", &i.denominator, elements, &codes);
            if self.finite(&at, "factor", i.factor) && i.factor == 0.0 {
                self.problem(at.clone(), "factor 0");
            }
            if i.decimals > MAX_DECIMALS {
                let msg = format!("decimals {} is more than {MAX_DECIMALS}", i.decimals);
                self.problem(at.clone(), msg);
            }
            if !legend_sets.iter().any(|l| l.code == i.legend) {
                self.problem(at.clone(), format!("unknown legend set {:?}", i.legend));
            }
            if let (Some(numerator), Some(denominator)) = (numerator, denominator) {
                out.push(Indicator {
                    code: i.code.clone(),
                    name_zh: i.name_zh.clone(),
                    name_en: i.name_en.clone(),
                    numerator,
                    denominator,
                    factor: i.factor,
                    decimals: i.decimals,
                    annualized: i.annualized,
                    higher_is_better: i.higher_is_better,
                    legend: i.legend.clone(),
                    description: i.description.clone(),
                });
            }
        }
        out
    }

    /// Parses one side of an indicator and checks what it references.
    fn expr(
        &mut self,
        at: &str,
        side: &str,
        text: &str,
        elements: &BTreeSet<String>,
        indicators: &BTreeSet<&str>,
    ) -> Option<Expr> {
        let expr = match Expr::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                self.problem(at.to_owned(), format!("{side}: {e} in {text:?}"));
                return None;
            }
        };
        for r in expr.refs() {
            let unknown = match r {
                Ref::Element(c) if !elements.contains(c) => {
                    format!("unknown element {c:?}")
                }
                Ref::Indicator(c) if !indicators.contains(c.as_str()) => {
                    format!("unknown indicator {c:?}")
                }
                _ => continue,
            };
            self.problem(at.to_owned(), format!("{side}: {unknown}"));
        }
        Some(expr)
    }

    /// An evaluation order with every indicator after the ones it references; refuses
    /// cycles, naming each once.
    pub(super) fn order(&mut self, indicators: &[Indicator]) -> Vec<usize> {
        let index: BTreeMap<&str, usize> = indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.code.as_str(), i))
            .collect();
        let deps: Vec<Vec<usize>> = indicators
            .iter()
            .map(|ind| {
                let refs = ind.numerator.refs().iter().chain(ind.denominator.refs());
                refs.filter_map(|r| match r {
                    Ref::Indicator(c) => index.get(c.as_str()).copied(),
                    Ref::Element(_) => None,
                })
                .collect()
            })
            .collect();
        let mut state = vec![Visit::New; indicators.len()];
        let mut order = Vec::with_capacity(indicators.len());
        for start in 0..indicators.len() {
            let mut path = Vec::new();
            if let Some(cycle) = visit(start, &deps, &mut state, &mut path, &mut order) {
                let names: Vec<&str> = cycle.iter().map(|i| indicators[*i].code.as_str()).collect();
                let msg = format!("N{{}} references form a cycle: {}", names.join(" → "));
                self.problem(entry("indicator", names[0]), msg);
            }
        }
        order
    }

    pub(super) fn targets(
        &mut self,
        raw: Vec<RawTarget>,
        declared: &BTreeSet<String>,
    ) -> Vec<Target> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, t) in raw.into_iter().enumerate() {
            let at = raw_target_entry(i, &t.indicator, t.year, &t.level);
            if !declared.contains(&t.indicator) {
                self.problem(at.clone(), format!("unknown indicator {:?}", t.indicator));
            }
            let level = parse_level(&t.level);
            if level.is_none() {
                let msg = format!("level {:?} is not district, street or community", t.level);
                self.problem(at.clone(), msg);
            }
            if !seen.insert((t.indicator.clone(), t.year, t.level.clone())) {
                self.problem(
                    at.clone(),
                    "a second target for the same indicator, year and level",
                );
            }
            let mut finite = self.finite(&at, "value", t.value);
            for (unit, value) in &t.units {
                finite &= self.finite(&at, &format!("units.{unit}"), *value);
            }
            if let (Some(level), true) = (level, finite) {
                out.push(Target {
                    indicator: t.indicator,
                    year: t.year,
                    level,
                    value: t.value,
                    units: t.units,
                });
            }
        }
        out
    }

    pub(super) fn alerts(&mut self, raw: Vec<RawAlert>, declared: &BTreeSet<String>) -> Vec<Alert> {
        let mut out = Vec::new();
        for (i, a) in raw.into_iter().enumerate() {
            let at = format!("alert {} ({:?})", i + 1, a.indicator);
            if !declared.contains(&a.indicator) {
                self.problem(at.clone(), format!("unknown indicator {:?}", a.indicator));
            }
            self.non_empty(
                &at,
                &[("message_zh", &a.message_zh), ("message_en", &a.message_en)],
            );
            let op = [AlertOp::Lt, AlertOp::Le, AlertOp::Gt, AlertOp::Ge]
                .into_iter()
                .find(|op| op.as_str() == a.op);
            if op.is_none() {
                self.problem(at.clone(), format!("op {:?} is not <, <=, > or >=", a.op));
            }
            let severity = [Severity::Info, Severity::Warning, Severity::Critical]
                .into_iter()
                .find(|s| s.as_str() == a.severity);
            if severity.is_none() {
                let msg = format!("severity {:?} is not info, warning or critical", a.severity);
                self.problem(at.clone(), msg);
            }
            if let (Some(op), Some(severity), true) =
                (op, severity, self.finite(&at, "value", a.value))
            {
                out.push(Alert {
                    indicator: a.indicator,
                    op,
                    value: a.value,
                    severity,
                    message_zh: a.message_zh,
                    message_en: a.message_en,
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnPath,
    Done,
}

/// Depth-first from `node`: appends finished nodes to `order`; returns the first cycle
/// met (its nodes, the first repeated at the end), after which its nodes count as done.
fn visit(
    node: usize,
    deps: &[Vec<usize>],
    state: &mut [Visit],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    match state[node] {
        Visit::Done => return None,
        Visit::OnPath => {
            let from = path.iter().position(|n| *n == node).unwrap_or(0);
            let mut cycle = path[from..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        Visit::New => {}
    }
    state[node] = Visit::OnPath;
    path.push(node);
    let mut found = None;
    for &dep in &deps[node] {
        found = visit(dep, deps, state, path, order);
        if found.is_some() {
            break;
        }
    }
    path.pop();
    state[node] = Visit::Done;
    if found.is_none() {
        order.push(node);
    }
    found
}
