//! Good deeds and contests, the community's moral-building records, from the activities
//! service's `GoodDeed` and `Contest` streams:
//! - good deeds recorded (`good_deeds.recorded`, on the day they happened) and standing
//!   published on the community page (`good_deeds.published`, a stock a retraction
//!   takes back);
//! - contests held with their entrants (on the day held) and the prizes awarded, with
//!   the learning families (学习型家庭) among them;
//! - the creation campaign's milestones reached (a stock) and the attendance of its
//!   meetings.
//!
//! Each deed also keeps a row ([`DeedRow`]) with its title, story and day and whether it
//! stands published, from which the community page shows the published ones.

use civitas_proto::codes::ContestKind;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, Deltas, Views};
use crate::catalog::{
    CAMPAIGN_ATTENDEES, CAMPAIGN_MILESTONES, CONTESTS_ENTRANTS, CONTESTS_HELD,
    CONTESTS_LEARNING_FAMILIES, CONTESTS_PRIZES, GOOD_DEEDS_PUBLISHED, GOOD_DEEDS_RECORDED,
};

/// A good deed as the community page shows it once published: title, story (written
/// to name no one and reviewed before publication) and day. The deed's id is only the
/// row's key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeedRow {
    pub community: String,
    /// `YYYY-MM-DD`: `happened_on`, or the recording event's day when it has no valid
    /// date.
    pub happened_on: String,
    pub title: String,
    pub story: String,
    /// Published and not retracted since.
    pub published: bool,
}

/// A good-deed event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `happened_on` is `YYYY-MM-DD`, empty when the payload has no valid date.
    Recorded {
        deed_id: String,
        title: String,
        story: String,
        happened_on: String,
    },
    Published {
        deed_id: String,
    },
    Retracted {
        deed_id: String,
    },
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
        "GoodDeedRecorded" => {
            let e = pb::GoodDeedRecorded::decode(p)?;
            Fact::Recorded {
                happened_on: date_text(e.happened_on.as_ref()),
                deed_id: e.deed_id,
                title: e.title,
                story: e.story,
            }
        }
        "GoodDeedPublished" => Fact::Published {
            deed_id: pb::GoodDeedPublished::decode(p)?.deed_id,
        },
        "GoodDeedRetracted" => Fact::Retracted {
            deed_id: pb::GoodDeedRetracted::decode(p)?.deed_id,
        },
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

impl Fact {
    fn deed_id(&self) -> Option<&str> {
        match self {
            Fact::Recorded { deed_id, .. }
            | Fact::Published { deed_id }
            | Fact::Retracted { deed_id } => Some(deed_id),
            Fact::ContestHeld { .. } | Fact::PrizeAwarded { .. } | Fact::Milestone { .. } => None,
        }
    }

    /// Names the deed's row: publishing and retracting change the one recorded.
    pub(super) fn need(&self, views: &mut Views) {
        if let Some(id) = self.deed_id() {
            views.deeds.entry(id.to_owned()).or_default();
        }
    }
}

/// Applies one fact that happened in `community` on `day`. The write side publishes
/// and retracts in turn, so the stock and the row's `published` follow the events; a
/// publication or retraction of a deed never seen recorded changes no row.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let row = fact
        .deed_id()
        .map(|id| views.deeds.entry(id.to_owned()).or_default());
    match fact {
        Fact::Recorded {
            title,
            story,
            happened_on,
            ..
        } => {
            let on = if happened_on.is_empty() {
                day
            } else {
                happened_on
            };
            add(deltas, &GOOD_DEEDS_RECORDED, community, on, 1);
            if let Some(row) = row {
                *row = Some(DeedRow {
                    community: community.to_owned(),
                    happened_on: on.to_owned(),
                    title: title.clone(),
                    story: story.clone(),
                    published: false,
                });
            }
        }
        Fact::Published { .. } => {
            add(deltas, &GOOD_DEEDS_PUBLISHED, community, day, 1);
            if let Some(Some(row)) = row {
                row.published = true;
            }
        }
        Fact::Retracted { .. } => {
            add(deltas, &GOOD_DEEDS_PUBLISHED, community, day, -1);
            if let Some(Some(row)) = row {
                row.published = false;
            }
        }
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
    use super::super::testing::{pairs, run, DAY};
    use super::super::Fact as Any;
    use super::*;

    fn recorded(id: &str, happened_on: &str) -> Any {
        Any::Deeds(Fact::Recorded {
            deed_id: id.into(),
            title: format!("Title of {id}"),
            story: format!("Story of {id}"),
            happened_on: happened_on.into(),
        })
    }

    fn published(id: &str) -> Any {
        Any::Deeds(Fact::Published { deed_id: id.into() })
    }

    fn retracted(id: &str) -> Any {
        Any::Deeds(Fact::Retracted { deed_id: id.into() })
    }

    #[test]
    fn recorded_deeds_count_and_published_ones_stand_until_retracted() {
        let (_, net) = run(&[
            recorded("d1", ""),
            published("d1"),
            recorded("d2", ""),
            published("d2"),
            retracted("d2"),
        ]);
        assert_eq!(
            net,
            pairs(&[("good_deeds.published", 1), ("good_deeds.recorded", 2)])
        );
    }

    #[test]
    fn a_deed_row_is_published_only_between_publication_and_retraction() {
        let published_flag = |facts: &[Any]| {
            let (views, _) = run(facts);
            views.deeds["d1"].as_ref().map(|r| r.published)
        };
        let (views, _) = run(&[recorded("d1", "2026-11-20")]);
        assert_eq!(
            views.deeds["d1"],
            Some(DeedRow {
                community: "c1".into(),
                happened_on: "2026-11-20".into(),
                title: "Title of d1".into(),
                story: "Story of d1".into(),
                published: false,
            })
        );
        assert_eq!(
            published_flag(&[recorded("d1", ""), published("d1")]),
            Some(true)
        );
        let retracted_again = [recorded("d1", ""), published("d1"), retracted("d1")];
        assert_eq!(published_flag(&retracted_again), Some(false));
        let republished = [
            recorded("d1", ""),
            published("d1"),
            retracted("d1"),
            published("d1"),
        ];
        assert_eq!(published_flag(&republished), Some(true));
        // Without a valid date the deed is of the day it was recorded.
        let (views, _) = run(&[recorded("d1", "")]);
        assert_eq!(views.deeds["d1"].as_ref().unwrap().happened_on, DAY);
        // A publication of a deed never recorded here makes no row.
        let (views, _) = run(&[published("d9")]);
        assert_eq!(views.deeds.get("d9"), Some(&None));
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
