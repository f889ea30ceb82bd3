//! What the SQLite and the PostgreSQL store do the same way, written once over
//! `sqlx::Database`: one append inside an open transaction, its companion rows, the
//! idempotency and version lookups, reading a stream, decoding a row.
//!
//! The two event tables hold the same columns, but a few have other SQL types (SQLite
//! keeps the event id as text, times as microseconds, and records `recorded_at` itself).
//! Each store brings those through [`AppendRows`] and [`StoreColumns`]; everything typed
//! alike (text, bytes, bigint) is bound and decoded here.

use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Row, Type,
};
use uuid::Uuid;

use super::{
    check_fingerprint, schema_name, to_i64, to_u64, AppendError, AppendOutcome, AppendRequest,
    Companion, Idempotency, StoreError, Value,
};
use crate::envelope::{Checkpoint, NewEvent, OrgPath, RecordedEvent};

/// A statement of database `DB` with its arguments.
pub(super) type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// How one store starts the two INSERTs of an append: its statement, with the columns
/// whose SQL type is its own bound first. [`append_in`] binds the rest, in this order:
/// events `stream_id, stream_version, event_type, payload, district, street, community,
/// actor, correlation_id, causation_id, traceparent`; keys `key, fingerprint, stream_id,
/// version`.
pub(super) trait AppendRows {
    type Db: Database;

    /// The event INSERT with the store's own columns of `event` bound.
    fn event_insert<'q>(&'q self, event: &'q NewEvent) -> Statement<'q, Self::Db>;

    /// The idempotency key INSERT with the store's own columns bound.
    fn key_insert(&self) -> Statement<'_, Self::Db>;
}

/// Appends `request` inside the transaction open on `conn`: the stored outcome when its
/// idempotency key was used, a conflict when the stream is not at the expected version,
/// [`AppendError::Taken`] when a companion insert is refused (the caller rolls back),
/// else its companions, events and key.
pub(super) async fn append_in<R>(
    conn: &mut <R::Db as Database>::Connection,
    request: &AppendRequest,
    rows: &R,
) -> Result<AppendOutcome, AppendError>
where
    R: AppendRows,
    for<'c> &'c mut <R::Db as Database>::Connection: Executor<'c, Database = R::Db>,
    for<'q> <R::Db as Database>::Arguments<'q>: IntoArguments<'q, R::Db>,
    for<'q> &'q str: Encode<'q, R::Db> + Type<R::Db>,
    for<'q> &'q [u8]: Encode<'q, R::Db> + Type<R::Db>,
    for<'q> i64: Encode<'q, R::Db> + Type<R::Db>,
    (String, String, i64): for<'r> FromRow<'r, <R::Db as Database>::Row>,
    (Option<i64>,): for<'r> FromRow<'r, <R::Db as Database>::Row>,
    for<'q> Option<String>: Encode<'q, R::Db> + Type<R::Db>,
    for<'q> Option<i64>: Encode<'q, R::Db> + Type<R::Db>,
{
    if let Some(idem) = &request.idempotency {
        if let Some(outcome) = stored_outcome(&mut *conn, idem).await? {
            return Ok(outcome);
        }
    }
    let actual = current_version(&mut *conn, &request.stream_id).await?;
    if !request.expected.admits(actual) {
        return Err(AppendError::Conflict {
            stream_id: request.stream_id.clone(),
            expected: request.expected,
            actual,
        });
    }
    for companion in &request.companions {
        if !write_companion(&mut *conn, companion).await? {
            return Err(AppendError::Taken {
                table: companion.table(),
            });
        }
    }
    let meta = &request.metadata;
    let mut version = actual;
    for event in &request.events {
        version += 1;
        rows.event_insert(event)
            .bind(request.stream_id.as_str())
            .bind(to_i64(version, "stream version")?)
            .bind(event.event_type.as_str())
            .bind(event.payload.as_slice())
            .bind(meta.org.district.as_str())
            .bind(meta.org.street.as_str())
            .bind(meta.org.community.as_str())
            .bind(meta.actor.as_str())
            .bind(meta.correlation_id.as_str())
            .bind(meta.causation_id.as_str())
            .bind(meta.traceparent.as_str())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    }
    if let Some(idem) = &request.idempotency {
        rows.key_insert()
            .bind(idem.key.as_str())
            .bind(idem.fingerprint.as_str())
            .bind(request.stream_id.as_str())
            .bind(to_i64(version, "stream version")?)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(AppendOutcome {
        stream_id: request.stream_id.clone(),
        version,
        replayed: false,
    })
}

/// Writes one companion row; `false` when a unique index refused an insert (nothing
/// written). An insert that waits on a conflicting row being committed learns the
/// outcome of that commit, so the index decides between concurrent appends.
pub(super) async fn write_companion<'c, DB>(
    conn: &'c mut DB::Connection,
    companion: &Companion,
) -> Result<bool, StoreError>
where
    DB: Database,
    &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
{
    let (sql, values) = companion_statement(companion)?;
    let mut query = sqlx::query::<DB>(&sql);
    for value in values {
        query = match value {
            Value::Text(text) => query.bind(text.clone()),
            Value::Int(int) => query.bind(*int),
        };
    }
    match companion {
        // RETURNING tells whether the insert happened, on both backends alike.
        Companion::Insert { .. } => Ok(query.fetch_optional(conn).await?.is_some()),
        Companion::Update { .. } => {
            query.execute(conn).await?;
            Ok(true)
        }
    }
}

