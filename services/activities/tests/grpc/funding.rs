//! The community's fund ledger over gRPC: funds received and spent per source, on one
//! stream per community; a source never spends more than its balance, and a unit named
//! for funds from units must be one of the community's.

use chrono::{Days, Utc};
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1::FundSource;
use tonic::Code;

use super::support::{
    date, expect_code, expect_invalid, expect_rule, key, today, Aggregates, TestApp,
};

fn receive(source: FundSource, amount_yuan: u32) -> api::RecordFundsReceivedRequest {
    api::RecordFundsReceivedRequest {
        source: source as i32,
        amount_yuan,
        received_on: today(),
        note: "2026 年度创建经费".into(),
        ..Default::default()
    }
}

fn spend(source: FundSource, amount_yuan: u32) -> api::RecordFundsSpentRequest {
    api::RecordFundsSpentRequest {
        source: source as i32,
        amount_yuan,
        spent_on: today(),
        purpose: "重阳节慰问品".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_community_receives_and_spends_per_source() {
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;
    let mut staff = app.staff("xingfu").await;

    let first = staff
        .record_funds_received(receive(FundSource::Government, 20_000))
        .await
        .expect("received")
        .into_inner()
        .result
        .expect("result");
    assert_eq!(
        (first.stream_id.as_str(), first.version),
        ("fundledger-xingfu", 1)
    );
    staff
        .record_funds_received(api::RecordFundsReceivedRequest {
            unit_id: x.unit_id.clone(),
            ..receive(FundSource::CoBuildingUnits, 8_000)
        })
        .await
        .expect("received from a unit");
    let spent = staff
        .record_funds_spent(spend(FundSource::Government, 15_000))
        .await
        .expect("spent")
        .into_inner()
        .result
        .expect("result");
    assert_eq!(spent.version, 3);

    // The government has 5,000 left: 5,001 is refused, naming the source and balance,
    // although the units' 8,000 would cover it.
    let status = expect_rule(
        staff
            .record_funds_spent(spend(FundSource::Government, 5_001))
            .await,
        Some("amount_yuan"),
    );
    assert!(
        status.message().contains("government: 5000 yuan"),
        "{status:?}"
    );
    expect_rule(
        staff
            .record_funds_spent(spend(FundSource::ResidentDonations, 1))
            .await,
        Some("amount_yuan"),
    );
    staff
        .record_funds_spent(spend(FundSource::Government, 5_000))
        .await
        .expect("the whole balance");

    // A retry with the same key answers the first outcome and spends nothing more.
    let once = staff
        .record_funds_spent(api::RecordFundsSpentRequest {
            options: key("spend-units-1"),
            ..spend(FundSource::CoBuildingUnits, 8_000)
        })
        .await
        .expect("spent")
        .into_inner()
        .result
        .expect("result");
    let again = staff
        .record_funds_spent(api::RecordFundsSpentRequest {
            options: key("spend-units-1"),
            ..spend(FundSource::CoBuildingUnits, 8_000)
        })
        .await
        .expect("replayed")
        .into_inner()
        .result
        .expect("result");
    assert_eq!((once.version, again.version), (5, 5));

    // Another community's ledger is its own.
    let mut heping = app.staff("heping").await;
    let theirs = heping
        .record_funds_received(receive(FundSource::ResidentDonations, 300))
        .await
        .expect("heping received")
        .into_inner()
        .result
        .expect("result");
    assert_eq!(
        (theirs.stream_id.as_str(), theirs.version),
        ("fundledger-heping", 1)
    );
}

#[tokio::test]
async fn ledger_entries_are_validated_naming_the_field() {
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;
    let other = Aggregates::create(&app, "heping").await;
    let mut staff = app.staff("xingfu").await;
    let tomorrow = Some(date(district_day(Utc::now()) + Days::new(1)));

    expect_invalid(
        staff
            .record_funds_received(receive(FundSource::Unspecified, 100))
            .await,
        "source",
    );
    expect_invalid(
        staff
            .record_funds_received(receive(FundSource::Government, 0))
            .await,
        "amount_yuan",
    );
    expect_invalid(
        staff
            .record_funds_received(receive(FundSource::Government, 100_000_001))
            .await,
        "amount_yuan",
    );
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                received_on: tomorrow,
                ..receive(FundSource::Government, 100)
            })
            .await,
        "received_on",
    );
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                received_on: None,
                ..receive(FundSource::Government, 100)
            })
            .await,
        "received_on",
    );
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                note: "款".repeat(201),
                ..receive(FundSource::Government, 100)
            })
            .await,
        "note",
    );
    expect_invalid(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                unit_id: "not-a-uuid".into(),
                ..receive(FundSource::CoBuildingUnits, 100)
            })
            .await,
        "unit_id",
    );
    // A unit only for funds from units; it must exist and be the community's own.
    expect_rule(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                unit_id: x.unit_id.clone(),
                ..receive(FundSource::Government, 100)
            })
            .await,
        Some("unit_id"),
    );
    expect_code(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                unit_id: uuid::Uuid::now_v7().to_string(),
                ..receive(FundSource::CoBuildingUnits, 100)
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        staff
            .record_funds_received(api::RecordFundsReceivedRequest {
                unit_id: other.unit_id.clone(),
                ..receive(FundSource::CoBuildingUnits, 100)
            })
            .await,
        Code::PermissionDenied,
    );
    // The note is optional.
    staff
        .record_funds_received(api::RecordFundsReceivedRequest {
            note: String::new(),
            ..receive(FundSource::Other, 100)
        })
        .await
        .expect("without a note");

    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                purpose: String::new(),
                ..spend(FundSource::Other, 10)
            })
            .await,
        "purpose",
    );
    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                purpose: "长".repeat(101),
                ..spend(FundSource::Other, 10)
            })
            .await,
        "purpose",
    );
    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                spent_on: tomorrow,
                ..spend(FundSource::Other, 10)
            })
            .await,
        "spent_on",
    );
    expect_invalid(
        staff.record_funds_spent(spend(FundSource::Other, 0)).await,
        "amount_yuan",
    );
    expect_invalid(
        staff
            .record_funds_spent(spend(FundSource::Unspecified, 10))
            .await,
        "source",
    );
    expect_invalid(
        staff
            .record_funds_spent(api::RecordFundsSpentRequest {
                community: "x".repeat(101),
                ..spend(FundSource::Other, 10)
            })
            .await,
        "community",
    );
    staff
        .record_funds_spent(spend(FundSource::Other, 100))
        .await
        .expect("the other source's 100");
}
