//! Co-building units over gRPC: registered, an agreement signed and renewed, and
//! contributions whose amounts fit their kind.

use chrono::{Days, Utc};
use civitas_platform::command::district_day;
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1::ContributionKind;
use tonic::Code;

use super::support::{date, expect_code, expect_invalid, expect_rule, today, TestApp};

#[tokio::test]
async fn a_unit_signs_and_contributes() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let unit_id = staff
        .register_co_building_unit(api::RegisterCoBuildingUnitRequest {
            name: "区第一中学".into(),
            ..Default::default()
        })
        .await
        .expect("unit")
        .into_inner()
        .unit_id;
    let in_a_year = Some(date(district_day(Utc::now()) + Days::new(365)));
    let sign = |valid_until| api::SignCoBuildingAgreementRequest {
        unit_id: unit_id.clone(),
        signed_on: today(),
        valid_until,
        ..Default::default()
    };
    staff
        .sign_co_building_agreement(sign(in_a_year))
        .await
        .expect("signed");
    staff
        .sign_co_building_agreement(sign(in_a_year))
        .await
        .expect("renewed");
    expect_rule(
        staff.sign_co_building_agreement(sign(today())).await,
        Some("valid_until"),
    );

    let give = |kind: ContributionKind, amount_yuan, volunteers| {
        api::RecordCoBuildingContributionRequest {
            unit_id: unit_id.clone(),
            kind: kind as i32,
            given_on: today(),
            amount_yuan,
            volunteers,
            note: "重阳节慰问".into(),
            ..Default::default()
        }
    };
    staff
        .record_co_building_contribution(give(ContributionKind::Funds, 5000, 0))
        .await
        .expect("funds");
    staff
        .record_co_building_contribution(give(ContributionKind::Volunteers, 0, 12))
        .await
        .expect("volunteers");
    expect_rule(
        staff
            .record_co_building_contribution(give(ContributionKind::Funds, 0, 0))
            .await,
        Some("kind"),
    );
    expect_invalid(
        staff
            .record_co_building_contribution(give(ContributionKind::Unspecified, 0, 0))
            .await,
        "kind",
    );
    let unknown = api::SignCoBuildingAgreementRequest {
        unit_id: uuid::Uuid::now_v7().to_string(),
        ..sign(in_a_year)
    };
    expect_code(
        staff.sign_co_building_agreement(unknown).await,
        Code::NotFound,
    );
}
