//! Care visits, from the residents service's `CareCampaign` and `CareVisit` streams.
//!
//! A visit counts on the day it happened (`visited_on`), not the day it was recorded:
//! `care.visits`, the visited resident as a person (`care.visited`), and as a person
//! of each care register they were on at the time (`care.visited.<category>`), which
//! coverage indicators divide by the register's size. The resident's row keeps the
//! latest visit for the worklist of residents due for one.

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, Deltas, Views};
use crate::catalog::{
    visited_element, CARE_CAMPAIGNS, CARE_REFERRALS_CLOSED, CARE_REFERRALS_OPENED, CARE_VISITED,
    CARE_VISITS,
};

/// A care event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    CampaignLaunched,
    /// `visited_on` is `YYYY-MM-DD`, empty when the payload has no valid date.
    VisitRecorded {
        resident_id: String,
        visited_on: String,
        referral_opened: bool,
    },
    ReferralClosed,
}

/// Decodes a care event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "CareCampaignLaunched" => {
            pb::CareCampaignLaunched::decode(p)?;
            Fact::CampaignLaunched
        }
        "CareVisitRecorded" => {
            let e = pb::CareVisitRecorded::decode(p)?;
            Fact::VisitRecorded {
                visited_on: date_text(e.visited_on.as_ref()),
                resident_id: e.resident_id,
                referral_opened: e.referral_opened,
            }
        }
        "ReferralClosed" => {
            pb::ReferralClosed::decode(p)?;
            Fact::ReferralClosed
        }
        "CareCampaignClosed" => return super::ignored::<pb::CareCampaignClosed>(p).map(Some),
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Care(fact)))
}

impl Fact {
    pub(super) fn need(&self, views: &mut Views) {
        if let Fact::VisitRecorded { resident_id, .. } = self {
            views.residents.entry(resident_id.clone()).or_default();
        }
    }
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    match fact {
        Fact::CampaignLaunched => add(deltas, &CARE_CAMPAIGNS, community, day, 1),
        Fact::ReferralClosed => add(deltas, &CARE_REFERRALS_CLOSED, community, day, 1),
        Fact::VisitRecorded {
            resident_id,
            visited_on,
            referral_opened,
        } => {
            // A visit without a valid date counts on the day it was recorded.
            let on = if visited_on.is_empty() {
                day
            } else {
                visited_on
            };
            add(deltas, &CARE_VISITS, community, on, 1);
            if *referral_opened {
                add(deltas, &CARE_REFERRALS_OPENED, community, on, 1);
            }
            count_person(
                &mut views.persons,
                &CARE_VISITED,
                community,
                on,
                resident_id,
            );
            let row = views.residents.entry(resident_id.clone()).or_default();
            if let Some(row) = row.as_mut().filter(|r| r.active) {
                for category in &row.care {
                    let element = visited_element(*category);
                    count_person(&mut views.persons, element, community, on, resident_id);
                }
                if row.last_visited.as_str() < on {
                    row.last_visited = on.to_owned();
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "care_tests.rs"]
mod tests;
