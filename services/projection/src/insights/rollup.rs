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
mod tests {
    use std::collections::BTreeMap;

    use civitas_platform::auth::{Caller, Role};
    use civitas_platform::org::OrgTree;
    use civitas_proto::insights::v1::{
        GetIndicatorTrendRequest, GetIndicatorsRequest, GetKpisRequest,
    };

    use crate::db::{self, Conn};
    use crate::rules::Deltas;
    use crate::{Aggregation, Insights, Projection};

    use super::ELEMENTS;

    /// splitmix64, for deterministic random deltas.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        }
    }

    /// On PostgreSQL, `GetKpis` and `GetIndicators` answer the same whether the values
    /// are summed per unit in SQL (the native reader) or read per community (the
    /// portable path SQLite takes): for the district, a street and a community, over
    /// a locked month (approved figures, with late deltas after the approval), the
    /// month before, a quarter, the year, a week across two months and a day; with
    /// SUM, LAST and DISTINCT elements (a person counted in two communities of one
    /// street), the reporting calendar's elements, and a pair with no delta in the
    /// period. `GetIndicatorTrend` too, over 14 months.
    #[tokio::test]
    async fn values_summed_in_sql_equal_the_per_community_path() {
        let pg = civitas_testkit::fresh_postgres_db()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let projection = Projection::open_in(&pg.url, Some("projection"))
            .await
            .unwrap();
        assert!(projection.reader.is_some(), "a native reader on PostgreSQL");
        let tree = OrgTree::demo();
        let district = tree.root().code.clone();
        let street = tree.children(&district)[0].code.clone();
        let communities: Vec<String> = tree
            .communities_under(&district)
            .into_iter()
            .map(|u| u.code.clone())
            .collect();
        let in_street: Vec<String> = tree
            .communities_under(&street)
            .into_iter()
            .map(|u| u.code.clone())
            .collect();
        let sums: Vec<&'static str> = ELEMENTS
            .iter()
            .filter(|e| e.aggregation == Aggregation::Sum && !e.code.starts_with("reporting."))
            .take(6)
            .map(|e| e.code)
            .collect();
        let stocks: Vec<&'static str> = ELEMENTS
            .iter()
            .filter(|e| e.aggregation == Aggregation::Last)
            .take(6)
            .map(|e| e.code)
            .collect();
        let distinct: Vec<&'static str> = ELEMENTS
            .iter()
            .filter(|e| e.aggregation == Aggregation::Distinct)
            .map(|e| e.code)
            .collect();
        assert!(!distinct.is_empty(), "the catalog has DISTINCT elements");

        let mut rng = Rng(0xD157);
        let mut deltas = |from: u64, days: u64| {
            let mut out = Deltas::new();
            let origin = chrono::NaiveDate::from_ymd_opt(2025, 12, 20).unwrap();
            for (c, community) in communities.iter().enumerate() {
                // The last community has no delta at all; the one before only stocks.
                if c + 1 == communities.len() {
                    continue;
                }
                for element in sums.iter().chain(&stocks) {
                    if c + 2 == communities.len() && sums.contains(element) {
                        continue;
                    }
                    for _ in 0..3 {
                        let day = origin + chrono::Duration::days((from + rng.below(days)) as i64);
                        let delta = rng.below(9) as i64 - 2;
                        let key = (*element, community.clone(), day.to_string());
                        *out.entry(key).or_default() += delta;
                    }
                }
            }
            out
        };
        let before_approval = deltas(0, 340);
        let late = deltas(300, 45);
        // Written as the apply path writes them, with the street rollups.
        let streets: BTreeMap<String, String> = tree
            .children(&district)
            .iter()
            .flat_map(|s| {
                tree.communities_under(&s.code)
                    .into_iter()
                    .map(|c| (c.code.clone(), s.code.clone()))
            })
            .collect();
        let mut conn = projection.pool.acquire().await.unwrap();
        db::add_deltas_in_streets(&mut Conn::Any(&mut conn), &before_approval, &streets)
            .await
            .unwrap();
        // November approved in two communities of the street and one elsewhere.
        let locked: Vec<String> = in_street
            .iter()
            .take(2)
            .chain(communities.iter().rev().take(1))
            .cloned()
            .collect();
        for community in &locked {
            sqlx::query(
                "INSERT INTO report_view (report_key, community, month, submitted_on, on_time,
                     submissions, approval)
                 VALUES ($1, $2, '2026-11', '2026-12-02', 1, 1, 'street')",
            )
            .bind(format!("{community}/2026-11"))
            .bind(community.as_str())
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let locks: Vec<(String, String)> = locked
            .iter()
            .map(|c| (c.clone(), "2026-11".to_owned()))
            .collect();
        db::relock(&mut Conn::Any(&mut conn), &locks, &[])
            .await
            .unwrap();
        // Late deltas, after the approval.
        db::add_deltas_in_streets(&mut Conn::Any(&mut conn), &late, &streets)
            .await
            .unwrap();
        // Persons: one counted in two communities of the street, others in one.
        let mut persons = vec![
            (distinct[0], in_street[0].as_str(), "2026-11-03", "p1"),
            (distinct[0], in_street[1].as_str(), "2026-11-12", "p1"),
            (distinct[0], in_street[1].as_str(), "2026-11-30", "p2"),
            (
                distinct[0],
                communities[communities.len() - 1].as_str(),
                "2026-10-05",
                "p3",
            ),
            (distinct[0], in_street[0].as_str(), "2026-12-01", "p1"),
        ];
        if let Some(other) = distinct.get(1) {
            persons.push((other, in_street[0].as_str(), "2026-11-15", "p1"));
            persons.push((other, in_street[0].as_str(), "2026-11-16", "p4"));
        }
        for (element, community, day, person) in persons {
            sqlx::query(
                "INSERT INTO kpi_persons (person_key, element, community, day, person)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(format!("{element}/{community}/{day}/{person}"))
            .bind(element)
            .bind(community)
            .bind(day)
            .bind(person)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        drop(conn);

        let native = Insights::new(projection.clone(), tree.clone());
        let portable = Insights::new(projection.clone().with_portable_reads(), tree.clone());
        let caller = Caller {
            subject: "test".into(),
            role: Role::District,
            org_unit: district.clone(),
        };
        let units = [district.as_str(), street.as_str(), in_street[0].as_str()];
        let periods = ["202611", "202610", "2026Q4", "2026", "2026W49", "20261115"];
        let mut late_seen = false;
        for unit in units {
            for period in periods {
                let kpis = GetKpisRequest {
                    org_unit: unit.into(),
                    period: period.into(),
                };
                let fast = native.get_kpis(&caller, kpis.clone()).await.unwrap();
                let slow = portable.get_kpis(&caller, kpis).await.unwrap();
                assert_eq!(fast, slow, "GetKpis {unit} {period}");
                late_seen |= fast.org_unit.iter().flat_map(|u| &u.values).any(|v| v.late);
                let indicators = GetIndicatorsRequest {
                    org_unit: unit.into(),
                    period: period.into(),
                    indicators: vec![],
                };
                let fast = native.get_indicators(&caller, indicators.clone()).await;
                let slow = portable.get_indicators(&caller, indicators).await;
                assert_eq!(
                    fast.unwrap(),
                    slow.unwrap(),
                    "GetIndicators {unit} {period}"
                );
            }
        }
        assert!(
            late_seen,
            "the fixture has late values beside approved ones"
        );
        // The trend over 14 months (the locked one among them), for every indicator.
        for unit in units {
            for indicator in native.projection.catalog().indicators() {
                let trend = GetIndicatorTrendRequest {
                    org_unit: unit.into(),
                    indicator: indicator.code.clone(),
                    period: "202612".into(),
                    periods: 14,
                };
                let fast = native.get_indicator_trend(&caller, trend.clone()).await;
                let slow = portable.get_indicator_trend(&caller, trend).await;
                assert_eq!(
                    fast.unwrap(),
                    slow.unwrap(),
                    "GetIndicatorTrend {unit} {}",
                    indicator.code
                );
            }
        }
        // The DISTINCT counts are not sums: p1 counts once at the street.
        let street_kpis = native
            .get_kpis(
                &caller,
                GetKpisRequest {
                    org_unit: street.clone(),
                    period: "202611".into(),
                },
            )
            .await
            .unwrap();
        let counted = street_kpis
            .org_unit
            .unwrap()
            .values
            .into_iter()
            .find(|v| v.element == distinct[0])
            .unwrap();
        assert_eq!(counted.value, 2.0, "p1 and p2");

        // The district's reads took the street rollups: a street's rows changed show
        // in them, and not in the per-community path.
        let rollup = db::streets::street_key(&tree.children(&district)[1].code);
        for table in [
            "kpi_facts SET value = value",
            "kpi_months SET to_end = to_end",
        ] {
            sqlx::query(&format!("UPDATE {table} + 1000 WHERE community = $1"))
                .bind(&rollup)
                .execute(&projection.pool)
                .await
                .unwrap();
        }
        for period in ["202611", "2026W49"] {
            let kpis = GetKpisRequest {
                org_unit: district.clone(),
                period: period.into(),
            };
            let fast = native.get_kpis(&caller, kpis.clone()).await.unwrap();
            let slow = portable.get_kpis(&caller, kpis).await.unwrap();
            assert_ne!(fast, slow, "GetKpis {period} reads {rollup}");
        }
        projection.pool.close().await;
    }
}
