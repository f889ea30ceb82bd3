//! The KPI reads of a unit and its children on PostgreSQL, natively and summed in SQL
//! per group of communities (a unit, or the part of a unit whose months are locked
//! alike): the statements return a few rows per group and element instead of one per
//! community and element, and bind one array per column instead of a placeholder per
//! community. SQLite reads per community through `sqlx::Any` ([`crate::db::window_totals`]
//! and its neighbours); the sums are the same.
//!
//! Each statement joins the communities to their groups (`UNNEST($2::text[],
//! $3::int4[])`: a community in several groups counts in each), so a community's rows
//! are read once and summed into every group it belongs to.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;

use crate::db::kpi::DayRanges;
pub use crate::db::kpi::Plan;
use crate::db::reports::Approved;
use crate::db::streets::{street_key, StreetMembers};
use crate::db::Writer;
use crate::error::ProjectionError;

/// Most connections of the reader pool: the reads of one call run side by side.
const READERS: u32 = 6;

/// From how many keys (communities and street rollups) [`group_sums`] reads in two
/// halves side by side: a district read as 15 street rollups is a few tens of
/// thousands of rows, which two server processes sum in about half the time.
const SPLIT_FROM: usize = 8;

/// A pool of native connections for reads on PostgreSQL, beside the writer's (so reads
/// never wait for a batch's connection), in the same schema; `None` on SQLite. The
/// connections are opened when first used.
pub fn open_reader(writer: &Writer) -> Option<PgPool> {
    let Writer::Pg { pool, schema } = writer else {
        return None;
    };
    let search_path = format!("SET search_path TO {schema}");
    let options = (*pool.connect_options()).clone();
    let reader = PgPoolOptions::new()
        .max_connections(READERS)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                sqlx::query(&search_path).execute(&mut *conn).await?;
                // The arrays bound differ in length from call to call: plan each
                // statement for its values rather than once for any.
                sqlx::query(crate::db::schema::CUSTOM_PLANS)
                    .execute(&mut *conn)
                    .await?;
                // Room to hash a district's groups (a few MB) rather than sort them.
                sqlx::query("SET work_mem TO '16MB'").execute(conn).await?;
                Ok(())
            })
        })
        .connect_lazy_with(options);
    Some(reader)
}

/// Which groups communities count in: one entry per (community, group), a community
/// in as many entries as it has groups. [`group_sums`] also takes a street rollup's key
/// for a community and a sign: a group's sums are the sum of its entries' rows, each
/// times its sign (a street's row less those of its communities counted elsewhere).
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub communities: Vec<String>,
    pub groups: Vec<i32>,
    pub signs: Vec<i32>,
}

impl Members {
    pub fn push(&mut self, community: &str, group: usize) -> Result<(), ProjectionError> {
        let group =
            i32::try_from(group).map_err(|_| anyhow::anyhow!("group {group} out of range"))?;
        self.push_signed(community.to_owned(), group, 1);
        Ok(())
    }

    fn push_signed(&mut self, community: String, group: i32, sign: i32) {
        self.communities.push(community);
        self.groups.push(group);
        self.signs.push(sign);
    }

    /// These members (each community in one group) with the rows of whole streets read
    /// as their rollups (see [`crate::db::streets`]): for each street whose row may
    /// stand for its communities, those in the group holding most of them are replaced
    /// by the street's row, and the others (locked differently, say) are taken off it.
    pub fn rolled_up(&self, streets: &StreetMembers) -> Members {
        let group_of: HashMap<&str, i32> = self
            .communities
            .iter()
            .map(String::as_str)
            .zip(self.groups.iter().copied())
            .collect();
        let mut out = Members::default();
        let mut replaced: HashSet<&str> = HashSet::new();
        for (street, communities) in streets.eligible(|c| group_of.contains_key(c)) {
            let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
            for c in &communities {
                *counts.entry(group_of[c]).or_default() += 1;
            }
            let Some((&most, &n)) = counts.iter().max_by_key(|(g, n)| (**n, -**g)) else {
                continue;
            };
            if n < 2 {
                continue;
            }
            out.push_signed(street_key(street), most, 1);
            for c in communities {
                match group_of[c] == most {
                    true => {
                        replaced.insert(c);
                    }
                    false => out.push_signed(c.to_owned(), most, -1),
                }
            }
        }
        for ((community, group), sign) in self.communities.iter().zip(&self.groups).zip(&self.signs)
        {
            if !replaced.contains(community.as_str()) {
                out.push_signed(community.clone(), *group, *sign);
            }
        }
        out
    }

