//! `GetIndicators` and `GetIndicatorTrend`: the catalog's indicators
//! (`deploy/kpi/catalog.toml`, [`crate::indicators`]) evaluated over the element
//! values the projection keeps, for an org unit and each of its children.
//!
//! Element values are read once per period for every community under the unit; each
//! unit's indicator is then the ratio of its communities' summed numerators and
//! denominators (DHIS2), never an average of the children's ratios.

use chrono::{Datelike, NaiveDate};
use civitas_platform::auth::Caller;
use civitas_platform::error::invalid_argument;
use civitas_platform::org::{OrgTree, OrgUnit};
use civitas_proto::common::v1::Date;
use civitas_proto::insights::v1 as pb;
use tonic::Status;

use super::{readable_unit, Insights};
use crate::indicators::{
    Catalog, Direction, FixedPeriod, IndicatorValue, PerCommunity, RelativePeriod, Scope,
    UnitEvaluation,
};
use crate::period::Period;
use crate::ProjectionError;

/// The most periods one trend call may ask for (five years of months).
const MAX_TREND_PERIODS: u32 = 60;
/// Periods in a trend when the request leaves it to us.
const DEFAULT_TREND_PERIODS: u32 = 12;

/// A requested period resolved: its fixed periods (one, or several for a relative
/// period such as LAST_3_MONTHS), oldest first.
pub(super) struct Asked {
    periods: Vec<FixedPeriod>,
}

impl Asked {
    /// Parses a DHIS2 period id or relative period name against `today`.
    pub(super) fn parse(text: &str, today: NaiveDate) -> Result<Asked, Status> {
        let periods = match text.parse::<RelativePeriod>() {
            Ok(relative) => relative.periods(today),
            Err(_) => FixedPeriod::parse(text).ok().map(|p| vec![p]),
        };
        match periods {
            Some(periods) if !periods.is_empty() => Ok(Asked { periods }),
            _ => Err(invalid_argument(
                "period",
                format!(
                    "{text:?} is neither a period (20261128, 2026W48, 202611, 2026Q4, 2026) nor \
                     one of {}",
                    relative_names()
                ),
            )),
        }
    }

    pub(super) fn range(&self) -> Period {
        span(&self.periods)
    }

    /// As many periods of the same type just before these, and their span's name.
    fn previous(&self) -> Option<(Period, String)> {
        let before = self.periods.first()?.previous()?;
        let periods = before.ending_with(self.periods.len())?;
        Some((span(&periods), name(&periods)))
    }

    fn last(&self) -> FixedPeriod {
        *self.periods.last().expect("never empty")
    }
}

fn span(periods: &[FixedPeriod]) -> Period {
    Period {
        first: periods.first().map(|p| p.range().first).unwrap_or_default(),
        last: periods.last().map(|p| p.range().last).unwrap_or_default(),
    }
}

/// `202611`, or `202609..202611` for several periods.
fn name(periods: &[FixedPeriod]) -> String {
    match (periods.first(), periods.last()) {
        (Some(first), Some(last)) if periods.len() > 1 => format!("{first}..{last}"),
        (Some(only), _) => only.id(),
        _ => String::new(),
    }
}

fn relative_names() -> String {
    let names: Vec<&str> = RelativePeriod::ALL.iter().map(|r| r.as_str()).collect();
    names.join(", ")
}

/// The district's today, against which relative periods resolve.
pub(super) fn today() -> NaiveDate {
    crate::rules::district_date(chrono::Utc::now())
}