/// A companion's table or column name, checked to be a plain lowercase identifier.
pub(super) fn ident(name: &'static str) -> Result<&'static str, StoreError> {
    schema_name(name).map_err(|_| {
        StoreError(anyhow::anyhow!(
            "companion identifier {name:?} is not a plain lowercase name"
        ))
    })
}

/// The statement of a companion and its values in parameter order.
fn companion_statement(companion: &Companion) -> Result<(String, Vec<&Value>), StoreError> {
    match companion {
        Companion::Insert { table, values } => {
            let columns = values
                .iter()
                .map(|(column, _)| ident(column))
                .collect::<Result<Vec<_>, _>>()?;
            let params: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING 1",
                ident(table)?,
                columns.join(", "),
                params.join(", ")
            );
            Ok((sql, values.iter().map(|(_, v)| v).collect()))
        }
        Companion::Update { table, set, key } => {
            let assignments = set
                .iter()
                .zip(1..)
                .map(|((column, _), i)| Ok(format!("{} = ${i}", ident(column)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let sql = format!(
                "UPDATE {} SET {} WHERE {} = ${}",
                ident(table)?,
                assignments.join(", "),
                ident(key.0)?,
                set.len() + 1
            );
            let mut values: Vec<&Value> = set.iter().map(|(_, v)| v).collect();
            values.push(&key.1);
            Ok((sql, values))
        }
    }
}

/// The stream's current version (0 when it does not exist).
pub(super) async fn current_version<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    stream_id: &str,
) -> Result<u64, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    (Option<i64>,): for<'r> FromRow<'r, DB::Row>,
{
    let version: Option<i64> =
        sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
            .bind(stream_id)
            .fetch_one(executor)
            .await?;
    to_u64(version.unwrap_or(0), "stream version")
}

/// The stored outcome for an idempotency key, if the key was used (refused when it was
/// used for a different request).
pub(super) async fn stored_outcome<'e, DB>(
    executor: impl Executor<'e, Database = DB>,
    idem: &Idempotency,
) -> Result<Option<AppendOutcome>, AppendError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    (String, String, i64): for<'r> FromRow<'r, DB::Row>,
{
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT fingerprint, stream_id, version FROM idempotency_keys WHERE key = $1",
    )
    .bind(idem.key.as_str())
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)?;
    match row {
        None => Ok(None),
        Some((fingerprint, stream_id, version)) => {
            check_fingerprint(idem, &fingerprint, stream_id, to_u64(version, "version")?).map(Some)
        }
    }
}

/// Every event of one stream, in version order; `columns` is the store's select list.
pub(super) async fn read_stream<DB>(
    pool: &Pool<DB>,
    columns: &str,
    decode: fn(&DB::Row) -> Result<RecordedEvent, StoreError>,
    stream_id: &str,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    DB: Database,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let query =
        format!("SELECT {columns} FROM events WHERE stream_id = $1 ORDER BY stream_version");
    fetch_events(pool, decode, sqlx::query(&query).bind(stream_id)).await
}

/// Runs an event query and decodes its rows.
pub(super) async fn fetch_events<'q, DB>(
    pool: &Pool<DB>,
    decode: fn(&DB::Row) -> Result<RecordedEvent, StoreError>,
    query: Statement<'q, DB>,
) -> Result<Vec<RecordedEvent>, StoreError>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(decode).collect()
}

/// An event row's columns whose SQL type is the store's own, decoded by the store.
pub(super) struct StoreColumns {
    pub event_id: Uuid,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub checkpoint: Checkpoint,
}

/// Decodes an event row: the columns typed alike in both stores here, the rest from
/// `own`.
pub(super) fn decode<R>(row: &R, own: StoreColumns) -> Result<RecordedEvent, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(RecordedEvent {
        event_id: own.event_id,
        stream_id: row.try_get("stream_id")?,
        stream_version: to_u64(row.try_get("stream_version")?, "stream version")?,
        event_type: row.try_get("event_type")?,
        schema_version: own.schema_version,
        org: OrgPath {
            district: row.try_get("district")?,
            street: row.try_get("street")?,
            community: row.try_get("community")?,
        },
        occurred_at: own.occurred_at,
        recorded_at: own.recorded_at,
        actor: row.try_get("actor")?,
        correlation_id: row.try_get("correlation_id")?,
        causation_id: row.try_get("causation_id")?,
        traceparent: row.try_get("traceparent")?,
        payload: row.try_get("payload")?,
        checkpoint: own.checkpoint,
    })
}
