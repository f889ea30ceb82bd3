//! A contest's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{ContestEvent, ContestId, ContestKind, ResidentId, Title, ValidationError};

impl EventCodec for ContestEvent {
    fn event_type(&self) -> &'static str {
        ContestEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ContestEvent::ContestHeld {
                contest_id,
                community,
                kind,
                title,
                held_on,
                entrants,
            } => pb::ContestHeld {
                contest_id: contest_id.to_string(),
                community: community.clone(),
                kind: kind.to_pb() as i32,
                title: title.as_str().to_owned(),
                held_on: Some(date_to_pb(held_on.date())),
                entrants: *entrants,
            }
            .encode_to_vec(),
            ContestEvent::PrizeAwarded {
                contest_id,
                kind,
                prize,
                winner,
            } => pb::PrizeAwarded {
                contest_id: contest_id.to_string(),
                kind: kind.to_pb() as i32,
                prize: prize.as_str().to_owned(),
                winner_resident_id: winner.map(|w| w.to_string()).unwrap_or_default(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| ContestId::parse("contest_id", s).map_err(v);
        match event_type {
            "ContestHeld" => {
                let e: pb::ContestHeld = payload(bytes, &fail)?;
                Ok(ContestEvent::ContestHeld {
                    contest_id: id(&e.contest_id)?,
                    kind: ContestKind::from_pb(e.kind, "kind").map_err(v)?,
                    title: Title::parse("title", &e.title).map_err(v)?,
                    held_on: recorded_date(e.held_on, "held_on").map_err(v)?,
                    entrants: e.entrants,
                    community: e.community,
                })
            }
            "PrizeAwarded" => {
                let e: pb::PrizeAwarded = payload(bytes, &fail)?;
                let winner = match e.winner_resident_id.as_str() {
                    "" => None,
                    raw => Some(ResidentId::parse("winner_resident_id", raw).map_err(v)?),
                };
                Ok(ContestEvent::PrizeAwarded {
                    contest_id: id(&e.contest_id)?,
                    kind: ContestKind::from_pb(e.kind, "kind").map_err(v)?,
                    prize: Title::parse("prize", &e.prize).map_err(v)?,
                    winner,
                })
            }
            other => Err(fail(format!("unknown contest event {other}"))),
        }
    }
}
