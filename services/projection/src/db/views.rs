//! Storage of the read-model rows the rules keep: how each row type maps to its table,
//! and a batch's [`Views`] loaded and saved with one statement per table.
//!
//! Category columns hold the category's code, empty for none (see [`code_text`]); a
//! code this build does not know reads as none.

use super::{Conn, Fields, Value};
use crate::error::ProjectionError;
use crate::rules::{
    code_text, ActivityRow, BoardUpdateRow, DeedRow, IncidentRow, PendingApproval, PersonRow,
    PlanItemRow, PlanRow, RectificationRow, ReportRow, ResidentRow, Table, TeamRow, Views,
    VolunteerRow,
};
use civitas_proto::codes::{
    ActivityCategory, CareCategory, IncidentCategory, ResidenceType, ServiceCategory, Severity,
};

/// A row of a read-model table keyed by one TEXT id.
pub trait Stored: Sized + Clone + PartialEq {
    const TABLE: &'static str;
    const KEY: &'static str;
    /// The other columns, in the order `from_row` reads and `bind` binds them.
    const COLUMNS: &'static [&'static str];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error>;

    /// The values of [`Stored::COLUMNS`], in order.
    fn values(&self) -> Vec<Value<'_>>;
}

/// The rows of `R` with the given keys, as (key, row); missing keys are left out.
pub async fn select<R: Stored>(
    conn: &mut Conn<'_>,
    keys: &[&str],
) -> Result<Vec<(String, R)>, ProjectionError> {
    let head = format!(
        "SELECT {columns}, {key} FROM {table} WHERE {key}",
        columns = R::COLUMNS.join(", "),
        key = R::KEY,
        table = R::TABLE,
    );
    let rows = conn.select_in(&head, keys).await?;
    rows.iter()
        .map(|row| Ok((row.text(R::COLUMNS.len())?, R::from_row(row)?)))
        .collect()
}

/// Fills every row named in `table` (all `None` so far) that the table holds.
async fn load<R: Stored>(conn: &mut Conn<'_>, table: &mut Table<R>) -> Result<(), ProjectionError> {
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
    conn: &mut Conn<'_>,
    loaded: &Table<R>,
    table: &Table<R>,
) -> Result<(), ProjectionError> {
    let was = |key: &String| loaded.get(key).and_then(Option::as_ref);
    let changed = table
        .iter()
        .filter_map(|(key, row)| Some((key, row.as_ref()?)))
        .filter(|(key, row)| was(key) != Some(*row));
    let rows: Vec<Vec<Value>> = changed.map(|(key, row)| keyed(key, row)).collect();
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
    let tail = format!("ON CONFLICT ({}) DO UPDATE SET {updates}", R::KEY);
    conn.insert_rows(&into::<R>(), &tail, &rows).await?;
    conn.delete_in(R::TABLE, R::KEY, &removed).await
}

/// `table (key, columns…)` of `R`.
fn into<R: Stored>() -> String {
    format!("{} ({}, {})", R::TABLE, R::KEY, R::COLUMNS.join(", "))
}

/// A row's values after its key.
fn keyed<'a, R: Stored>(key: &'a str, row: &'a R) -> Vec<Value<'a>> {
    let mut values = Vec::with_capacity(R::COLUMNS.len() + 1);
    values.push(Value::from(key));
    values.extend(row.values());
    values
}

/// Inserts the rows of `table` that exist into an empty table (see
/// [`crate::rebuild`]); a row already there fails the statement.
async fn insert_all<R: Stored>(
    conn: &mut Conn<'_>,
    table: &Table<R>,
) -> Result<(), ProjectionError> {
    let rows: Vec<Vec<Value>> = table
        .iter()
        .filter_map(|(key, row)| Some(keyed(key, row.as_ref()?)))
        .collect();
    conn.insert_rows(&into::<R>(), "", &rows).await
}

/// Loads every row named in `views` (see [`crate::rules::Fact::need`]), one statement
/// per table.
pub async fn load_views(conn: &mut Conn<'_>, views: &mut Views) -> Result<(), ProjectionError> {
    load(conn, &mut views.residents).await?;
    load(conn, &mut views.activities).await?;
    load(conn, &mut views.plans).await?;
    load(conn, &mut views.plan_items).await?;
    load(conn, &mut views.volunteers).await?;
    load(conn, &mut views.pending).await?;
    load(conn, &mut views.incidents).await?;
    load(conn, &mut views.rectifications).await?;
    load(conn, &mut views.reports).await?;
    load(conn, &mut views.persons).await?;
    load(conn, &mut views.board_updates).await?;
    load(conn, &mut views.teams).await?;
    load(conn, &mut views.deeds).await
}

