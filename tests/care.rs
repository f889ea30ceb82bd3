//! Care visits end to end through `civitas up`'s application: residents living alone
//! in two communities of a street, a Spring Festival style campaign, one visit, and
//! the district reading coverage as unique people, the residents still due for a
//! visit, and the visit alerts.

use chrono::Utc;
use civitas_e2e::{id_number, RunningApp};
use civitas_platform::auth::Role;
use civitas_platform::command::district_day;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::{CareCategory, CareSupport, ResidenceType};
use civitas_proto::insights::v1 as pb;
use civitas_proto::insights::v1::worklist_service_client::WorklistServiceClient;
use civitas_proto::residents::v1 as api;
use civitas_testkit::AuthChannel;
use tonic::Code;

type Residents = api::residents_service_client::ResidentsServiceClient<AuthChannel>;

/// Registers `n` residents living alone in the caller's community: their ids.
async fn living_alone(client: &mut Residents, seed: u32, n: u32) -> Vec<String> {
    let household = civitas_e2e::register_household(client, &format!("测试路 {seed} 号")).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let resident = client
            .register_resident(api::RegisterResidentRequest {
                household_id: household.clone(),
                name: format!("老人{seed}-{i}"),
                id_number: id_number(&format!("1101051940{:02}{:02}{:03}", 1 + i, seed, i)),
                residence_type: ResidenceType::Permanent as i32,
                ..Default::default()
            })
            .await
            .expect("resident")
            .into_inner()
            .resident_id;
        client
            .assign_care_category(api::AssignCareCategoryRequest {
                resident_id: resident.clone(),
                category: CareCategory::LivingAlone as i32,
                ..Default::default()
            })
            .await
            .expect("living alone");
        ids.push(resident);
    }
    ids
}

#[tokio::test]
async fn a_campaign_visit_shows_in_coverage_and_the_due_list() {
    let app = RunningApp::start().await;
    let mut xingfu = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let alone = living_alone(&mut xingfu, 1, 2).await;
    let mut heping = app.residents(Some(app.token(Role::Staff, "heping"))).await;
    living_alone(&mut heping, 2, 1).await;

    let today = Some(date_to_pb(district_day(Utc::now())));
    let campaign = xingfu
        .launch_care_campaign(api::LaunchCareCampaignRequest {
            name: "春节慰问".into(),
            starts_on: today,
            ends_on: today,
            categories: vec![CareCategory::LivingAlone as i32],
            ..Default::default()
        })
        .await
        .expect("campaign")
        .into_inner()
        .campaign_id;
    xingfu
        .record_care_visit(api::RecordCareVisitRequest {
            resident_id: alone[0].clone(),
            campaign_id: campaign,
            visited_on: today,
            support: vec![CareSupport::Goods as i32],
            ..Default::default()
        })
        .await
        .expect("visit");

    // Coverage: 1 of 2 in xingfu, 1 of 3 at the street, counted as people.
    let mut insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let response = civitas_testkit::eventually!(async {
        let r = insights
            .get_indicators(pb::GetIndicatorsRequest {
                org_unit: "huafeng".into(),
                period: "THIS_MONTH".into(),
                indicators: vec!["care.coverage.living_alone".into()],
            })
            .await?
            .into_inner();
        let street = r.org_unit.clone().expect("street");
        anyhow::ensure!(
            street.values[0].denominator == 3.0 && street.values[0].numerator == 1.0,
            "not yet: {:?}",
            street.values[0]
        );
        anyhow::Ok(r)
    });
    let street = &response.org_unit.as_ref().unwrap().values[0];
    assert_eq!(street.value, Some(33.3));
    assert!(street.legend.is_some());
    let xingfu_row = response
        .children
        .iter()
        .find(|c| c.code == "xingfu")
        .unwrap();
    assert_eq!(xingfu_row.values[0].value, Some(50.0));

    // Due for a visit: the other resident of xingfu, and heping's.
    let district =
        civitas_testkit::connect_with(&app.addr, Some(&app.token(Role::District, "gulou"))).await;
    let mut lists = WorklistServiceClient::new(district);
    let due = lists
        .list_residents_due_for_visit(pb::ListResidentsDueForVisitRequest {
            org_unit: "huafeng".into(),
            ..Default::default()
        })
        .await
        .expect("due")
        .into_inner();
    let mut due: Vec<(String, bool)> = due
        .residents
        .iter()
        .map(|r| (r.community.clone(), r.last_visited.is_none()))
        .collect();
    due.sort();
    assert_eq!(
        due,
        [("heping".to_owned(), true), ("xingfu".to_owned(), true)]
    );
    let alerts = lists
        .list_alerts(pb::ListAlertsRequest {
            org_unit: "huafeng".into(),
            period: district_day(Utc::now()).format("%Y%m").to_string(),
            ..Default::default()
        })
        .await
        .expect("alerts")
        .into_inner();
    let visits: Vec<(&str, u32, u32)> = alerts
        .visits_due
        .iter()
        .map(|v| (v.community.as_str(), v.residents, v.days))
        .collect();
    assert_eq!(visits, [("xingfu", 1, 30), ("heping", 1, 30)]);

    // Analysts see aggregates, never the per-person list.
    let analyst =
        civitas_testkit::connect_with(&app.addr, Some(&app.token(Role::Analyst, "gulou"))).await;
    let status = WorklistServiceClient::new(analyst)
        .list_residents_due_for_visit(pb::ListResidentsDueForVisitRequest::default())
        .await
        .expect_err("analysts");
    assert_eq!(status.code(), Code::PermissionDenied);
    app.stop().await;
}
