//! The checked catalog: what `deploy/kpi/catalog.toml` says once [`check`](super::check)
//! has accepted it, with lookups by code.
//!
//! Every reference in a [`Catalog`] resolves (elements, indicators, legend sets), so
//! evaluation never meets an unknown code. The types mirror the file's tables; the raw
//! serde structs stay in [`file`](super::file).

use std::collections::BTreeMap;
use std::fmt;

use civitas_platform::org::OrgLevel;

use super::expr::Expr;

/// How a period's value of an element is read, as in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementAggregation {
    /// A flow: the sum of the deltas within the period.
    Sum,
    /// A stock: the value at the end of the period.
    Last,
    /// Unique persons across the units summed (a person active in two communities
    /// counts once for their street). Needs person-level facts the projection does
    /// not keep yet: no shipped element uses it, and evaluating one gives
    /// [`NoValue::Distinct`](super::eval::NoValue::Distinct).
    Distinct,
}

impl ElementAggregation {
    /// The DHIS2 name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            ElementAggregation::Sum => "SUM",
            ElementAggregation::Last => "LAST",
            ElementAggregation::Distinct => "DISTINCT",
        }
    }
}

impl fmt::Display for ElementAggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The projection rule that derives an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Residents,
    Activities,
    Volunteering,
    Safety,
    Reporting,
}

impl Rule {
    /// Every rule, in the order the file uses.
    pub const ALL: [Rule; 5] = [
        Rule::Residents,
        Rule::Activities,
        Rule::Volunteering,
        Rule::Safety,
        Rule::Reporting,
    ];

    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Residents => "residents",
            Rule::Activities => "activities",
            Rule::Volunteering => "volunteering",
            Rule::Safety => "safety",
            Rule::Reporting => "reporting",
        }
    }
}

/// One data element as the file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub aggregation: ElementAggregation,
    pub rule: Rule,
}

/// One indicator: `numerator / denominator * factor`, rounded to `decimals`.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub numerator: Expr,
    pub denominator: Expr,
    pub factor: f64,
    pub decimals: u32,
    /// DHIS2 `annualized`: the value is scaled to a year (see
    /// [`annualization_factor`](super::eval::annualization_factor)).
    pub annualized: bool,
    pub higher_is_better: bool,
    /// Code of the indicator's [`LegendSet`].
    pub legend: String,
    pub description: Option<String>,
}

/// A legend set: bands that colour and label a value.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendSet {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Ascending and not overlapping; gaps are allowed (a value in one has no band).
    pub bands: Vec<Band>,
}

/// One band of a legend set: `from <= value < to` (DHIS2), `to` `None` for open-ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub from: f64,
    pub to: Option<f64>,
    /// `#RRGGBB`.
    pub colour: String,
    pub label_zh: String,
    pub label_en: String,
}

impl Band {
    /// Whether `value` falls in this band.
    pub fn contains(&self, value: f64) -> bool {
        self.from <= value && self.to.is_none_or(|to| value < to)
    }
}

impl LegendSet {
    /// The band `value` falls in, if any.
    pub fn band(&self, value: f64) -> Option<&Band> {
        self.bands.iter().find(|b| b.contains(value))
    }
}

/// A target of an indicator for a year at one org-unit level.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub indicator: String,
    pub year: i32,
    pub level: OrgLevel,
    /// The target of every unit at `level` without an override.
    pub value: f64,
    /// Org-unit code → its own target.
    pub units: BTreeMap<String, f64>,
}

/// How an alert compares an indicator's value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl AlertOp {
    /// The operator as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertOp::Lt => "<",
            AlertOp::Le => "<=",
            AlertOp::Gt => ">",
            AlertOp::Ge => ">=",
        }
    }

    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            AlertOp::Lt => value < threshold,
            AlertOp::Le => value <= threshold,
            AlertOp::Gt => value > threshold,
            AlertOp::Ge => value >= threshold,
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A threshold rule on an indicator's value. Messages may contain `{value}` and
/// `{threshold}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub indicator: String,
    pub op: AlertOp,
    pub value: f64,
    pub severity: Severity,
    pub message_zh: String,
    pub message_en: String,
}

