//! One batch against the database: decide it, then write it in one statement that
//! checks the decisions' premise first.
//!
//! A single statement is a single transaction, so a batch commits all or nothing
//! without BEGIN and COMMIT round trips. The statement re-checks, in its own snapshot,
//! the stream versions and unused keys the plan was decided on, and writes nothing if
//! they changed; what arbitrates a race with a writer that has not committed yet is
//! the unique constraints on (stream_id, stream_version) and on the key, which refuse
//! the statement. So the premise may come from a read just before (two round trips) or
//! from the requests' own expectations ([`plan::assume`], one round trip): commands
//! load their stream before appending, so the guess is right unless they conflict.
//!
//! A batch holding [`Companion`](super::super::Companion) rows is the exception: it is
//! one explicit transaction ([`with_companions`]), because whether a companion insert
//! is refused by a unique index is only known once it ran, and a refused one refuses
//! its request before the events are written.

use std::collections::HashMap;

use sqlx::{Connection, PgConnection, Postgres};

use super::super::{sql, to_u64, AppendRequest, Companion, StoreError};
use super::companions;
use super::group::{BatchError, Decided};
use super::plan::{self, Known, Plan, Premise, StoredKey};

/// Decides and writes one batch: one round trip when the assumed state holds,
/// otherwise a read and a write.
pub(super) async fn commit(
    conn: &mut PgConnection,
    requests: &[&AppendRequest],
) -> Result<Decided, BatchError> {
    if requests.iter().any(|r| !r.companions.is_empty()) {
        return with_companions(conn, requests).await;
    }
    if let Some(assumed) = plan::assume(requests) {
        if let Some(decided) = decide_and_write(conn, requests, assumed, false).await? {
            return Ok(decided);
        }
    }
    let known = load(conn, requests).await?;
    decide_and_write(conn, requests, known, true)
        .await?
        .ok_or(BatchError::Raced)
}

/// Decides `requests` on `known` and writes the plan if its premise still holds.
/// `None` when it does not (nothing was written).
async fn decide_and_write(
    conn: &mut PgConnection,
    requests: &[&AppendRequest],
    known: Known,
    read: bool,
) -> Result<Option<Decided>, BatchError> {
    let premise = Premise::of(requests, &known)?;
    let plan = plan::decide(requests, known);
    if read && plan.is_empty() {
        // Only conflicts and replays, all answered from what was just read.
        return Ok(Some((plan.results, false)));
    }
    if !write(conn, &plan, &premise).await? {
        return Ok(None);
    }
    let wrote = !plan.is_empty();
    Ok(Some((plan.results, wrote)))
}

/// Decides and writes a batch with companion rows in one transaction: read what the
/// batch rests on, decide, write the accepted requests' companions (all together when
/// none is refused; otherwise each request's in arrival order, re-deciding the rest
/// without a request whose insert a unique index refused), then the events under the
/// usual premise check. The other requests of the batch keep their shared commit.
async fn with_companions(
    conn: &mut PgConnection,
    requests: &[&AppendRequest],
) -> Result<Decided, BatchError> {
    let mut tx = conn.begin().await?;
    let known = load(&mut tx, requests).await?;
    let premise = Premise::of(requests, &known)?;
    let mut plan = plan::decide(requests, known.clone());
    let together: Vec<&Companion> = requests
        .iter()
        .zip(&plan.results)
        .filter(|(_, result)| plan::accepted(result))
        .flat_map(|(request, _)| &request.companions)
        .collect();
    if !companions::insert_together(&mut tx, &together).await? {
        plan = one_by_one(&mut tx, requests, &known, plan).await?;
    }
    if !write(&mut tx, &plan, &premise).await? {
        return Err(BatchError::Raced);
    }
    tx.commit().await?;
    Ok((plan.results, true))
}

/// Writes each accepted request's companions in arrival order, in a savepoint of its
/// own, so that several companions of one request are all or none and a refused insert
/// refuses its request alone; the requests after it are re-decided without it. Returns
/// the plan as re-decided.
async fn one_by_one<'a>(
    tx: &mut PgConnection,
    requests: &[&'a AppendRequest],
    known: &Known,
    mut plan: Plan<'a>,
) -> Result<Plan<'a>, BatchError> {
    let mut taken = HashMap::new();
    for (i, request) in requests.iter().enumerate() {
        if request.companions.is_empty() || !plan::accepted(&plan.results[i]) {
            continue;
        }
        let mut request_tx = tx.begin().await?;
        let mut refused = None;
        for companion in &request.companions {
            if !sql::write_companion::<Postgres>(&mut request_tx, companion).await? {
                refused = Some(companion.table());
                break;
            }
        }
        match refused {
            None => request_tx.commit().await?,
            Some(table) => {
                request_tx.rollback().await?;
                taken.insert(i, table);
                plan = plan::decide_refusing(requests, known.clone(), &taken);
            }
        }
    }
    Ok(plan)
}