    /// Every community once (for the index conditions).
    fn distinct(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.communities.iter().map(String::as_str).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Per group and element (`(group, element)`), some sums.
pub type GroupSums = HashMap<(usize, String), Vec<i64>>;

/// Rows of [`GroupSums`] as read.
type Rows = Vec<((usize, String), Vec<i64>)>;

fn group_of(row: &sqlx::postgres::PgRow) -> Result<usize, ProjectionError> {
    let group: i32 = row.try_get(0)?;
    Ok(usize::try_from(group).map_err(|_| anyhow::anyhow!("group {group} is negative"))?)
}

/// Per group and element, the values [`Plan`] reads, summed over the group's
/// communities: the balance at the end of each of `plan.months` (a pair's row at the
/// month, or its latest row if it stopped before, or 0 if it started after: exactly
/// one of the first two, or none, matches a pair, its rows running without gaps from
/// its first month to its latest), then the sum of the day rows of each of
/// `plan.ranges`. Groups and elements without any row read are left out.
pub async fn group_sums(
    pool: &PgPool,
    members: &Members,
    plan: &Plan,
) -> Result<GroupSums, ProjectionError> {
    // The sums are additive over communities: many communities are read as two
    // halves side by side (two connections, two server processes).
    let communities = members.distinct();
    let halves: Vec<Vec<&str>> = match communities.len() >= SPLIT_FROM {
        true => communities
            .chunks(communities.len().div_ceil(2))
            .map(<[&str]>::to_vec)
            .collect(),
        false => vec![communities],
    };
    let parts: Vec<Members> = match halves.len() {
        1 => vec![members.clone()],
        _ => halves
            .iter()
            .map(|half| {
                let mut part = Members::default();
                let entries = members.communities.iter().zip(&members.groups);
                for ((community, group), sign) in entries.zip(&members.signs) {
                    if half.binary_search(&community.as_str()).is_ok() {
                        part.push_signed(community.clone(), *group, *sign);
                    }
                }
                part
            })
            .collect(),
    };
    let read = halves.iter().zip(&parts).map(|(half, part)| async move {
        tokio::try_join!(group_balances(pool, half, part, plan), async {
            match plan.ranges.is_empty() {
                true => Ok(Vec::new()),
                false => group_days(pool, half, part, &plan.ranges).await,
            }
        })
    });
    let width = plan.width();
    let columns = 2 * plan.months.len();
    let mut out = GroupSums::new();
    for (balances, days) in futures::future::try_join_all(read).await? {
        for (key, values) in balances {
            let sums = &mut out.entry(key).or_insert_with(|| vec![0; width])[..columns];
            sums.iter_mut().zip(values).for_each(|(sum, v)| *sum += v);
        }
        for (key, values) in days {
            let sums = &mut out.entry(key).or_insert_with(|| vec![0; width])[columns..];
            sums.iter_mut().zip(values).for_each(|(sum, v)| *sum += v);
        }
    }
    Ok(out)
}

/// Rows of `group, element` and `n` sums.
fn read_group_sums(rows: Vec<sqlx::postgres::PgRow>, n: usize) -> Result<Rows, ProjectionError> {
    rows.iter()
        .map(|row| {
            let sums = (0..n)
                .map(|i| row.try_get(2 + i))
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(((group_of(row)?, row.try_get(1)?), sums))
        })
        .collect()
}

/// The balances part of [`group_sums`]: per month the balances, then per month its
/// own deltas. The rows at the months and the latest rows before the newest (the
/// others) are read apart, so that each is an index-only scan (`kpi_months_balances`
/// holds every column read).
async fn group_balances(
    pool: &PgPool,
    communities: &[&str],
    members: &Members,
    plan: &Plan,
) -> Result<Rows, ProjectionError> {
    let months = &plan.months;
    let k = months.len();
    // $1 the communities, $2 and $3 the members, $4..$3+k the months, $4+k the newest,
    // $5+k the members' signs; 0 for the columns the plan does not use.
    let balances = (0..k).map(|i| match plan.uses_balance(i) {
        true => format!(
            "CAST(SUM(CASE WHEN k.month = ${m} OR (k.latest = 1 AND k.month < ${m})
                 THEN m.sign * k.to_end ELSE 0 END) AS BIGINT)",
            m = 4 + i
        ),
        false => "CAST(0 AS BIGINT)".to_owned(),
    });
    let own = (0..k).map(|i| match plan.uses_in_month(i) {
        true => format!(
            "CAST(SUM(CASE WHEN k.month = ${} THEN m.sign * k.in_month ELSE 0 END) AS BIGINT)",
            4 + i
        ),
        false => "CAST(0 AS BIGINT)".to_owned(),
    });
    let columns: Vec<String> = balances.chain(own).collect();
    let listed = crate::db::placeholders(4, k);
    let sql = format!(
        "SELECT m.grp, k.element, {}
         FROM (SELECT community, element, month, to_end, in_month, latest FROM kpi_months
               WHERE community = ANY($1::text[]) AND month IN ({listed})
               UNION ALL
               SELECT community, element, month, to_end, in_month, latest FROM kpi_months
               WHERE community = ANY($1::text[]) AND latest = 1 AND month < ${newest}
                 AND month NOT IN ({listed})) AS k
         JOIN UNNEST($2::text[], $3::int4[], ${signs}::int4[]) AS m(community, grp, sign)
           ON m.community = k.community
         GROUP BY m.grp, k.element",
        columns.join(", "),
        newest = 4 + k,
        signs = 5 + k
    );
    let newest = months.iter().max().cloned().unwrap_or_default();
    let mut query = sqlx::query(&sql)
        .bind(communities)
        .bind(&members.communities)
        .bind(&members.groups);
    for month in months {
        query = query.bind(month.as_str());
    }
    let rows = query
        .bind(newest)
        .bind(&members.signs)
        .fetch_all(pool)
        .await?;
    read_group_sums(rows, 2 * k)
}

