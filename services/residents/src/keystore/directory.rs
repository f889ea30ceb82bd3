//! The register of households for staff listings: where each household is (its grid
//! and building, in clear in its event), so a community's households and residents can
//! be listed a page at a time and searched by building and grid without reading every
//! stream. `household_register` is written by the event store as a companion of the
//! household's registering event; households registered before the table existed are
//! added from their events on first use ([`KeyStore::unregistered_households`]). The
//! residents of a household come from `subject_keys`, whose rows follow a transfer.

use civitas_kernel::store::Value;
use civitas_kernel::Companion;

use super::{KeyStore, KeyStoreError, SubjectKind};

const TABLE: &str = "household_register";

pub(super) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS household_register (
    household_id TEXT PRIMARY KEY,
    community    TEXT NOT NULL,
    grid         TEXT NOT NULL,
    building     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
)";

pub(super) const CREATE_INDEX: &str = "CREATE INDEX IF NOT EXISTS household_register_community \
     ON household_register (community, created_at, household_id)";

/// A household's place in the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterEntry {
    pub household_id: String,
    pub community: String,
    pub grid: String,
    pub building: String,
}

/// Which rows of a community a listing asks for; empty filters match everything.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub community: String,
    pub household_id: String,
    pub grid: String,
    pub building: String,
}

/// Where a page starts: after the row with this creation time and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    /// The opaque page token of the cursor.
    pub fn token(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    /// The cursor of a page token, `None` when it is not one.
    pub fn parse(token: &str) -> Option<Self> {
        let (at, id) = token.split_once('.')?;
        let created_at = at.parse().ok()?;
        (!id.is_empty() && id.len() <= 100).then(|| Self {
            created_at,
            id: id.to_owned(),
        })
    }
}

impl KeyStore {
    /// The row that places a new household in the register: a companion of its
    /// registering event.
    pub fn household_placed(entry: &RegisterEntry) -> Companion {
        let created_at = super::sql::now_micros();
        let text = |v: &str| Value::Text(Some(v.to_owned()));
        Companion::Insert {
            table: TABLE,
            values: vec![
                ("household_id", text(&entry.household_id)),
                ("community", text(&entry.community)),
                ("grid", text(&entry.grid)),
                ("building", text(&entry.building)),
                ("created_at", Value::Int(Some(created_at))),
            ],
        }
    }

    /// Households with a key row but no place in the register (registered before the
    /// register existed), with their key row's creation time.
    pub async fn unregistered_households(&self) -> Result<Vec<(String, i64)>, KeyStoreError> {
        Ok(sqlx::query_as(
            "SELECT k.subject_id, k.created_at FROM subject_keys k \
             LEFT JOIN household_register h ON h.household_id = k.subject_id \
             WHERE k.kind = $1 AND h.household_id IS NULL",
        )
        .bind(SubjectKind::Household.as_str())
        .fetch_all(&self.table.pool)
        .await?)
    }

    /// Places a household registered before the register existed; a second call for it
    /// changes nothing.
    pub async fn place_household(
        &self,
        entry: &RegisterEntry,
        created_at: i64,
    ) -> Result<(), KeyStoreError> {
        sqlx::query(
            "INSERT INTO household_register (household_id, community, grid, building, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (household_id) DO NOTHING",
        )
        .bind(&entry.household_id)
        .bind(&entry.community)
        .bind(&entry.grid)
        .bind(&entry.building)
        .bind(created_at)
        .execute(&self.table.pool)
        .await?;
        Ok(())
    }

    /// Up to `limit` households of the filter's community after `after`, oldest first.
    pub async fn households(
        &self,
        filter: &ListFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<(RegisterEntry, Cursor)>, KeyStoreError> {
        let (at, id) = start(after);
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT household_id, community, grid, building, created_at FROM household_register \
             WHERE community = $1 AND ($2 = '' OR grid = $2) AND ($3 = '' OR building = $3) \
             AND (created_at > $4 OR (created_at = $4 AND household_id > $5)) \
             ORDER BY created_at, household_id LIMIT $6",
        )
        .bind(&filter.community)
        .bind(&filter.grid)
        .bind(&filter.building)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.table.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(household_id, community, grid, building, created_at)| {
                let cursor = Cursor {
                    created_at,
                    id: household_id.clone(),
                };
                let entry = RegisterEntry {
                    household_id,
                    community,
                    grid,
                    building,
                };
                (entry, cursor)
            })
            .collect())
    }

    /// Up to `limit` residents keyed into households of the filter's community (now:
    /// transferred residents are listed where they live) after `after`, oldest first.
    pub async fn residents(
        &self,
        filter: &ListFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Cursor>, KeyStoreError> {
        let (at, id) = start(after);
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT k.subject_id, k.created_at FROM subject_keys k \
             JOIN household_register h ON h.household_id = k.household_id \
             WHERE k.kind = $1 AND k.community = $2 AND ($3 = '' OR k.household_id = $3) \
             AND ($4 = '' OR h.grid = $4) AND ($5 = '' OR h.building = $5) \
             AND (k.created_at > $6 OR (k.created_at = $6 AND k.subject_id > $7)) \
             ORDER BY k.created_at, k.subject_id LIMIT $8",
        )
        .bind(SubjectKind::Resident.as_str())
        .bind(&filter.community)
        .bind(&filter.household_id)
        .bind(&filter.grid)
        .bind(&filter.building)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.table.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, created_at)| Cursor { created_at, id })
            .collect())
    }
}

/// The keyset start of a page: before every row when there is no cursor.
fn start(after: Option<&Cursor>) -> (i64, &str) {
    after.map_or((i64::MIN, ""), |c| (c.created_at, c.id.as_str()))
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn a_cursor_round_trips_through_its_token_and_junk_is_refused() {
        let c = Cursor {
            created_at: 1_764_000_000_123_456,
            id: "resident-0193".into(),
        };
        assert_eq!(Cursor::parse(&c.token()), Some(c));
        for junk in ["", "abc", "12", "x.resident-1", "12."] {
            assert_eq!(Cursor::parse(junk), None, "{junk:?}");
        }
    }
}
