//! The one-request-per-transaction append path: what a group commit falls back to when
//! its batch statement failed (another process raced it on a stream or key, or one
//! request carries data the server refuses), so that only the requests really in
//! conflict are refused. A unique violation here is mapped to its business meaning.

use sqlx::{Executor, PgPool, Postgres, Transaction};

use super::super::{
    check_fingerprint, to_i64, to_u64, AppendError, AppendOutcome, AppendRequest, Idempotency,
    StoreError,
};

/// Appends one request in its own transaction.
pub(super) async fn append(
    pool: &PgPool,
    request: &AppendRequest,
) -> Result<AppendOutcome, AppendError> {
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    let outcome = match append_in(&mut tx, request).await {
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

pub(super) async fn current_version(
    executor: impl Executor<'_, Database = Postgres>,
    stream_id: &str,
) -> Result<u64, StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT max(stream_version) FROM events WHERE stream_id = $1")
            .bind(stream_id)
            .fetch_one(executor)
            .await?;
    to_u64(version.unwrap_or(0), "stream version")
}

pub(super) async fn stored_outcome(
    executor: impl Executor<'_, Database = Postgres>,
    idem: &Idempotency,
) -> Result<Option<AppendOutcome>, AppendError> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT fingerprint, stream_id, version FROM idempotency_keys WHERE key = $1",
    )
    .bind(&idem.key)
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

/// The body of one append inside an open transaction. Returns the outcome, or the
/// stored outcome when the idempotency key was already used.
async fn append_in(
    tx: &mut Transaction<'_, Postgres>,
    request: &AppendRequest,
) -> Result<AppendOutcome, AppendError> {
    if let Some(idem) = &request.idempotency {
        if let Some(outcome) = stored_outcome(&mut **tx, idem).await? {
            return Ok(outcome);
        }
    }
    let actual = current_version(&mut **tx, &request.stream_id).await?;
    if !request.expected.admits(actual) {
        return Err(AppendError::Conflict {
            stream_id: request.stream_id.clone(),
            expected: request.expected,
            actual,
        });
    }
    let meta = &request.metadata;
    let mut version = actual;
    for event in &request.events {
        version += 1;
        sqlx::query(
            "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, district, \
             street, community, occurred_at, actor, correlation_id, causation_id, traceparent, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(event.event_id)
        .bind(&request.stream_id)
        .bind(to_i64(version, "stream version")?)
        .bind(&event.event_type)
        .bind(i32::try_from(event.schema_version).unwrap_or(i32::MAX))
        .bind(&meta.org.district)
        .bind(&meta.org.street)
        .bind(&meta.org.community)
        .bind(event.occurred_at)
        .bind(&meta.actor)
        .bind(&meta.correlation_id)
        .bind(&meta.causation_id)
        .bind(&meta.traceparent)
        .bind(&event.payload)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from)?;
    }
    if let Some(idem) = &request.idempotency {
        sqlx::query(
            "INSERT INTO idempotency_keys (key, fingerprint, stream_id, version) VALUES ($1, $2, $3, $4)",
        )
        .bind(&idem.key)
        .bind(&idem.fingerprint)
        .bind(&request.stream_id)
        .bind(to_i64(version, "stream version")?)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from)?;
    }
    Ok(AppendOutcome {
        stream_id: request.stream_id.clone(),
        version,
        replayed: false,
    })
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
