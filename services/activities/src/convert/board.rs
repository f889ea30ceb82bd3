//! A publicity board's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{BoardEvent, BoardId, Location, Topic, ValidationError};

impl EventCodec for BoardEvent {
    fn event_type(&self) -> &'static str {
        BoardEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            BoardEvent::PublicityBoardRegistered {
                board_id,
                community,
                location,
            } => pb::PublicityBoardRegistered {
                board_id: board_id.to_string(),
                community: community.clone(),
                location: location.as_str().to_owned(),
            }
            .encode_to_vec(),
            BoardEvent::PublicityBoardUpdated {
                board_id,
                topic,
                updated_on,
            } => pb::PublicityBoardUpdated {
                board_id: board_id.to_string(),
                topic: topic.as_str().to_owned(),
                updated_on: Some(date_to_pb(updated_on.date())),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| BoardId::parse("board_id", s).map_err(v);
        match event_type {
            "PublicityBoardRegistered" => {
                let e: pb::PublicityBoardRegistered = payload(bytes, &fail)?;
                Ok(BoardEvent::PublicityBoardRegistered {
                    board_id: id(&e.board_id)?,
                    location: Location::parse("location", &e.location).map_err(v)?,
                    community: e.community,
                })
            }
            "PublicityBoardUpdated" => {
                let e: pb::PublicityBoardUpdated = payload(bytes, &fail)?;
                Ok(BoardEvent::PublicityBoardUpdated {
                    board_id: id(&e.board_id)?,
                    topic: Topic::parse("topic", &e.topic).map_err(v)?,
                    updated_on: recorded_date(e.updated_on, "updated_on").map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown publicity board event {other}"))),
        }
    }
}
