//! The pure half of a group commit: given what the database holds for a batch's streams
//! and idempotency keys, decide every request in arrival order and lay the accepted
//! events out as columns for one multi-row insert. A later request sees the versions
//! and keys of the earlier accepted ones, exactly as if they had committed one by one.
//!
//! What the decisions rest on is spelled out as a [`Premise`] that the insert statement
//! checks before writing, so a plan may also be made on an assumption ([`assume`])
//! instead of a read: a wrong guess writes nothing and costs one more round trip.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::{
    check_fingerprint, to_i64, AppendError, AppendOutcome, AppendRequest, ExpectedVersion,
    StoreError,
};

/// An idempotency key's stored outcome.
#[derive(Debug, Clone)]
pub(super) struct StoredKey {
    pub(super) fingerprint: String,
    pub(super) stream_id: String,
    pub(super) version: u64,
}

/// What the database holds for a batch before it is decided.
#[derive(Debug, Default, Clone)]
pub(super) struct Known {
    /// Current version of every stream of the batch that exists.
    pub(super) versions: HashMap<String, u64>,
    /// Stored outcome of every key of the batch already used.
    pub(super) keys: HashMap<String, StoredKey>,
}

/// The state a batch is decided on, guessed from its requests without reading: each
/// stream at the version its first request expects, no key used yet. Commands load
/// their stream before appending, so the guess is right unless they really conflict.
/// `None` when a stream's first request expects `Any`: there is nothing to guess from.
pub(super) fn assume(requests: &[&AppendRequest]) -> Option<Known> {
    let mut known = Known::default();
    for request in requests {
        if !known.versions.contains_key(&request.stream_id) {
            let version = match request.expected {
                ExpectedVersion::Exact(version) => version,
                ExpectedVersion::NoStream => 0,
                ExpectedVersion::Any => return None,
            };
            known.versions.insert(request.stream_id.clone(), version);
        }
    }
    Some(known)
}

/// What a plan's decisions rest on, as the insert statement checks it: each stream of
/// the batch is at `versions[i]`, and none of `absent_keys` has been used.
#[derive(Debug, Default)]
pub(super) struct Premise<'a> {
    pub(super) streams: Vec<&'a str>,
    pub(super) versions: Vec<i64>,
    pub(super) absent_keys: Vec<&'a str>,
}

impl<'a> Premise<'a> {
    /// The premise of deciding `requests` against `known`.
    pub(super) fn of(requests: &[&'a AppendRequest], known: &Known) -> Result<Self, StoreError> {
        let mut premise = Premise::default();
        let (mut streams, mut keys) = (HashSet::new(), HashSet::new());
        for request in requests {
            let stream = request.stream_id.as_str();
            if streams.insert(stream) {
                let version = known.versions.get(stream).copied().unwrap_or(0);
                premise.streams.push(stream);
                premise.versions.push(to_i64(version, "stream version")?);
            }
            if let Some(idem) = &request.idempotency {
                if !known.keys.contains_key(&idem.key) && keys.insert(idem.key.as_str()) {
                    premise.absent_keys.push(&idem.key);
                }
            }
        }
        Ok(premise)
    }
}

/// Column arrays of the accepted events, in arrival and version order.
#[derive(Debug, Default)]
pub(super) struct EventColumns<'a> {
    pub(super) event_id: Vec<Uuid>,
    pub(super) stream_id: Vec<&'a str>,
    pub(super) stream_version: Vec<i64>,
    pub(super) event_type: Vec<&'a str>,
    pub(super) schema_version: Vec<i32>,
    pub(super) district: Vec<&'a str>,
    pub(super) street: Vec<&'a str>,
    pub(super) community: Vec<&'a str>,
    pub(super) occurred_at: Vec<DateTime<Utc>>,
    pub(super) actor: Vec<&'a str>,
    pub(super) correlation_id: Vec<&'a str>,
    pub(super) causation_id: Vec<&'a str>,
    pub(super) traceparent: Vec<&'a str>,
    pub(super) payload: Vec<&'a [u8]>,
}

/// Column arrays of the idempotency rows of the accepted requests.
#[derive(Debug, Default)]
pub(super) struct KeyColumns<'a> {
    pub(super) key: Vec<&'a str>,
    pub(super) fingerprint: Vec<&'a str>,
    pub(super) stream_id: Vec<&'a str>,
    pub(super) version: Vec<i64>,
}

/// A decided batch: one result per request (same order) and the rows to write.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    pub(super) results: Vec<Result<AppendOutcome, AppendError>>,
    pub(super) events: EventColumns<'a>,
    pub(super) keys: KeyColumns<'a>,
}

impl Plan<'_> {
    /// True when committing the plan writes nothing (only conflicts and replays).
    pub(super) fn is_empty(&self) -> bool {
        self.events.event_id.is_empty() && self.keys.key.is_empty()
    }
}