impl Insights {
    /// The unit and its children, each with the communities below it.
    fn unit_and_children<'a>(&'a self, unit: &'a OrgUnit) -> Vec<(&'a OrgUnit, Vec<String>)> {
        std::iter::once(unit)
            .chain(self.tree.children(&unit.code))
            .map(|u| (u, self.communities(&u.code)))
            .collect()
    }

    /// The values `units` (each with the communities below it) are evaluated over, per
    /// period of `periods` (consecutive): on PostgreSQL summed per unit in SQL, one row
    /// per unit under its own code, and `true` (each unit is then evaluated as its only
    /// community); else per community of `communities`, and `false`.
    async fn evaluated_values(
        &self,
        units: &[(&OrgUnit, Vec<String>)],
        communities: &[String],
        periods: &[Period],
    ) -> Result<(Vec<PerCommunity>, bool), ProjectionError> {
        let groups: Vec<(&str, &[String])> = units
            .iter()
            .map(|(u, under)| (u.code.as_str(), under.as_slice()))
            .collect();
        if let Some(read) = self.projection.unit_values_over(&groups, periods).await? {
            let codes = || units.iter().map(|(u, _)| u.code.as_str());
            let values = read.iter().map(|v| super::rollup::per_unit(codes(), v));
            return Ok((values.collect(), true));
        }
        let evaluated: Vec<&OrgUnit> = units.iter().map(|(u, _)| *u).collect();
        let values = self
            .projection
            .values_over(&self.tree, &evaluated, communities, periods)
            .await?;
        Ok((values, false))
    }

    /// Every indicator (or those asked for) for the unit and each child.
    pub async fn get_indicators(
        &self,
        caller: &Caller,
        request: pb::GetIndicatorsRequest,
    ) -> Result<pb::GetIndicatorsResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let asked = Asked::parse(&request.period, today())?;
        let catalog = self.projection.catalog();
        if let Some(unknown) = request
            .indicators
            .iter()
            .find(|code| catalog.indicator(code).is_none())
        {
            return Err(invalid_argument(
                "indicators",
                format!("{unknown:?} is not an indicator of the catalog"),
            ));
        }
        let applied_events = self.projection.applied_events().await?;
        let freshness = crate::freshness::read(&self.projection.pool).await?;
        let communities = self.communities(&unit.code);
        let range = asked.range();
        // The period and the one before it (for the trend) in one read of the facts.
        let before = asked.previous();
        let periods: Vec<Period> = before.iter().map(|(p, _)| *p).chain([range]).collect();
        let units = self.unit_and_children(unit);
        let (mut values, per_unit) = self
            .evaluated_values(&units, &communities, &periods)
            .await?;
        let current = values.pop().unwrap_or_default();
        let previous = before.zip(values.pop()).map(|((p, name), v)| (p, name, v));
        let mut rows = units.iter().map(|(u, under)| {
            let scope = Scope {
                unit: &u.code,
                level: u.level,
                communities: match per_unit {
                    true => std::slice::from_ref(&u.code),
                    false => under,
                },
            };
            let before = previous.as_ref().map(|(p, _, values)| (p, values));
            let evaluation = catalog.evaluate(&scope, &range, &current, before);
            let previous_name = previous.as_ref().map(|(_, n, _)| n.as_str());
            unit_row(catalog, u, evaluation, &request.indicators, previous_name)
        });
        let org_unit = rows.next();
        Ok(pb::GetIndicatorsResponse {
            org_unit,
            children: rows.collect(),
            period: request.period,
            first_day: Some(date(range.first)),
            last_day: Some(date(range.last)),
            applied_events,
            freshness,
        })
    }

    /// One indicator over consecutive periods for the unit and each child.
    pub async fn get_indicator_trend(
        &self,
        caller: &Caller,
        request: pb::GetIndicatorTrendRequest,
    ) -> Result<pb::GetIndicatorTrendResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let catalog = self.projection.catalog();
        if request.indicator.is_empty() {
            return Err(invalid_argument("indicator", "is required"));
        }
        let indicator = catalog.indicator(&request.indicator).ok_or_else(|| {
            invalid_argument(
                "indicator",
                format!("{:?} is not an indicator of the catalog", request.indicator),
            )
        })?;
        let count = match request.periods {
            0 => DEFAULT_TREND_PERIODS,
            n if n > MAX_TREND_PERIODS => {
                return Err(invalid_argument(
                    "periods",
                    format!("must be at most {MAX_TREND_PERIODS}"),
                ))
            }
            n => n,
        };
        let last = Asked::parse(&request.period, today())?.last();
        let periods = last
            .ending_with(count as usize)
            .ok_or_else(|| invalid_argument("period", "reaches before the calendar's start"))?;
        let communities = self.communities(&unit.code);
        let units = self.unit_and_children(unit);
        let mut trends: Vec<pb::UnitTrend> = units
            .iter()
            .map(|(u, _)| pb::UnitTrend {
                code: u.code.clone(),
                name: u.name.clone(),
                level: u.level.to_string(),
                points: Vec::with_capacity(periods.len()),
            })
            .collect();
        let ranges: Vec<Period> = periods.iter().map(FixedPeriod::range).collect();
        let (values, per_unit) = self.evaluated_values(&units, &communities, &ranges).await?;
        for ((period, range), values) in periods.iter().zip(&ranges).zip(&values) {
            for ((u, under), trend) in units.iter().zip(trends.iter_mut()) {
                let scope = Scope {
                    unit: &u.code,
                    level: u.level,
                    communities: match per_unit {
                        true => std::slice::from_ref(&u.code),
                        false => under,
                    },
                };
                let sums = catalog.unit_values(values, &scope);
                let computed = catalog.compute(&sums, range);
                let point = computed.get(&indicator.code);
                trend.points.push(pb::TrendPoint {
                    period: period.id(),
                    value: point
                        .and_then(|c| c.value.as_ref().ok())
                        .map(|v| crate::indicators::round(*v, indicator.decimals)),
                    numerator: point.and_then(|c| c.numerator).unwrap_or_default(),
                    denominator: point.and_then(|c| c.denominator).unwrap_or_default(),
                });
            }
        }
        let mut trends = trends.into_iter();
        Ok(pb::GetIndicatorTrendResponse {
            indicator: indicator.code.clone(),
            name_zh: indicator.name_zh.clone(),
            name_en: indicator.name_en.clone(),
            org_unit: trends.next(),
            children: trends.collect(),
        })
    }
}