/// The thresholds the projection rules and worklists use (`[thresholds]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Resolutions within this many hours of the report are on time (48).
    pub incident_resolution_hours: u32,
    /// Approvals within this many days of submission are timely (7).
    pub hour_approval_days: u32,
    /// ListUpcomingActivities' default window, in days (30).
    pub upcoming_activities_window_days: u32,
    /// Days after its deadline an open rectification becomes overdue (0).
    pub rectification_grace_days: u32,
    /// Days without a visit after which a resident on a care register is due (30).
    pub care_visit_interval_days: u32,
}

/// One of the eight standards of the 创建实施方案 (具体目标 (1)–(8)), as the file's
/// `[[standard]]` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    /// 1 to 8, as the plan numbers it.
    pub number: u8,
    pub name_zh: String,
    pub name_en: String,
    /// The score (0–100) that passes the standard.
    pub pass_mark: f64,
    pub measure: Measure,
}

/// How a standard is scored.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// From these indicators (at least one, every weight above 0), in file order.
    Indicators(Vec<StandardIndicator>),
    /// Nothing records its data yet (`measurable = false`): why, in both languages.
    NotMeasurable {
        reason_zh: String,
        reason_en: String,
    },
}

/// An indicator a standard is scored from, and its weight in the standard's score.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardIndicator {
    /// An indicator of the catalog.
    pub code: String,
    /// Above 0.
    pub weight: f64,
}

/// A checked catalog. Built by [`Catalog::parse`], [`Catalog::load`] or
/// [`Catalog::shipped`].
#[derive(Debug, Clone, PartialEq)]
///
/// Read-only: the fields are reached through accessors so that nothing outside the
/// check can add an entry it has not checked.
pub struct Catalog {
    /// Where it was read from, for messages.
    pub(crate) source: String,
    pub(crate) thresholds: Thresholds,
    pub(crate) elements: Vec<Element>,
    /// In file order.
    pub(crate) indicators: Vec<Indicator>,
    pub(crate) legend_sets: Vec<LegendSet>,
    pub(crate) targets: Vec<Target>,
    pub(crate) alerts: Vec<Alert>,
    /// By number; empty (no scorecard) or exactly the numbers 1 to 8.
    pub(crate) standards: Vec<Standard>,
    /// Indexes into `indicators`, every indicator after those it references.
    pub(crate) order: Vec<usize>,
}

/// A target as it applies to one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTarget {
    pub year: i32,
    pub level: OrgLevel,
    pub value: f64,
    /// Whether the value is the unit's own override rather than its level's.
    pub unit_override: bool,
}

impl Catalog {
    /// Where the catalog was read from (a path), as used in messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The `[thresholds]` table.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Every data element, in file order.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// Every indicator, in file order (the display order).
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Every legend set.
    pub fn legend_sets(&self) -> &[LegendSet] {
        &self.legend_sets
    }

    /// Every target.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Every alert rule, in file order.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// The plan's standards, by number: none, or the eight numbered 1 to 8.
    pub fn standards(&self) -> &[Standard] {
        &self.standards
    }

    /// The standard numbered `number`.
    pub fn standard(&self, number: u8) -> Option<&Standard> {
        self.standards.iter().find(|s| s.number == number)
    }

    /// The element with this code.
    pub fn element(&self, code: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.code == code)
    }

    /// The indicator with this code.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    /// The legend set with this code.
    pub fn legend_set(&self, code: &str) -> Option<&LegendSet> {
        self.legend_sets.iter().find(|l| l.code == code)
    }

    /// The target of `indicator` in `year` for the unit `unit` at `level`: the unit's
    /// override if its level's target has one, else the level's value. No fallback to
    /// other levels or years: a count's district target means nothing for a community.
    pub fn target(
        &self,
        indicator: &str,
        year: i32,
        level: OrgLevel,
        unit: &str,
    ) -> Option<ResolvedTarget> {
        let t = self
            .targets
            .iter()
            .find(|t| t.indicator == indicator && t.year == year && t.level == level)?;
        let own = t.units.get(unit).copied();
        Some(ResolvedTarget {
            year,
            level,
            value: own.unwrap_or(t.value),
            unit_override: own.is_some(),
        })
    }

    /// The alert rules on `indicator`.
    pub fn alerts_on<'a>(&'a self, indicator: &'a str) -> impl Iterator<Item = &'a Alert> + 'a {
        self.alerts.iter().filter(move |a| a.indicator == indicator)
    }
}