/// The current version of each stream in `$1` that has events (a stream named twice
/// answers twice). Each stream is its own probe of the `(stream_id, stream_version)`
/// index, its last entry: the plan does not depend on the table's statistics. As
/// `stream_id = ANY($1) GROUP BY stream_id`, a table grown since its last ANALYZE
/// (a fresh store, autovacuum off or behind) was estimated to match a fraction per
/// element, and a batch of 64 streams was planned as a sequential scan of the log.
pub const STREAM_VERSIONS: &str = "SELECT s.stream_id, v.version
     FROM UNNEST($1::text[]) AS s(stream_id)
     CROSS JOIN LATERAL (SELECT max(stream_version) AS version FROM events
                         WHERE stream_id = s.stream_id) AS v
     WHERE v.version IS NOT NULL";

/// The current versions of the batch's streams and the stored outcomes of its keys.
async fn load(conn: &mut PgConnection, requests: &[&AppendRequest]) -> Result<Known, BatchError> {
    let mut known = Known::default();
    let keys: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.idempotency.as_ref().map(|i| i.key.as_str()))
        .collect();
    if !keys.is_empty() {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT key, fingerprint, stream_id, version FROM idempotency_keys WHERE key = ANY($1)",
        )
        .bind(&keys)
        .fetch_all(&mut *conn)
        .await?;
        for (key, fingerprint, stream_id, version) in rows {
            let version = to_u64(version, "version")?;
            let stored = StoredKey {
                fingerprint,
                stream_id,
                version,
            };
            known.keys.insert(key, stored);
        }
    }
    let streams: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(STREAM_VERSIONS)
        .bind(&streams)
        .fetch_all(&mut *conn)
        .await?;
    known.versions = rows
        .into_iter()
        .map(|(stream, version)| Ok((stream, to_u64(version, "stream version")?)))
        .collect::<Result<HashMap<_, _>, StoreError>>()?;
    Ok(known)
}

/// Inserts the plan's events and idempotency rows in one statement (one transaction)
/// if its premise holds, and tells whether it did. Positions follow the array order,
/// so a stream's versions increase with position.
async fn write(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    premise: &Premise<'_>,
) -> Result<bool, BatchError> {
    let (e, k) = (&plan.events, &plan.keys);
    let holds: bool = sqlx::query_scalar(
        "WITH premise AS ( \
             SELECT NOT EXISTS ( \
                     SELECT 1 FROM UNNEST($19::text[], $20::int8[]) AS p(stream_id, version) \
                     WHERE p.version <> coalesce( \
                         (SELECT max(stream_version) FROM events WHERE stream_id = p.stream_id), 0)) \
                 AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE key = ANY($21::text[])) AS holds), \
         new_keys AS ( \
             INSERT INTO idempotency_keys (key, fingerprint, stream_id, version) \
             SELECT * FROM UNNEST($15::text[], $16::text[], $17::text[], $18::int8[]) \
             WHERE (SELECT holds FROM premise)), \
         new_events AS ( \
             INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, district, \
                 street, community, occurred_at, actor, correlation_id, causation_id, traceparent, payload) \
             SELECT event_id, stream_id, stream_version, event_type, schema_version, district, street, \
                 community, occurred_at, actor, correlation_id, causation_id, traceparent, payload \
             FROM UNNEST($1::uuid[], $2::text[], $3::int8[], $4::text[], $5::int4[], $6::text[], $7::text[], \
                 $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[]) \
                 WITH ORDINALITY AS e(event_id, stream_id, stream_version, event_type, schema_version, district, \
                 street, community, occurred_at, actor, correlation_id, causation_id, traceparent, payload, n) \
             WHERE (SELECT holds FROM premise) \
             ORDER BY n) \
         SELECT holds FROM premise",
    )
    .bind(&e.event_id)
    .bind(&e.stream_id)
    .bind(&e.stream_version)
    .bind(&e.event_type)
    .bind(&e.schema_version)
    .bind(&e.district)
    .bind(&e.street)
    .bind(&e.community)
    .bind(&e.occurred_at)
    .bind(&e.actor)
    .bind(&e.correlation_id)
    .bind(&e.causation_id)
    .bind(&e.traceparent)
    .bind(&e.payload)
    .bind(&k.key)
    .bind(&k.fingerprint)
    .bind(&k.stream_id)
    .bind(&k.version)
    .bind(&premise.streams)
    .bind(&premise.versions)
    .bind(&premise.absent_keys)
    .fetch_one(&mut *conn)
    .await?;
    Ok(holds)
}
