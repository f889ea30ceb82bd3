//! The KPI deltas (`kpi_facts`): per element, community and day, the sum of the
//! deltas the rules produced; a period's value is read back from them as in-period and
//! to-date totals.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::{placeholders, Conn, Value, COMMUNITIES_PER_QUERY};
use crate::error::ProjectionError;
use crate::rules::Deltas;

/// Adds every delta to its element's value in its community on its day, in one
/// upsert (in key order). Zero deltas are written too, so which rows exist does not
/// depend on how events were split into batches (a rebuild is byte-identical).
pub async fn add_deltas(conn: &mut Conn<'_>, deltas: &Deltas) -> Result<(), ProjectionError> {
    let rows: Vec<Vec<Value>> = deltas
        .iter()
        .map(|((element, community, day), delta)| {
            vec![
                Value::from(*element),
                community.as_str().into(),
                day.as_str().into(),
                (*delta).into(),
            ]
        })
        .collect();
    conn.insert_rows(
        "kpi_facts (element, community, day, value)",
        "ON CONFLICT (element, community, day) DO UPDATE SET value = kpi_facts.value + excluded.value",
        &rows,
    )
    .await
}

/// [`add_deltas`] of one delta.
#[cfg(test)]
async fn add_delta(
    conn: &mut sqlx::AnyConnection,
    element: &'static str,
    community: &str,
    day: &str,
    delta: i64,
) -> Result<(), ProjectionError> {
    let key = (element, community.to_owned(), day.to_owned());
    add_deltas(&mut Conn::Any(conn), &Deltas::from([(key, delta)])).await
}

/// One element's sums for one community: the deltas within a period and up to its end.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub in_period: i64,
    pub to_date: i64,
}

/// Per community and element, the sums of deltas with `first <= day <= last`
/// (`in_period`) and with `day <= last` (`to_date`); days are `YYYY-MM-DD`: one
/// window of [`window_totals`].
#[cfg(test)]
pub async fn totals(
    pool: &AnyPool,
    communities: &[String],
    first: &str,
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Totals>>, ProjectionError> {
    let windows = window_totals(pool, communities, &[first], last).await?;
    Ok(windows
        .into_iter()
        .map(|(community, elements)| {
            let elements = elements
                .into_iter()
                .map(|(element, w)| {
                    let totals = Totals {
                        in_period: w.in_window[0],
                        to_date: w.to_date,
                    };
                    (element, totals)
                })
                .collect();
            (community, elements)
        })
        .collect())
}

/// One element's sums for one community over consecutive windows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows {
    /// Per window `starts[i] <= day < starts[i + 1]` (the last ending with `last`).
    pub in_window: Vec<i64>,
    /// Every delta with `day <= last`.
    pub to_date: i64,
}

/// Per community and element, in one scan of the facts for several consecutive periods,
/// the deltas of each window from `starts[i]` up to the next start (the last one up
/// to and including `last`), and everything up to `last`. `starts` ascend.
pub async fn window_totals(
    pool: &AnyPool,
    communities: &[String],
    starts: &[&str],
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Windows>>, ProjectionError> {
    let n = starts.len();
    // $1..$n the starts, $n+1 the last day, then the communities.
    let windows: String = (1..=n)
        .map(|i| {
            let upper = match i < n {
                true => format!(" AND day < ${}", i + 1),
                false => String::new(),
            };
            format!("CAST(SUM(CASE WHEN day >= ${i}{upper} THEN value ELSE 0 END) AS BIGINT), ")
        })
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, Windows>> = BTreeMap::new();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        let placeholders = placeholders(n + 2, chunk.len());
        let sql = format!(
            "SELECT community, element, {windows}CAST(SUM(value) AS BIGINT)
             FROM kpi_facts WHERE day <= ${} AND community IN ({placeholders})
             GROUP BY community, element",
            n + 1
        );
        let mut query = sqlx::query(&sql);
        for start in starts {
            query = query.bind(*start);
        }
        query = query.bind(last);
        for community in chunk {
            query = query.bind(community);
        }
        for row in query.fetch_all(pool).await? {
            let in_window = (0..n)
                .map(|i| row.try_get(2 + i))
                .collect::<Result<Vec<i64>, _>>()?;
            let windows = Windows {
                in_window,
                to_date: row.try_get(2 + n)?,
            };
            out.entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, windows);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::open;
    use super::*;

    /// `totals` separates deltas inside the period (flows, SUM) from everything up to its
    /// end (stocks, LAST), and filters communities; on both backends.
    #[tokio::test]
    async fn totals_split_period_and_to_date_on_both_backends() {
        let dir = civitas_testkit::temp_dir();
        let pg = civitas_testkit::fresh_postgres_db()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        for url in [
            format!("sqlite://{}/p.db?mode=rwc", dir.path().display()),
            pg.url.clone(),
        ] {
            let pool = open(&url, None).await.unwrap();
            let mut conn = pool.acquire().await.unwrap();
            for (community, day, delta) in [
                ("a", "2026-10-31", 5),
                ("a", "2026-11-01", 2),
                ("a", "2026-11-30", -1),
                ("a", "2026-12-01", 7),
                ("b", "2026-11-15", 3),
            ] {
                add_delta(&mut conn, "flow", community, day, delta)
                    .await
                    .unwrap();
            }
            add_delta(&mut conn, "flow", "a", "2026-11-01", 1)
                .await
                .unwrap();
            drop(conn);

            let got = totals(&pool, &["a".into(), "c".into()], "2026-11-01", "2026-11-30")
                .await
                .unwrap();
            assert_eq!(
                got.len(),
                1,
                "{url}: only communities asked for and with deltas"
            );
            assert_eq!(
                got["a"]["flow"],
                Totals {
                    in_period: 2,
                    to_date: 7
                },
                "{url}"
            );
            // The same facts in three consecutive windows, read once.
            let starts = ["2026-10-01", "2026-11-01", "2026-12-01"];
            let got = window_totals(&pool, &["a".into(), "b".into()], &starts, "2026-12-31")
                .await
                .unwrap();
            assert_eq!(
                got["a"]["flow"],
                Windows {
                    in_window: vec![5, 2, 7],
                    to_date: 14
                },
                "{url}"
            );
            assert_eq!(got["b"]["flow"].in_window, [0, 3, 0], "{url}");
            pool.close().await;
        }
    }
}
