//! `OpportunityEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::events::v1 as pb;
use prost::Message;

use civitas_proto::convert::{timestamp, timestamp_from_pb};

use super::{optional, optional_reason, reason_to_pb, Decoding};
use crate::domain::{
    Needs, OpportunityEvent, OpportunityId, RoleName, ServiceCategory, Spots, TeamId, TimeWindow,
    Title, VolunteerId,
};

impl EventCodec for OpportunityEvent {
    fn event_type(&self) -> &'static str {
        OpportunityEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        use OpportunityEvent as Ev;
        match self {
            Ev::Published {
                community,
                needs,
                team,
            } => published_to_pb(community, needs, *team).encode_to_vec(),
            Ev::Assigned {
                opportunity_id,
                volunteer_id,
                self_sign_up,
                assigned_count,
            } => pb::VolunteerAssigned {
                opportunity_id: opportunity_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
                self_sign_up: *self_sign_up,
                assigned_count: *assigned_count,
            }
            .encode_to_vec(),
            Ev::AssignmentCancelled {
                opportunity_id,
                volunteer_id,
                reason,
            } => pb::AssignmentCancelled {
                opportunity_id: opportunity_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
                reason: reason_to_pb(reason),
            }
            .encode_to_vec(),
            Ev::CheckedIn {
                opportunity_id,
                volunteer_id,
                at,
            } => pb::VolunteerCheckedIn {
                opportunity_id: opportunity_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
                at: Some(timestamp(*at)),
            }
            .encode_to_vec(),
            Ev::CheckedOut {
                opportunity_id,
                volunteer_id,
                at,
                minutes_on_site,
            } => pb::VolunteerCheckedOut {
                opportunity_id: opportunity_id.to_string(),
                volunteer_id: volunteer_id.to_string(),
                at: Some(timestamp(*at)),
                minutes_on_site: *minutes_on_site,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        use OpportunityEvent as Ev;
        let d = Decoding::new(event_type, schema_version);
        let opportunity = |s: &str| d.field(OpportunityId::parse("opportunity_id", s));
        let volunteer = |s: &str| d.field(VolunteerId::parse("volunteer_id", s));
        let at = |t| d.field(timestamp_from_pb(t, "at"));
        Ok(match event_type {
            "OpportunityPublished" => {
                let e: pb::OpportunityPublished = d.message(payload)?;
                let starts_at = d.field(timestamp_from_pb(e.starts_at, "starts_at"))?;
                let ends_at = d.field(timestamp_from_pb(e.ends_at, "ends_at"))?;
                let needs = Needs {
                    opportunity_id: opportunity(&e.opportunity_id)?,
                    title: d.field(Title::parse("title", &e.title))?,
                    role: d.field(RoleName::parse("role", &e.role))?,
                    category: d.field(ServiceCategory::from_pb(e.category, "category"))?,
                    spots: d.field(Spots::parse("spots", e.spots))?,
                    window: d.field(TimeWindow::parse("ends_at", starts_at, ends_at))?,
                };
                Ev::Published {
                    community: e.community,
                    needs,
                    team: d.field(optional(&e.team_id, |v| TeamId::parse("team_id", v)))?,
                }
            }
            "VolunteerAssigned" => {
                let e: pb::VolunteerAssigned = d.message(payload)?;
                Ev::Assigned {
                    opportunity_id: opportunity(&e.opportunity_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    self_sign_up: e.self_sign_up,
                    assigned_count: e.assigned_count,
                }
            }
            "AssignmentCancelled" => {
                let e: pb::AssignmentCancelled = d.message(payload)?;
                Ev::AssignmentCancelled {
                    opportunity_id: opportunity(&e.opportunity_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    reason: d.field(optional_reason(&e.reason, "reason"))?,
                }
            }
            "VolunteerCheckedIn" => {
                let e: pb::VolunteerCheckedIn = d.message(payload)?;
                Ev::CheckedIn {
                    opportunity_id: opportunity(&e.opportunity_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    at: at(e.at)?,
                }
            }
            "VolunteerCheckedOut" => {
                let e: pb::VolunteerCheckedOut = d.message(payload)?;
                Ev::CheckedOut {
                    opportunity_id: opportunity(&e.opportunity_id)?,
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    at: at(e.at)?,
                    minutes_on_site: e.minutes_on_site,
                }
            }
            _ => return Err(d.unknown("opportunity")),
        })
    }
}

/// The wire form of an opportunity's publication; `GetOpportunity` answers from it too.
pub(crate) fn published_to_pb(
    community: &str,
    needs: &Needs,
    team: Option<TeamId>,
) -> pb::OpportunityPublished {
    pb::OpportunityPublished {
        opportunity_id: needs.opportunity_id.to_string(),
        community: community.to_owned(),
        title: needs.title.to_string(),
        role: needs.role.to_string(),
        category: needs.category.to_pb() as i32,
        spots: needs.spots.get(),
        starts_at: Some(timestamp(needs.window.starts_at())),
        ends_at: Some(timestamp(needs.window.ends_at())),
        team_id: team.map(|t| t.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::domain::Reason;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_opportunity_event_round_trips() {
        let o = OpportunityId::from_uuid(Uuid::now_v7());
        let v = VolunteerId::from_uuid(Uuid::now_v7());
        let window = TimeWindow::parse(
            "ends_at",
            at("2026-05-16T01:00:00Z"),
            at("2026-05-16T05:00:00Z"),
        )
        .unwrap();
        let published = |team| OpportunityEvent::Published {
            community: "xingfu".into(),
            needs: Needs {
                opportunity_id: o,
                title: Title::parse("title", "楼道清扫").unwrap(),
                role: RoleName::parse("role", "cleaner").unwrap(),
                category: ServiceCategory::StairwellCleaning,
                spots: Spots::parse("spots", 4).unwrap(),
                window,
            },
            team,
        };
        let events = vec![
            published(None),
            published(Some(TeamId::from_uuid(Uuid::now_v7()))),
            OpportunityEvent::Assigned {
                opportunity_id: o,
                volunteer_id: v,
                self_sign_up: true,
                assigned_count: 1,
            },
            OpportunityEvent::AssignmentCancelled {
                opportunity_id: o,
                volunteer_id: v,
                reason: Some(Reason::parse("reason", "ill").unwrap()),
            },
            OpportunityEvent::CheckedIn {
                opportunity_id: o,
                volunteer_id: v,
                at: at("2026-05-16T01:02:03Z"),
            },
            OpportunityEvent::CheckedOut {
                opportunity_id: o,
                volunteer_id: v,
                at: at("2026-05-16T04:02:03Z"),
                minutes_on_site: 180,
            },
        ];
        for e in events {
            assert_eq!(
                OpportunityEvent::decode(e.event_type(), 1, &e.encode()).unwrap(),
                e
            );
        }
        let missing = pb::VolunteerCheckedIn {
            opportunity_id: o.to_string(),
            volunteer_id: v.to_string(),
            at: None,
        };
        let err = OpportunityEvent::decode("VolunteerCheckedIn", 1, &missing.encode_to_vec())
            .unwrap_err();
        assert!(err.reason.contains("at"), "{err}");
        assert!(OpportunityEvent::decode("Other", 1, &[]).is_err());
    }
}
