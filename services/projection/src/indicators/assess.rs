//! Judging an indicator's value: achievement of its target, trend against the previous
//! period, and the alert rules it fires. Pure functions over numbers the evaluation
//! ([`eval`](super::eval)) has already rounded.
//!
//! **Achievement** (`percent` and `met`):
//! - higher is better: `value / target × 100`, uncapped (120 means 20 % over target);
//!   met when `value ≥ target`. A target of 0 gives no percent (met always).
//! - lower is better: `target / value × 100` capped at 100 (100 means met; 50 means
//!   twice the target). Beating a "lower" target has no meaningful ratio (0 incidents
//!   against a target of 5 would be infinite), hence the cap. A target of 0 (e.g. no
//!   major incidents) gives no percent, only met/not met (`value ≤ 0`).

use std::collections::BTreeMap;

use super::model::{AlertOp, Catalog, Severity};

/// How a value compares with its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Achievement {
    /// Percent of the target achieved (see the module doc), 1 decimal; `None` when the
    /// target is 0 (or, lower being better, the value is 0 or less: 100 is given then).
    pub percent: Option<f64>,
    /// Whether the target is met.
    pub met: bool,
}

/// The value of one indicator against its target.
pub fn achievement(higher_is_better: bool, value: f64, target: f64) -> Achievement {
    let percent = |p: f64| Some(super::eval::round(p, 1));
    if higher_is_better {
        Achievement {
            percent: if target == 0.0 {
                None
            } else {
                percent(value / target * 100.0)
            },
            met: value >= target,
        }
    } else {
        let met = value <= target;
        Achievement {
            percent: match (target, value) {
                (t, _) if t <= 0.0 => None,
                (_, v) if v <= 0.0 => percent(100.0),
                (t, v) => percent((t / v * 100.0).min(100.0)),
            },
            met,
        }
    }
}

/// Which way a value moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Flat,
}

impl Direction {
    /// `up`, `down` or `flat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Flat => "flat",
        }
    }
}

/// A value against the previous period's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// The previous period's value, rounded like the current one.
    pub previous: f64,
    /// `current − previous`, rounded to the indicator's decimals.
    pub change: f64,
    pub direction: Direction,
    /// Whether the move is an improvement given `higher_is_better`; `None` when flat.
    pub better: Option<bool>,
}

/// The trend from `previous` to `current`, both already rounded to `decimals`.
pub fn trend(higher_is_better: bool, current: f64, previous: f64, decimals: u32) -> Trend {
    let change = super::eval::round(current - previous, decimals);
    let direction = if change > 0.0 {
        Direction::Up
    } else if change < 0.0 {
        Direction::Down
    } else {
        Direction::Flat
    };
    let better = match direction {
        Direction::Flat => None,
        Direction::Up => Some(higher_is_better),
        Direction::Down => Some(!higher_is_better),
    };
    Trend {
        previous,
        change,
        direction,
        better,
    }
}

/// An alert rule that holds for a unit's value.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredAlert {
    pub indicator: String,
    pub severity: Severity,
    pub op: AlertOp,
    pub threshold: f64,
    pub value: f64,
    /// The rule's messages with `{value}` and `{threshold}` filled in.
    pub message_zh: String,
    pub message_en: String,
}

impl Catalog {
    /// The alert rules that hold for `values` (indicator code → rounded value; an
    /// indicator without a value fires nothing), most severe first, then in file order.
    pub fn alerts_for(&self, values: &BTreeMap<String, f64>) -> Vec<FiredAlert> {
        let mut fired: Vec<FiredAlert> = self
            .alerts
            .iter()
            .filter_map(|a| {
                let value = *values.get(&a.indicator)?;
                if !a.op.holds(value, a.value) {
                    return None;
                }
                let decimals = self.indicator(&a.indicator).map_or(0, |i| i.decimals);
                let fill = |m: &str| {
                    m.replace("{value}", &format!("{value:.*}", decimals as usize))
                        .replace("{threshold}", &a.value.to_string())
                };
                Some(FiredAlert {
                    indicator: a.indicator.clone(),
                    severity: a.severity,
                    op: a.op,
                    threshold: a.value,
                    value,
                    message_zh: fill(&a.message_zh),
                    message_en: fill(&a.message_en),
                })
            })
            .collect();
        fired.sort_by_key(|a| std::cmp::Reverse(a.severity));
        fired
    }
}
