//! Freshness is data: per source service, up to when the read models are complete, so
//! a district user can tell "no incidents" from "not yet known".
//!
//! Two sides meet in `projection_freshness`: every applied batch records the newest
//! event it applied per service ([`note_applied`], in the batch's transaction), and the
//! reconcile records what each service's log held when it last compared, and that the
//! newest of it is applied when no stream was behind ([`note_observed`]). `GetKpis` reads both ([`read`]). Instants are stored as BIGINT
//! nanoseconds since the epoch, so both backends compare them as numbers.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use civitas_kernel::RecordedEvent;
use civitas_proto::convert::timestamp;
use civitas_proto::insights::v1::{FreshnessState, SourceFreshness};
use sqlx::{AnyPool, Row};
use uuid::Uuid;

use crate::apply::GapFiller;
use crate::db::{Conn, Value};
use crate::error::ProjectionError;
use crate::parked::ParkedEvent;

/// The write services whose events the projection applies: each is listed in every
/// answer, also before its first event.
pub const SERVICES: [&str; 4] = ["residents", "activities", "volunteering", "safety"];

/// What the reconcile saw in one service's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// recorded_at of the log's newest event; none while the log is empty.
    pub newest_event_at: Option<DateTime<Utc>>,
    /// recorded_at of the oldest event the relay had not published.
    pub relay_pending_since: Option<DateTime<Utc>>,
    pub observed_at: DateTime<Utc>,
    /// Every stream of the log was at or below the projection's version: its newest
    /// event is applied, even if no batch since said so (after a rebuild).
    pub complete: bool,
}

fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Keeps the later of the stored and the new instant in `column`.
fn later(column: &str) -> String {
    format!(
        "{column} = CASE WHEN projection_freshness.{column} IS NULL \
         OR projection_freshness.{column} < excluded.{column} \
         THEN excluded.{column} ELSE projection_freshness.{column} END"
    )
}

/// Records, per service, the newest recorded_at among the `events` of a batch from
/// `source` that were applied (not `parked`). The service of an event is the one its
/// gap filler names, else the source itself (the tailer of one store).
pub(crate) async fn note_applied(
    conn: &mut Conn<'_>,
    source: &str,
    events: &[RecordedEvent],
    gaps: &dyn GapFiller,
    parked: &[ParkedEvent],
) -> Result<(), ProjectionError> {
    let parked: HashSet<Uuid> = parked.iter().map(|p| p.event.event_id).collect();
    let mut newest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for event in events.iter().filter(|e| !parked.contains(&e.event_id)) {
        let service = gaps
            .owner(&event.stream_id)
            .unwrap_or_else(|| source.to_owned());
        let at = newest.entry(service).or_insert(event.recorded_at);
        *at = (*at).max(event.recorded_at);
    }
    let sql = format!(
        "INSERT INTO projection_freshness (service, last_applied_at) VALUES ($1, $2)
         ON CONFLICT (service) DO UPDATE SET {}",
        later("last_applied_at")
    );
    for (service, at) in newest {
        conn.execute(&sql, &[Value::from(service), Value::Int(nanos(at))])
            .await?;
    }
    Ok(())
}

/// Records what the reconcile saw in `service`'s log.
pub(crate) async fn note_observed(
    pool: &AnyPool,
    service: &str,
    seen: &Observation,
) -> Result<(), ProjectionError> {
    let sql = format!(
        "INSERT INTO projection_freshness
             (service, source_newest_at, relay_pending_since, observed_at, last_applied_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (service) DO UPDATE SET {}, {},
             relay_pending_since = excluded.relay_pending_since,
             observed_at = excluded.observed_at",
        later("source_newest_at"),
        later("last_applied_at")
    );
    let newest = seen.newest_event_at.map(nanos);
    sqlx::query(&sql)
        .bind(service)
        .bind(newest)
        .bind(seen.relay_pending_since.map(nanos))
        .bind(nanos(seen.observed_at))
        .bind(newest.filter(|_| seen.complete))
        .execute(pool)
        .await?;
    Ok(())
}

/// The stored instants of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Stored {
    last_applied_at: Option<DateTime<Utc>>,
    source_newest_at: Option<DateTime<Utc>>,
    relay_pending_since: Option<DateTime<Utc>>,
    observed_at: Option<DateTime<Utc>>,
}

