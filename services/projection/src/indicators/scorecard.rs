//! The plan's eight standards as a scorecard: each standard of the catalog
//! ([`Catalog::standards`]) scored from a unit's evaluated indicators, and a league
//! table of communities by their scorecards.
//!
//! - **Parts.** Each indicator of a standard counts with its achievement of its
//!   target in percent, capped at 100 (beating one target does not make up for
//!   missing another). Where the achievement has no percent (a target of 0, such as
//!   no major incidents) it counts 100 when met and 0 when not.
//! - **Score.** The weighted mean of the parts that count, rounded to 1 decimal. A
//!   part without a value (e.g. a zero denominator) or a target does not count: the
//!   weights of the others are renormalised, and the part says why
//!   ([`Uncounted`]). With no part counting the standard has no score and is neither
//!   passed nor failed.
//! - **Passed** when the score reaches the standard's pass mark.
//! - **Not measurable** standards (`measurable = false`) carry their reason, never a
//!   number, and are left out of the overall figures.
//! - **Overall**: measurable standards passed out of the measurable ones, and the mean
//!   of the scores there are.
//!
//! Counts with yearly targets (board updates, citizen-school classes) make a year the
//! natural period; over a part of the year they score progress so far.

use std::cmp::Ordering;

use civitas_platform::org::OrgLevel;

use super::eval::{round, IndicatorValue, NoValue, UnitEvaluation};
use super::model::{Catalog, Measure, Standard, StandardIndicator};

/// Why an indicator of a standard does not count towards its score.
#[derive(Debug, Clone, PartialEq)]
pub enum Uncounted {
    /// The indicator has no value for the unit and period.
    NoValue(NoValue),
    /// The indicator has no target for the unit's level and the year.
    NoTarget,
    /// The evaluation has no such indicator (it was made with another catalog).
    NotEvaluated,
}

/// One indicator of a standard at a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The indicator's code.
    pub indicator: String,
    /// Its weight in the standard, as in the catalog (before renormalising).
    pub weight: f64,
    /// The indicator's value, rounded as served.
    pub value: Option<f64>,
    /// The target it is judged against.
    pub target: Option<f64>,
    /// Achievement in percent, capped at 100 (100 or 0 by `met` where the achievement
    /// has no percent); `None` when the part does not count.
    pub percent: Option<f64>,
    /// Whether the target is met; `None` when the part does not count.
    pub met: Option<bool>,
    /// Why the part does not count; `None` when it does.
    pub uncounted: Option<Uncounted>,
}

/// How a standard came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Measurable {
        /// 0–100, 1 decimal; `None` when no part counts.
        score: Option<f64>,
        /// `score >= pass_mark`; `None` without a score.
        passed: Option<bool>,
        /// In the catalog's order.
        parts: Vec<Part>,
    },
    /// Nothing records the standard's data yet.
    NotMeasurable {
        reason_zh: String,
        reason_en: String,
    },
}

/// One standard at a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardScore {
    /// 1 to 8.
    pub number: u8,
    pub name_zh: String,
    pub name_en: String,
    pub pass_mark: f64,
    pub outcome: Outcome,
}

/// A scorecard's totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overall {
    /// Standards that are measurable (whether or not they got a score).
    pub measurable: usize,
    /// Measurable standards with a score.
    pub scored: usize,
    /// Measurable standards passed.
    pub passed: usize,
    /// The mean of the scores, 1 decimal; `None` when no standard has one.
    pub mean_score: Option<f64>,
}

/// A unit's standards for the period of its evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub unit: String,
    pub level: OrgLevel,
    /// The target year (the year of the period's last day).
    pub year: i32,
    /// By number.
    pub standards: Vec<StandardScore>,
    pub overall: Overall,
}

impl Catalog {
    /// The catalog's standards scored from `evaluation` (see [`Catalog::evaluate`]);
    /// empty if the catalog has no standards.
    pub fn scorecard(&self, evaluation: &UnitEvaluation) -> Scorecard {
        score_standards(&self.standards, evaluation)
    }
}

/// `standards` scored from `evaluation`.
pub fn score_standards(standards: &[Standard], evaluation: &UnitEvaluation) -> Scorecard {
    let standards: Vec<StandardScore> = standards
        .iter()
        .map(|s| StandardScore {
            number: s.number,
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            pass_mark: s.pass_mark,
            outcome: outcome(s, evaluation),
        })
        .collect();
    let overall = overall(&standards);
    Scorecard {
        unit: evaluation.unit.clone(),
        level: evaluation.level,
        year: evaluation.year,
        standards,
        overall,
    }
}

