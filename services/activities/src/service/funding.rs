//! Write handlers of the community's fund ledger: funds received and funds spent, per
//! source, on the ledger stream of the caller's community.

use civitas_kernel::values::optional;
use civitas_platform::auth::Caller;
use civitas_platform::command::write_result;
use civitas_platform::write::Target;
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::date_from_pb;

use super::{community, Activities};
use crate::convert::fund_source_from_pb;
use crate::domain::{
    ledger_stream_id, AmountYuan, CoBuildingUnitId, FundLedger, FundSource, LedgerCommand,
    LedgerNote, PastDate, Purpose, Receipt, Spending,
};
use crate::error::ServiceError;

impl Activities {
    /// Records funds the caller's community received from a source; funds from a
    /// co-building unit may name the unit, which must be one of the community's.
    pub async fn record_funds_received(
        &self,
        caller: &Caller,
        req: api::RecordFundsReceivedRequest,
    ) -> Result<api::RecordFundsReceivedResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &community(&req.community)?,
            req.options.as_ref(),
            "RecordFundsReceived",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let source = fund_source_from_pb(req.source, "source")?;
                let received_on = date_from_pb(req.received_on, "received_on")?;
                let unit_id = optional(&req.unit_id, |u| CoBuildingUnitId::parse("unit_id", u))?;
                let receipt = Receipt {
                    source,
                    amount: AmountYuan::parse("amount_yuan", req.amount_yuan)?,
                    received_on: PastDate::parse("received_on", received_on, ctx.today())?,
                    note: optional(&req.note, |n| LedgerNote::parse("note", n))?,
                    unit_id,
                };
                // A unit named for funds from units must be one of the community's; for
                // another source the ledger refuses the unit itself.
                if let Some(unit) = unit_id.filter(|_| source == FundSource::CoBuildingUnits) {
                    let target = Target::new("co-building unit", unit, unit.stream_id());
                    self.shell.require_in(&target, &ctx.org().community).await?;
                }
                let command = LedgerCommand::RecordReceived {
                    community: ctx.org().community.clone(),
                    receipt,
                };
                let stream_id = ledger_stream_id(&ctx.org().community);
                self.shell
                    .run::<FundLedger, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::RecordFundsReceivedResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Records funds of a source the caller's community spent; never more than that
    /// source's balance (FAILED_PRECONDITION on `amount_yuan`).
    pub async fn record_funds_spent(
        &self,
        caller: &Caller,
        req: api::RecordFundsSpentRequest,
    ) -> Result<api::RecordFundsSpentResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &community(&req.community)?,
            req.options.as_ref(),
            "RecordFundsSpent",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let spent_on = date_from_pb(req.spent_on, "spent_on")?;
                let command = LedgerCommand::RecordSpent {
                    community: ctx.org().community.clone(),
                    spending: Spending {
                        source: fund_source_from_pb(req.source, "source")?,
                        amount: AmountYuan::parse("amount_yuan", req.amount_yuan)?,
                        spent_on: PastDate::parse("spent_on", spent_on, ctx.today())?,
                        purpose: Purpose::parse("purpose", &req.purpose)?,
                        note: optional(&req.note, |n| LedgerNote::parse("note", n))?,
                    },
                };
                let stream_id = ledger_stream_id(&ctx.org().community);
                self.shell
                    .run::<FundLedger, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::RecordFundsSpentResponse {
            result: Some(write_result(&outcome)),
        })
    }
}
