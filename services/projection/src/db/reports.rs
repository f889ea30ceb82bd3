//! Monthly reports as read (`report_view`, kept by the rules like every view) and the
//! approved figures of locked months (`approved_figures`): when a community's
//! monthly report is approved by its street office, its values for that month are
//! copied from `kpi_facts` as they stand, and reads of that month serve the copy. An
//! event that arrives later for the month still changes `kpi_facts`; reads show that
//! value beside the approved one, flagged late, until the district withdraws the
//! approval and the copy is dropped.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Months, NaiveDate};
use sqlx::{AnyPool, Row};

use super::{placeholders, Conn, Value, COMMUNITIES_PER_QUERY};
use crate::error::ProjectionError;
use crate::rules::{ReportRow, Table};

/// A community and a month, `YYYY-MM`.
pub type CommunityMonth = (String, String);

/// One element's approved figures for a month: the month's own deltas and the total to
/// its end (a flow reads the first, a stock the second).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Approved {
    pub in_month: i64,
    pub to_end: i64,
}

/// Which months a batch locked (approved at a first level) and unlocked (approval
/// withdrawn), from the report rows before and after it.
pub fn lock_changes(
    before: &Table<ReportRow>,
    after: &Table<ReportRow>,
) -> (Vec<CommunityMonth>, Vec<CommunityMonth>) {
    let locked = |row: Option<&ReportRow>| row.is_some_and(|r| !r.approval.is_empty());
    let (mut locks, mut unlocks) = (Vec::new(), Vec::new());
    for (key, row) in after {
        let was = locked(before.get(key).and_then(Option::as_ref));
        let Some(row) = row else { continue };
        match (was, locked(Some(row))) {
            (false, true) => locks.push((row.community.clone(), row.month.clone())),
            (true, false) => unlocks.push((row.community.clone(), row.month.clone())),
            _ => {}
        }
    }
    (locks, unlocks)
}

/// Every locked month among `rows` (a rebuild locks them all at its end).
pub fn locked(rows: &Table<ReportRow>) -> Vec<CommunityMonth> {
    rows.values()
        .flatten()
        .filter(|r| !r.approval.is_empty())
        .map(|r| (r.community.clone(), r.month.clone()))
        .collect()
}

/// The first and last day of a `YYYY-MM` month, as `YYYY-MM-DD`.
fn month_days(month: &str) -> Result<(String, String), ProjectionError> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|e| anyhow::anyhow!("report month {month:?}: {e}"))?;
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .ok_or_else(|| anyhow::anyhow!("report month {month:?} out of range"))?;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    Ok((day(first), day(last)))
}

/// Drops the copies of `unlocks` and copies the current figures of `locks`, in the
/// batch's transaction after its deltas are written.
pub async fn relock(
    conn: &mut Conn<'_>,
    locks: &[CommunityMonth],
    unlocks: &[CommunityMonth],
) -> Result<(), ProjectionError> {
    for (community, month) in unlocks.iter().chain(locks) {
        conn.execute(
            "DELETE FROM approved_figures WHERE community = $1 AND month = $2",
            &[community.as_str().into(), month.as_str().into()],
        )
        .await?;
    }
    for (community, month) in locks {
        let (first, last) = month_days(month)?;
        let args: [Value; 4] = [
            community.as_str().into(),
            month.as_str().into(),
            first.as_str().into(),
            last.as_str().into(),
        ];
        conn.execute(
            "INSERT INTO approved_figures (community, month, element, in_month, to_end)
             SELECT community, $2, element,
                    CAST(SUM(CASE WHEN day >= $3 THEN value ELSE 0 END) AS BIGINT),
                    CAST(SUM(value) AS BIGINT)
             FROM kpi_facts WHERE community = $1 AND day <= $4
             GROUP BY community, element",
            &args,
        )
        .await?;
    }
    Ok(())
}

/// The approved figures of `month` (`YYYY-MM`) for those of `communities` that have
/// the month locked: per community, per element.
pub async fn approved_figures(
    pool: &AnyPool,
    communities: &[String],
    month: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Approved>>, ProjectionError> {
    let mut out: BTreeMap<String, BTreeMap<String, Approved>> = BTreeMap::new();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        let sql = format!(
            "SELECT community, element, in_month, to_end FROM approved_figures
             WHERE month = $1 AND community IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(month);
        for community in chunk {
            query = query.bind(community);
        }
        for row in query.fetch_all(pool).await? {
            let figures = Approved {
                in_month: row.try_get(2)?,
                to_end: row.try_get(3)?,
            };
            out.entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, figures);
        }
    }
    Ok(out)
}

/// Of `communities`, those whose `month` is locked (approved figures held, even if a
/// community had no figures at all to copy), from the report rows.
pub async fn locked_communities(
    pool: &AnyPool,
    communities: &[String],
    month: &str,
) -> Result<BTreeSet<String>, ProjectionError> {
    let mut out = BTreeSet::new();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        let sql = format!(
            "SELECT community FROM report_view
             WHERE month = $1 AND approval <> '' AND community IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(month);
        for community in chunk {
            query = query.bind(community);
        }
        for row in query.fetch_all(pool).await? {
            out.insert(row.try_get(0)?);
        }
    }
    Ok(out)
}

/// The report rows of `month` (`YYYY-MM`) for `communities`, by community.
pub async fn report_rows(
    pool: &AnyPool,
    communities: &[String],
    month: &str,
) -> Result<BTreeMap<String, ReportRow>, ProjectionError> {
    let keys: Vec<String> = communities.iter().map(|c| format!("{c}/{month}")).collect();
    let mut conn = pool.acquire().await?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found = super::views::select::<ReportRow>(&mut Conn::Any(&mut conn), &keys).await?;
    Ok(found
        .into_iter()
        .map(|(_, row)| (row.community.clone(), row))
        .collect())
}
