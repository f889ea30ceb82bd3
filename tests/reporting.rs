//! Monthly reporting end to end through `civitas up`'s application: two communities of
//! a street submit last month's report over gRPC, the street office approves one,
//! the district office approves it too, and the district reads completeness and
//! timeliness (GetReportingStatus), the reporting indicators with their legends, the
//! alert for the reports still missing after the 5th, and the same figures in the CSV
//! export. The lock itself (figures kept, late events shown beside them) is tested in
//! the projection (`services/projection/tests/reporting.rs`), where an event can be
//! made to arrive late.

use chrono::{Datelike, Months};
use civitas_e2e::RunningApp;
use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as api;
use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::ApprovalLevel;
use civitas_proto::events::v1::{CareSupport, ResidenceType};
use civitas_proto::insights::v1 as pb;
use civitas_proto::insights::v1::worklist_service_client::WorklistServiceClient;
use civitas_proto::residents::v1 as rapi;
use civitas_testkit::AuthChannel;

/// A resident of the caller's community: their id.
async fn registered_resident(
    client: &mut rapi::residents_service_client::ResidentsServiceClient<AuthChannel>,
) -> String {
    let household = civitas_e2e::register_household(client, "幸福路 1 号").await;
    client
        .register_resident(rapi::RegisterResidentRequest {
            household_id: household,
            name: "张三".into(),
            id_number: civitas_e2e::id_number("11010519500101001"),
            residence_type: ResidenceType::Permanent as i32,
            ..Default::default()
        })
        .await
        .expect("resident")
        .into_inner()
        .resident_id
}

async fn activities(
    app: &RunningApp,
    role: Role,
    org: &str,
) -> ActivitiesServiceClient<AuthChannel> {
    let channel = civitas_testkit::connect_with(&app.addr, Some(&app.token(role, org))).await;
    ActivitiesServiceClient::new(channel)
}