/// Writes what the rules changed in `views` since they were `loaded`: per table at
/// most one upsert and one delete.
pub async fn save_views(
    conn: &mut Conn<'_>,
    loaded: &Views,
    views: &Views,
) -> Result<(), ProjectionError> {
    save(conn, &loaded.residents, &views.residents).await?;
    save(conn, &loaded.activities, &views.activities).await?;
    save(conn, &loaded.plans, &views.plans).await?;
    save(conn, &loaded.plan_items, &views.plan_items).await?;
    save(conn, &loaded.volunteers, &views.volunteers).await?;
    save(conn, &loaded.pending, &views.pending).await?;
    save(conn, &loaded.incidents, &views.incidents).await?;
    save(conn, &loaded.rectifications, &views.rectifications).await?;
    save(conn, &loaded.reports, &views.reports).await?;
    save(conn, &loaded.persons, &views.persons).await?;
    save(conn, &loaded.board_updates, &views.board_updates).await?;
    save(conn, &loaded.teams, &views.teams).await?;
    save(conn, &loaded.deeds, &views.deeds).await
}

/// Inserts every existing row of `views` into empty tables, one statement per table.
pub async fn insert_views(conn: &mut Conn<'_>, views: &Views) -> Result<(), ProjectionError> {
    insert_all(conn, &views.residents).await?;
    insert_all(conn, &views.activities).await?;
    insert_all(conn, &views.plans).await?;
    insert_all(conn, &views.plan_items).await?;
    insert_all(conn, &views.volunteers).await?;
    insert_all(conn, &views.pending).await?;
    insert_all(conn, &views.incidents).await?;
    insert_all(conn, &views.rectifications).await?;
    insert_all(conn, &views.reports).await?;
    insert_all(conn, &views.persons).await?;
    insert_all(conn, &views.board_updates).await?;
    insert_all(conn, &views.teams).await?;
    insert_all(conn, &views.deeds).await
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
        "last_visited",
    ];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(ResidentRow {
            community: row.text(0)?,
            household_id: row.text(1)?,
            residence_type: ResidenceType::from_code(&row.text(2)?),
            care: row
                .text(3)?
                .split(',')
                .filter_map(CareCategory::from_code)
                .collect(),
            active: row.int(4)? != 0,
            last_visited: row.text(5)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        // Codes in alphabetical order, so the text does not depend on the enum's order.
        let mut care: Vec<&str> = self.care.iter().map(|c| c.code()).collect();
        care.sort_unstable();
        vec![
            self.community.as_str().into(),
            self.household_id.as_str().into(),
            code_text(self.residence_type).into(),
            care.join(",").into(),
            i64::from(self.active).into(),
            self.last_visited.as_str().into(),
        ]
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
        "planned_item",
        "planned_month",
    ];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(ActivityRow {
            community: row.text(0)?,
            category: ActivityCategory::from_code(&row.text(1)?),
            title: row.text(2)?,
            starts_at: row.text(3)?,
            ends_at: row.text(4)?,
            capacity: row.int(5)?,
            registered: row.int(6)?,
            checked_in: row.int(7)?,
            walk_ins: row.int(8)?,
            status: row.text(9)?,
            planned_item: row.text(10)?,
            planned_month: row.text(11)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            code_text(self.category).into(),
            self.title.as_str().into(),
            self.starts_at.as_str().into(),
            self.ends_at.as_str().into(),
            self.capacity.into(),
            self.registered.into(),
            self.checked_in.into(),
            self.walk_ins.into(),
            self.status.as_str().into(),
            self.planned_item.as_str().into(),
            self.planned_month.as_str().into(),
        ]
    }
}

impl Stored for PlanRow {
    const TABLE: &'static str = "plan_view";
    const KEY: &'static str = "plan_key";
    const COLUMNS: &'static [&'static str] =
        &["community", "year", "version", "item_count", "draft"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(PlanRow {
            community: row.text(0)?,
            year: row.int(1)?,
            version: row.int(2)?,
            item_count: row.int(3)?,
            draft: row.text(4)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.year.into(),
            self.version.into(),
            self.item_count.into(),
            self.draft.as_str().into(),
        ]
    }
}

impl Stored for PlanItemRow {
    const TABLE: &'static str = "plan_item_view";
    const KEY: &'static str = "item_id";
    const COLUMNS: &'static [&'static str] = &["community", "month", "target"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(PlanItemRow {
            community: row.text(0)?,
            month: row.text(1)?,
            target: row.int(2)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.month.as_str().into(),
            self.target.into(),
        ]
    }
}