impl Stored {
    fn answer(&self, service: &str) -> SourceFreshness {
        let state = match (self.observed_at, self.source_newest_at) {
            (None, _) => FreshnessState::NotObserved,
            (Some(_), None) if self.last_applied_at.is_none() => FreshnessState::NoEvents,
            (Some(_), newest) if self.last_applied_at >= newest => FreshnessState::Complete,
            (Some(_), _) => FreshnessState::Behind,
        };
        let complete_up_to = match state {
            FreshnessState::Complete | FreshnessState::NoEvents => {
                self.observed_at.max(self.last_applied_at)
            }
            _ => self.last_applied_at,
        };
        SourceFreshness {
            service: service.to_owned(),
            state: state as i32,
            complete_up_to: complete_up_to.map(timestamp),
            last_applied_event_at: self.last_applied_at.map(timestamp),
            source_newest_event_at: self.source_newest_at.map(timestamp),
            relay_pending_since: self.relay_pending_since.map(timestamp),
            observed_at: self.observed_at.map(timestamp),
        }
    }
}

/// Every service's freshness: the known [`SERVICES`] first, then any other source.
pub(crate) async fn read(pool: &AnyPool) -> Result<Vec<SourceFreshness>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT service, last_applied_at, source_newest_at, relay_pending_since, observed_at
         FROM projection_freshness",
    )
    .fetch_all(pool)
    .await?;
    let at = |row: &sqlx::any::AnyRow, i: usize| -> Result<_, ProjectionError> {
        let n: Option<i64> = row.try_get(i)?;
        Ok(n.map(DateTime::from_timestamp_nanos))
    };
    let mut stored: BTreeMap<String, Stored> = BTreeMap::new();
    for row in &rows {
        let stored_row = Stored {
            last_applied_at: at(row, 1)?,
            source_newest_at: at(row, 2)?,
            relay_pending_since: at(row, 3)?,
            observed_at: at(row, 4)?,
        };
        stored.insert(row.try_get(0)?, stored_row);
    }
    let mut answer: Vec<SourceFreshness> = SERVICES
        .iter()
        .map(|s| stored.remove(*s).unwrap_or_default().answer(s))
        .collect();
    answer.extend(stored.iter().map(|(s, row)| row.answer(s)));
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(seconds, 0)
    }

    fn state(stored: Stored) -> FreshnessState {
        FreshnessState::try_from(stored.answer("safety").state).expect("known state")
    }

    #[test]
    fn a_source_never_compared_is_not_yet_known() {
        let applied = Stored {
            last_applied_at: at(10),
            ..Stored::default()
        };
        assert_eq!(state(Stored::default()), FreshnessState::NotObserved);
        assert_eq!(state(applied), FreshnessState::NotObserved);
    }

    #[test]
    fn an_empty_log_says_no_events_and_is_complete_up_to_the_comparison() {
        let empty = Stored {
            observed_at: at(50),
            ..Stored::default()
        };
        assert_eq!(state(empty), FreshnessState::NoEvents);
        assert_eq!(empty.answer("safety").complete_up_to, at(50).map(timestamp));
    }

    #[test]
    fn behind_until_the_newest_event_of_the_log_is_applied() {
        let behind = Stored {
            last_applied_at: at(10),
            source_newest_at: at(20),
            observed_at: at(30),
            ..Stored::default()
        };
        assert_eq!(state(behind), FreshnessState::Behind);
        assert_eq!(
            behind.answer("safety").complete_up_to,
            at(10).map(timestamp)
        );
        let caught_up = Stored {
            last_applied_at: at(20),
            ..behind
        };
        assert_eq!(state(caught_up), FreshnessState::Complete);
        assert_eq!(
            caught_up.answer("safety").complete_up_to,
            at(30).map(timestamp)
        );
    }

    #[tokio::test]
    async fn a_comparison_with_nothing_behind_counts_the_newest_event_as_applied() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/projection.db?mode=rwc", dir.path().display());
        let projection = crate::Projection::open(&url).await.expect("open");
        let residents = |answer: Vec<SourceFreshness>| {
            let f = answer.into_iter().find(|f| f.service == "residents");
            let f = f.expect("residents listed");
            (f.state(), f.last_applied_event_at)
        };
        let mut seen = Observation {
            newest_event_at: at(20),
            relay_pending_since: None,
            observed_at: at(30).expect("instant"),
            complete: false,
        };
        note_observed(&projection.pool, "residents", &seen)
            .await
            .expect("note");
        let answer = read(&projection.pool).await.expect("read");
        assert_eq!(residents(answer), (FreshnessState::Behind, None));

        seen.complete = true;
        note_observed(&projection.pool, "residents", &seen)
            .await
            .expect("note");
        let answer = read(&projection.pool).await.expect("read");
        assert_eq!(
            residents(answer),
            (FreshnessState::Complete, at(20).map(timestamp))
        );
    }
}
