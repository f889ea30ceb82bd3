//! Domain ⇄ protobuf: event payloads (the stored and published contract), enums, dates
//! and timestamps. Decoding a stored event checks every required field and names the
//! one missing or malformed.

mod opportunity;
mod team;
mod volunteer;

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use civitas_kernel::DecodeError;
use civitas_proto::common::v1 as common;
use civitas_proto::events::v1 as pb;

use crate::domain::{Reason, ServiceCategory, ValidationError};

/// Decoding one stored event: turns payload and field errors into a [`DecodeError`]
/// naming the event type and schema version.
pub(crate) struct Decoding<'a> {
    event_type: &'a str,
    schema_version: u32,
}

impl<'a> Decoding<'a> {
    fn new(event_type: &'a str, schema_version: u32) -> Self {
        Self {
            event_type,
            schema_version,
        }
    }

    fn fail(&self, reason: impl fmt::Display) -> DecodeError {
        DecodeError {
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            reason: reason.to_string(),
        }
    }

    /// The payload as message `M`.
    fn message<M: prost::Message + Default>(&self, payload: &[u8]) -> Result<M, DecodeError> {
        M::decode(payload).map_err(|e| self.fail(e))
    }

    /// A field value, or the error naming the field.
    fn field<T>(&self, value: Result<T, ValidationError>) -> Result<T, DecodeError> {
        value.map_err(|e| self.fail(e))
    }

    fn unknown(&self, aggregate: &str) -> DecodeError {
        self.fail(format!("unknown {aggregate} event {}", self.event_type))
    }
}

/// An optional id: the empty string (proto3's unset) is `None`.
pub(crate) fn optional<T>(
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match value.trim() {
        "" => Ok(None),
        v => parse(v).map(Some),
    }
}

/// An optional reason: empty is `None`.
pub(crate) fn optional_reason(
    value: &str,
    field: &'static str,
) -> Result<Option<Reason>, ValidationError> {
    optional(value, |v| Reason::parse(field, v))
}

pub(crate) fn reason_to_pb(reason: &Option<Reason>) -> String {
    reason
        .as_ref()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default()
}

pub(crate) fn category_to_pb(c: ServiceCategory) -> pb::VolunteerServiceCategory {
    use pb::VolunteerServiceCategory as P;
    match c {
        ServiceCategory::Tutoring => P::Tutoring,
        ServiceCategory::Repair => P::Repair,
        ServiceCategory::Housekeeping => P::Housekeeping,
        ServiceCategory::StairwellCleaning => P::StairwellCleaning,
        ServiceCategory::EmptyNestCare => P::EmptyNestCare,
        ServiceCategory::Other => P::Other,
    }
}

/// A required category from the wire; UNSPECIFIED or unknown values name `field`.
pub(crate) fn category_from_pb(
    v: i32,
    field: &'static str,
) -> Result<ServiceCategory, ValidationError> {
    use pb::VolunteerServiceCategory as P;
    Ok(match P::try_from(v) {
        Ok(P::Tutoring) => ServiceCategory::Tutoring,
        Ok(P::Repair) => ServiceCategory::Repair,
        Ok(P::Housekeeping) => ServiceCategory::Housekeeping,
        Ok(P::StairwellCleaning) => ServiceCategory::StairwellCleaning,
        Ok(P::EmptyNestCare) => ServiceCategory::EmptyNestCare,
        Ok(P::Other) => ServiceCategory::Other,
        Ok(P::Unspecified) | Err(_) => {
            return Err(ValidationError::new(
                field,
                "must be a known service category",
            ))
        }
    })
}

pub(crate) fn date_to_pb(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// A required date from the wire, naming `field` when absent or impossible.
pub(crate) fn date_from_pb(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<NaiveDate, ValidationError> {
    let d = d.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let (Ok(month), Ok(day)) = (u32::try_from(d.month), u32::try_from(d.day)) else {
        return Err(ValidationError::new(field, "is not a calendar date"));
    };
    NaiveDate::from_ymd_opt(d.year, month, day)
        .ok_or_else(|| ValidationError::new(field, "is not a calendar date"))
}

pub(crate) fn timestamp_to_pb(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A required instant from the wire, naming `field` when absent or out of range.
pub(crate) fn timestamp_from_pb(
    t: Option<prost_types::Timestamp>,
    field: &'static str,
) -> Result<DateTime<Utc>, ValidationError> {
    let t = t.ok_or_else(|| ValidationError::new(field, "is required"))?;
    u32::try_from(t.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
        .ok_or_else(|| ValidationError::new(field, "is not a valid timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_and_unspecified_is_named() {
        for &c in ServiceCategory::ALL {
            assert_eq!(
                category_from_pb(category_to_pb(c) as i32, "category"),
                Ok(c)
            );
        }
        assert_eq!(
            category_from_pb(0, "category").unwrap_err().field,
            "category"
        );
        assert_eq!(
            category_from_pb(99, "category").unwrap_err().field,
            "category"
        );
    }

    #[test]
    fn dates_and_timestamps_round_trip_and_name_the_field() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(date_from_pb(Some(date_to_pb(d)), "service_date"), Ok(d));
        assert_eq!(
            date_from_pb(None, "service_date").unwrap_err().field,
            "service_date"
        );
        let bad = common::Date {
            year: 2026,
            month: 2,
            day: 30,
        };
        assert_eq!(
            date_from_pb(Some(bad), "d").unwrap_err().message,
            "is not a calendar date"
        );
        let t = DateTime::parse_from_rfc3339("2026-05-16T01:05:00.25Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(timestamp_from_pb(Some(timestamp_to_pb(t)), "at"), Ok(t));
        assert_eq!(timestamp_from_pb(None, "at").unwrap_err().field, "at");
        let negative = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(timestamp_from_pb(Some(negative), "at").is_err());
    }

    #[test]
    fn optional_values_treat_empty_as_none() {
        assert_eq!(optional_reason(" ", "reason"), Ok(None));
        let r = optional_reason("ill", "reason").unwrap();
        assert_eq!(reason_to_pb(&r), "ill");
        assert_eq!(reason_to_pb(&None), "");
    }
}