impl Stored for PersonRow {
    const TABLE: &'static str = "kpi_persons";
    const KEY: &'static str = "person_key";
    const COLUMNS: &'static [&'static str] = &["element", "community", "day", "person"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(PersonRow {
            element: row.text(0)?,
            community: row.text(1)?,
            day: row.text(2)?,
            person: row.text(3)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.element.as_str().into(),
            self.community.as_str().into(),
            self.day.as_str().into(),
            self.person.as_str().into(),
        ]
    }
}

impl Stored for ReportRow {
    const TABLE: &'static str = "report_view";
    const KEY: &'static str = "report_key";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "month",
        "submitted_on",
        "on_time",
        "submissions",
        "approval",
    ];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(ReportRow {
            community: row.text(0)?,
            month: row.text(1)?,
            submitted_on: row.text(2)?,
            on_time: row.int(3)? != 0,
            submissions: row.int(4)?,
            approval: row.text(5)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.month.as_str().into(),
            self.submitted_on.as_str().into(),
            i64::from(self.on_time).into(),
            self.submissions.into(),
            self.approval.as_str().into(),
        ]
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

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(VolunteerRow {
            community: row.text(0)?,
            status: row.text(1)?,
            approved_minutes: row.int(2)?,
            star_level: row.int(3)?,
            pending: row.int(4)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.status.as_str().into(),
            self.approved_minutes.into(),
            self.star_level.into(),
            self.pending.into(),
        ]
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

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(PendingApproval {
            volunteer_id: row.text(0)?,
            community: row.text(1)?,
            minutes: row.int(2)?,
            service_date: row.text(3)?,
            submitted_on: row.text(4)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.volunteer_id.as_str().into(),
            self.community.as_str().into(),
            self.minutes.into(),
            self.service_date.as_str().into(),
            self.submitted_on.as_str().into(),
        ]
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

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(IncidentRow {
            community: row.text(0)?,
            category: IncidentCategory::from_code(&row.text(1)?),
            severity: Severity::from_code(&row.text(2)?),
            state: row.text(3)?,
            reported_at: row.text(4)?,
            reported_day: row.text(5)?,
            alert: row.int(6)? != 0,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            code_text(self.category).into(),
            code_text(self.severity).into(),
            self.state.as_str().into(),
            self.reported_at.as_str().into(),
            self.reported_day.as_str().into(),
            i64::from(self.alert).into(),
        ]
    }
}

impl Stored for RectificationRow {
    const TABLE: &'static str = "rectification_view";
    const KEY: &'static str = "rectification_id";
    const COLUMNS: &'static [&'static str] = &["community", "ordered_on", "deadline", "state"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(RectificationRow {
            community: row.text(0)?,
            ordered_on: row.text(1)?,
            deadline: row.text(2)?,
            state: row.text(3)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.ordered_on.as_str().into(),
            self.deadline.as_str().into(),
            self.state.as_str().into(),
        ]
    }
}

impl Stored for BoardUpdateRow {
    const TABLE: &'static str = "board_update_view";
    const KEY: &'static str = "update_key";
    const COLUMNS: &'static [&'static str] = &["community", "updated_on", "topic", "content"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(BoardUpdateRow {
            community: row.text(0)?,
            updated_on: row.text(1)?,
            topic: row.text(2)?,
            text: row.text(3)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.updated_on.as_str().into(),
            self.topic.as_str().into(),
            self.text.as_str().into(),
        ]
    }
}

impl Stored for TeamRow {
    const TABLE: &'static str = "team_view";
    const KEY: &'static str = "team_id";
    const COLUMNS: &'static [&'static str] = &[
        "community",
        "formed_on",
        "name",
        "purpose",
        "category",
        "members",
    ];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(TeamRow {
            community: row.text(0)?,
            formed_on: row.text(1)?,
            name: row.text(2)?,
            purpose: row.text(3)?,
            category: ServiceCategory::from_code(&row.text(4)?),
            members: row.int(5)?,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.formed_on.as_str().into(),
            self.name.as_str().into(),
            self.purpose.as_str().into(),
            code_text(self.category).into(),
            self.members.into(),
        ]
    }
}

impl Stored for DeedRow {
    const TABLE: &'static str = "good_deed_view";
    const KEY: &'static str = "deed_id";
    const COLUMNS: &'static [&'static str] =
        &["community", "happened_on", "title", "story", "published"];

    fn from_row(row: &impl Fields) -> Result<Self, sqlx::Error> {
        Ok(DeedRow {
            community: row.text(0)?,
            happened_on: row.text(1)?,
            title: row.text(2)?,
            story: row.text(3)?,
            published: row.int(4)? != 0,
        })
    }

    fn values(&self) -> Vec<Value<'_>> {
        vec![
            self.community.as_str().into(),
            self.happened_on.as_str().into(),
            self.title.as_str().into(),
            self.story.as_str().into(),
            i64::from(self.published).into(),
        ]
    }
}
