//! Kernel ⇄ wire conversions shared by every service: the envelope (the one message
//! every store, relay, event log and subscriber shares), dates, timestamps and the
//! enum mapping macro [`wire_enum!`](crate::wire_enum). Decoding names the field that
//! is missing or bad.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
pub use civitas_kernel::ValidationError;
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
        // Only the canonical form (lowercase, hyphenated) every writer sends: a braced
        // or upper-case id would be another id's text for the same event downstream.
        event_id: envelope
            .event_id
            .parse::<uuid::Uuid>()
            .ok()
            .filter(|id| id.to_string() == envelope.event_id)
            .ok_or(bad("event_id", "is not a uuid in canonical form"))?,
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
        // Below 2e9 even in a leap second, so it always fits.
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(i32::MAX),
    }
}

/// The first and last year a request may name, in dates and instants alike: wide
/// enough for any birth date or plan, narrow enough that adding days, margins or
/// periods to an accepted value can never leave chrono's range.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Refuses a day outside [`YEARS`], naming `field`.
fn in_years(day: NaiveDate, field: &'static str) -> Result<(), ValidationError> {
    if YEARS.contains(&day.year()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("must be in the years {} to {}", YEARS.start(), YEARS.end()),
        ))
    }
}

/// A required instant from a request, naming `field` when absent, malformed or outside
/// [`YEARS`].
pub fn timestamp_from_pb(
    ts: Option<prost_types::Timestamp>,
    field: &'static str,
) -> Result<DateTime<Utc>, ValidationError> {
    let ts = ts.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let at = from_timestamp(Some(ts), field).map_err(|e| ValidationError::new(field, e.problem))?;
    in_years(at.date_naive(), field)?;
    Ok(at)
}

/// The wire form of a calendar date.
pub fn date_to_pb(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        // Month 1–12 and day 1–31 always fit.
        month: i32::try_from(d.month()).unwrap_or(0),
        day: i32::try_from(d.day()).unwrap_or(0),
    }
}

/// A required calendar date from a request, naming `field` when absent, impossible or
/// outside [`YEARS`].
pub fn date_from_pb(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<NaiveDate, ValidationError> {
    let d = d.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let day = u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(month, day)| NaiveDate::from_ymd_opt(d.year, month, day))
        .ok_or_else(|| ValidationError::new(field, "is not a calendar date"))?;
    in_years(day, field)?;
    Ok(day)
}

/// An optional calendar date: absent stays `None`, present must be a real date.
pub fn optional_date_from_pb(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<Option<NaiveDate>, ValidationError> {
    d.map(|d| date_from_pb(Some(d), field)).transpose()
}

/// Defines the two-way mapping between a domain code enum and its wire enum:
/// `$to(domain) -> wire` and `$from(i32, field) -> Result<domain, ValidationError>`,
/// which refuses UNSPECIFIED and unknown values naming the field. Variants pair by
/// name, so a variant added on one side only does not compile.
///
/// ```text
/// civitas_proto::wire_enum!(pub(crate) severity_to_pb, severity_from_pb,
///     Severity, pb::IncidentSeverity, "severity", { Minor, Serious, Major });
/// ```
#[macro_export]
macro_rules! wire_enum {
    ($vis:vis $to:ident, $from:ident, $domain:ident, $wire:ty, $what:literal, { $($variant:ident),+ $(,)? }) => {
        /// The wire value of a domain value.
        $vis fn $to(v: $domain) -> $wire {
            match v {
                $($domain::$variant => <$wire>::$variant,)+
            }
        }

        /// A required value from a request, naming `field` when unset or unknown.
        $vis fn $from(
            v: i32,
            field: &'static str,
        ) -> Result<$domain, $crate::convert::ValidationError> {
            match <$wire>::try_from(v) {
                $(Ok(<$wire>::$variant) => Ok($domain::$variant),)+
                _ => Err($crate::convert::ValidationError::new(
                    field,
                    concat!("must be a known ", $what),
                )),
            }
        }
    };
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
    fn dates_and_timestamps_name_the_field() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).expect("date");
        assert_eq!(date_from_pb(Some(date_to_pb(d)), "day"), Ok(d));
        let err = date_from_pb(
            Some(common::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            "day",
        )
        .expect_err("no 30 February");
        assert_eq!(
            (err.field, err.message.as_str()),
            ("day", "is not a calendar date")
        );
        let err = date_from_pb(
            Some(common::Date {
                year: 2026,
                month: -1,
                day: 1,
            }),
            "day",
        )
        .expect_err("negative month");
        assert_eq!(err.field, "day");
        assert_eq!(
            date_from_pb(None, "day").expect_err("absent").message,
            "is required"
        );
        assert_eq!(optional_date_from_pb(None, "day"), Ok(None));

        let at = Utc::now();
        assert_eq!(timestamp_from_pb(Some(timestamp(at)), "at"), Ok(at));
        let err = timestamp_from_pb(
            Some(prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            }),
            "at",
        )
        .expect_err("out of range");
        assert_eq!((err.field, err.message.as_str()), ("at", "is out of range"));
        let err = timestamp_from_pb(
            Some(prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            }),
            "at",
        )
        .expect_err("negative nanos");
        assert_eq!(err.field, "at");
    }

    #[test]
    fn dates_and_instants_outside_the_sane_years_are_refused() {
        let year = |year| {
            Some(common::Date {
                year,
                month: 1,
                day: 1,
            })
        };
        assert!(date_from_pb(year(1900), "day").is_ok());
        assert!(date_from_pb(year(2200), "day").is_ok());
        for bad in [1899, 2201, 262_142, -5] {
            let err = date_from_pb(year(bad), "day").expect_err("out of the years");
            assert_eq!(
                (err.field, err.message.as_str()),
                ("day", "must be in the years 1900 to 2200"),
                "{bad}"
            );
        }
        let at = |y: i32| {
            let day = NaiveDate::from_ymd_opt(y, 12, 31).expect("date");
            Some(timestamp(
                day.and_hms_opt(23, 0, 0).expect("time").and_utc(),
            ))
        };
        assert!(timestamp_from_pb(at(2200), "ends_at").is_ok());
        for bad in [1899, 2201, 262_142] {
            let err = timestamp_from_pb(at(bad), "ends_at").expect_err("out of the years");
            assert_eq!(err.field, "ends_at", "{bad}");
            assert_eq!(err.message, "must be in the years 1900 to 2200");
        }
    }

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
