//! The `parked_events` table: events the projection could not apply, with their
//! reason and every envelope field, so they can be listed and retried.

use chrono::{DateTime, SecondsFormat, Utc};
use civitas_kernel::{Checkpoint, OrgPath, RecordedEvent};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{to_i64, to_u64, Conn, Value};
use crate::error::ProjectionError;
use crate::parked::ParkedEvent;

const COLUMNS: &[&str] = &[
    "event_id",
    "source",
    "service",
    "stream_id",
    "stream_version",
    "missing_through",
    "event_type",
    "schema_version",
    "reason",
    "district",
    "street",
    "community",
    "occurred_at",
    "recorded_at",
    "actor",
    "correlation_id",
    "causation_id",
    "traceparent",
    "payload",
    "xid",
    "position",
    "parked_at",
];

/// An instant as fixed-width RFC 3339 UTC text, so text order is time order.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_instant(text: &str, what: &str) -> Result<DateTime<Utc>, ProjectionError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| anyhow::anyhow!("parked {what} {text:?} is not RFC 3339: {e}").into())
}

/// The columns of a parked event that are not stored as the event holds them.
struct Converted {
    event_id: String,
    stream_version: i64,
    missing_through: Option<i64>,
    occurred_at: String,
    recorded_at: String,
    xid: i64,
    position: i64,
    parked_at: String,
}

fn convert(p: &ParkedEvent) -> Result<Converted, ProjectionError> {
    let e = &p.event;
    Ok(Converted {
        event_id: e.event_id.to_string(),
        stream_version: to_i64(e.stream_version, "stream_version")?,
        missing_through: p
            .missing_through
            .map(|v| to_i64(v, "missing_through"))
            .transpose()?,
        occurred_at: instant(e.occurred_at),
        recorded_at: instant(e.recorded_at),
        xid: to_i64(e.checkpoint.xid, "xid")?,
        position: to_i64(e.checkpoint.position, "position")?,
        parked_at: instant(p.parked_at),
    })
}

/// Stores parked events (one multi-row statement); an event parked before gets the
/// new reason.
pub async fn park(conn: &mut AnyConnection, parked: &[ParkedEvent]) -> Result<(), ProjectionError> {
    park_in(&mut Conn::Any(conn), parked).await
}

/// [`park`] in a batch's connection.
pub async fn park_in(conn: &mut Conn<'_>, parked: &[ParkedEvent]) -> Result<(), ProjectionError> {
    let converted = parked
        .iter()
        .map(|p| Ok((p, convert(p)?)))
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    let rows: Vec<Vec<Value>> = converted
        .iter()
        .map(|(p, c)| {
            let e = &p.event;
            vec![
                c.event_id.as_str().into(),
                p.source.as_str().into(),
                Value::OptText(p.service.as_deref()),
                e.stream_id.as_str().into(),
                c.stream_version.into(),
                Value::OptInt(c.missing_through),
                e.event_type.as_str().into(),
                i64::from(e.schema_version).into(),
                p.reason.as_str().into(),
                e.org.district.as_str().into(),
                e.org.street.as_str().into(),
                e.org.community.as_str().into(),
                c.occurred_at.as_str().into(),
                c.recorded_at.as_str().into(),
                e.actor.as_str().into(),
                e.correlation_id.as_str().into(),
                e.causation_id.as_str().into(),
                e.traceparent.as_str().into(),
                Value::Bytes(e.payload.as_slice()),
                c.xid.into(),
                c.position.into(),
                c.parked_at.as_str().into(),
            ]
        })
        .collect();
    let into = format!("parked_events ({})", COLUMNS.join(", "));
    let tail = "ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason, parked_at = excluded.parked_at";
    conn.insert_rows(&into, tail, &rows).await
}

fn from_row(row: &AnyRow) -> Result<ParkedEvent, ProjectionError> {
    let text = |i: usize| row.try_get::<String, _>(i);
    let event_id: String = text(0)?;
    let event = RecordedEvent {
        event_id: Uuid::parse_str(&event_id)
            .map_err(|e| anyhow::anyhow!("parked event id {event_id:?}: {e}"))?,
        stream_id: text(3)?,
        stream_version: to_u64(row.try_get(4)?, "stream_version")?,
        event_type: text(6)?,
        schema_version: u32::try_from(row.try_get::<i64, _>(7)?)
            .map_err(|e| anyhow::anyhow!("parked schema_version: {e}"))?,
        org: OrgPath {
            district: text(9)?,
            street: text(10)?,
            community: text(11)?,
        },
        occurred_at: parse_instant(&text(12)?, "occurred_at")?,
        recorded_at: parse_instant(&text(13)?, "recorded_at")?,
        actor: text(14)?,
        correlation_id: text(15)?,
        causation_id: text(16)?,
        traceparent: text(17)?,
        payload: row.try_get(18)?,
        checkpoint: Checkpoint {
            xid: to_u64(row.try_get(19)?, "xid")?,
            position: to_u64(row.try_get(20)?, "position")?,
        },
    };
    let missing_through: Option<i64> = row.try_get(5)?;
    Ok(ParkedEvent {
        event,
        source: text(1)?,
        service: row.try_get(2)?,
        missing_through: missing_through
            .map(|v| to_u64(v, "missing_through"))
            .transpose()?,
        reason: text(8)?,
        parked_at: parse_instant(&text(21)?, "parked_at")?,
    })
}

/// Every parked event, oldest first (then in commit order).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<ParkedEvent>, ProjectionError> {
    let sql = format!(
        "SELECT {} FROM parked_events ORDER BY parked_at, xid, position, stream_id, stream_version",
        COLUMNS.join(", ")
    );
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

/// Removes a parked event (it was applied).
pub async fn unpark(conn: &mut AnyConnection, event_id: Uuid) -> Result<(), ProjectionError> {
    sqlx::query("DELETE FROM parked_events WHERE event_id = $1")
        .bind(event_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records why a parked event still cannot be applied.
pub async fn set_reason(
    conn: &mut AnyConnection,
    event_id: Uuid,
    reason: &str,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE parked_events SET reason = $1 WHERE event_id = $2")
        .bind(reason)
        .bind(event_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
