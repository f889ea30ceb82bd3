//! A community fund ledger's events.

use civitas_kernel::values::optional;
use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload, recorded_date};
use crate::domain::{
    AmountYuan, CoBuildingUnitId, FundSource, LedgerEvent, LedgerNote, Purpose, Receipt, Spending,
    ValidationError,
};

civitas_proto::wire_enum!(pub(crate) fund_source_to_pb, fund_source_from_pb,
    FundSource, pb::FundSource, "fund source",
    { Government, CoBuildingUnits, ResidentDonations, Other });

fn note_text(note: &Option<LedgerNote>) -> String {
    note.as_ref()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default()
}

impl EventCodec for LedgerEvent {
    fn event_type(&self) -> &'static str {
        LedgerEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            LedgerEvent::FundsReceived {
                community,
                receipt: r,
                source_balance,
            } => pb::FundsReceived {
                community: community.clone(),
                source: fund_source_to_pb(r.source) as i32,
                amount_yuan: r.amount.get(),
                received_on: Some(date_to_pb(r.received_on.date())),
                note: note_text(&r.note),
                unit_id: r.unit_id.map(|u| u.to_string()).unwrap_or_default(),
                source_balance_yuan: *source_balance,
            }
            .encode_to_vec(),
            LedgerEvent::FundsSpent {
                community,
                spending: s,
                source_balance,
            } => pb::FundsSpent {
                community: community.clone(),
                source: fund_source_to_pb(s.source) as i32,
                amount_yuan: s.amount.get(),
                spent_on: Some(date_to_pb(s.spent_on.date())),
                purpose: s.purpose.as_str().to_owned(),
                note: note_text(&s.note),
                source_balance_yuan: *source_balance,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let note = |s: &str| optional(s, |n| LedgerNote::parse("note", n)).map_err(v);
        match event_type {
            "FundsReceived" => {
                let e: pb::FundsReceived = payload(bytes, &fail)?;
                let unit_id = optional(&e.unit_id, |u| CoBuildingUnitId::parse("unit_id", u));
                Ok(LedgerEvent::FundsReceived {
                    receipt: Receipt {
                        source: fund_source_from_pb(e.source, "source").map_err(v)?,
                        amount: AmountYuan::parse("amount_yuan", e.amount_yuan).map_err(v)?,
                        received_on: recorded_date(e.received_on, "received_on").map_err(v)?,
                        note: note(&e.note)?,
                        unit_id: unit_id.map_err(v)?,
                    },
                    source_balance: e.source_balance_yuan,
                    community: e.community,
                })
            }
            "FundsSpent" => {
                let e: pb::FundsSpent = payload(bytes, &fail)?;
                Ok(LedgerEvent::FundsSpent {
                    spending: Spending {
                        source: fund_source_from_pb(e.source, "source").map_err(v)?,
                        amount: AmountYuan::parse("amount_yuan", e.amount_yuan).map_err(v)?,
                        spent_on: recorded_date(e.spent_on, "spent_on").map_err(v)?,
                        purpose: Purpose::parse("purpose", &e.purpose).map_err(v)?,
                        note: note(&e.note)?,
                    },
                    source_balance: e.source_balance_yuan,
                    community: e.community,
                })
            }
            other => Err(fail(format!("unknown fund ledger event {other}"))),
        }
    }
}