#[tokio::test]
async fn two_communities_report_a_street_approves_and_the_district_reads_the_rates() {
    let app = RunningApp::start().await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let last = today.with_day(1).unwrap() - Months::new(1);
    let month = last.format("%Y%m").to_string();
    // Submitted today: on time only on the 1st to the 5th; past its deadline after.
    let on_time = today.day() <= 5;

    for community in ["xingfu", "heping"] {
        let mut staff = activities(&app, Role::Staff, community).await;
        staff
            .submit_monthly_report(api::SubmitMonthlyReportRequest {
                month: month.clone(),
                narrative: format!("{community}：本月市民学校两次课。"),
                ..Default::default()
            })
            .await
            .expect("submitted");
    }
    let mut street = activities(&app, Role::District, "huafeng").await;
    let mut district = activities(&app, Role::District, "gulou").await;
    let approve = || api::ApproveMonthlyReportRequest {
        community: "xingfu".into(),
        month: month.clone(),
        ..Default::default()
    };
    let first = street
        .approve_monthly_report(approve())
        .await
        .expect("street");
    assert_eq!(first.into_inner().level, ApprovalLevel::Street as i32);

    // A visit on a day of the locked month, recorded once the lock is applied: late.
    let token = app.token(Role::District, "gulou");
    let mut insights = app.insights(Some(token.clone())).await;
    let status_now = || pb::GetReportingStatusRequest {
        org_unit: "huafeng".into(),
        month: "LAST_MONTH".into(),
    };
    civitas_testkit::eventually!(async {
        let r = insights
            .get_reporting_status(status_now())
            .await?
            .into_inner();
        anyhow::ensure!(r.communities[0].locked, "not locked yet");
        anyhow::Ok(())
    });
    let mut residents = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let resident = registered_resident(&mut residents).await;
    residents
        .record_care_visit(rapi::RecordCareVisitRequest {
            resident_id: resident,
            visited_on: Some(date_to_pb(last + chrono::Days::new(9))),
            support: vec![CareSupport::Companionship as i32],
            ..Default::default()
        })
        .await
        .expect("a visit last month");
    let second = district
        .approve_monthly_report(approve())
        .await
        .expect("district");
    assert_eq!(second.into_inner().level, ApprovalLevel::District as i32);

    let status = civitas_testkit::eventually!(async {
        let r = insights
            .get_reporting_status(status_now())
            .await?
            .into_inner();
        anyhow::ensure!(r.rates[0].approved == 1, "not yet: {:?}", r.rates[0]);
        anyhow::ensure!(!r.communities[0].late.is_empty(), "the visit not yet");
        anyhow::Ok(r)
    });
    assert_eq!(status.month, month);
    let street_rate = &status.rates[0];
    let on_time_count = if on_time { 2 } else { 0 };
    assert_eq!(
        (
            street_rate.expected,
            street_rate.received,
            street_rate.on_time,
            street_rate.approved
        ),
        (4, 2, on_time_count, 1)
    );
    assert_eq!(street_rate.completeness, 50.0);
    // The late visit: xingfu's approved month shows none, and one beside it.
    let kpis = insights
        .get_kpis(pb::GetKpisRequest {
            org_unit: "xingfu".into(),
            period: month.clone(),
        })
        .await
        .expect("kpis")
        .into_inner();
    let visits = kpis
        .org_unit
        .as_ref()
        .unwrap()
        .values
        .iter()
        .find(|v| v.element == "care.visits")
        .expect("care.visits");
    assert_eq!(
        (visits.value, visits.late, visits.current_value),
        (0.0, true, 1.0)
    );
    let late: Vec<_> = status.communities[0]
        .late
        .iter()
        .map(|l| (l.element.as_str(), l.approved, l.current))
        .collect();
    assert_eq!(late, [("care.visits", 0.0, 1.0)]);
    let reports: Vec<_> = status
        .communities
        .iter()
        .map(|c| {
            (
                c.community.as_str(),
                c.submitted,
                c.approval.as_str(),
                c.locked,
            )
        })
        .collect();
    assert_eq!(
        reports,
        [
            ("xingfu", true, "district", true),
            ("heping", true, "", false),
            ("minzhu", false, "", false),
            ("jinxiu", false, "", false),
        ]
    );

    // The same rates as indicators, with legends, at the street and per community.
    let indicators = insights
        .get_indicators(pb::GetIndicatorsRequest {
            org_unit: "huafeng".into(),
            period: month.clone(),
            indicators: vec![
                "reporting.completeness".into(),
                "reporting.timeliness".into(),
                "reporting.missing_reports".into(),
            ],
        })
        .await
        .expect("indicators")
        .into_inner();
    let unit = indicators.org_unit.as_ref().expect("street");
    let completeness = unit
        .values
        .iter()
        .find(|v| v.indicator == "reporting.completeness")
        .expect("completeness");
    assert_eq!(
        (
            completeness.value,
            completeness.numerator,
            completeness.denominator
        ),
        (Some(50.0), 2.0, 4.0)
    );
    assert!(completeness.legend.is_some(), "{completeness:?}");
    let timeliness = unit
        .values
        .iter()
        .find(|v| v.indicator == "reporting.timeliness")
        .expect("timeliness");
    assert_eq!(timeliness.value, Some(if on_time { 50.0 } else { 0.0 }));

    // After the 5th, the two communities that never reported are alerted.
    let mut lists =
        WorklistServiceClient::new(civitas_testkit::connect_with(&app.addr, Some(&token)).await);
    let alerts = lists
        .list_alerts(pb::ListAlertsRequest {
            org_unit: "huafeng".into(),
            period: month.clone(),
            ..Default::default()
        })
        .await
        .expect("alerts")
        .into_inner();
    let mut missing: Vec<_> = alerts
        .indicator_alerts
        .iter()
        .filter(|a| a.indicator == "reporting.missing_reports")
        .map(|a| (a.org_unit.as_str(), a.value))
        .collect();
    missing.sort_by(|a, b| a.0.cmp(b.0));
    let expected = match on_time {
        true => Vec::new(), // the deadline has not passed yet
        false => vec![("huafeng", 2.0), ("jinxiu", 1.0), ("minzhu", 1.0)],
    };
    assert_eq!(missing, expected);

    // The scorecard and the league table are served for the month.
    let league = insights
        .list_league_table(pb::ListLeagueTableRequest {
            org_unit: "huafeng".into(),
            period: month.clone(),
        })
        .await
        .expect("league table")
        .into_inner();
    assert_eq!(league.rows.len(), 4);
    let card = insights
        .get_scorecard(pb::GetScorecardRequest {
            org_unit: "xingfu".into(),
            period: month.clone(),
        })
        .await
        .expect("scorecard")
        .into_inner();
    assert_eq!(card.scorecard.expect("card").standards.len(), 8);

    // The CSV export holds the same completeness.
    let dir = civitas_testkit::temp_dir();
    let out = dir.path().join("reporting.csv");
    let export = civitas::export::ExportConfig {
        url: app.addr.clone(),
        token,
        org_unit: "huafeng".into(),
        period: month.clone(),
        out: out.clone(),
        bom: false,
    };
    civitas::export::run(&export).await.expect("export");
    let text = std::fs::read_to_string(&out).expect("csv");
    let row = text
        .lines()
        .find(|l| l.starts_with("huafeng,") && l.contains(",reporting.completeness,"))
        .expect("the street's completeness row");
    assert!(row.contains(",50,2,4,"), "{row}");
    app.stop().await;
}
