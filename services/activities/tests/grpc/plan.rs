//! The annual plan: drafted, published and amended by version.

use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as api;
use tonic::Code;

use super::support::{expect_code, expect_invalid, expect_rule, key, TestApp};
use super::{item, plan};

#[tokio::test]
async fn an_annual_plan_is_drafted_published_and_amended_by_version() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;

    let first = staff
        .add_planned_item(api::AddPlannedItemRequest {
            options: key("plan-1"),
            ..item(2026, 3, "学雷锋志愿服务")
        })
        .await
        .expect("add")
        .into_inner();
    let result = first.result.expect("result");
    assert_eq!(result.stream_id, "annualplan-xingfu-2026");
    assert_eq!((result.version, result.replayed), (1, false));
    // A retry answers the first result, item id included, and writes nothing.
    let retried = staff
        .add_planned_item(api::AddPlannedItemRequest {
            options: key("plan-1"),
            ..item(2026, 3, "学雷锋志愿服务")
        })
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retried.item_id, first.item_id);
    assert!(retried.result.expect("result").replayed);
    let draft = plan(&mut staff, 2026).await;
    assert_eq!(draft.status, api::PlanStatus::Draft as i32);
    assert_eq!((draft.plan_version, draft.published_version), (1, 0));
    assert_eq!(draft.items.len(), 1);
    assert_eq!(draft.items[0].item_id, first.item_id);
    assert_eq!(draft.org.expect("org").street, "huafeng");

    let published = staff
        .publish_annual_plan(api::PublishAnnualPlanRequest {
            options: None,
            year: 2026,
            community: "xingfu".into(),
        })
        .await
        .expect("publish")
        .into_inner();
    assert_eq!(published.plan_version, 1);
    expect_rule(staff.add_planned_item(item(2026, 10, "重阳节")).await, None);
    expect_rule(
        staff
            .publish_annual_plan(api::PublishAnnualPlanRequest {
                year: 2026,
                ..Default::default()
            })
            .await,
        None,
    );
    expect_invalid(
        staff
            .amend_annual_plan(api::AmendAnnualPlanRequest {
                year: 2026,
                reason: " ".into(),
                ..Default::default()
            })
            .await,
        "reason",
    );
    let amended = staff
        .amend_annual_plan(api::AmendAnnualPlanRequest {
            year: 2026,
            reason: "add the Double Ninth visit".into(),
            ..Default::default()
        })
        .await
        .expect("amend")
        .into_inner();
    assert_eq!(amended.plan_version, 2);
    staff
        .add_planned_item(item(2026, 10, "重阳节"))
        .await
        .expect("add to the amendment");
    let republished = staff
        .publish_annual_plan(api::PublishAnnualPlanRequest {
            year: 2026,
            ..Default::default()
        })
        .await
        .expect("publish v2")
        .into_inner();
    assert_eq!(republished.plan_version, 2);
    let current = plan(&mut staff, 2026).await;
    assert_eq!(current.status, api::PlanStatus::Published as i32);
    assert_eq!((current.plan_version, current.published_version), (2, 2));
    assert_eq!(
        current
            .items
            .iter()
            .map(|i| (i.month, i.added_in_version))
            .collect::<Vec<_>>(),
        [(3, 1), (10, 2)]
    );
    assert_eq!(current.amendment_reason, "add the Double Ninth visit");

    // Refusals with their fields.
    expect_invalid(staff.add_planned_item(item(2026, 13, "x")).await, "month");
    expect_invalid(staff.add_planned_item(item(1999, 1, "x")).await, "year");
    expect_invalid(staff.add_planned_item(item(2027, 1, "")).await, "title");
    expect_invalid(
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                category: 0,
                ..item(2027, 1, "x")
            })
            .await,
        "category",
    );
    expect_invalid(
        staff
            .add_planned_item(api::AddPlannedItemRequest {
                target_participants: 0,
                ..item(2027, 1, "x")
            })
            .await,
        "target_participants",
    );
    expect_code(
        staff
            .publish_annual_plan(api::PublishAnnualPlanRequest {
                year: 2030,
                ..Default::default()
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        staff
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: 2030,
                community: String::new(),
            })
            .await,
        Code::NotFound,
    );

    // The district office reads any community below it, naming which.
    let mut district = app.client(Role::District, "gulou").await;
    let seen = district
        .get_annual_plan(api::GetAnnualPlanRequest {
            year: 2026,
            community: "xingfu".into(),
        })
        .await
        .expect("district read")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!(seen.items.len(), 2);
    expect_invalid(
        district
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: 2026,
                community: String::new(),
            })
            .await,
        "community",
    );
}
