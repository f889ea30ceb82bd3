//! `PatrolEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{timestamp, timestamp_from_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{decode_with, failure};
use crate::domain::{Grids, Minutes, Participants, PatrolEvent, PatrolId, Route};

impl EventCodec for PatrolEvent {
    fn event_type(&self) -> &'static str {
        PatrolEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            PatrolEvent::Scheduled {
                patrol_id,
                route,
                planned_start,
                planned_grids,
            } => pb::PatrolScheduled {
                patrol_id: patrol_id.to_string(),
                route: route.to_string(),
                planned_start: Some(timestamp(*planned_start)),
                planned_grids: planned_grids.to_strings(),
            }
            .encode_to_vec(),
            PatrolEvent::Completed {
                patrol_id,
                participants,
                minutes,
                grids_covered,
                planned_grid_count,
            } => pb::PatrolCompleted {
                patrol_id: patrol_id.to_string(),
                participants: participants.get(),
                minutes: minutes.get(),
                grids_covered: grids_covered.to_strings(),
                planned_grid_count: *planned_grid_count,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let id = |s: &str| PatrolId::parse("patrol_id", s);
        let (t, v) = (event_type, schema_version);
        match event_type {
            "PatrolScheduled" => decode_with(t, v, payload, |e: pb::PatrolScheduled| {
                Ok(PatrolEvent::Scheduled {
                    patrol_id: id(&e.patrol_id)?,
                    route: Route::parse("route", &e.route)?,
                    planned_start: timestamp_from_pb(e.planned_start, "planned_start")?,
                    planned_grids: Grids::parse("planned_grids", &e.planned_grids)?,
                })
            }),
            "PatrolCompleted" => decode_with(t, v, payload, |e: pb::PatrolCompleted| {
                Ok(PatrolEvent::Completed {
                    patrol_id: id(&e.patrol_id)?,
                    participants: Participants::parse("participants", e.participants)?,
                    minutes: Minutes::parse("minutes", e.minutes)?,
                    grids_covered: Grids::parse("grids_covered", &e.grids_covered)?,
                    planned_grid_count: e.planned_grid_count,
                })
            }),
            other => Err(failure(t, v)(format!("unknown patrol event {other}"))),
        }
    }
}
