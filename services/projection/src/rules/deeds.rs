//! Good deeds, from the activities service's `GoodDeed` streams: recorded
//! (`good_deeds.recorded`, on the day they happened) and standing published on the
//! community page (`good_deeds.published`, a stock a retraction takes back).

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, Deltas, Views};
use crate::catalog::{GOOD_DEEDS_PUBLISHED, GOOD_DEEDS_RECORDED};

/// A good-deed event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `happened_on` is `YYYY-MM-DD`, empty when the payload has no valid date.
    Recorded {
        happened_on: String,
    },
    Published,
    Retracted,
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
}
