//! A publicity board's events.

use civitas_kernel::values::optional;
use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{BoardEvent, BoardId, BoardTopic, Location, Topic, ValidationError};

civitas_proto::wire_enum!(pub(crate) board_topic_to_pb, board_topic_from_pb,
    BoardTopic, pb::BoardTopic, "board topic",
    { CurrentAffairs, Politics, Economy, Science, HealthEducation, Other });

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
                title,
                updated_on,
            } => pb::PublicityBoardUpdated {
                board_id: board_id.to_string(),
                topic: title
                    .as_ref()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                updated_on: Some(date_to_pb(updated_on.date())),
                topic_code: topic.map_or(pb::BoardTopic::Unspecified, board_topic_to_pb) as i32,
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
                // Before topic codes the topic was free text and the code unset.
                let topic = match e.topic_code {
                    0 => None,
                    code => Some(board_topic_from_pb(code, "topic_code").map_err(v)?),
                };
                Ok(BoardEvent::PublicityBoardUpdated {
                    board_id: id(&e.board_id)?,
                    topic,
                    title: optional(&e.topic, |t| Topic::parse("topic", t)).map_err(v)?,
                    updated_on: recorded_date(e.updated_on, "updated_on").map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown publicity board event {other}"))),
        }
    }
}