/// The statement of [`group_days`] for `ranges`: $1 the communities, $2 and $3 the
/// members, the ranges from $4 (see [`DayRanges`]), then the members' signs.
pub(crate) fn group_days_sql(ranges: &[(String, String)]) -> String {
    let days = DayRanges::new(ranges, 4);
    let columns: Vec<String> = (0..ranges.len())
        .map(|i| {
            format!(
                "CAST(SUM(CASE WHEN {} THEN m.sign * f.value ELSE 0 END) AS BIGINT)",
                days.within("f.day", i)
            )
        })
        .collect();
    format!(
        "SELECT m.grp, f.element, {}
         FROM kpi_facts f
         JOIN UNNEST($2::text[], $3::int4[], ${}::int4[]) AS m(community, grp, sign)
           ON m.community = f.community
         WHERE f.community = ANY($1::text[]) AND {}
         GROUP BY m.grp, f.element",
        columns.join(", "),
        days.next(),
        days.any("f.day")
    )
}

/// The day-row part of [`group_sums`].
async fn group_days(
    pool: &PgPool,
    communities: &[&str],
    members: &Members,
    ranges: &[(String, String)],
) -> Result<Rows, ProjectionError> {
    let sql = group_days_sql(ranges);
    let mut query = sqlx::query(&sql)
        .bind(communities)
        .bind(&members.communities)
        .bind(&members.groups);
    for day in DayRanges::new(ranges, 4).binds() {
        query = query.bind(day);
    }
    let rows = query.bind(&members.signs).fetch_all(pool).await?;
    read_group_sums(rows, ranges.len())
}