fn outcome(standard: &Standard, evaluation: &UnitEvaluation) -> Outcome {
    let indicators = match &standard.measure {
        Measure::NotMeasurable {
            reason_zh,
            reason_en,
        } => {
            return Outcome::NotMeasurable {
                reason_zh: reason_zh.clone(),
                reason_en: reason_en.clone(),
            }
        }
        Measure::Indicators(indicators) => indicators,
    };
    let parts: Vec<Part> = indicators
        .iter()
        .map(|i| part(i, evaluation.indicators.iter().find(|v| v.code == i.code)))
        .collect();
    let (weighted, weights) = parts
        .iter()
        .filter_map(|p| Some((p.percent?, p.weight)))
        .fold((0.0, 0.0), |(sum, weights), (percent, weight)| {
            (sum + percent * weight, weights + weight)
        });
    let score = (weights > 0.0).then(|| round(weighted / weights, 1));
    Outcome::Measurable {
        score,
        passed: score.map(|s| s >= standard.pass_mark),
        parts,
    }
}

fn part(indicator: &StandardIndicator, value: Option<&IndicatorValue>) -> Part {
    let mut part = Part {
        indicator: indicator.code.clone(),
        weight: indicator.weight,
        value: value.and_then(|v| v.value),
        target: value.and_then(|v| v.target.as_ref()).map(|t| t.value),
        percent: None,
        met: None,
        uncounted: None,
    };
    let Some(value) = value else {
        part.uncounted = Some(Uncounted::NotEvaluated);
        return part;
    };
    match (value.value, value.achievement) {
        (None, _) => {
            let why = value.no_value.clone();
            let why = why.unwrap_or_else(|| NoValue::Indicator(value.code.clone()));
            part.uncounted = Some(Uncounted::NoValue(why));
        }
        (Some(_), None) => part.uncounted = Some(Uncounted::NoTarget),
        (Some(_), Some(a)) => {
            let by_met = if a.met { 100.0 } else { 0.0 };
            part.percent = Some(a.percent.map_or(by_met, |p| p.clamp(0.0, 100.0)));
            part.met = Some(a.met);
        }
    }
    part
}

fn overall(standards: &[StandardScore]) -> Overall {
    let mut totals = Overall {
        measurable: 0,
        scored: 0,
        passed: 0,
        mean_score: None,
    };
    let mut sum = 0.0;
    for s in standards {
        let Outcome::Measurable { score, passed, .. } = &s.outcome else {
            continue;
        };
        totals.measurable += 1;
        if let Some(score) = score {
            totals.scored += 1;
            sum += score;
        }
        if *passed == Some(true) {
            totals.passed += 1;
        }
    }
    totals.mean_score = (totals.scored > 0).then(|| round(sum / totals.scored as f64, 1));
    totals
}

/// One community's place in a league table.
#[derive(Debug, Clone, PartialEq)]
pub struct LeagueRow {
    /// 1 for the first; communities that tie share a rank and the next rank skips
    /// (1, 2, 2, 4).
    pub rank: u32,
    pub community: String,
    /// Measurable standards passed.
    pub passed: usize,
    /// Measurable standards.
    pub measurable: usize,
    pub mean_score: Option<f64>,
    pub scorecard: Scorecard,
}

/// Ranks communities by their scorecards: most standards passed first, then the
/// higher mean score (none last), then by community code. Communities with the same
/// passed count and mean score share a rank.
pub fn league_table(cards: impl IntoIterator<Item = (String, Scorecard)>) -> Vec<LeagueRow> {
    let mut cards: Vec<(String, Scorecard)> = cards.into_iter().collect();
    let key = |c: &Scorecard| (c.overall.passed, c.overall.mean_score);
    cards.sort_by(|(a_code, a), (b_code, b)| {
        let (a_passed, a_mean) = key(a);
        let (b_passed, b_mean) = key(b);
        b_passed
            .cmp(&a_passed)
            .then_with(|| descending(a_mean, b_mean))
            .then_with(|| a_code.cmp(b_code))
    });
    let mut rows: Vec<LeagueRow> = Vec::with_capacity(cards.len());
    for (i, (community, scorecard)) in cards.into_iter().enumerate() {
        let tied = rows
            .last()
            .filter(|r| (r.passed, r.mean_score) == key(&scorecard))
            .map(|r| r.rank);
        rows.push(LeagueRow {
            rank: tied.unwrap_or_else(|| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            community,
            passed: scorecard.overall.passed,
            measurable: scorecard.overall.measurable,
            mean_score: scorecard.overall.mean_score,
            scorecard,
        });
    }
    rows
}

/// Higher scores first, no score last.
fn descending(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
#[path = "scorecard_tests.rs"]
mod tests;
