//! The one-request-per-transaction append path: what a group commit falls back to when
//! its batch statement failed (another process raced it on a stream or key, or one
//! request carries data the server refuses), so that only the requests really in
//! conflict are refused. A unique violation here is mapped to its business meaning.

use sqlx::{PgPool, Postgres};

use super::super::sql::{self, current_version, stored_outcome, AppendRows, Statement};
use super::super::{AppendError, AppendOutcome, AppendRequest, StoreError};
use crate::envelope::NewEvent;

/// Appends one request in its own transaction.
pub(super) async fn append(
    pool: &PgPool,
    request: &AppendRequest,
) -> Result<AppendOutcome, AppendError> {
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    let outcome = match sql::append_in(&mut *tx, request, &Rows).await {
        Ok(outcome) => outcome,
        Err(e) => {
            drop(tx);
            return resolve_race(pool, request, e).await;
        }
    };
    if outcome.replayed {
        return Ok(outcome);
    }
    if let Err(e) = tx.commit().await {
        return resolve_race(pool, request, AppendError::Store(e.into())).await;
    }
    Ok(outcome)
}

/// The rows of one append; `recorded_at` is the column's default (the commit's clock).
struct Rows;

impl AppendRows for Rows {
    type Db = Postgres;

    fn event_insert<'q>(&'q self, event: &'q NewEvent) -> Statement<'q, Postgres> {
        sqlx::query(
            "INSERT INTO events (event_id, schema_version, occurred_at, stream_id, stream_version, event_type, \
             payload, district, street, community, actor, correlation_id, causation_id, traceparent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(event.event_id)
        .bind(i32::try_from(event.schema_version).unwrap_or(i32::MAX))
        .bind(event.occurred_at)
    }

    fn key_insert(&self) -> Statement<'_, Postgres> {
        sqlx::query(
            "INSERT INTO idempotency_keys (key, fingerprint, stream_id, version) VALUES ($1, $2, $3, $4)",
        )
    }
}

/// Turns a unique violation raced by a concurrent append into its business meaning.
async fn resolve_race(
    pool: &PgPool,
    request: &AppendRequest,
    error: AppendError,
) -> Result<AppendOutcome, AppendError> {
    let Some(constraint) = unique_violation(&error) else {
        return Err(error);
    };
    match (constraint.as_str(), &request.idempotency) {
        ("idempotency_keys_pkey", Some(idem)) => match stored_outcome(pool, idem).await? {
            Some(outcome) => Ok(outcome),
            None => Err(error),
        },
        ("events_stream_version_unique", _) => Err(AppendError::Conflict {
            stream_id: request.stream_id.clone(),
            expected: request.expected,
            actual: current_version(pool, &request.stream_id).await?,
        }),
        _ => Err(error),
    }
}

fn unique_violation(error: &AppendError) -> Option<String> {
    let AppendError::Store(StoreError(inner)) = error else {
        return None;
    };
    let db = inner.downcast_ref::<sqlx::Error>()?.as_database_error()?;
    (db.code().as_deref() == Some("23505")).then(|| db.constraint().unwrap_or_default().to_owned())
}