/// The catalog's alert rules that fire over `period` for `unit` and every unit below
/// it, most severe first, then in tree order (the unit, its streets, communities).
pub(crate) async fn indicator_alerts(
    projection: &crate::Projection,
    tree: &OrgTree,
    unit: &OrgUnit,
    period: &Period,
) -> Result<Vec<pb::IndicatorAlert>, Status> {
    let catalog = projection.catalog();
    let communities: Vec<String> = tree
        .communities_under(&unit.code)
        .into_iter()
        .map(|u| u.code.clone())
        .collect();
    let units = super::export::subtree(tree, unit);
    let values = projection
        .values_in(tree, &units, &communities, *period)
        .await?;
    let mut fired = Vec::new();
    for u in units {
        let under: Vec<String> = tree
            .communities_under(&u.code)
            .into_iter()
            .map(|c| c.code.clone())
            .collect();
        let scope = Scope {
            unit: &u.code,
            level: u.level,
            communities: &under,
        };
        let evaluation = catalog.evaluate(&scope, period, &values, None);
        fired.extend(evaluation.alerts.into_iter().map(|a| {
            let key = std::cmp::Reverse(a.severity);
            let alert = pb::IndicatorAlert {
                org_unit: u.code.clone(),
                level: u.level.to_string(),
                indicator: a.indicator,
                value: a.value,
                op: a.op.as_str().to_owned(),
                threshold: a.threshold,
                severity: a.severity.as_str().to_owned(),
                message_zh: a.message_zh,
                message_en: a.message_en,
            };
            (key, alert)
        }));
    }
    // Stable: tree order within a severity.
    fired.sort_by_key(|(severity, _)| *severity);
    Ok(fired.into_iter().map(|(_, alert)| alert).collect())
}

fn date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// One unit's row: its indicators in catalog order, only those asked for (all when
/// none are named).
fn unit_row(
    catalog: &Catalog,
    unit: &OrgUnit,
    evaluation: UnitEvaluation,
    wanted: &[String],
    previous_period: Option<&str>,
) -> pb::OrgUnitIndicators {
    pb::OrgUnitIndicators {
        code: unit.code.clone(),
        name: unit.name.clone(),
        level: unit.level.to_string(),
        values: evaluation
            .indicators
            .into_iter()
            .filter(|v| wanted.is_empty() || wanted.contains(&v.code))
            .filter_map(|v| indicator_value(catalog, v, previous_period))
            .collect(),
    }
}

fn indicator_value(
    catalog: &Catalog,
    value: IndicatorValue,
    previous_period: Option<&str>,
) -> Option<pb::IndicatorValue> {
    let indicator = catalog.indicator(&value.code)?;
    Some(pb::IndicatorValue {
        indicator: value.code,
        name_zh: indicator.name_zh.clone(),
        name_en: indicator.name_en.clone(),
        value: value.value,
        numerator: value.numerator.unwrap_or_default(),
        denominator: value.denominator.unwrap_or_default(),
        factor: indicator.factor,
        higher_is_better: indicator.higher_is_better,
        target: value.target.as_ref().map(|t| t.value),
        achievement: value.achievement.as_ref().and_then(|a| a.percent),
        target_met: value.achievement.as_ref().is_some_and(|a| a.met),
        legend: value.band.map(|band| pb::Legend {
            colour: band.colour,
            label_zh: band.label_zh,
            label_en: band.label_en,
        }),
        trend: Some(match value.trend {
            Some(trend) => pb::Trend {
                direction: match trend.direction {
                    Direction::Up => pb::TrendDirection::Up,
                    Direction::Down => pb::TrendDirection::Down,
                    Direction::Flat => pb::TrendDirection::Flat,
                } as i32,
                better: trend.better.unwrap_or(false),
                previous_value: Some(trend.previous),
                previous_period: previous_period.unwrap_or_default().to_owned(),
            },
            None => pb::Trend {
                direction: pb::TrendDirection::Unspecified as i32,
                better: false,
                previous_value: None,
                previous_period: previous_period.unwrap_or_default().to_owned(),
            },
        }),
    })
}
