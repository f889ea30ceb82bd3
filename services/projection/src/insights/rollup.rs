//! The values of a unit and its children on PostgreSQL, summed per unit in SQL (see
//! [`crate::db::conn::rollup`]) instead of read per community and summed here: what
//! `GetKpis` and `GetIndicators` serve for a district of hundreds of communities.
//!
//! The semantics are those of the per-community path
//! ([`Projection::live_values_over`], [`Projection::approved_values`],
//! [`Projection::with_distinct`] and [`crate::unit_values`]), which SQLite keeps:
//! - a unit's value of a SUM or LAST element is the sum of its communities' values;
//!   every value read is linear in the rows read, so the rows are summed per unit in
//!   SQL and the windows computed once per unit;
//! - a community whose approved report locked a calendar month serves its approved
//!   figures for that month: the communities of a unit are split into groups locked
//!   alike in every period read, the live values of a unit are the sum of its groups,
//!   and the served ones the sum of its unlocked groups plus the approved figures of
//!   its locked communities (summed in SQL too);
//! - DISTINCT elements are counted per unit across its communities (one statement for
//!   every unit), never summed;
//! - the reporting calendar's elements count once per community.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use futures::future::try_join_all;

use crate::catalog::ELEMENTS;
use crate::db::conn::rollup::{
    group_approved, group_distinct_counts, group_sums, locked_among, Members, Plan,
};
use crate::db::streets::street_members;
use crate::indicators::PerCommunity;
use crate::{rules, Aggregation, Period, Projection, ProjectionError};

/// One unit's values for one period, per catalog element in [`ELEMENTS`] order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitValues {
    /// As served: the approved figures of the communities whose report locked the
    /// period (a calendar month), the live values of the others.
    pub served: Vec<f64>,
    /// As the facts stand.
    pub live: Vec<f64>,
}

/// The position of an element in [`ELEMENTS`].
fn element_index(code: &str) -> Option<usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            ELEMENTS
                .iter()
                .enumerate()
                .map(|(i, e)| (e.code, i))
                .collect()
        })
        .get(code)
        .copied()
}

/// Communities that count in the same units and are locked alike: the units (their
/// indices), which of the periods read they have locked (bit `k` for period `k`), and
/// how many they are. Each community is in one group, so its rows are read once, and
/// a group's sums go to each of its units (a district and the street of its
/// communities, say).
struct Group {
    units: Vec<usize>,
    locked: u64,
    communities: i64,
}

/// Served values of `units` (codes, in order) as evaluation reads them: one row per
/// unit, under its own code, with every catalog element. Evaluated with the unit's own
/// code as its only community (see [`crate::indicators::Scope`]), a row gives the same
/// sums and DISTINCT counts as the rows of its communities would.
pub(crate) fn per_unit<'a>(
    units: impl IntoIterator<Item = &'a str>,
    values: &[UnitValues],
) -> PerCommunity {
    units
        .into_iter()
        .zip(values)
        .map(|(code, v)| {
            let row = ELEMENTS
                .iter()
                .zip(&v.served)
                .map(|(e, value)| (e.code.to_owned(), *value))
                .collect();
            (code.to_owned(), row)
        })
        .collect()
}

