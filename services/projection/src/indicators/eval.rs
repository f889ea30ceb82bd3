//! Indicator evaluation with DHIS2 semantics, for one org unit and period.
//!
//! - **Ratio of sums.** An indicator at a unit is `numerator / denominator × factor`,
//!   both expressions evaluated over the element values SUMMED across the unit's
//!   communities: a street's show-up rate is its attended over its registered, never
//!   the mean of its communities' rates (a 10-person community would weigh as much as
//!   a 1,000-person one).
//! - **No value, not NaN.** A zero denominator, a division by zero inside an
//!   expression, or a non-finite result gives no value, with the reason ([`NoValue`]).
//!   An element missing from a community's values counts as 0, as the projection
//!   stores no row for "nothing happened".
//! - **DISTINCT elements are counted per unit.** Unique persons across units cannot be
//!   summed from per-community counts: a unit's value is its own row in the values
//!   ([`Catalog::unit_values`]; the projection counts the persons across the unit's
//!   communities). Without one an indicator over it gets [`NoValue::Distinct`], never
//!   a sum standing in for it.
//! - **`N{indicator}`** references use the other indicator's unrounded value at the same
//!   unit and period; if it has none, neither has this one ([`NoValue::Indicator`]).
//! - **Annualized** indicators are scaled to a year ([`annualization_factor`]).
//! - Targets are looked up for the year of the period's last day.
//!
//! Rounding to the indicator's decimals happens last; legend bands, targets, trends and
//! alerts use the rounded value, as a reader of the dashboard would.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate};
use civitas_platform::org::OrgLevel;

use super::assess::{achievement, trend, Achievement, FiredAlert, Trend};
use super::expr::{Expr, Ref};
use super::model::{Band, Catalog, ElementAggregation, Indicator, ResolvedTarget};
use crate::period::Period;

/// Element values per community: community code → element code → value.
pub type PerCommunity = BTreeMap<String, BTreeMap<String, f64>>;

/// Why an indicator has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoValue {
    /// The denominator is 0 (e.g. a show-up rate with nobody registered).
    #[error("the denominator is 0")]
    ZeroDenominator,
    /// The numerator or denominator is undefined: a division by zero inside it, or
    /// a result too large to represent.
    #[error("the {0} is undefined (a division by zero or an overflow)")]
    Undefined(&'static str),
    /// The indicator uses a DISTINCT element whose count for the unit was not read
    /// (it cannot be summed over communities).
    #[error("element {0:?} is DISTINCT and was not counted for this unit")]
    Distinct(String),
    /// A referenced indicator has no value.
    #[error("indicator {0:?} has no value")]
    Indicator(String),
}

/// An indicator's raw result: numerator and denominator as evaluated, and the value
/// `numerator / denominator × factor` (× the annualization factor), unrounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Result<f64, NoValue>,
}

/// The unit an evaluation is for.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Org-unit code (for targets' unit overrides).
    pub unit: &'a str,
    pub level: OrgLevel,
    /// The communities under the unit (the unit itself for a community).
    pub communities: &'a [String],
}

/// Everything about one indicator at one unit and period.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub code: String,
    /// Rounded to the indicator's decimals; `None` with the reason in `no_value`.
    pub value: Option<f64>,
    pub no_value: Option<NoValue>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub target: Option<ResolvedTarget>,
    /// Of the value against the target (see [`achievement`]).
    pub achievement: Option<Achievement>,
    /// The legend band the value falls in.
    pub band: Option<Band>,
    /// Against the previous period's value, when one was given and both have values.
    pub trend: Option<Trend>,
}

/// An org unit's indicators for a period, in catalog order, and the alerts they fire.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitEvaluation {
    pub unit: String,
    pub level: OrgLevel,
    /// The target year: the year of the period's last day.
    pub year: i32,
    pub indicators: Vec<IndicatorValue>,
    pub alerts: Vec<FiredAlert>,
}

/// Sums the element values of `communities` element by element; a community without
/// values adds nothing.
pub fn unit_sums(per_community: &PerCommunity, communities: &[String]) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for values in communities.iter().filter_map(|c| per_community.get(c)) {
        for (element, value) in values {
            *out.entry(element.clone()).or_default() += value;
        }
    }
    out
}

/// How much a period's value is scaled to read as a year's (DHIS2 annualization):
/// 12 for a calendar month, 4 for a quarter, 12/n for n whole calendar months,
/// otherwise 365 divided by the days in the period.
pub fn annualization_factor(period: &Period) -> f64 {
    match whole_months(period) {
        Some(months) => 12.0 / f64::from(months),
        None => 365.0 / ((period.last - period.first).num_days() + 1) as f64,
    }
}

/// How many calendar months `period` covers exactly, if it starts on a month's first
/// day and ends on a month's last.
fn whole_months(period: &Period) -> Option<u32> {
    let next_day = period.last.succ_opt()?;
    if period.first.day() != 1 || next_day.day() != 1 {
        return None;
    }
    let months = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
    let n = u32::try_from(months(next_day) - months(period.first)).ok()?;
    (n > 0 && period.first.checked_add_months(Months::new(n)) == Some(next_day)).then_some(n)
}

/// `value` rounded to `decimals` places (half away from zero), without a negative zero.
pub fn round(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals.min(15) as i32);
    let rounded = (value * scale).round() / scale;
    if rounded == 0.0 {
        0.0
    } else {
        rounded
    }
}

