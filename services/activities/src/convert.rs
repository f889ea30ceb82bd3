//! Domain ⇄ protobuf: event payloads (the stored and published contract) and the read
//! models the queries answer, one file per aggregate. Decoding a stored event checks
//! every required field and names the one missing or invalid. Categories, dates and
//! timestamps convert with the shared `civitas_proto::codes` and `civitas_proto::convert`.

mod activity;
mod board;
mod cobuilding;
mod contest;
mod deed;
mod facility;
mod funding;
mod milestone;
mod plan;
mod report;
mod station;

use civitas_kernel::{DecodeError, OrgPath};
use civitas_proto::common::v1 as common;
use civitas_proto::convert::date_from_pb;
use prost::Message;

use crate::domain::{PastDate, ValidationError};

pub(crate) use activity::activity_to_pb;
pub(crate) use board::board_topic_from_pb;
pub(crate) use funding::fund_source_from_pb;
pub(crate) use plan::plan_to_pb;

/// Builds the decode failure of one stored event.
fn failure(event_type: &str, schema_version: u32) -> impl Fn(String) -> DecodeError + '_ {
    move |reason| DecodeError {
        event_type: event_type.to_owned(),
        schema_version,
        reason,
    }
}

/// Decodes a payload, mapping the protobuf error.
fn payload<M: Message + Default>(
    bytes: &[u8],
    fail: &impl Fn(String) -> DecodeError,
) -> Result<M, DecodeError> {
    M::decode(bytes).map_err(|e| fail(e.to_string()))
}

/// A date already accepted when it was recorded; "today" then was at least the date.
fn recorded_date(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<PastDate, ValidationError> {
    let date = date_from_pb(d, field)?;
    PastDate::parse(field, date, date)
}

/// The wire form of an org path.
fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