impl Projection {
    /// Per period of `periods` (consecutive, oldest first), per unit of `units` (its
    /// code and the communities below it), every catalog element's value, served and
    /// live, summed over the unit's communities in SQL, with the DISTINCT elements
    /// counted across them: the values the per-community path gives the unit. `None`
    /// without a native reader (SQLite), which reads per community.
    pub(crate) async fn unit_values_over(
        &self,
        units: &[(&str, &[String])],
        periods: &[Period],
    ) -> Result<Option<Vec<Vec<UnitValues>>>, ProjectionError> {
        let Some(reader) = &self.reader else {
            return Ok(None);
        };
        if periods.len() > 64 {
            // More periods than lock bits: the per-community path.
            return Ok(None);
        }
        debug_assert!(
            periods
                .windows(2)
                .all(|p| p[0].last.succ_opt() == Some(p[1].first)),
            "consecutive periods"
        );
        let Some(last) = periods.last() else {
            return Ok(Some(Vec::new()));
        };
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut all: Vec<&str> = units
            .iter()
            .flat_map(|(_, under)| under.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();

        // Which communities each period (a calendar month) has locked.
        let months: Vec<Option<String>> = periods.iter().map(Period::calendar_month).collect();
        let all_ref = &all;
        let (locked, streets) = tokio::try_join!(
            try_join_all(months.iter().map(|month| async move {
                match month {
                    Some(month) if !all_ref.is_empty() => {
                        locked_among(reader, all_ref, month).await
                    }
                    _ => Ok(Vec::new()),
                }
            })),
            street_members(reader)
        )?;
        let mut lock_bits: HashMap<&str, u64> = HashMap::new();
        for (k, communities) in locked.iter().enumerate() {
            for community in communities {
                *lock_bits.entry(community.as_str()).or_default() |= 1 << k;
            }
        }

        // Every community in its group; by unit (for the DISTINCT counts); and per
        // period, the locked ones by unit (for their approved figures).
        let mut units_of: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_unit = Members::default();
        let mut locked_by_unit = vec![Members::default(); periods.len()];
        for (u, (_, under)) in units.iter().enumerate() {
            for community in under.iter() {
                units_of.entry(community.as_str()).or_default().push(u);
                by_unit.push(community, u)?;
                let bits = lock_bits.get(community.as_str()).copied().unwrap_or(0);
                for (k, members) in locked_by_unit.iter_mut().enumerate() {
                    if bits & (1 << k) != 0 {
                        members.push(community, u)?;
                    }
                }
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut group_ids: HashMap<(&[usize], u64), usize> = HashMap::new();
        let mut by_group = Members::default();
        for community in &all {
            let Some(counted_in) = units_of.get(community) else {
                continue;
            };
            let bits = lock_bits.get(community).copied().unwrap_or(0);
            let g = *group_ids
                .entry((counted_in.as_slice(), bits))
                .or_insert_with(|| {
                    groups.push(Group {
                        units: counted_in.clone(),
                        locked: bits,
                        communities: 0,
                    });
                    groups.len() - 1
                });
            groups[g].communities += 1;
            by_group.push(community, g)?;
        }

        let starts: Vec<String> = periods.iter().map(|p| day(p.first)).collect();
        let starts: Vec<&str> = starts.iter().map(String::as_str).collect();
        let plan = Plan::new(&starts, &day(last.last))?;
        let ranges: Vec<(String, String)> = periods
            .iter()
            .map(|p| (day(p.first), day(p.last)))
            .collect();
        // Whole streets read as their rollups.
        let rolled_up = by_group.rolled_up(&streets);
        let (sums, distinct, approved) =
            tokio::try_join!(
                group_sums(reader, &rolled_up, &plan),
                try_join_all(
                    ranges
                        .iter()
                        .map(|(first, last)| group_distinct_counts(reader, &by_unit, first, last))
                ),
                try_join_all(months.iter().zip(&locked_by_unit).map(
                    |(month, members)| async move {
                        match month {
                            Some(month) if !members.communities.is_empty() => {
                                group_approved(reader, members, month).await
                            }
                            _ => Ok(Vec::new()),
                        }
                    }
                )),
            )?;

        // Per period, unit and element (`at`): the live values, and those of the
        // communities that have not locked the period.
        let (p, n, e) = (periods.len(), units.len(), ELEMENTS.len());
        let at = |k: usize, u: usize, i: usize| (k * n + u) * e + i;
        let mut live = vec![0i64; p * n * e];
        let mut unlocked = vec![0i64; p * n * e];
        let today = rules::district_date(chrono::Utc::now());
        let calendar: Vec<Vec<Option<i64>>> = periods
            .iter()
            .map(|period| {
                ELEMENTS
                    .iter()
                    .map(|element| match element.aggregation {
                        Aggregation::Distinct => None,
                        _ => rules::reporting::calendar_value(element, period, today),
                    })
                    .collect()
            })
            .collect();
        for ((g, code), values) in &sums {
            let Some(i) = element_index(code) else {
                continue;
            };
            let element = &ELEMENTS[i];
            let group = &groups[*g];
            let w = plan.windows(values);
            for k in 0..p {
                let value = match element.aggregation {
                    _ if calendar[k][i].is_some() => continue,
                    Aggregation::Sum => w.in_window[k],
                    // A stock at the end of period k: everything to date but what came after.
                    Aggregation::Last => w.to_date - w.in_window[k + 1..].iter().sum::<i64>(),
                    // Persons, not deltas: counted below.
                    Aggregation::Distinct => continue,
                };
                for &u in &group.units {
                    live[at(k, u, i)] += value;
                    if group.locked & (1 << k) == 0 {
                        unlocked[at(k, u, i)] += value;
                    }
                }
            }
        }
        // The reporting calendar's elements: the same value in every community.
        for (k, values) in calendar.iter().enumerate() {
            for (i, value) in values.iter().enumerate() {
                let Some(value) = value else { continue };
                for group in &groups {
                    for &u in &group.units {
                        live[at(k, u, i)] += value * group.communities;
                        if group.locked & (1 << k) == 0 {
                            unlocked[at(k, u, i)] += value * group.communities;
                        }
                    }
                }
            }
        }
        let mut counts = vec![0i64; p * n * e];
        for (k, rows) in distinct.iter().enumerate() {
            for (u, code, count) in rows {
                if let Some(i) = element_index(code) {
                    counts[at(k, *u, i)] = *count;
                }
            }
        }
        let mut held = vec![0i64; p * n * e];
        for (k, rows) in approved.iter().enumerate() {
            for (u, code, figures) in rows {
                let Some(i) = element_index(code) else {
                    continue;
                };
                held[at(k, *u, i)] = match ELEMENTS[i].aggregation {
                    Aggregation::Sum => figures.in_month,
                    Aggregation::Last => figures.to_end,
                    Aggregation::Distinct => 0,
                };
            }
        }
        Ok(Some(
            (0..p)
                .map(|k| {
                    (0..n)
                        .map(|u| {
                            let mut values = UnitValues {
                                served: Vec::with_capacity(e),
                                live: Vec::with_capacity(e),
                            };
                            for (i, element) in ELEMENTS.iter().enumerate() {
                                let j = at(k, u, i);
                                let (served, live) = match element.aggregation {
                                    Aggregation::Distinct => (counts[j], counts[j]),
                                    _ if rules::reporting::locked_by_approval(element) => {
                                        (unlocked[j] + held[j], live[j])
                                    }
                                    _ => (live[j], live[j]),
                                };
                                values.served.push(served as f64);
                                values.live.push(live as f64);
                            }
                            values
                        })
                        .collect()
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
#[path = "rollup_tests.rs"]
mod tests;
