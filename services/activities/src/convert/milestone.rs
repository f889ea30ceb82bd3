//! A creation campaign's milestones.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{AttendeeGroup, Milestone, MilestoneEvent, MilestoneKind, ValidationError};

impl EventCodec for MilestoneEvent {
    fn event_type(&self) -> &'static str {
        MilestoneEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        let MilestoneEvent::CampaignMilestoneReached(m) = self;
        pb::CampaignMilestoneReached {
            community: m.community.clone(),
            kind: m.kind.to_pb() as i32,
            held_on: Some(date_to_pb(m.held_on.date())),
            attendee_groups: m.groups.iter().map(|g| g.to_pb() as i32).collect(),
            attendees: m.attendees,
        }
        .encode_to_vec()
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        match event_type {
            "CampaignMilestoneReached" => {
                let e: pb::CampaignMilestoneReached = payload(bytes, &fail)?;
                let groups = e
                    .attendee_groups
                    .iter()
                    .map(|g| AttendeeGroup::from_pb(*g, "attendee_groups"))
                    .collect::<Result<_, _>>()
                    .map_err(v)?;
                Ok(MilestoneEvent::CampaignMilestoneReached(Milestone {
                    kind: MilestoneKind::from_pb(e.kind, "kind").map_err(v)?,
                    held_on: recorded_date(e.held_on, "held_on").map_err(v)?,
                    groups,
                    attendees: e.attendees,
                    community: e.community,
                }))
            }
            other => Err(fail(format!("unknown creation campaign event {other}"))),
        }
    }
}
