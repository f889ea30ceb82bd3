//! Domain ⇄ protobuf: event payloads (the stored and published contract). Categories,
//! dates and timestamps convert through `civitas_proto` (`codes`, `convert`), like every
//! service's. Decoding a stored event checks every required field and names the one
//! missing or malformed.

mod opportunity;
mod team;
mod volunteer;

pub(crate) use opportunity::published_to_pb;

use std::fmt;

use civitas_kernel::values::optional;
use civitas_kernel::DecodeError;

use crate::domain::{Reason, ValidationError};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_values_treat_empty_as_none() {
        assert_eq!(optional_reason(" ", "reason"), Ok(None));
        let r = optional_reason("ill", "reason").unwrap();
        assert_eq!(reason_to_pb(&r), "ill");
        assert_eq!(reason_to_pb(&None), "");
    }
}
