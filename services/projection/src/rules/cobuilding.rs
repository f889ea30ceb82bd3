//! Co-building units, from the activities service's `CoBuildingUnit` streams: units
//! registered and units under an agreement (stocks), and their contributions (flows,
//! on the day given): how many, the funds in yuan and the volunteers.

use civitas_proto::codes::ContributionKind;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, Deltas, Views};
use crate::catalog::{
    COBUILDING_AGREEMENTS, COBUILDING_CONTRIBUTIONS, COBUILDING_FUNDS_YUAN, COBUILDING_UNITS,
    COBUILDING_VOLUNTEERS,
};

/// A co-building event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Registered,
    /// A first agreement (a renewal changes no count).
    Signed {
        renewal: bool,
    },
    /// `given_on` is `YYYY-MM-DD`, empty when the payload has none.
    Contributed {
        kind: Option<ContributionKind>,
        given_on: String,
        amount_yuan: u32,
        volunteers: u32,
    },
}

/// Decodes a co-building event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "CoBuildingUnitRegistered" => {
            pb::CoBuildingUnitRegistered::decode(p)?;
            Fact::Registered
        }
        "CoBuildingAgreementSigned" => Fact::Signed {
            renewal: pb::CoBuildingAgreementSigned::decode(p)?.renewal,
        },
        "CoBuildingContributionRecorded" => {
            let e = pb::CoBuildingContributionRecorded::decode(p)?;
            Fact::Contributed {
                kind: ContributionKind::from_wire(e.kind),
                given_on: date_text(e.given_on.as_ref()),
                amount_yuan: e.amount_yuan,
                volunteers: e.volunteers,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::CoBuilding(fact)))
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, _views: &mut Views, deltas: &mut Deltas) {
    match fact {
        Fact::Registered => add(deltas, &COBUILDING_UNITS, community, day, 1),
        Fact::Signed { renewal: false } => add(deltas, &COBUILDING_AGREEMENTS, community, day, 1),
        Fact::Signed { renewal: true } => {}
        Fact::Contributed {
            kind,
            given_on,
            amount_yuan,
            volunteers,
        } => {
            let on = if given_on.is_empty() { day } else { given_on };
            add(deltas, &COBUILDING_CONTRIBUTIONS, community, on, 1);
            match kind {
                Some(ContributionKind::Funds) => add(
                    deltas,
                    &COBUILDING_FUNDS_YUAN,
                    community,
                    on,
                    i64::from(*amount_yuan),
                ),
                Some(ContributionKind::Volunteers) => add(
                    deltas,
                    &COBUILDING_VOLUNTEERS,
                    community,
                    on,
                    i64::from(*volunteers),
                ),
                _ => {}
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
    fn units_agreements_and_what_they_gave() {
        let gave = |kind, amount_yuan, volunteers| {
            Any::CoBuilding(Fact::Contributed {
                kind: Some(kind),
                given_on: String::new(),
                amount_yuan,
                volunteers,
            })
        };
        let (_, net) = run(&[
            Any::CoBuilding(Fact::Registered),
            Any::CoBuilding(Fact::Signed { renewal: false }),
            Any::CoBuilding(Fact::Signed { renewal: true }),
            gave(ContributionKind::Funds, 5000, 0),
            gave(ContributionKind::Volunteers, 0, 12),
            gave(ContributionKind::Venue, 0, 0),
        ]);
        assert_eq!(
            net,
            pairs(&[
                ("cobuilding.agreements", 1),
                ("cobuilding.contributions", 3),
                ("cobuilding.funds_yuan", 5000),
                ("cobuilding.units", 1),
                ("cobuilding.volunteers", 12),
            ])
        );
    }
}