impl Catalog {
    /// A unit's element values: the sums of its communities', except the DISTINCT
    /// elements, which are taken from the unit's own row in `per_community` (persons
    /// counted once across the unit) or left out, so an indicator over one has no
    /// value rather than a sum of persons counted twice.
    pub fn unit_values(
        &self,
        per_community: &PerCommunity,
        scope: &Scope<'_>,
    ) -> BTreeMap<String, f64> {
        let mut values = unit_sums(per_community, scope.communities);
        let own = per_community.get(scope.unit);
        for e in &self.elements {
            if e.aggregation == ElementAggregation::Distinct {
                match own.and_then(|own| own.get(&e.code)) {
                    Some(v) => values.insert(e.code.clone(), *v),
                    None => values.remove(&e.code),
                };
            }
        }
        values
    }

    /// Every indicator's raw result over element `sums` (one unit's, see [`unit_sums`])
    /// for `period`, by indicator code.
    pub fn compute(
        &self,
        sums: &BTreeMap<String, f64>,
        period: &Period,
    ) -> BTreeMap<String, Computed> {
        let distinct: BTreeSet<&str> = self
            .elements
            .iter()
            .filter(|e| e.aggregation == ElementAggregation::Distinct)
            .map(|e| e.code.as_str())
            .collect();
        let annual = annualization_factor(period);
        let mut out: BTreeMap<String, Computed> = BTreeMap::new();
        for &i in &self.order {
            let Some(indicator) = self.indicators.get(i) else {
                continue;
            };
            let lookup = |r: &Ref| -> Result<f64, NoValue> {
                match r {
                    Ref::Element(c) if distinct.contains(c.as_str()) => sums
                        .get(c)
                        .copied()
                        .ok_or_else(|| NoValue::Distinct(c.clone())),
                    Ref::Element(c) => Ok(sums.get(c).copied().unwrap_or(0.0)),
                    Ref::Indicator(c) => match out.get(c).map(|r| &r.value) {
                        Some(Ok(v)) => Ok(*v),
                        _ => Err(NoValue::Indicator(c.clone())),
                    },
                }
            };
            let computed = compute_one(indicator, &lookup, annual);
            out.insert(indicator.code.clone(), computed);
        }
        out
    }

    /// Every indicator at `scope` for `period` from the communities' element values,
    /// with targets, achievement, legend band, the trend against `previous` (another
    /// period and its values, usually the one before) and the alerts fired.
    pub fn evaluate(
        &self,
        scope: &Scope<'_>,
        period: &Period,
        current: &PerCommunity,
        previous: Option<(&Period, &PerCommunity)>,
    ) -> UnitEvaluation {
        let year = period.last.year();
        let now = self.compute(&self.unit_values(current, scope), period);
        let before = previous.map(|(p, values)| self.compute(&self.unit_values(values, scope), p));
        let indicators: Vec<IndicatorValue> = self
            .indicators
            .iter()
            .map(|ind| {
                let earlier = before.as_ref().and_then(|b| b.get(&ind.code));
                self.assess(ind, now.get(&ind.code), earlier, scope, year)
            })
            .collect();
        let rounded: BTreeMap<String, f64> = indicators
            .iter()
            .filter_map(|v| Some((v.code.clone(), v.value?)))
            .collect();
        UnitEvaluation {
            unit: scope.unit.to_owned(),
            level: scope.level,
            year,
            indicators,
            alerts: self.alerts_for(&rounded),
        }
    }

    fn assess(
        &self,
        ind: &Indicator,
        computed: Option<&Computed>,
        previous: Option<&Computed>,
        scope: &Scope<'_>,
        year: i32,
    ) -> IndicatorValue {
        let (value, no_value) = match computed.map(|c| &c.value) {
            Some(Ok(v)) => (Some(round(*v, ind.decimals)), None),
            Some(Err(e)) => (None, Some(e.clone())),
            None => (None, Some(NoValue::Indicator(ind.code.clone()))),
        };
        let target = self.target(&ind.code, year, scope.level, scope.unit);
        let previous = previous.and_then(|p| p.value.as_ref().ok());
        IndicatorValue {
            code: ind.code.clone(),
            value,
            no_value,
            numerator: computed.and_then(|c| c.numerator),
            denominator: computed.and_then(|c| c.denominator),
            achievement: value
                .zip(target.as_ref())
                .map(|(v, t)| achievement(ind.higher_is_better, v, t.value)),
            target,
            band: value
                .zip(self.legend_set(&ind.legend))
                .and_then(|(v, legend)| legend.band(v).cloned()),
            trend: value.zip(previous).map(|(v, p)| {
                trend(
                    ind.higher_is_better,
                    v,
                    round(*p, ind.decimals),
                    ind.decimals,
                )
            }),
        }
    }
}

fn compute_one(
    ind: &Indicator,
    lookup: &dyn Fn(&Ref) -> Result<f64, NoValue>,
    annual: f64,
) -> Computed {
    let side = |expr: &Expr| expr.eval(lookup);
    let (numerator, denominator) = match (side(&ind.numerator), side(&ind.denominator)) {
        (Err(e), _) | (_, Err(e)) => {
            return Computed {
                numerator: None,
                denominator: None,
                value: Err(e),
            }
        }
        (Ok(n), Ok(d)) => (n, d),
    };
    let factor = if ind.annualized {
        ind.factor * annual
    } else {
        ind.factor
    };
    let value = match (numerator, denominator) {
        (_, Some(0.0)) => Err(NoValue::ZeroDenominator),
        (None, _) => Err(NoValue::Undefined("numerator")),
        (_, None) => Err(NoValue::Undefined("denominator")),
        (Some(n), Some(d)) => Some(n / d * factor)
            .filter(|v| v.is_finite())
            .ok_or(NoValue::Undefined("value")),
    };
    Computed {
        numerator,
        denominator,
        value,
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
