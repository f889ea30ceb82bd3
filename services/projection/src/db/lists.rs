//! Staff lists read from the read-model tables: rows of the communities asked for that
//! match a filter, keyed by their id. Callers sort; chunks of communities are queried
//! separately, so no order is promised here.

use sqlx::{AnyPool, Row};

use super::views::select as select_keys;
use super::{placeholders, Conn, Stored, COMMUNITIES_PER_QUERY};
use crate::error::ProjectionError;
use crate::rules::{
    activities, safety, ActivityRow, IncidentRow, PendingApproval, RectificationRow, ResidentRow,
    VolunteerRow,
};

/// Rows of `R` in `communities` matching `filter`, a SQL condition over `$1..$n` bound
/// to `params` in order.
async fn select<R: Stored>(
    pool: &AnyPool,
    communities: &[String],
    filter: &str,
    params: &[&str],
) -> Result<Vec<(String, R)>, ProjectionError> {
    let mut out = Vec::new();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        let placeholders = placeholders(params.len() + 1, chunk.len());
        let sql = format!(
            "SELECT {columns}, {key} FROM {table} WHERE ({filter}) AND community IN ({placeholders})",
            columns = R::COLUMNS.join(", "),
            key = R::KEY,
            table = R::TABLE,
        );
        let mut query = sqlx::query(&sql);
        for p in params {
            query = query.bind(*p);
        }
        for community in chunk {
            query = query.bind(community);
        }
        for row in query.fetch_all(pool).await? {
            let key: String = row.try_get(R::COLUMNS.len())?;
            out.push((key, R::from_row(&row)?));
        }
    }
    Ok(out)
}

/// Scheduled activities starting in `[from, to)` (RFC 3339 UTC text).
pub async fn upcoming_activities(
    pool: &AnyPool,
    communities: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<(String, ActivityRow)>, ProjectionError> {
    let filter = "status = $1 AND starts_at >= $2 AND starts_at < $3";
    select(
        pool,
        communities,
        filter,
        &[activities::SCHEDULED, from, to],
    )
    .await
}

/// One activity by id.
pub async fn activity(
    pool: &AnyPool,
    activity_id: &str,
) -> Result<Option<ActivityRow>, ProjectionError> {
    let mut conn = pool.acquire().await?;
    let found = select_keys(&mut Conn::Any(&mut conn), &[activity_id]).await?;
    Ok(found.into_iter().next().map(|(_, row)| row))
}

/// Service records awaiting approval.
pub async fn pending_approvals(
    pool: &AnyPool,
    communities: &[String],
) -> Result<Vec<(String, PendingApproval)>, ProjectionError> {
    select(pool, communities, "1 = 1", &[]).await
}

/// Every volunteer, active or not.
pub async fn volunteers(
    pool: &AnyPool,
    communities: &[String],
) -> Result<Vec<(String, VolunteerRow)>, ProjectionError> {
    select(pool, communities, "1 = 1", &[]).await
}

/// Incidents neither resolved nor closed.
pub async fn open_incidents(
    pool: &AnyPool,
    communities: &[String],
) -> Result<Vec<(String, IncidentRow)>, ProjectionError> {
    let filter = "state <> $1 AND state <> $2";
    select(
        pool,
        communities,
        filter,
        &[safety::RESOLVED, safety::INCIDENT_CLOSED],
    )
    .await
}

/// Open rectifications whose deadline (`YYYY-MM-DD`) is before `due_before`.
pub async fn overdue_rectifications(
    pool: &AnyPool,
    communities: &[String],
    due_before: &str,
) -> Result<Vec<(String, RectificationRow)>, ProjectionError> {
    let filter = "state = $1 AND deadline <> '' AND deadline < $2";
    select(pool, communities, filter, &[safety::OPEN, due_before]).await
}

/// Active residents on the care register `category` (its code) whose last visit was
/// before `before` (`YYYY-MM-DD`), never-visited ones included.
pub async fn due_for_visit(
    pool: &AnyPool,
    communities: &[String],
    category: &str,
    before: &str,
) -> Result<Vec<(String, ResidentRow)>, ProjectionError> {
    let filter = "active = 1 AND (',' || care_categories || ',') LIKE $1 AND last_visited < $2";
    let pattern = format!("%,{category},%");
    select(pool, communities, filter, &[&pattern, before]).await
}

/// Alert incidents reported on days `first..=last` (`YYYY-MM-DD`).
pub async fn alerts(
    pool: &AnyPool,
    communities: &[String],
    first: &str,
    last: &str,
) -> Result<Vec<(String, IncidentRow)>, ProjectionError> {
    let filter = "alert = 1 AND reported_day >= $1 AND reported_day <= $2";
    select(pool, communities, filter, &[first, last]).await
}
