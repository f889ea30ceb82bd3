//! Street rollups: every KPI delta of a community is also added to its street's row
//! (`kpi_facts` and `kpi_months` under the key `street:<code>`), so a district's read
//! sums 15 street rows per element instead of 300 community rows (see
//! [`crate::db::conn::rollup`]).
//!
//! A community's street is its events' (the envelope's org path); `street_members`
//! records each pair, and whether the street's row holds all of the community's
//! deltas (`whole`: it had none when the pair was recorded; a projection migrated
//! with facts already there gets its rollups whole only from a rebuild). A read may
//! take a street's row for its communities only while each of them is whole and in no
//! other street (see [`StreetMembers::eligible`]); otherwise it reads them one by one,
//! as it always could. No org code has a `:`, so a key never names a community.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::db::{Conn, Fields, Value};
use crate::error::ProjectionError;
use crate::rules::Deltas;

/// The `kpi_facts`/`kpi_months` key of `street`'s rollup.
pub fn street_key(street: &str) -> String {
    format!("street:{street}")
}

/// Adds `deltas` (see [`crate::db::add_deltas`]) and each to its community's street:
/// the street of `seen` (community → street of the events applied), else the one
/// recorded before. Records the pairs of `seen` not recorded yet, first.
pub async fn add_deltas_in_streets(
    conn: &mut Conn<'_>,
    deltas: &Deltas,
    seen: &BTreeMap<String, String>,
) -> Result<(), ProjectionError> {
    let communities: BTreeSet<&str> = deltas.keys().map(|(_, c, _)| c.as_str()).collect();
    let keys: Vec<Vec<Value>> = communities.iter().map(|c| vec![(*c).into()]).collect();
    let found = conn
        .fetch_keyed(
            "community",
            "SELECT m.community, m.street FROM street_members m
             JOIN keys k ON m.community = k.community",
            &keys,
        )
        .await?;
    let mut recorded: HashMap<String, Vec<String>> = HashMap::new();
    for row in &found {
        recorded.entry(row.text(0)?).or_default().push(row.text(1)?);
    }
    let new: Vec<(&str, &str)> = seen
        .iter()
        .filter(|(c, s)| !recorded.get(c.as_str()).is_some_and(|r| r.contains(s)))
        .map(|(c, s)| (c.as_str(), s.as_str()))
        .collect();
    record(conn, &new).await?;

    let street_of = |community: &str| -> Option<&str> {
        match seen.get(community) {
            Some(street) => Some(street.as_str()),
            None => match recorded.get(community).map(Vec::as_slice) {
                Some([street]) => Some(street.as_str()),
                _ => None,
            },
        }
    };
    let mut all = deltas.clone();
    for ((element, community, day), delta) in deltas {
        if let Some(street) = street_of(community) {
            *all.entry((*element, street_key(street), day.clone()))
                .or_default() += delta;
        }
    }
    crate::db::add_deltas(conn, &all).await
}

/// Records `pairs` (community, street), each whole if its community has no fact yet.
async fn record(conn: &mut Conn<'_>, pairs: &[(&str, &str)]) -> Result<(), ProjectionError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let keys: Vec<Vec<Value>> = pairs.iter().map(|(c, _)| vec![(*c).into()]).collect();
    let counted = conn
        .fetch_keyed(
            "community",
            "SELECT k.community FROM keys k
             WHERE EXISTS (SELECT 1 FROM kpi_facts f WHERE f.community = k.community)",
            &keys,
        )
        .await?;
    let counted: BTreeSet<String> = counted
        .iter()
        .map(|row| row.text(0))
        .collect::<Result<_, _>>()?;
    let rows: Vec<Vec<Value>> = pairs
        .iter()
        .map(|(c, s)| {
            let whole = i64::from(!counted.contains(*c));
            vec![(*s).into(), (*c).into(), whole.into()]
        })
        .collect();
    conn.insert_rows(
        "street_members (street, community, whole)",
        "ON CONFLICT (street, community) DO NOTHING",
        &rows,
    )
    .await
}

/// What `street_members` holds: per street, its communities and whether each is whole.
#[derive(Debug, Clone, Default)]
pub struct StreetMembers {
    streets: BTreeMap<String, Vec<(String, bool)>>,
    /// How many streets each community is recorded in.
    streets_of: HashMap<String, usize>,
}

impl StreetMembers {
    /// From `(street, community, whole)` rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, bool)>) -> Self {
        let mut out = StreetMembers::default();
        for (street, community, whole) in rows {
            *out.streets_of.entry(community.clone()).or_default() += 1;
            out.streets
                .entry(street)
                .or_default()
                .push((community, whole));
        }
        out
    }

    /// Streets whose row may stand for their communities, with the communities: each
    /// whole, in no other street, and `read` (so the row holds nothing a read leaves
    /// out).
    pub fn eligible<'a>(
        &'a self,
        read: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, Vec<&'a str>)> + 'a {
        self.streets.iter().filter_map(move |(street, members)| {
            let fits = members
                .iter()
                .all(|(c, whole)| *whole && self.streets_of.get(c).copied() == Some(1) && read(c));
            fits.then(|| {
                let communities = members.iter().map(|(c, _)| c.as_str()).collect();
                (street.as_str(), communities)
            })
        })
    }
}

/// Every row of `street_members`, on the reader's pool.
pub async fn street_members(pool: &sqlx::PgPool) -> Result<StreetMembers, ProjectionError> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT street, community, whole FROM street_members")
            .fetch_all(pool)
            .await?;
    Ok(StreetMembers::from_rows(
        rows.into_iter().map(|(s, c, whole)| (s, c, whole == 1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::conn::rollup::Members;

    fn entries(members: &Members) -> Vec<(String, i32, i32)> {
        let mut out: Vec<(String, i32, i32)> = members
            .communities
            .iter()
            .zip(&members.groups)
            .zip(&members.signs)
            .map(|((c, g), s)| (c.clone(), *g, *s))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn whole_streets_stand_for_their_communities_less_those_counted_elsewhere() {
        let rows = [
            // a and b unlocked (group 0), c locked (group 1): s1's row less c.
            ("s1", "a", true),
            ("s1", "b", true),
            ("s1", "c", true),
            // e's early deltas are not in s2's row.
            ("s2", "d", true),
            ("s2", "e", false),
            // h moved to s4: in neither row wholly.
            ("s3", "g", true),
            ("s3", "h", true),
            ("s4", "h", true),
            // j is not read.
            ("s5", "i", true),
            ("s5", "j", true),
        ];
        let streets = StreetMembers::from_rows(
            rows.iter()
                .map(|(s, c, w)| (s.to_string(), c.to_string(), *w)),
        );
        let mut members = Members::default();
        for (c, g) in [
            ("a", 0),
            ("b", 0),
            ("c", 1),
            ("d", 0),
            ("e", 0),
            ("g", 0),
            ("h", 0),
            ("i", 0),
            ("k", 0),
        ] {
            members.push(c, g).unwrap();
        }
        let expected: Vec<(String, i32, i32)> = [
            ("c", 0, -1),
            ("c", 1, 1),
            ("d", 0, 1),
            ("e", 0, 1),
            ("g", 0, 1),
            ("h", 0, 1),
            ("i", 0, 1),
            ("k", 0, 1),
            ("street:s1", 0, 1),
        ]
        .iter()
        .map(|(c, g, s)| (c.to_string(), *g, *s))
        .collect();
        assert_eq!(entries(&members.rolled_up(&streets)), expected);
    }
}
