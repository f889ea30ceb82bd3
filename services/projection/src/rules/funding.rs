//! The community's fund ledger, from the activities service's `FundLedger` stream
//! (`fundledger-<community>`): funds received and spent in yuan (flows, in total and
//! per source), counted on the day received or spent, and the balance (a stock: what
//! was received less what was spent, up to the period's end).
//!
//! Co-building units' FUNDS contributions (`rules/cobuilding.rs`,
//! `cobuilding.funds_yuan`) are not ledger entries and never count here: money a unit
//! gives is in the ledger only when staff record it as received from the units.

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, date_text, Deltas, Views};
use crate::catalog::{
    received_element, spent_element, FUNDING_BALANCE, FUNDING_RECEIVED, FUNDING_SPENT,
};

/// A ledger event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `on` is `YYYY-MM-DD` (received or spent), empty when the payload has none.
    Received {
        source: pb::FundSource,
        amount_yuan: u32,
        on: String,
    },
    Spent {
        source: pb::FundSource,
        amount_yuan: u32,
        on: String,
    },
}

/// Decodes a fund ledger event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let source = |v: i32| pb::FundSource::try_from(v).unwrap_or(pb::FundSource::Unspecified);
    let fact = match event_type {
        "FundsReceived" => {
            let e = pb::FundsReceived::decode(p)?;
            Fact::Received {
                source: source(e.source),
                amount_yuan: e.amount_yuan,
                on: date_text(e.received_on.as_ref()),
            }
        }
        "FundsSpent" => {
            let e = pb::FundsSpent::decode(p)?;
            Fact::Spent {
                source: source(e.source),
                amount_yuan: e.amount_yuan,
                on: date_text(e.spent_on.as_ref()),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Funding(fact)))
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, _views: &mut Views, deltas: &mut Deltas) {
    let (total, per_source, source, amount_yuan, on, sign) = match fact {
        Fact::Received {
            source,
            amount_yuan,
            on,
        } => (
            &FUNDING_RECEIVED,
            received_element(*source),
            source,
            amount_yuan,
            on,
            1,
        ),
        Fact::Spent {
            source,
            amount_yuan,
            on,
        } => (
            &FUNDING_SPENT,
            spent_element(*source),
            source,
            amount_yuan,
            on,
            -1,
        ),
    };
    // Without a valid date the entry counts on the day it was recorded.
    let on = if on.is_empty() { day } else { on };
    let amount = i64::from(*amount_yuan);
    add(deltas, total, community, on, amount);
    match per_source {
        Some(element) => add(deltas, element, community, on, amount),
        None => tracing::debug!(community, ?source, "ledger entry without a known source"),
    }
    add(deltas, &FUNDING_BALANCE, community, on, sign * amount);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{pairs, run};
    use super::super::Fact as Any;
    use super::*;

    fn received(source: pb::FundSource, amount_yuan: u32, on: &str) -> Any {
        Any::Funding(Fact::Received {
            source,
            amount_yuan,
            on: on.into(),
        })
    }

    fn spent(source: pb::FundSource, amount_yuan: u32, on: &str) -> Any {
        Any::Funding(Fact::Spent {
            source,
            amount_yuan,
            on: on.into(),
        })
    }

    #[test]
    fn received_and_spent_per_source_and_the_balance() {
        let (_, net) = run(&[
            received(pb::FundSource::Government, 20_000, ""),
            received(pb::FundSource::CoBuildingUnits, 8_000, ""),
            received(pb::FundSource::ResidentDonations, 300, ""),
            spent(pb::FundSource::Government, 1_500, ""),
            spent(pb::FundSource::CoBuildingUnits, 8_000, ""),
        ]);
        assert_eq!(
            net,
            pairs(&[
                ("funding.balance", 18_800),
                ("funding.received", 28_300),
                ("funding.received.co_building_units", 8_000),
                ("funding.received.government", 20_000),
                ("funding.received.resident_donations", 300),
                ("funding.spent", 9_500),
                ("funding.spent.co_building_units", 8_000),
                ("funding.spent.government", 1_500),
            ])
        );
    }

    #[test]
    fn entries_count_on_the_day_received_or_spent() {
        let mut views = Views::default();
        let mut deltas = Deltas::new();
        for f in [
            received(pb::FundSource::Other, 500, "2026-11-02"),
            spent(pb::FundSource::Other, 200, "2026-11-20"),
        ] {
            let Any::Funding(f) = f else { unreachable!() };
            apply(&f, "c1", "2026-11-28", &mut views, &mut deltas);
        }
        let rows: Vec<_> = deltas
            .iter()
            .map(|((e, _, day), v)| (*e, day.as_str(), *v))
            .collect();
        assert_eq!(
            rows,
            [
                ("funding.balance", "2026-11-02", 500),
                ("funding.balance", "2026-11-20", -200),
                ("funding.received", "2026-11-02", 500),
                ("funding.received.other", "2026-11-02", 500),
                ("funding.spent", "2026-11-20", 200),
                ("funding.spent.other", "2026-11-20", 200),
            ]
        );
    }

    #[test]
    fn ledger_events_decode_with_their_dates() {
        let msg = pb::FundsSpent {
            source: pb::FundSource::Government as i32,
            amount_yuan: 1_500,
            spent_on: Some(civitas_proto::common::v1::Date {
                year: 2026,
                month: 11,
                day: 3,
            }),
            purpose: "宣传栏制作".into(),
            ..Default::default()
        };
        assert_eq!(
            decode("FundsSpent", &msg.encode_to_vec()).unwrap(),
            Some(spent(pb::FundSource::Government, 1_500, "2026-11-03"))
        );
        let msg = pb::FundsReceived {
            source: 42,
            amount_yuan: 10,
            ..Default::default()
        };
        assert_eq!(
            decode("FundsReceived", &msg.encode_to_vec()).unwrap(),
            Some(received(pb::FundSource::Unspecified, 10, ""))
        );
        assert_eq!(decode("ContestHeld", &[]).unwrap(), None);
    }
}
