//! The two ways a batch reaches its tables, behind one [`Conn`]: portable SQL over
//! `sqlx::Any` (SQLite, embedded mode) and native PostgreSQL (distributed mode).
//!
//! Callers speak in bulk primitives and never see the difference:
//! [`Conn::select_in`] (rows by key), [`Conn::insert_rows`] (many rows, one conflict
//! clause) and [`Conn::delete_in`] (rows by key), plus [`Conn::fetch`] and
//! [`Conn::execute`] for one small statement. Over `Any` they become `IN ($1, …)`
//! lists and multi-row `VALUES`, split under SQLite's bind limit; on PostgreSQL one
//! array per column whatever the batch size — `= ANY($1)` and
//! `INSERT … SELECT * FROM UNNEST($1::text[], $2::int8[], …)` — so a statement's text,
//! parse and plan no longer grow with the batch.

use std::borrow::Cow;
use std::fmt::Write as _;

use sqlx::any::AnyRow;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Any, AnyConnection, AnyPool, PgConnection, Postgres, Row};

use super::placeholders;
use crate::error::ProjectionError;

/// Most bind parameters per statement over `Any`: SQLite's limit.
const MAX_BINDS: usize = 32_766;

/// Most rows per PostgreSQL statement, to keep one statement's arrays in bounds.
const PG_ROWS: usize = 50_000;

/// One column value of a row to write.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    OptText(Option<&'a str>),
    OptInt(Option<i64>),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Value::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Value<'_> {
    fn from(text: String) -> Self {
        Value::Text(Cow::Owned(text))
    }
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

/// Reading a fetched row's columns by position, whichever backend returned it.
pub trait Fields {
    fn text(&self, i: usize) -> Result<String, sqlx::Error>;
    fn int(&self, i: usize) -> Result<i64, sqlx::Error>;
}

impl<R> Fields for R
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn text(&self, i: usize) -> Result<String, sqlx::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<i64, sqlx::Error> {
        self.try_get(i)
    }
}

/// A row fetched through a [`Conn`].
pub enum Fetched {
    Any(AnyRow),
    Pg(PgRow),
}

impl Fields for Fetched {
    fn text(&self, i: usize) -> Result<String, sqlx::Error> {
        match self {
            Fetched::Any(row) => row.text(i),
            Fetched::Pg(row) => row.text(i),
        }
    }
    fn int(&self, i: usize) -> Result<i64, sqlx::Error> {
        match self {
            Fetched::Any(row) => row.int(i),
            Fetched::Pg(row) => row.int(i),
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

fn bind_any<'q>(query: AnyQuery<'q>, value: &'q Value<'_>) -> AnyQuery<'q> {
    match value {
        Value::Text(text) => query.bind(text.as_ref()),
        Value::Int(n) => query.bind(*n),
        Value::OptText(text) => query.bind(*text),
        Value::OptInt(n) => query.bind(*n),
        Value::Bytes(bytes) => query.bind(*bytes),
    }
}

fn bind_pg<'q>(query: PgQuery<'q>, value: &'q Value<'_>) -> PgQuery<'q> {
    match value {
        Value::Text(text) => query.bind(text.as_ref()),
        Value::Int(n) => query.bind(*n),
        Value::OptText(text) => query.bind(*text),
        Value::OptInt(n) => query.bind(*n),
        Value::Bytes(bytes) => query.bind(*bytes),
    }
}

