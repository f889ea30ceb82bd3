//! Care campaigns' and care visits' events.

use std::collections::BTreeSet;

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{sealed_from_pb, sealed_to_pb, Stored};
use crate::domain::{
    CampaignEvent, CampaignId, CampaignName, CampaignPeriod, CareCategory, CareNeed, CareSupport,
    ReferralOutcome, ResidentId, ValidationError, VisitDetails, VisitEvent, VisitId, VolunteerId,
};

impl EventCodec for CampaignEvent {
    fn event_type(&self) -> &'static str {
        CampaignEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            CampaignEvent::Launched {
                campaign_id,
                community,
                name,
                period,
                categories,
            } => pb::CareCampaignLaunched {
                campaign_id: campaign_id.to_string(),
                community: community.clone(),
                name: name.as_str().to_owned(),
                starts_on: Some(date_to_pb(period.starts_on)),
                ends_on: Some(date_to_pb(period.ends_on)),
                categories: categories.iter().map(|c| c.to_pb() as i32).collect(),
            }
            .encode_to_vec(),
            CampaignEvent::Closed {
                campaign_id,
                closed_on,
            } => pb::CareCampaignClosed {
                campaign_id: campaign_id.to_string(),
                closed_on: Some(date_to_pb(*closed_on)),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let stored = Stored {
            event_type,
            schema_version,
            payload,
        };
        match event_type {
            "CareCampaignLaunched" => {
                let e: pb::CareCampaignLaunched = stored.message()?;
                let starts_on = stored.valid(date_from_pb(e.starts_on, "starts_on"))?;
                let ends_on = stored.valid(date_from_pb(e.ends_on, "ends_on"))?;
                let categories = e
                    .categories
                    .iter()
                    .map(|c| CareCategory::from_pb(*c, "categories"))
                    .collect::<Result<BTreeSet<_>, _>>();
                Ok(CampaignEvent::Launched {
                    campaign_id: stored.valid(CampaignId::parse("campaign_id", &e.campaign_id))?,
                    name: stored.valid(CampaignName::parse("name", &e.name))?,
                    period: stored.valid(CampaignPeriod::parse(starts_on, ends_on))?,
                    categories: stored.valid(categories)?,
                    community: e.community,
                })
            }
            "CareCampaignClosed" => {
                let e: pb::CareCampaignClosed = stored.message()?;
                Ok(CampaignEvent::Closed {
                    campaign_id: stored.valid(CampaignId::parse("campaign_id", &e.campaign_id))?,
                    closed_on: stored.valid(date_from_pb(e.closed_on, "closed_on"))?,
                })
            }
            other => Err(stored.fail(format!("unknown care campaign event {other}"))),
        }
    }
}

/// An optional id: `None` when empty.
fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match raw {
        "" => Ok(None),
        raw => parse(raw).map(Some),
    }
}

impl EventCodec for VisitEvent {
    fn event_type(&self) -> &'static str {
        VisitEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            VisitEvent::Recorded { visit_id, details } => pb::CareVisitRecorded {
                resident_id: details.resident_id.to_string(),
                visit_id: visit_id.to_string(),
                visited_on: Some(date_to_pb(details.visited_on)),
                campaign_id: details
                    .campaign_id
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                volunteer_id: details
                    .volunteer_id
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                support: details.support.iter().map(|s| s.to_pb() as i32).collect(),
                need: details.need.map_or(0, |n| n.to_pb() as i32),
                referral_opened: details.referral_opened,
                note: details.note.as_ref().map(sealed_to_pb),
            }
            .encode_to_vec(),
            VisitEvent::ReferralClosed {
                visit_id,
                resident_id,
                outcome,
                closed_on,
                note,
            } => pb::ReferralClosed {
                resident_id: resident_id.to_string(),
                visit_id: visit_id.to_string(),
                outcome: outcome.to_pb() as i32,
                closed_on: Some(date_to_pb(*closed_on)),
                note: note.as_ref().map(sealed_to_pb),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let stored = Stored {
            event_type,
            schema_version,
            payload,
        };
        match event_type {
            "CareVisitRecorded" => {
                let e: pb::CareVisitRecorded = stored.message()?;
                let support = e
                    .support
                    .iter()
                    .map(|s| CareSupport::from_pb(*s, "support"))
                    .collect::<Result<BTreeSet<_>, _>>();
                let details = VisitDetails {
                    resident_id: stored.valid(ResidentId::parse("resident_id", &e.resident_id))?,
                    visited_on: stored.valid(date_from_pb(e.visited_on, "visited_on"))?,
                    campaign_id: stored.valid(optional(&e.campaign_id, |s| {
                        CampaignId::parse("campaign_id", s)
                    }))?,
                    volunteer_id: stored.valid(optional(&e.volunteer_id, |s| {
                        VolunteerId::parse("volunteer_id", s)
                    }))?,
                    support: stored.valid(support)?,
                    need: stored.code(e.need, |n| CareNeed::from_pb(n, "need"))?,
                    referral_opened: e.referral_opened,
                    note: e.note.map(sealed_from_pb),
                };
                Ok(VisitEvent::Recorded {
                    visit_id: stored.valid(VisitId::parse("visit_id", &e.visit_id))?,
                    details,
                })
            }
            "ReferralClosed" => {
                let e: pb::ReferralClosed = stored.message()?;
                Ok(VisitEvent::ReferralClosed {
                    visit_id: stored.valid(VisitId::parse("visit_id", &e.visit_id))?,
                    resident_id: stored.valid(ResidentId::parse("resident_id", &e.resident_id))?,
                    outcome: stored.valid(ReferralOutcome::from_pb(e.outcome, "outcome"))?,
                    closed_on: stored.valid(date_from_pb(e.closed_on, "closed_on"))?,
                    note: e.note.map(sealed_from_pb),
                })
            }
            other => Err(stored.fail(format!("unknown care visit event {other}"))),
        }
    }
}
