//! The `FundLedger` aggregate: the community's own ledger of funds (社区经费), one
//! stream per community (`fundledger-<community>`): funds received and funds spent,
//! each from one source (government grants, co-building units, residents' donations,
//! other). A source's spending never exceeds what it has received and not yet spent.
//!
//! A co-building unit's FUNDS contribution (`CoBuildingUnit`) records what the unit
//! gave; it is not a ledger entry. Money a unit gives enters the ledger only when staff
//! record it here as received from [`FundSource::CoBuildingUnits`], so the two are never
//! added up.

use std::collections::BTreeMap;

use civitas_kernel::{text_value, Decider};

use super::values::{CoBuildingUnitId, PastDate, ValidationError};

/// The ledger's stream in `community`.
pub fn ledger_stream_id(community: &str) -> String {
    format!("fundledger-{community}")
}

civitas_kernel::code_enum!(
    /// Where the community's funds come from. Its wire form is
    /// `civitas.events.v1.FundSource` (`convert/funding.rs`), and each code is the wire
    /// value's name without its `FUND_SOURCE_` prefix, in lowercase.
    FundSource {
        /// Government grants (政府拨款).
        Government => "government",
        /// Units in the community's area (驻区单位).
        CoBuildingUnits => "co_building_units",
        /// Residents' donations (居民捐助).
        ResidentDonations => "resident_donations",
        /// Anything else.
        Other => "other",
    }
);

text_value!(
    /// What spent money paid for, e.g. "重阳节慰问品"; never a person.
    Purpose,
    max = 100
);
text_value!(
    /// A note on a ledger entry; staff keep names out of it.
    LedgerNote,
    max = 200
);

/// An amount of a ledger entry in whole yuan: at least 1, at most 100,000,000 (a
/// larger figure is a typing error for a community's ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmountYuan(u32);

impl AmountYuan {
    /// The largest amount of one entry.
    pub const MAX: u32 = 100_000_000;

    /// Accepts 1–[`AmountYuan::MAX`].
    pub fn parse(field: &'static str, value: u32) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ValidationError::new(
                field,
                "must be between 1 and 100000000 yuan",
            ))
        }
    }

    /// The yuan.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// The fund ledger decider.
pub struct FundLedger;

/// Funds received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub source: FundSource,
    pub amount: AmountYuan,
    pub received_on: PastDate,
    pub note: Option<LedgerNote>,
    /// The co-building unit the funds came from; only with
    /// [`FundSource::CoBuildingUnits`].
    pub unit_id: Option<CoBuildingUnitId>,
}

/// Funds spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spending {
    pub source: FundSource,
    pub amount: AmountYuan,
    pub spent_on: PastDate,
    pub purpose: Purpose,
    pub note: Option<LedgerNote>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerCommand {
    RecordReceived {
        community: String,
        receipt: Receipt,
    },
    RecordSpent {
        community: String,
        spending: Spending,
    },
}

/// What happened to a ledger; each entry carries its source's balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEvent {
    FundsReceived {
        community: String,
        receipt: Receipt,
        source_balance: u64,
    },
    FundsSpent {
        community: String,
        spending: Spending,
        source_balance: u64,
    },
}

impl LedgerEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            LedgerEvent::FundsReceived { .. } => "FundsReceived",
            LedgerEvent::FundsSpent { .. } => "FundsSpent",
        }
    }
}

/// A ledger as its events leave it: each source's balance in yuan (a source never
/// received from is absent, i.e. 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerState {
    pub balances: BTreeMap<FundSource, u64>,
}

impl LedgerState {
    /// The balance of `source`.
    pub fn balance(&self, source: FundSource) -> u64 {
        self.balances.get(&source).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "amount_yuan {amount} exceeds the balance of source {fund_source}: {balance} yuan received and not yet spent"
    )]
    InsufficientFunds {
        fund_source: FundSource,
        amount: u32,
        balance: u64,
    },
    #[error("a co-building unit may be named only for funds from co-building units")]
    UnitWithoutUnitSource,
}

impl LedgerError {
    /// The request field to blame.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LedgerError::InsufficientFunds { .. } => Some("amount_yuan"),
            LedgerError::UnitWithoutUnitSource => Some("unit_id"),
        }
    }
}

impl Decider for FundLedger {
    type State = LedgerState;
    type Command = LedgerCommand;
    type Event = LedgerEvent;
    type Error = LedgerError;

    fn decide(
        state: &LedgerState,
        command: LedgerCommand,
    ) -> Result<Vec<LedgerEvent>, LedgerError> {
        let event = match command {
            LedgerCommand::RecordReceived { community, receipt } => {
                if receipt.unit_id.is_some() && receipt.source != FundSource::CoBuildingUnits {
                    return Err(LedgerError::UnitWithoutUnitSource);
                }
                let source_balance =
                    state.balance(receipt.source) + u64::from(receipt.amount.get());
                LedgerEvent::FundsReceived {
                    community,
                    receipt,
                    source_balance,
                }
            }
            LedgerCommand::RecordSpent {
                community,
                spending,
            } => {
                let balance = state.balance(spending.source);
                let amount = spending.amount.get();
                let Some(source_balance) = balance.checked_sub(u64::from(amount)) else {
                    return Err(LedgerError::InsufficientFunds {
                        fund_source: spending.source,
                        amount,
                        balance,
                    });
                };
                LedgerEvent::FundsSpent {
                    community,
                    spending,
                    source_balance,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut state: LedgerState, event: &LedgerEvent) -> LedgerState {
        match event {
            LedgerEvent::FundsReceived { receipt, .. } => {
                let balance = state.balances.entry(receipt.source).or_default();
                *balance += u64::from(receipt.amount.get());
            }
            LedgerEvent::FundsSpent { spending, .. } => {
                let balance = state.balances.entry(spending.source).or_default();
                *balance = balance.saturating_sub(u64::from(spending.amount.get()));
            }
        }
        state
    }
}

#[cfg(test)]
#[path = "funding_tests.rs"]
mod tests;