/// Decides `requests` in order against `known`.
pub(super) fn decide<'a>(requests: &[&'a AppendRequest], known: Known) -> Plan<'a> {
    decide_refusing(requests, known, &HashMap::new())
}

/// Decides `requests` in order against `known`, refusing with [`AppendError::Taken`]
/// the ones `taken` names (by index) where they would be accepted: a companion insert
/// of theirs was refused. Requests after a refused one are decided without it, as if
/// it had never been sent; those before it do not change.
pub(super) fn decide_refusing<'a>(
    requests: &[&'a AppendRequest],
    mut known: Known,
    taken: &HashMap<usize, &'static str>,
) -> Plan<'a> {
    let mut plan = Plan {
        results: Vec::with_capacity(requests.len()),
        events: EventColumns::default(),
        keys: KeyColumns::default(),
    };
    for (i, request) in requests.iter().enumerate() {
        let result = decide_one(request, &mut known, &mut plan, taken.get(&i).copied());
        plan.results.push(result);
    }
    plan
}

/// Whether a decided request is to be written (not refused, not replayed).
pub(super) fn accepted(result: &Result<AppendOutcome, AppendError>) -> bool {
    matches!(result, Ok(outcome) if !outcome.replayed)
}

fn decide_one<'a>(
    request: &'a AppendRequest,
    known: &mut Known,
    plan: &mut Plan<'a>,
    taken: Option<&'static str>,
) -> Result<AppendOutcome, AppendError> {
    if let Some(idem) = &request.idempotency {
        if let Some(stored) = known.keys.get(&idem.key) {
            return check_fingerprint(
                idem,
                &stored.fingerprint,
                stored.stream_id.clone(),
                stored.version,
            );
        }
    }
    let actual = known.versions.get(&request.stream_id).copied().unwrap_or(0);
    if !request.expected.admits(actual) {
        return Err(AppendError::Conflict {
            stream_id: request.stream_id.clone(),
            expected: request.expected,
            actual,
        });
    }
    if let Some(table) = taken {
        return Err(AppendError::Taken { table });
    }
    let len = u64::try_from(request.events.len()).map_err(|e| StoreError(e.into()))?;
    let version = actual + len;
    // Convert before pushing anything so a refused request leaves no partial rows.
    let first = to_i64(actual + 1, "stream version")?;
    let last = to_i64(version, "stream version")?;
    let meta = &request.metadata;
    let columns = &mut plan.events;
    for (event, stream_version) in request.events.iter().zip(first..) {
        columns.event_id.push(event.event_id);
        columns.stream_id.push(&request.stream_id);
        columns.stream_version.push(stream_version);
        columns.event_type.push(&event.event_type);
        columns
            .schema_version
            .push(i32::try_from(event.schema_version).unwrap_or(i32::MAX));
        columns.district.push(&meta.org.district);
        columns.street.push(&meta.org.street);
        columns.community.push(&meta.org.community);
        columns.occurred_at.push(event.occurred_at);
        columns.actor.push(&meta.actor);
        columns.correlation_id.push(&meta.correlation_id);
        columns.causation_id.push(&meta.causation_id);
        columns.traceparent.push(&meta.traceparent);
        columns.payload.push(&event.payload);
    }
    known.versions.insert(request.stream_id.clone(), version);
    if let Some(idem) = &request.idempotency {
        plan.keys.key.push(&idem.key);
        plan.keys.fingerprint.push(&idem.fingerprint);
        plan.keys.stream_id.push(&request.stream_id);
        plan.keys.version.push(last);
        known.keys.insert(
            idem.key.clone(),
            StoredKey {
                fingerprint: idem.fingerprint.clone(),
                stream_id: request.stream_id.clone(),
                version,
            },
        );
    }
    Ok(AppendOutcome {
        stream_id: request.stream_id.clone(),
        version,
        replayed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Metadata, NewEvent};
    use crate::store::{ExpectedVersion, Idempotency};

    fn request(stream: &str, expected: ExpectedVersion, events: usize) -> AppendRequest {
        AppendRequest {
            stream_id: stream.into(),
            expected,
            metadata: Metadata::default(),
            events: (0..events)
                .map(|_| NewEvent::new("ThingHappened", 1, Utc::now(), vec![1]))
                .collect(),
            idempotency: None,
            companions: Vec::new(),
        }
    }

    fn keyed(mut r: AppendRequest, key: &str, fingerprint: &str) -> AppendRequest {
        r.idempotency = Some(Idempotency {
            key: key.into(),
            fingerprint: fingerprint.into(),
        });
        r
    }

    fn outcome(stream: &str, version: u64, replayed: bool) -> AppendOutcome {
        AppendOutcome {
            stream_id: stream.into(),
            version,
            replayed,
        }
    }

    #[test]
    fn assumptions_come_from_each_stream_first_request() {
        let requests = [
            keyed(request("a", ExpectedVersion::Exact(4), 1), "k", "f"),
            request("b", ExpectedVersion::NoStream, 1),
            request("a", ExpectedVersion::Exact(9), 1),
        ];
        let refs: Vec<&AppendRequest> = requests.iter().collect();
        let known = assume(&refs).expect("no Any");
        let premise = Premise::of(&refs, &known).expect("premise");
        assert_eq!(premise.streams, ["a", "b"]);
        assert_eq!(premise.versions, [4, 0]);
        assert_eq!(premise.absent_keys, ["k"]);
        let any = [request("c", ExpectedVersion::Any, 1)];
        assert!(assume(&any.iter().collect::<Vec<_>>()).is_none());
    }

    #[test]
    fn later_requests_see_earlier_accepted_ones() {
        let requests = [
            request("a", ExpectedVersion::Exact(2), 1),
            request("a", ExpectedVersion::Exact(2), 1),
            request("a", ExpectedVersion::Exact(3), 2),
            request("b", ExpectedVersion::NoStream, 1),
            request("a", ExpectedVersion::Any, 1),
        ];
        let refs: Vec<&AppendRequest> = requests.iter().collect();
        let mut known = Known::default();
        known.versions.insert("a".into(), 2);
        let plan = decide(&refs, known);
        assert_eq!(plan.results[0].as_ref().ok(), Some(&outcome("a", 3, false)));
        assert!(
            matches!(
                plan.results[1],
                Err(AppendError::Conflict { actual: 3, .. })
            ),
            "{:?}",
            plan.results[1]
        );
        assert_eq!(plan.results[2].as_ref().ok(), Some(&outcome("a", 5, false)));
        assert_eq!(plan.results[3].as_ref().ok(), Some(&outcome("b", 1, false)));
        assert_eq!(plan.results[4].as_ref().ok(), Some(&outcome("a", 6, false)));
        assert_eq!(plan.events.stream_id, ["a", "a", "a", "b", "a"]);
        assert_eq!(plan.events.stream_version, [3, 4, 5, 1, 6]);
        assert!(plan.keys.key.is_empty());
    }

    #[test]
    fn a_refused_multi_event_request_writes_none_of_its_events() {
        let requests = [
            request("a", ExpectedVersion::NoStream, 3),
            request("a", ExpectedVersion::NoStream, 3),
        ];
        let refs: Vec<&AppendRequest> = requests.iter().collect();
        let plan = decide(&refs, Known::default());
        assert!(plan.results[1].is_err());
        let ids: Vec<Uuid> = requests[0].events.iter().map(|e| e.event_id).collect();
        assert_eq!(plan.events.event_id, ids);
    }

    #[test]
    fn a_key_used_twice_in_one_batch_replays_or_refuses() {
        let requests = [
            keyed(request("a", ExpectedVersion::NoStream, 1), "k", "f"),
            keyed(request("b", ExpectedVersion::NoStream, 1), "k", "f"),
            keyed(request("c", ExpectedVersion::NoStream, 1), "k", "g"),
        ];
        let refs: Vec<&AppendRequest> = requests.iter().collect();
        let plan = decide(&refs, Known::default());
        assert_eq!(plan.results[0].as_ref().ok(), Some(&outcome("a", 1, false)));
        assert_eq!(plan.results[1].as_ref().ok(), Some(&outcome("a", 1, true)));
        assert!(matches!(
            plan.results[2],
            Err(AppendError::IdempotencyMismatch { .. })
        ));
        assert_eq!(plan.events.stream_id, ["a"]);
        assert_eq!(
            (plan.keys.key.as_slice(), plan.keys.version.as_slice()),
            (&["k"][..], &[1][..])
        );
    }

    #[test]
    fn stored_keys_replay_and_a_refused_request_does_not_claim_its_key() {
        let requests = [
            keyed(request("a", ExpectedVersion::NoStream, 1), "old", "f"),
            keyed(request("b", ExpectedVersion::Exact(7), 1), "new", "f"),
            keyed(request("c", ExpectedVersion::NoStream, 1), "new", "f"),
        ];
        let refs: Vec<&AppendRequest> = requests.iter().collect();
        let mut known = Known::default();
        let stored = StoredKey {
            fingerprint: "f".into(),
            stream_id: "z".into(),
            version: 4,
        };
        known.keys.insert("old".into(), stored);
        let plan = decide(&refs, known);
        assert_eq!(plan.results[0].as_ref().ok(), Some(&outcome("z", 4, true)));
        assert!(matches!(
            plan.results[1],
            Err(AppendError::Conflict { actual: 0, .. })
        ));
        assert_eq!(plan.results[2].as_ref().ok(), Some(&outcome("c", 1, false)));
        assert_eq!(plan.keys.stream_id, ["c"]);
        assert!(!plan.is_empty());
    }
}
