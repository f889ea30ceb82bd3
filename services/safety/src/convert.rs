//! Domain ⇄ protobuf: the event payloads (the stored and published contract), one file
//! per aggregate. Decoding a stored event checks every required field and names the one
//! missing or wrong. Categories convert through their own `to_pb`/`from_pb`, dates and
//! timestamps through `civitas_proto::convert`, the same way in every service.

mod incident;
mod inspection;
mod patrol;
mod rectification;

use civitas_kernel::values::optional;
use civitas_kernel::DecodeError;
use prost::Message;

use crate::domain::ValidationError;

/// The decoding failure of one stored event.
fn failure(event_type: &str, schema_version: u32) -> impl Fn(String) -> DecodeError + '_ {
    move |reason| DecodeError {
        event_type: event_type.to_owned(),
        schema_version,
        reason,
    }
}

/// Decodes a payload, then builds the domain event, naming what is wrong.
fn decode_with<M: Message + Default, T>(
    event_type: &str,
    schema_version: u32,
    payload: &[u8],
    build: impl FnOnce(M) -> Result<T, ValidationError>,
) -> Result<T, DecodeError> {
    let fail = failure(event_type, schema_version);
    let message = M::decode(payload).map_err(|e| fail(e.to_string()))?;
    build(message).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
