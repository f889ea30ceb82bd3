//! Storage of the read-model rows the rules keep: how each row type maps to its table,
//! and a batch's [`Views`] loaded and saved with one statement per table.
//!
//! Category columns hold the category's code, empty for none (see [`code_text`]); a
//! code this build does not know reads as none.

use civitas_proto::codes::{
    ActivityCategory, CareCategory, IncidentCategory, ResidenceType, Severity,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{delete_in, insert_rows, select_in, Query};
use crate::error::ProjectionError;
use crate::rules::{
    code_text, ActivityRow, IncidentRow, PendingApproval, PlanRow, RectificationRow, ResidentRow,
    Table, Views, VolunteerRow,
};

/// A row of a read-model table keyed by one TEXT id.
pub trait Stored: Sized + Clone + PartialEq {
    const TABLE: &'static str;
    const KEY: &'static str;
    /// The other columns, in the order `from_row` reads and `bind` binds them.
    const COLUMNS: &'static [&'static str];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error>;

    /// Binds the columns of [`Stored::COLUMNS`] in order.
    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q>;
}

/// The rows of `R` with the given keys, as (key, row); missing keys are left out.
pub async fn select<R: Stored>(
    conn: &mut AnyConnection,
    keys: &[&str],
) -> Result<Vec<(String, R)>, ProjectionError> {
    let head = format!(
        "SELECT {columns}, {key} FROM {table} WHERE {key}",
        columns = R::COLUMNS.join(", "),
        key = R::KEY,
        table = R::TABLE,
    );
    let rows = select_in(conn, &head, keys).await?;
    rows.iter()
        .map(|row| Ok((row.try_get(R::COLUMNS.len())?, R::from_row(row)?)))
        .collect()
}

/// Fills every row named in `table` (all `None` so far) that the table holds.
async fn load<R: Stored>(
    conn: &mut AnyConnection,
    table: &mut Table<R>,
) -> Result<(), ProjectionError> {
    let keys: Vec<&str> = table.keys().map(String::as_str).collect();
    let found = select::<R>(conn, &keys).await?;
    for (key, row) in found {
        table.insert(key, Some(row));
    }
    Ok(())
}

/// Writes the rows that differ from what was loaded: changed and new ones in one
/// upsert, removed ones in one delete, in key order (a stable lock order).
async fn save<R: Stored>(
    conn: &mut AnyConnection,
    loaded: &Table<R>,
    table: &Table<R>,
) -> Result<(), ProjectionError> {
    let was = |key: &String| loaded.get(key).and_then(Option::as_ref);
    let changed: Vec<(&str, &R)> = table
        .iter()
        .filter_map(|(key, row)| Some((key, row.as_ref()?)))
        .filter(|(key, row)| was(key) != Some(*row))
        .map(|(key, row)| (key.as_str(), row))
        .collect();
    let removed: Vec<&str> = table
        .iter()
        .filter(|(key, row)| row.is_none() && was(key).is_some())
        .map(|(key, _)| key.as_str())
        .collect();
    let updates = R::COLUMNS
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let into = format!("{} ({}, {})", R::TABLE, R::KEY, R::COLUMNS.join(", "));
    let tail = format!("ON CONFLICT ({}) DO UPDATE SET {updates}", R::KEY);
    let columns = R::COLUMNS.len() + 1;
    insert_rows(
        conn,
        &into,
        columns,
        &tail,
        &changed,
        |query, (key, row)| row.bind(query.bind(*key)),
    )
    .await?;
    delete_in(conn, R::TABLE, R::KEY, &removed).await
}

/// Loads every row named in `views` (see [`crate::rules::Fact::need`]), one statement
/// per table.
pub async fn load_views(
    conn: &mut AnyConnection,
    views: &mut Views,
) -> Result<(), ProjectionError> {
    load(conn, &mut views.residents).await?;
    load(conn, &mut views.activities).await?;
    load(conn, &mut views.plans).await?;
    load(conn, &mut views.volunteers).await?;
    load(conn, &mut views.pending).await?;
    load(conn, &mut views.incidents).await?;
    load(conn, &mut views.rectifications).await
}

/// Writes what the rules changed in `views` since they were `loaded`: per table at
/// most one upsert and one delete.
pub async fn save_views(
    conn: &mut AnyConnection,
    loaded: &Views,
    views: &Views,
) -> Result<(), ProjectionError> {
    save(conn, &loaded.residents, &views.residents).await?;
    save(conn, &loaded.activities, &views.activities).await?;
    save(conn, &loaded.plans, &views.plans).await?;
    save(conn, &loaded.volunteers, &views.volunteers).await?;
    save(conn, &loaded.pending, &views.pending).await?;
    save(conn, &loaded.incidents, &views.incidents).await?;
    save(conn, &loaded.rectifications, &views.rectifications).await
}