/// Per group, per DISTINCT element, the different persons counted in the group's
/// communities with `first <= day <= last` (`YYYY-MM-DD`): as
/// [`crate::db::distinct_counts`], every group in one statement. Elements nobody was
/// counted for are left out.
pub async fn group_distinct_counts(
    pool: &PgPool,
    members: &Members,
    first: &str,
    last: &str,
) -> Result<Vec<(usize, String, i64)>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT m.grp, p.element, CAST(COUNT(DISTINCT p.person) AS BIGINT)
         FROM kpi_persons p
         JOIN UNNEST($2::text[], $3::int4[]) AS m(community, grp) ON m.community = p.community
         WHERE p.community = ANY($1::text[]) AND p.day >= $4 AND p.day <= $5
         GROUP BY m.grp, p.element",
    )
    .bind(members.distinct())
    .bind(&members.communities)
    .bind(&members.groups)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((group_of(row)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

/// Of `communities`, those whose `month` (`YYYY-MM`) is locked: as
/// [`crate::db::locked_communities`].
pub async fn locked_among(
    pool: &PgPool,
    communities: &[&str],
    month: &str,
) -> Result<Vec<String>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT community FROM report_view
         WHERE month = $1 AND approval <> '' AND community = ANY($2::text[])",
    )
    .bind(month)
    .bind(communities)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// Per group and element, the approved figures of `month` (`YYYY-MM`) summed over
/// the group's communities (which should be the locked ones: see
/// [`crate::db::approved_figures`]).
pub async fn group_approved(
    pool: &PgPool,
    members: &Members,
    month: &str,
) -> Result<Vec<(usize, String, Approved)>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT m.grp, a.element, CAST(SUM(a.in_month) AS BIGINT), CAST(SUM(a.to_end) AS BIGINT)
         FROM approved_figures a
         JOIN UNNEST($2::text[], $3::int4[]) AS m(community, grp) ON m.community = a.community
         WHERE a.month = $1 AND a.community = ANY($4::text[])
         GROUP BY m.grp, a.element",
    )
    .bind(month)
    .bind(&members.communities)
    .bind(&members.groups)
    .bind(members.distinct())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let figures = Approved {
                in_month: row.try_get(2)?,
                to_end: row.try_get(3)?,
            };
            Ok((group_of(row)?, row.try_get(1)?, figures))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::group_days_sql;

    /// A week's day rows of a street rollup holding a year of them are found by the
    /// index on (community, day), not by reading the street's whole year and
    /// filtering it: the ranges' `OR` alone gave the index only the community.
    #[tokio::test]
    async fn a_week_of_day_rows_is_sought_by_day_in_the_index() {
        let pg = civitas_testkit::fresh_postgres_db()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        crate::db::open(&pg.url, None).await.unwrap();
        let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
        // Two street rollups, 40 elements a day over 2026.
        sqlx::query(
            "INSERT INTO kpi_facts (element, community, day, value)
             SELECT 'e' || e, 'street:s' || s, to_char(d, 'YYYY-MM-DD'), 1
             FROM generate_series(1, 40) AS e, generate_series(1, 2) AS s,
                  generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL '1 day') AS d",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("ANALYZE kpi_facts")
            .execute(&pool)
            .await
            .unwrap();
        let ranges = [
            ("2026-11-23".to_owned(), "2026-11-30".to_owned()),
            ("2026-12-01".to_owned(), "2026-12-06".to_owned()),
        ];
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query(&format!(
            "PREPARE week(text[], text[], int4[], text, text, text, text, text, text, int4[]) AS {}",
            group_days_sql(&ranges)
        ))
        .execute(&mut *conn)
        .await
        .unwrap();
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN EXECUTE week('{street:s1}', '{street:s1}', '{0}', '2026-11-23',
                 '2026-12-06', '2026-11-23', '2026-11-30', '2026-12-01', '2026-12-06', '{1}')",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
        let plan = plan.join("\n");
        let conditions: Vec<&str> = plan.lines().filter(|l| l.contains("Cond:")).collect();
        assert!(
            conditions.iter().any(|l| l.contains("day >=")),
            "no index condition on the day:\n{plan}"
        );
    }
}
