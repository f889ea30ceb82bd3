//! A good deed's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{DeedEvent, DeedId, Note, Reason, Title, ValidationError};

impl EventCodec for DeedEvent {
    fn event_type(&self) -> &'static str {
        DeedEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            DeedEvent::GoodDeedRecorded {
                deed_id,
                community,
                title,
                story,
                happened_on,
            } => pb::GoodDeedRecorded {
                deed_id: deed_id.to_string(),
                community: community.clone(),
                title: title.as_str().to_owned(),
                story: story.as_str().to_owned(),
                happened_on: Some(date_to_pb(happened_on.date())),
            }
            .encode_to_vec(),
            DeedEvent::GoodDeedPublished {
                deed_id,
                published_on,
            } => pb::GoodDeedPublished {
                deed_id: deed_id.to_string(),
                published_on: Some(date_to_pb(published_on.date())),
            }
            .encode_to_vec(),
            DeedEvent::GoodDeedRetracted { deed_id, reason } => pb::GoodDeedRetracted {
                deed_id: deed_id.to_string(),
                reason: reason.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| DeedId::parse("deed_id", s).map_err(v);
        match event_type {
            "GoodDeedRecorded" => {
                let e: pb::GoodDeedRecorded = payload(bytes, &fail)?;
                Ok(DeedEvent::GoodDeedRecorded {
                    deed_id: id(&e.deed_id)?,
                    title: Title::parse("title", &e.title).map_err(v)?,
                    story: Note::parse("story", &e.story).map_err(v)?,
                    happened_on: recorded_date(e.happened_on, "happened_on").map_err(v)?,
                    community: e.community,
                })
            }
            "GoodDeedPublished" => {
                let e: pb::GoodDeedPublished = payload(bytes, &fail)?;
                Ok(DeedEvent::GoodDeedPublished {
                    deed_id: id(&e.deed_id)?,
                    published_on: recorded_date(e.published_on, "published_on").map_err(v)?,
                })
            }
            "GoodDeedRetracted" => {
                let e: pb::GoodDeedRetracted = payload(bytes, &fail)?;
                Ok(DeedEvent::GoodDeedRetracted {
                    deed_id: id(&e.deed_id)?,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown good deed event {other}"))),
        }
    }
}