impl Stored for ResidentRow {
    const TABLE: &'static str = "resident_view";
    const KEY: &'static str = "resident_id";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "household_id",
        "residence_type",
        "care_categories",
        "active",
    ];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let residence_type: String = row.try_get(2)?;
        let care: String = row.try_get(3)?;
        Ok(ResidentRow {
            community: row.try_get(0)?,
            household_id: row.try_get(1)?,
            residence_type: ResidenceType::from_code(&residence_type),
            care: care
                .split(',')
                .filter_map(CareCategory::from_code)
                .collect(),
            active: row.try_get::<i64, _>(4)? != 0,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        // Codes in alphabetical order, so the text does not depend on the enum's order.
        let mut care: Vec<&str> = self.care.iter().map(|c| c.code()).collect();
        care.sort_unstable();
        query
            .bind(&self.community)
            .bind(&self.household_id)
            .bind(code_text(self.residence_type))
            .bind(care.join(","))
            .bind(i64::from(self.active))
    }
}

impl Stored for ActivityRow {
    const TABLE: &'static str = "activity_view";
    const KEY: &'static str = "activity_id";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "category",
        "title",
        "starts_at",
        "ends_at",
        "capacity",
        "registered",
        "checked_in",
        "walk_ins",
        "status",
    ];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let category: String = row.try_get(1)?;
        Ok(ActivityRow {
            community: row.try_get(0)?,
            category: ActivityCategory::from_code(&category),
            title: row.try_get(2)?,
            starts_at: row.try_get(3)?,
            ends_at: row.try_get(4)?,
            capacity: row.try_get(5)?,
            registered: row.try_get(6)?,
            checked_in: row.try_get(7)?,
            walk_ins: row.try_get(8)?,
            status: row.try_get(9)?,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.community)
            .bind(code_text(self.category))
            .bind(&self.title)
            .bind(&self.starts_at)
            .bind(&self.ends_at)
            .bind(self.capacity)
            .bind(self.registered)
            .bind(self.checked_in)
            .bind(self.walk_ins)
            .bind(&self.status)
    }
}

impl Stored for PlanRow {
    const TABLE: &'static str = "plan_view";
    const KEY: &'static str = "plan_key";
    const COLUMNS: &'static [&'static str] = &["community", "year", "version", "item_count"];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(PlanRow {
            community: row.try_get(0)?,
            year: row.try_get(1)?,
            version: row.try_get(2)?,
            item_count: row.try_get(3)?,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.community)
            .bind(self.year)
            .bind(self.version)
            .bind(self.item_count)
    }
}

impl Stored for VolunteerRow {
    const TABLE: &'static str = "volunteer_view";
    const KEY: &'static str = "volunteer_id";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "status",
        "approved_minutes",
        "star_level",
        "pending_records",
    ];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(VolunteerRow {
            community: row.try_get(0)?,
            status: row.try_get(1)?,
            approved_minutes: row.try_get(2)?,
            star_level: row.try_get(3)?,
            pending: row.try_get(4)?,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.community)
            .bind(&self.status)
            .bind(self.approved_minutes)
            .bind(self.star_level)
            .bind(self.pending)
    }
}

impl Stored for PendingApproval {
    const TABLE: &'static str = "pending_approval_view";
    const KEY: &'static str = "record_id";
    const COLUMNS: &'static [&'static str] = &[
        "volunteer_id",
        "community",
        "minutes",
        "service_date",
        "submitted_on",
    ];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(PendingApproval {
            volunteer_id: row.try_get(0)?,
            community: row.try_get(1)?,
            minutes: row.try_get(2)?,
            service_date: row.try_get(3)?,
            submitted_on: row.try_get(4)?,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.volunteer_id)
            .bind(&self.community)
            .bind(self.minutes)
            .bind(&self.service_date)
            .bind(&self.submitted_on)
    }
}

impl Stored for IncidentRow {
    const TABLE: &'static str = "incident_view";
    const KEY: &'static str = "incident_id";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "category",
        "severity",
        "state",
        "reported_at",
        "reported_day",
        "alert",
    ];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let (category, severity): (String, String) = (row.try_get(1)?, row.try_get(2)?);
        Ok(IncidentRow {
            community: row.try_get(0)?,
            category: IncidentCategory::from_code(&category),
            severity: Severity::from_code(&severity),
            state: row.try_get(3)?,
            reported_at: row.try_get(4)?,
            reported_day: row.try_get(5)?,
            alert: row.try_get::<i64, _>(6)? != 0,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.community)
            .bind(code_text(self.category))
            .bind(code_text(self.severity))
            .bind(&self.state)
            .bind(&self.reported_at)
            .bind(&self.reported_day)
            .bind(i64::from(self.alert))
    }
}

impl Stored for RectificationRow {
    const TABLE: &'static str = "rectification_view";
    const KEY: &'static str = "rectification_id";
    const COLUMNS: &'static [&'static str] = &["community", "ordered_on", "deadline", "state"];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(RectificationRow {
            community: row.try_get(0)?,
            ordered_on: row.try_get(1)?,
            deadline: row.try_get(2)?,
            state: row.try_get(3)?,
        })
    }

    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(&self.community)
            .bind(&self.ordered_on)
            .bind(&self.deadline)
            .bind(&self.state)
    }
}
