//! Storage of the read-model rows the rules keep: one load and one save per row type,
//! and a delete by key for rows a batch removed.
//!
//! Category columns hold the category's code, empty for none (see [`code_text`]); a
//! code this build does not know reads as none.

use async_trait::async_trait;
use civitas_proto::codes::{
    ActivityCategory, CareCategory, IncidentCategory, ResidenceType, Severity,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::ProjectionError;
use crate::rules::{
    code_text, ActivityRow, IncidentRow, PendingApproval, PlanRow, RectificationRow, ResidentRow,
    VolunteerRow,
};

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A row of a read-model table keyed by one TEXT id.
#[async_trait]
pub trait Stored: Sized + Send + Sync {
    const TABLE: &'static str;
    const KEY: &'static str;
    /// The other columns, in the order `from_row` reads and `save` binds them.
    const COLUMNS: &'static [&'static str];

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error>;

    /// Binds the columns of [`Stored::COLUMNS`] in order.
    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q>;

    async fn load(conn: &mut AnyConnection, key: &str) -> Result<Option<Self>, ProjectionError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1",
            Self::COLUMNS.join(", "),
            Self::TABLE,
            Self::KEY
        );
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.as_ref().map(Self::from_row).transpose()?)
    }

    async fn save(&self, conn: &mut AnyConnection, key: &str) -> Result<(), ProjectionError> {
        let placeholders = (1..=Self::COLUMNS.len() + 1)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let updates = Self::COLUMNS
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO {table} ({key}, {columns}) VALUES ({placeholders})
             ON CONFLICT ({key}) DO UPDATE SET {updates}",
            table = Self::TABLE,
            key = Self::KEY,
            columns = Self::COLUMNS.join(", "),
        );
        self.bind(sqlx::query(&sql).bind(key))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn delete(conn: &mut AnyConnection, key: &str) -> Result<(), ProjectionError> {
        let sql = format!("DELETE FROM {} WHERE {} = $1", Self::TABLE, Self::KEY);
        sqlx::query(&sql).bind(key).execute(&mut *conn).await?;
        Ok(())
    }
}

#[async_trait]
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

#[async_trait]
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

#[async_trait]
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

#[async_trait]
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

#[async_trait]
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

#[async_trait]
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

#[async_trait]
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
