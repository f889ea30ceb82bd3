//! A batch's companion inserts written together: one `INSERT … SELECT FROM UNNEST(…)`
//! per table and column list, instead of a savepoint and a statement per request.
//! A group commit of 32 registrations with two companions each was 128 round trips
//! on the committer's one connection; it is now four.
//!
//! Refusals are rare (an ID number registered twice), so the batch is tried whole
//! inside a savepoint. When a unique index refuses any row, the savepoint is rolled
//! back and [`super::batch`] writes the companions request by request, which tells
//! whose was refused.

use std::collections::HashMap;

use sqlx::{Connection, PgConnection};

use super::super::{sql, Companion, StoreError, Value};

/// One column of a table's rows, as the array bound for it.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

impl Column {
    fn like(value: &Value) -> Self {
        match value {
            Value::Text(_) => Column::Text(Vec::new()),
            Value::Int(_) => Column::Int(Vec::new()),
        }
    }

    /// Appends `value`; `false` when it is not of the column's type.
    fn push(&mut self, value: &Value) -> bool {
        match (self, value) {
            (Column::Text(column), Value::Text(v)) => column.push(v.clone()),
            (Column::Int(column), Value::Int(v)) => column.push(*v),
            _ => return false,
        }
        true
    }

    fn sql_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "int8[]",
        }
    }
}

/// The rows of one table with one column list.
struct Rows {
    table: &'static str,
    names: Vec<&'static str>,
    columns: Vec<Column>,
    count: usize,
}

/// Inserts every row of `companions` with one statement per table and column list,
/// inside a savepoint. `true` when every row went in (or there was none); `false`
/// when nothing was written: a unique index refused a row (the savepoint is rolled
/// back), or the companions cannot go together (an update among them, one column's
/// values of two types). Columns are bound as `text[]` and `int8[]` arrays, so a companion table's
/// columns are TEXT and BIGINT (or types those assign to).
pub(super) async fn insert_together(
    conn: &mut PgConnection,
    companions: &[&Companion],
) -> Result<bool, StoreError> {
    if companions.is_empty() {
        return Ok(true);
    }
    let Some(tables) = grouped(companions) else {
        return Ok(false);
    };
    let mut savepoint = conn.begin().await?;
    for rows in &tables {
        let unnest: Vec<String> = rows
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, c.sql_type()))
            .collect();
        let names = rows
            .names
            .iter()
            .map(|name| sql::ident(name))
            .collect::<Result<Vec<_>, _>>()?;
        let statement = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({}) ON CONFLICT DO NOTHING RETURNING 1",
            sql::ident(rows.table)?,
            names.join(", "),
            unnest.join(", ")
        );
        let query =
            rows.columns
                .iter()
                .fold(sqlx::query(&statement), |query, column| match column {
                    Column::Text(values) => query.bind(values),
                    Column::Int(values) => query.bind(values),
                });
        let inserted = query.fetch_all(&mut *savepoint).await?.len();
        if inserted != rows.count {
            savepoint.rollback().await?;
            return Ok(false);
        }
    }
    savepoint.commit().await?;
    Ok(true)
}

/// The inserts by table and column list, in order of first appearance; `None` when an
/// update is among them or a column's values differ in type.
fn grouped(companions: &[&Companion]) -> Option<Vec<Rows>> {
    let mut tables: Vec<Rows> = Vec::new();
    let mut index: HashMap<(&str, Vec<&str>), usize> = HashMap::new();
    for companion in companions {
        let Companion::Insert { table, values } = companion else {
            return None;
        };
        let names: Vec<&'static str> = values.iter().map(|(name, _)| *name).collect();
        let at = *index.entry((*table, names.clone())).or_insert_with(|| {
            tables.push(Rows {
                table,
                names,
                columns: values.iter().map(|(_, v)| Column::like(v)).collect(),
                count: 0,
            });
            tables.len() - 1
        });
        let rows = &mut tables[at];
        for (column, (_, value)) in rows.columns.iter_mut().zip(values) {
            if !column.push(value) {
                return None;
            }
        }
        rows.count += 1;
    }
    Some(tables)
}