/// One column of rows to write, as the array PostgreSQL unnests.
enum Column<'q> {
    Text(Vec<&'q str>),
    Int(Vec<i64>),
    OptText(Vec<Option<&'q str>>),
    OptInt(Vec<Option<i64>>),
    Bytes(Vec<&'q [u8]>),
}

impl<'q> Column<'q> {
    /// An empty column of `value`'s type, with room for `rows`.
    fn like(value: &Value<'_>, rows: usize) -> Self {
        match value {
            Value::Text(_) => Column::Text(Vec::with_capacity(rows)),
            Value::Int(_) => Column::Int(Vec::with_capacity(rows)),
            Value::OptText(_) => Column::OptText(Vec::with_capacity(rows)),
            Value::OptInt(_) => Column::OptInt(Vec::with_capacity(rows)),
            Value::Bytes(_) => Column::Bytes(Vec::with_capacity(rows)),
        }
    }

    fn push(&mut self, value: &'q Value<'_>) -> Result<(), ProjectionError> {
        match (self, value) {
            (Column::Text(c), Value::Text(v)) => c.push(v.as_ref()),
            (Column::Int(c), Value::Int(v)) => c.push(*v),
            (Column::OptText(c), Value::OptText(v)) => c.push(*v),
            (Column::OptInt(c), Value::OptInt(v)) => c.push(*v),
            (Column::Bytes(c), Value::Bytes(v)) => c.push(v),
            (_, value) => {
                return Err(anyhow::anyhow!("a column of mixed types at {value:?}").into())
            }
        }
        Ok(())
    }

    fn sql_type(&self) -> &'static str {
        match self {
            Column::Text(_) | Column::OptText(_) => "text[]",
            Column::Int(_) | Column::OptInt(_) => "int8[]",
            Column::Bytes(_) => "bytea[]",
        }
    }

    fn bind(self, query: PgQuery<'q>) -> PgQuery<'q> {
        match self {
            Column::Text(c) => query.bind(c),
            Column::Int(c) => query.bind(c),
            Column::OptText(c) => query.bind(c),
            Column::OptInt(c) => query.bind(c),
            Column::Bytes(c) => query.bind(c),
        }
    }
}

/// An open connection (in practice, a transaction) to the projection's tables.
pub enum Conn<'c> {
    Any(&'c mut AnyConnection),
    Pg(&'c mut PgConnection),
}

impl Conn<'_> {
    /// The rows of one statement with `args` bound to `$1..`.
    pub async fn fetch(
        &mut self,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Fetched>, ProjectionError> {
        Ok(match self {
            Conn::Any(conn) => {
                let query = args.iter().fold(sqlx::query(sql), bind_any);
                let rows = query.fetch_all(&mut **conn).await?;
                rows.into_iter().map(Fetched::Any).collect()
            }
            Conn::Pg(conn) => {
                let query = args.iter().fold(sqlx::query(sql), bind_pg);
                let rows = query.fetch_all(&mut **conn).await?;
                rows.into_iter().map(Fetched::Pg).collect()
            }
        })
    }

    /// Runs one statement with `args` bound to `$1..`.
    pub async fn execute(&mut self, sql: &str, args: &[Value<'_>]) -> Result<(), ProjectionError> {
        match self {
            Conn::Any(conn) => {
                let query = args.iter().fold(sqlx::query(sql), bind_any);
                query.execute(&mut **conn).await?;
            }
            Conn::Pg(conn) => {
                let query = args.iter().fold(sqlx::query(sql), bind_pg);
                query.execute(&mut **conn).await?;
            }
        }
        Ok(())
    }

    /// Rows of `SELECT … WHERE key` for every key: `head` is the statement up to the
    /// key column.
    pub async fn select_in(
        &mut self,
        head: &str,
        keys: &[&str],
    ) -> Result<Vec<Fetched>, ProjectionError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::with_capacity(keys.len());
        match self {
            Conn::Any(conn) => {
                for chunk in keys.chunks(MAX_BINDS) {
                    let sql = format!("{head} IN ({})", placeholders(1, chunk.len()));
                    let query = chunk
                        .iter()
                        .fold(sqlx::query(&sql).persistent(false), |q, k| q.bind(*k));
                    let found = query.fetch_all(&mut **conn).await?;
                    rows.extend(found.into_iter().map(Fetched::Any));
                }
            }
            Conn::Pg(conn) => {
                let sql = format!("{head} = ANY($1)");
                let found = sqlx::query(&sql).bind(keys).fetch_all(&mut **conn).await?;
                rows.extend(found.into_iter().map(Fetched::Pg));
            }
        }
        Ok(rows)
    }

    /// The rows of `WITH keys ({columns}) AS (…) {sql}`, where `keys` holds `rows`
    /// (every row a value per column, of the same types): `sql` joins what it reads
    /// to them. Over `Any` the keys are a multi-row `VALUES`, split under SQLite's bind
    /// limit (so each result row must depend on one key row only); on PostgreSQL one
    /// array per column.
    pub async fn fetch_keyed(
        &mut self,
        columns: &str,
        sql: &str,
        rows: &[Vec<Value<'_>>],
    ) -> Result<Vec<Fetched>, ProjectionError> {
        let Some(width) = rows.first().map(Vec::len) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        match self {
            Conn::Any(conn) => {
                for chunk in rows.chunks(MAX_BINDS / width) {
                    let mut text = format!("WITH keys ({columns}) AS (VALUES ");
                    for row in 0..chunk.len() {
                        let comma = if row == 0 { "" } else { ", " };
                        let tuple = placeholders(row * width + 1, width);
                        let _ = write!(text, "{comma}({tuple})");
                    }
                    let _ = write!(text, ") {sql}");
                    let query = chunk
                        .iter()
                        .flatten()
                        .fold(sqlx::query(&text).persistent(false), bind_any);
                    let found = query.fetch_all(&mut **conn).await?;
                    out.extend(found.into_iter().map(Fetched::Any));
                }
            }
            Conn::Pg(conn) => {
                for chunk in rows.chunks(PG_ROWS) {
                    let (arrays, unnest) = columns_of(chunk)?;
                    let text =
                        format!("WITH keys ({columns}) AS (SELECT * FROM UNNEST({unnest})) {sql}");
                    let query = arrays
                        .into_iter()
                        .fold(sqlx::query(&text), |q, column| column.bind(q));
                    let found = query.fetch_all(&mut **conn).await?;
                    out.extend(found.into_iter().map(Fetched::Pg));
                }
            }
        }
        Ok(out)
    }

    /// `DELETE FROM table WHERE key …` for every key.
    pub async fn delete_in(
        &mut self,
        table: &str,
        key: &str,
        keys: &[&str],
    ) -> Result<(), ProjectionError> {
        if keys.is_empty() {
            return Ok(());
        }
        match self {
            Conn::Any(conn) => {
                for chunk in keys.chunks(MAX_BINDS) {
                    let sql = format!(
                        "DELETE FROM {table} WHERE {key} IN ({})",
                        placeholders(1, chunk.len())
                    );
                    let query = chunk
                        .iter()
                        .fold(sqlx::query(&sql).persistent(false), |q, k| q.bind(*k));
                    query.execute(&mut **conn).await?;
                }
            }
            Conn::Pg(conn) => {
                let sql = format!("DELETE FROM {table} WHERE {key} = ANY($1)");
                sqlx::query(&sql).bind(keys).execute(&mut **conn).await?;
            }
        }
        Ok(())
    }

    /// `INSERT INTO {into} … {tail}` of every row in order (`into` names the table and
    /// its columns; every row has a value per column, of the same types).
    pub async fn insert_rows(
        &mut self,
        into: &str,
        tail: &str,
        rows: &[Vec<Value<'_>>],
    ) -> Result<(), ProjectionError> {
        let Some(columns) = rows.first().map(Vec::len) else {
            return Ok(());
        };
        match self {
            Conn::Any(conn) => {
                for chunk in rows.chunks(MAX_BINDS / columns) {
                    let mut sql = format!("INSERT INTO {into} VALUES ");
                    for row in 0..chunk.len() {
                        let comma = if row == 0 { "" } else { ", " };
                        let tuple = placeholders(row * columns + 1, columns);
                        let _ = write!(sql, "{comma}({tuple})");
                    }
                    let _ = write!(sql, " {tail}");
                    let query = chunk
                        .iter()
                        .flatten()
                        .fold(sqlx::query(&sql).persistent(false), bind_any);
                    query.execute(&mut **conn).await?;
                }
            }
            Conn::Pg(conn) => {
                for chunk in rows.chunks(PG_ROWS) {
                    let (arrays, unnest) = columns_of(chunk)?;
                    let sql = format!("INSERT INTO {into} SELECT * FROM UNNEST({unnest}) {tail}");
                    let query = arrays
                        .into_iter()
                        .fold(sqlx::query(&sql), |q, column| column.bind(q));
                    query.execute(&mut **conn).await?;
                }
            }
        }
        Ok(())
    }
}

/// A transaction on the projection's tables, of either backend.
pub enum Tx {
    Any(sqlx::Transaction<'static, Any>),
    Pg(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Any(tx) => Conn::Any(tx),
            Tx::Pg(tx) => Conn::Pg(tx),
        }
    }

    pub async fn commit(self) -> Result<(), ProjectionError> {
        match self {
            Tx::Any(tx) => tx.commit().await?,
            Tx::Pg(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Where batches are written: over `Any` (SQLite), or natively into a PostgreSQL
/// schema whose writers take its lock first (see [`lock_writers`]).
#[derive(Clone)]
pub enum Writer {
    Any(AnyPool),
    Pg { pool: PgPool, schema: String },
}

impl Writer {
    /// Begins a batch's transaction; on PostgreSQL it first waits for the schema's
    /// writer lock.
    pub async fn begin(&self) -> Result<Tx, ProjectionError> {
        match self {
            Writer::Any(pool) => Ok(Tx::Any(pool.begin().await?)),
            Writer::Pg { pool, schema } => {
                let mut tx = pool.begin().await?;
                lock_writers(&mut tx, schema).await?;
                Ok(Tx::Pg(tx))
            }
        }
    }
}

/// Holds the writer lock of the projection in PostgreSQL `schema` until the open
/// transaction on `conn` ends: every batch into that schema takes it first, so while a
/// rebuild holds it, it can catch its new schema up and swap it in without a live
/// batch landing in the old one in between.
pub async fn lock_writers(conn: &mut PgConnection, schema: &str) -> Result<(), ProjectionError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("civitas-projection-writers:{schema}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// `rows` (each a value per column, of the same types) as one array per column, and
/// the `UNNEST` arguments that bind them (`$1::text[], $2::bigint[], …`).
fn columns_of<'a>(
    rows: &'a [Vec<Value<'a>>],
) -> Result<(Vec<Column<'a>>, String), ProjectionError> {
    let mut arrays: Vec<Column> = rows[0]
        .iter()
        .map(|v| Column::like(v, rows.len()))
        .collect();
    for row in rows {
        for (column, value) in arrays.iter_mut().zip(row) {
            column.push(value)?;
        }
    }
    let unnest = arrays
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}", i + 1, c.sql_type()))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((arrays, unnest))
}

/// The native reads of a unit's KPI values on PostgreSQL, summed in SQL (see
/// [`rollup`]); a file of its own beside this one.
#[path = "rollup.rs"]
pub mod rollup;
