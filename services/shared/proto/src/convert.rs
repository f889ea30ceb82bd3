//! Kernel ⇄ wire conversions for the envelope, the one message every store, relay,
//! event log and subscriber shares. Decoding names the field that is missing or bad.

use chrono::{DateTime, Utc};
use civitas_kernel::{Checkpoint, OrgPath, RecordedEvent};

use crate::common::v1 as common;
use crate::events::v1::Envelope;

/// An envelope from the wire that cannot become a recorded event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid envelope: {field} {problem}")]
pub struct EnvelopeError {
    pub field: &'static str,
    pub problem: &'static str,
}

/// The wire envelope of a recorded event produced by `service`.
pub fn envelope_of(service: &str, event: &RecordedEvent) -> Envelope {
    Envelope {
        event_id: event.event_id.to_string(),
        stream_id: event.stream_id.clone(),
        stream_version: event.stream_version,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        org: Some(common::OrgPath {
            district: event.org.district.clone(),
            street: event.org.street.clone(),
            community: event.org.community.clone(),
        }),
        occurred_at: Some(timestamp(event.occurred_at)),
        recorded_at: Some(timestamp(event.recorded_at)),
        actor: event.actor.clone(),
        correlation_id: event.correlation_id.clone(),
        causation_id: event.causation_id.clone(),
        traceparent: event.traceparent.clone(),
        payload: event.payload.clone(),
        xid: event.checkpoint.xid,
        position: event.checkpoint.position,
        service: service.to_owned(),
    }
}

/// The recorded event inside a wire envelope; its checkpoint is the producing store's.
pub fn recorded_of(envelope: Envelope) -> Result<RecordedEvent, EnvelopeError> {
    let bad = |field, problem| EnvelopeError { field, problem };
    let org = envelope.org.ok_or(bad("org", "is missing"))?;
    Ok(RecordedEvent {
        event_id: envelope
            .event_id
            .parse()
            .map_err(|_| bad("event_id", "is not a uuid"))?,
        stream_id: non_empty(envelope.stream_id, "stream_id")?,
        stream_version: match envelope.stream_version {
            0 => return Err(bad("stream_version", "must be at least 1")),
            v => v,
        },
        event_type: non_empty(envelope.event_type, "event_type")?,
        schema_version: envelope.schema_version,
        org: OrgPath {
            district: org.district,
            street: org.street,
            community: org.community,
        },
        occurred_at: from_timestamp(envelope.occurred_at, "occurred_at")?,
        recorded_at: from_timestamp(envelope.recorded_at, "recorded_at")?,
        actor: envelope.actor,
        correlation_id: envelope.correlation_id,
        causation_id: envelope.causation_id,
        traceparent: envelope.traceparent,
        payload: envelope.payload,
        checkpoint: Checkpoint {
            xid: envelope.xid,
            position: envelope.position,
        },
    })
}

fn non_empty(value: String, field: &'static str) -> Result<String, EnvelopeError> {
    if value.is_empty() {
        Err(EnvelopeError {
            field,
            problem: "is empty",
        })
    } else {
        Ok(value)
    }
}

/// A protobuf timestamp of an instant.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn from_timestamp(
    ts: Option<prost_types::Timestamp>,
    field: &'static str,
) -> Result<DateTime<Utc>, EnvelopeError> {
    let ts = ts.ok_or(EnvelopeError {
        field,
        problem: "is missing",
    })?;
    let nanos = u32::try_from(ts.nanos).map_err(|_| EnvelopeError {
        field,
        problem: "has negative nanos",
    })?;
    DateTime::from_timestamp(ts.seconds, nanos).ok_or(EnvelopeError {
        field,
        problem: "is out of range",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn envelope_round_trips_and_names_bad_fields() {
        let event = RecordedEvent {
            event_id: uuid::Uuid::now_v7(),
            stream_id: "resident-1".into(),
            stream_version: 3,
            event_type: "ResidentMovedOut".into(),
            schema_version: 1,
            org: OrgPath {
                district: "gulou".into(),
                street: "huafeng".into(),
                community: "xingfu".into(),
            },
            occurred_at: Utc
                .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
                .single()
                .expect("time"),
            recorded_at: Utc
                .with_ymd_and_hms(2026, 11, 28, 9, 0, 1)
                .single()
                .expect("time")
                + chrono::Duration::microseconds(123_456),
            actor: "staff".into(),
            correlation_id: "c".into(),
            causation_id: "d".into(),
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
            payload: vec![1, 2, 3],
            checkpoint: Checkpoint {
                xid: 77,
                position: 9,
            },
        };
        let envelope = envelope_of("residents", &event);
        assert_eq!(envelope.service, "residents");
        assert_eq!(recorded_of(envelope.clone()).expect("decode"), event);
        let err = recorded_of(Envelope {
            org: None,
            ..envelope.clone()
        })
        .expect_err("no org");
        assert_eq!(err.field, "org");
        let err = recorded_of(Envelope {
            stream_version: 0,
            ..envelope
        })
        .expect_err("version 0");
        assert_eq!(err.field, "stream_version");
    }
}
