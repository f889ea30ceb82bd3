//! Good deeds and contests, the community's moral-building records, from the activities
//! service's `GoodDeed` and `Contest` streams:
//! - good deeds recorded (`good_deeds.recorded`, on the day they happened) and standing
//!   published on the community page (`good_deeds.published`, a stock a retraction
//!   takes back);
//! - contests held with their entrants (on the day held) and the prizes awarded, with
//!   the learning families (学习型家庭) among them;
//! - the creation campaign's milestones reached (a stock) and the attendance of its
//!   meetings.

use civitas_proto::codes::ContestKind;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, Deltas, Views};
use crate::catalog::{
    CAMPAIGN_ATTENDEES, CAMPAIGN_MILESTONES, CONTESTS_ENTRANTS, CONTESTS_HELD,
    CONTESTS_LEARNING_FAMILIES, CONTESTS_PRIZES, GOOD_DEEDS_PUBLISHED, GOOD_DEEDS_RECORDED,
};

/// A good-deed event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `happened_on` is `YYYY-MM-DD`, empty when the payload has no valid date.
    Recorded {
        happened_on: String,
    },
    Published,
    Retracted,
    /// `held_on` as `Recorded`'s day.
    ContestHeld {
        held_on: String,
        entrants: u32,
    },
    PrizeAwarded {
        kind: Option<ContestKind>,
    },
    Milestone {
        held_on: String,
        attendees: u32,
    },
}

/// Decodes a good-deed event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "GoodDeedRecorded" => Fact::Recorded {
            happened_on: date_text(pb::GoodDeedRecorded::decode(p)?.happened_on.as_ref()),
        },
        "GoodDeedPublished" => {
            pb::GoodDeedPublished::decode(p)?;
            Fact::Published
        }
        "GoodDeedRetracted" => {
            pb::GoodDeedRetracted::decode(p)?;
            Fact::Retracted
        }
        "ContestHeld" => {
            let e = pb::ContestHeld::decode(p)?;
            Fact::ContestHeld {
                held_on: date_text(e.held_on.as_ref()),
                entrants: e.entrants,
            }
        }
        "CampaignMilestoneReached" => {
            let e = pb::CampaignMilestoneReached::decode(p)?;
            Fact::Milestone {
                held_on: date_text(e.held_on.as_ref()),
                attendees: e.attendees,
            }
        }
        "PrizeAwarded" => Fact::PrizeAwarded {
            kind: ContestKind::from_wire(pb::PrizeAwarded::decode(p)?.kind),
        },
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Deeds(fact)))
}

/// Applies one fact that happened in `community` on `day`. The write side publishes
/// and retracts in turn, so the stock follows the events.
pub fn apply(fact: &Fact, community: &str, day: &str, _views: &mut Views, deltas: &mut Deltas) {
    match fact {
        Fact::Recorded { happened_on } => {
            let on = if happened_on.is_empty() {
                day
            } else {
                happened_on
            };
            add(deltas, &GOOD_DEEDS_RECORDED, community, on, 1);
        }
        Fact::Published => add(deltas, &GOOD_DEEDS_PUBLISHED, community, day, 1),
        Fact::Retracted => add(deltas, &GOOD_DEEDS_PUBLISHED, community, day, -1),
        Fact::ContestHeld { held_on, entrants } => {
            let on = if held_on.is_empty() { day } else { held_on };
            add(deltas, &CONTESTS_HELD, community, on, 1);
            add(
                deltas,
                &CONTESTS_ENTRANTS,
                community,
                on,
                i64::from(*entrants),
            );
        }
        Fact::Milestone { held_on, attendees } => {
            let on = if held_on.is_empty() { day } else { held_on };
            add(deltas, &CAMPAIGN_MILESTONES, community, on, 1);
            add(
                deltas,
                &CAMPAIGN_ATTENDEES,
                community,
                on,
                i64::from(*attendees),
            );
        }
        Fact::PrizeAwarded { kind } => {
            add(deltas, &CONTESTS_PRIZES, community, day, 1);
            if *kind == Some(ContestKind::LearningFamily) {
                add(deltas, &CONTESTS_LEARNING_FAMILIES, community, day, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{pairs, run};
    use super::super::Fact as Any;
    use super::*;

    #[test]
    fn recorded_deeds_count_and_published_ones_stand_until_retracted() {
        let (_, net) = run(&[
            Any::Deeds(Fact::Recorded {
                happened_on: String::new(),
            }),
            Any::Deeds(Fact::Published),
            Any::Deeds(Fact::Recorded {
                happened_on: String::new(),
            }),
            Any::Deeds(Fact::Published),
            Any::Deeds(Fact::Retracted),
        ]);
        assert_eq!(
            net,
            pairs(&[("good_deeds.published", 1), ("good_deeds.recorded", 2)])
        );
    }

    #[test]
    fn milestones_stand_and_meetings_count_their_attendees() {
        let (_, net) = run(&[
            Any::Deeds(Fact::Milestone {
                held_on: String::new(),
                attendees: 0,
            }),
            Any::Deeds(Fact::Milestone {
                held_on: String::new(),
                attendees: 120,
            }),
        ]);
        assert_eq!(
            net,
            pairs(&[("campaign.attendees", 120), ("campaign.milestones", 2)])
        );
    }

    #[test]
    fn contests_count_entrants_and_prizes() {
        let prize = |kind| Any::Deeds(Fact::PrizeAwarded { kind: Some(kind) });
        let (_, net) = run(&[
            Any::Deeds(Fact::ContestHeld {
                held_on: String::new(),
                entrants: 5,
            }),
            prize(ContestKind::LearningFamily),
            prize(ContestKind::Speech),
        ]);
        assert_eq!(
            net,
            pairs(&[
                ("contests.entrants", 5),
                ("contests.held", 1),
                ("contests.learning_families", 1),
                ("contests.prizes", 2),
            ])
        );
    }
}
