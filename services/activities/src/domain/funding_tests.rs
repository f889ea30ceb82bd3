//! Given/when/then tests of the `FundLedger` decider.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn day(d: u32) -> PastDate {
    let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    PastDate::parse("received_on", date, date).unwrap()
}

fn yuan(amount: u32) -> AmountYuan {
    AmountYuan::parse("amount_yuan", amount).unwrap()
}

fn receipt(source: FundSource, amount: u32) -> Receipt {
    Receipt {
        source,
        amount: yuan(amount),
        received_on: day(2),
        note: Some(LedgerNote::parse("note", "2026 年度创建经费").unwrap()),
        unit_id: None,
    }
}

fn spending(source: FundSource, amount: u32) -> Spending {
    Spending {
        source,
        amount: yuan(amount),
        spent_on: day(5),
        purpose: Purpose::parse("purpose", "重阳节慰问品").unwrap(),
        note: None,
    }
}

fn received(source: FundSource, amount: u32, source_balance: u64) -> LedgerEvent {
    LedgerEvent::FundsReceived {
        community: "xingfu".into(),
        receipt: receipt(source, amount),
        source_balance,
    }
}

fn spent(source: FundSource, amount: u32, source_balance: u64) -> LedgerEvent {
    LedgerEvent::FundsSpent {
        community: "xingfu".into(),
        spending: spending(source, amount),
        source_balance,
    }
}

fn receive(source: FundSource, amount: u32) -> LedgerCommand {
    LedgerCommand::RecordReceived {
        community: "xingfu".into(),
        receipt: receipt(source, amount),
    }
}

fn spend(source: FundSource, amount: u32) -> LedgerCommand {
    LedgerCommand::RecordSpent {
        community: "xingfu".into(),
        spending: spending(source, amount),
    }
}

#[test]
fn funds_received_add_to_their_source() {
    given::<FundLedger>([])
        .when(receive(FundSource::Government, 20_000))
        .then([received(FundSource::Government, 20_000, 20_000)]);
    given::<FundLedger>([received(FundSource::Government, 20_000, 20_000)])
        .when(receive(FundSource::Government, 5_000))
        .then([received(FundSource::Government, 5_000, 25_000)]);
    // Another source has a balance of its own.
    given::<FundLedger>([received(FundSource::Government, 20_000, 20_000)])
        .when(receive(FundSource::ResidentDonations, 300))
        .then([received(FundSource::ResidentDonations, 300, 300)]);
}

#[test]
fn a_source_spends_at_most_its_balance() {
    let history = [
        received(FundSource::Government, 20_000, 20_000),
        received(FundSource::ResidentDonations, 300, 300),
        spent(FundSource::Government, 15_000, 5_000),
    ];
    given::<FundLedger>(history.clone())
        .when(spend(FundSource::Government, 5_000))
        .then([spent(FundSource::Government, 5_000, 0)]);
    given::<FundLedger>(history.clone())
        .when(spend(FundSource::Government, 5_001))
        .then_error(LedgerError::InsufficientFunds {
            fund_source: FundSource::Government,
            amount: 5_001,
            balance: 5_000,
        });
    // The government's money does not cover the donations' spending, nor the reverse.
    given::<FundLedger>(history)
        .when(spend(FundSource::ResidentDonations, 301))
        .then_error(LedgerError::InsufficientFunds {
            fund_source: FundSource::ResidentDonations,
            amount: 301,
            balance: 300,
        });
    given::<FundLedger>([])
        .when(spend(FundSource::Other, 1))
        .then_error(LedgerError::InsufficientFunds {
            fund_source: FundSource::Other,
            amount: 1,
            balance: 0,
        });
    let refused = LedgerError::InsufficientFunds {
        fund_source: FundSource::Government,
        amount: 5_001,
        balance: 5_000,
    };
    assert_eq!(refused.field(), Some("amount_yuan"));
    assert_eq!(
        refused.to_string(),
        "amount_yuan 5001 exceeds the balance of source government: 5000 yuan received and not yet spent"
    );
}

#[test]
fn only_funds_from_units_name_a_unit() {
    let unit = CoBuildingUnitId::from_uuid(Uuid::from_u128(11));
    let from_unit = |source| Receipt {
        unit_id: Some(unit),
        ..receipt(source, 5_000)
    };
    given::<FundLedger>([])
        .when(LedgerCommand::RecordReceived {
            community: "xingfu".into(),
            receipt: from_unit(FundSource::CoBuildingUnits),
        })
        .then([LedgerEvent::FundsReceived {
            community: "xingfu".into(),
            receipt: from_unit(FundSource::CoBuildingUnits),
            source_balance: 5_000,
        }]);
    given::<FundLedger>([])
        .when(LedgerCommand::RecordReceived {
            community: "xingfu".into(),
            receipt: from_unit(FundSource::Government),
        })
        .then_error(LedgerError::UnitWithoutUnitSource);
    assert_eq!(LedgerError::UnitWithoutUnitSource.field(), Some("unit_id"));
}

#[test]
fn state_keeps_each_source_balance() {
    let state = FundLedger::fold(&[
        received(FundSource::Government, 20_000, 20_000),
        received(FundSource::CoBuildingUnits, 8_000, 8_000),
        spent(FundSource::Government, 1_500, 18_500),
        spent(FundSource::CoBuildingUnits, 8_000, 0),
    ]);
    assert_eq!(state.balance(FundSource::Government), 18_500);
    assert_eq!(state.balance(FundSource::CoBuildingUnits), 0);
    assert_eq!(state.balance(FundSource::ResidentDonations), 0);
    assert_eq!(ledger_stream_id("xingfu"), "fundledger-xingfu");
    assert_eq!(
        received(FundSource::Other, 1, 1).event_type(),
        "FundsReceived"
    );
    assert_eq!(spent(FundSource::Other, 1, 0).event_type(), "FundsSpent");
}

#[test]
fn amounts_are_whole_yuan_within_bounds() {
    assert_eq!(yuan(1).get(), 1);
    assert_eq!(yuan(AmountYuan::MAX).get(), 100_000_000);
    for bad in [0, AmountYuan::MAX + 1] {
        let err = AmountYuan::parse("amount_yuan", bad).expect_err("out of bounds");
        assert_eq!(err.field, "amount_yuan");
    }
    assert!(LedgerNote::parse("note", &"款".repeat(201)).is_err());
    assert!(Purpose::parse("purpose", "").is_err());
    assert_eq!(FundSource::CoBuildingUnits.code(), "co_building_units");
}
