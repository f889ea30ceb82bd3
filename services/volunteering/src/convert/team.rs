//! `TeamEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{optional_reason, reason_to_pb, Decoding};
use crate::domain::{
    Purpose, ServiceCategory, TeamEvent, TeamId, TeamName, TeamProfile, VolunteerId,
};

impl EventCodec for TeamEvent {
    fn event_type(&self) -> &'static str {
        TeamEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            TeamEvent::Formed {
                team_id,
                community,
                profile,
            } => pb::TeamFormed {
                team_id: team_id.to_string(),
                community: community.clone(),
                name: profile.name.to_string(),
                purpose: profile.purpose.to_string(),
                category: profile.category.to_pb() as i32,
            }
            .encode_to_vec(),
            TeamEvent::MemberAdded {
                team_id,
                volunteer_id,
            } => pb::TeamMemberAdded {
                team_id: team_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
            }
            .encode_to_vec(),
            TeamEvent::MemberRemoved {
                team_id,
                volunteer_id,
                reason,
            } => pb::TeamMemberRemoved {
                team_id: team_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
                reason: reason_to_pb(reason),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let d = Decoding::new(event_type, schema_version);
        let team = |s: &str| d.field(TeamId::parse("team_id", s));
        let volunteer = |s: &str| d.field(VolunteerId::parse("volunteer_id", s));
        Ok(match event_type {
            "TeamFormed" => {
                let e: pb::TeamFormed = d.message(payload)?;
                TeamEvent::Formed {
                    team_id: team(&e.team_id)?,
                    community: e.community,
                    profile: TeamProfile {
                        name: d.field(TeamName::parse("name", &e.name))?,
                        purpose: d.field(Purpose::parse("purpose", &e.purpose))?,
                        category: d.field(ServiceCategory::from_pb(e.category, "category"))?,
                    },
                }
            }
            "TeamMemberAdded" => {
                let e: pb::TeamMemberAdded = d.message(payload)?;
                TeamEvent::MemberAdded {
                    team_id: team(&e.team_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                }
            }
            "TeamMemberRemoved" => {
                let e: pb::TeamMemberRemoved = d.message(payload)?;
                TeamEvent::MemberRemoved {
                    team_id: team(&e.team_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    reason: d.field(optional_reason(&e.reason, "reason"))?,
                }
            }
            _ => return Err(d.unknown("team")),
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::Reason;

    #[test]
    fn every_team_event_round_trips() {
        let t = TeamId::from_uuid(Uuid::now_v7());
        let v = VolunteerId::from_uuid(Uuid::now_v7());
        let events = vec![
            TeamEvent::Formed {
                team_id: t,
                community: "xingfu".into(),
                profile: TeamProfile {
                    name: TeamName::parse("name", "维修队").unwrap(),
                    purpose: Purpose::parse("purpose", "computer repair").unwrap(),
                    category: ServiceCategory::Repair,
                },
            },
            TeamEvent::MemberAdded {
                team_id: t,
                volunteer_id: v,
            },
            TeamEvent::MemberRemoved {
                team_id: t,
                volunteer_id: v,
                reason: Some(Reason::parse("reason", "left").unwrap()),
            },
            TeamEvent::MemberRemoved {
                team_id: t,
                volunteer_id: v,
                reason: None,
            },
        ];
        for e in events {
            assert_eq!(
                TeamEvent::decode(e.event_type(), 1, &e.encode()).unwrap(),
                e
            );
        }
        let err = TeamEvent::decode("TeamFormed", 1, &pb::TeamFormed::default().encode_to_vec())
            .unwrap_err();
        assert!(err.reason.contains("team_id"), "{err}");
        assert!(TeamEvent::decode("Other", 1, &[]).is_err());
    }
}
