//! Reading DISTINCT elements (`kpi_persons`): the number of different persons a group
//! of communities counted in a period, which is not the sum of the communities' own
//! counts when one person appears in two of them.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::placeholders;
use crate::error::ProjectionError;

/// A code (an org unit's) and the communities whose persons it counts.
pub type Group = (String, Vec<String>);

/// Per group code, per DISTINCT element, the distinct persons counted in the group's
/// communities with `first <= day <= last` (`YYYY-MM-DD`). Elements nobody was
/// counted for are left out.
pub async fn distinct_counts(
    pool: &AnyPool,
    groups: &[Group],
    first: &str,
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, i64>>, ProjectionError> {
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    // Single communities in one statement, grouped by community.
    let singles: Vec<&String> = groups
        .iter()
        .filter(|(code, communities)| communities.len() == 1 && communities[0] == *code)
        .map(|(code, _)| code)
        .collect();
    for chunk in singles.chunks(super::COMMUNITIES_PER_QUERY) {
        let sql = format!(
            "SELECT community, element, CAST(COUNT(DISTINCT person) AS BIGINT) FROM kpi_persons
             WHERE day >= $1 AND day <= $2 AND community IN ({})
             GROUP BY community, element",
            placeholders(3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(first).bind(last);
        for community in chunk {
            query = query.bind(community.as_str());
        }
        for row in query.fetch_all(pool).await? {
            out.entry(row.try_get(0)?)
                .or_default()
                .insert(row.try_get(1)?, row.try_get(2)?);
        }
    }
    // Every other group on its own: its persons counted once across its communities.
    for (code, communities) in groups {
        if communities.is_empty() || singles.contains(&code) {
            continue;
        }
        let sql = format!(
            "SELECT element, CAST(COUNT(DISTINCT person) AS BIGINT) FROM kpi_persons
             WHERE day >= $1 AND day <= $2 AND community IN ({})
             GROUP BY element",
            placeholders(3, communities.len())
        );
        let mut query = sqlx::query(&sql).bind(first).bind(last);
        for community in communities {
            query = query.bind(community.as_str());
        }
        let counts = out.entry(code.clone()).or_default();
        for row in query.fetch_all(pool).await? {
            counts.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(out)
}
