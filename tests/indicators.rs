//! The catalog's indicators end to end through `civitas up`'s application: residents
//! registered over gRPC in two communities of very different sizes, then
//! `GetIndicators` and `GetIndicatorTrend` at street and community level, with an
//! indicator that exists only in a test catalog file (a catalog edit, no code change),
//! and a bad catalog that ends the start naming its entry.

use chrono::Datelike;
use civitas::{Application, UpConfig};
use civitas_e2e::{bad_fields, id_number, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::events::v1::ResidenceType;
use civitas_proto::insights::v1 as pb;
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::residents::v1 as api;
use civitas_testkit::AuthChannel;
use tonic::Code;

/// An indicator the shipped catalog does not have, with a target for this year.
fn catalog_with_permanent_share(year: i32) -> String {
    let shipped = civitas_projection::indicators::SHIPPED_TOML;
    format!(
        r##"{shipped}

[[indicator]]
code = "test.permanent_share"
name_zh = "常住人口占比"
name_en = "Share of permanent residents"
numerator = "#{{residents.permanent}}"
denominator = "#{{residents}}"
factor = 100
decimals = 1
higher_is_better = true
legend = "pct_high"

[[target]]
indicator = "test.permanent_share"
year = {year}
level = "street"
value = 50

[[alert]]
indicator = "test.permanent_share"
op = ">="
value = 80
severity = "info"
message_zh = "常住人口占比为{{value}}%，达到{{threshold}}%。"
message_en = "{{value}}% permanent residents, {{threshold}}% or more."
"##
    )
}

/// Registers a household in the caller's community with `floating` floating and
/// `permanent` permanent residents.
async fn household(
    client: &mut api::residents_service_client::ResidentsServiceClient<AuthChannel>,
    seed: u32,
    floating: u32,
    permanent: u32,
) {
    let household = civitas_e2e::register_household(client, &format!("测试路 {seed} 号")).await;
    for i in 0..floating + permanent {
        let residence = if i < floating {
            ResidenceType::Floating
        } else {
            ResidenceType::Permanent
        };
        client
            .register_resident(api::RegisterResidentRequest {
                household_id: household.clone(),
                name: format!("居民{seed}-{i}"),
                id_number: id_number(&format!(
                    "1101051980{:02}{:02}{:03}",
                    1 + i % 12,
                    1 + seed,
                    i
                )),
                residence_type: residence as i32,
                ..Default::default()
            })
            .await
            .expect("resident");
    }
}

fn value<'a>(unit: &'a pb::OrgUnitIndicators, code: &str) -> &'a pb::IndicatorValue {
    unit.values
        .iter()
        .find(|v| v.indicator == code)
        .unwrap_or_else(|| panic!("{code} in {}", unit.code))
}

fn child<'a>(response: &'a pb::GetIndicatorsResponse, code: &str) -> &'a pb::OrgUnitIndicators {
    response
        .children
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("child {code}"))
}

async fn indicators(
    client: &mut InsightsServiceClient<AuthChannel>,
    org_unit: &str,
    period: &str,
    indicators: &[&str],
) -> Result<pb::GetIndicatorsResponse, tonic::Status> {
    let request = pb::GetIndicatorsRequest {
        org_unit: org_unit.into(),
        period: period.into(),
        indicators: indicators.iter().map(|s| s.to_string()).collect(),
    };
    client.get_indicators(request).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn a_street_is_the_ratio_of_its_sums_and_a_catalog_edit_adds_an_indicator() {
    let year = civitas_projection_today().year();
    let dir = civitas_testkit::temp_dir();
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(&catalog, catalog_with_permanent_share(year)).expect("write the catalog");
    let app = RunningApp::start_with(|c| c.kpi_catalog = Some(catalog.clone())).await;

    // 幸福社区: one floating resident. 和平社区: nine permanent residents.
    let mut xingfu = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    household(&mut xingfu, 1, 1, 0).await;
    let mut heping = app.residents(Some(app.token(Role::Staff, "heping"))).await;
    household(&mut heping, 2, 0, 9).await;

    let mut district = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let wanted = ["residents.floating_share", "test.permanent_share"];
    let response = civitas_testkit::eventually!(async {
        let r = indicators(&mut district, "huafeng", "THIS_MONTH", &wanted).await?;
        let street = r.org_unit.clone().expect("unit");
        anyhow::ensure!(
            value(&street, "residents.floating_share").denominator == 10.0,
            "not yet"
        );
        anyhow::Ok(r)
    });

    // The street: 1 floating of 10 residents, the ratio of its sums (not the mean
    // of 100 % and 0 %).
    let street = response.org_unit.as_ref().expect("unit");
    assert_eq!(street.level, "street");
    let floating = value(street, "residents.floating_share");
    assert_eq!((floating.numerator, floating.denominator), (1.0, 10.0));
    assert_eq!(floating.value, Some(10.0));
    assert_eq!(floating.factor, 100.0);
    assert!(floating.legend.is_some(), "{floating:?}");
    assert_eq!(
        value(
            &child(&response, "xingfu").clone(),
            "residents.floating_share"
        )
        .value,
        Some(100.0)
    );
    assert_eq!(
        value(child(&response, "heping"), "residents.floating_share").value,
        Some(0.0)
    );
    // No residents: no value, never NaN.
    let empty = value(child(&response, "minzhu"), "residents.floating_share");
    assert_eq!((empty.value, empty.denominator), (None, 0.0));

    // The catalog edit: served with its target, achievement and legend.
    let permanent = value(street, "test.permanent_share");
    assert_eq!(permanent.name_en, "Share of permanent residents");
    assert_eq!(permanent.value, Some(90.0));
    assert_eq!(permanent.target, Some(50.0));
    assert_eq!(permanent.achievement, Some(180.0));
    assert!(permanent.target_met);
    let legend = permanent.legend.as_ref().expect("a band holds 90 %");
    assert!(legend.colour.starts_with('#') && !legend.label_zh.is_empty());
    // Nobody lived here last month: the trend has nothing to compare with.
    let trend = permanent.trend.as_ref().expect("trend");
    assert_eq!(trend.direction, pb::TrendDirection::Unspecified as i32);
    assert_eq!(trend.previous_value, None);
    // The first and last day of the resolved period are answered.
    let today = civitas_projection_today();
    assert_eq!(response.first_day.as_ref().map(|d| d.day), Some(1));
    assert_eq!(
        response.last_day.as_ref().map(|d| d.month),
        Some(today.month() as i32)
    );

    // The catalog's alert rule fires for the street (90 %) and 和平 (100 %), not 幸福 (0 %).
    let staff_lists =
        civitas_testkit::connect_with(&app.addr, Some(&app.token(Role::District, "gulou"))).await;
    let alerts = civitas_proto::insights::v1::worklist_service_client::WorklistServiceClient::new(
        staff_lists,
    )
    .list_alerts(pb::ListAlertsRequest {
        org_unit: "huafeng".into(),
        period: today.format("%Y%m").to_string(),
        ..Default::default()
    })
    .await
    .expect("alerts")
    .into_inner();
    let fired: Vec<_> = alerts
        .indicator_alerts
        .iter()
        .filter(|a| a.indicator == "test.permanent_share")
        .map(|a| (a.org_unit.as_str(), a.value, a.op.as_str(), a.threshold))
        .collect();
    assert_eq!(
        fired,
        [("huafeng", 90.0, ">=", 80.0), ("heping", 100.0, ">=", 80.0)]
    );
    let street = &alerts
        .indicator_alerts
        .iter()
        .find(|a| a.org_unit == "huafeng")
        .expect("fired");
    assert_eq!(street.message_en, "90.0% permanent residents, 80% or more.");

    // The CSV export holds the same numbers as the RPCs, for the street and below.
    let out = dir.path().join("huafeng.csv");
    let export = civitas::export::ExportConfig {
        url: app.addr.clone(),
        token: app.token(Role::District, "gulou"),
        org_unit: "huafeng".into(),
        period: "THIS_MONTH".into(),
        out: out.clone(),
        bom: true,
    };
    civitas::export::run(&export).await.expect("export");
    let bytes = std::fs::read(&out).expect("the file");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "starts with a BOM"
    );
    let text = String::from_utf8(bytes).expect("utf-8");
    let rows = csv_rows(text.trim_start_matches('\u{feff}'));
    assert_eq!(
        rows[0][..4],
        ["org_unit", "org_unit_name", "level", "period"]
    );
    let cell = |unit: &str, code: &str, column: usize| -> String {
        let row = rows.iter().find(|r| r[0] == unit && r[5] == code);
        row.unwrap_or_else(|| panic!("{unit} {code}"))[column].clone()
    };
    for unit in response.org_unit.iter().chain(response.children.iter()) {
        for v in &unit.values {
            let shown = v.value.map(|x| x.to_string()).unwrap_or_default();
            assert_eq!(
                cell(&unit.code, &v.indicator, 8),
                shown,
                "{} {}",
                unit.code,
                v.indicator
            );
            assert_eq!(cell(&unit.code, &v.indicator, 9), v.numerator.to_string());
            assert_eq!(
                cell(&unit.code, &v.indicator, 10),
                v.denominator.to_string()
            );
        }
    }
    let kpis = district
        .get_kpis(pb::GetKpisRequest {
            org_unit: "huafeng".into(),
            period: today.format("%Y%m").to_string(),
        })
        .await
        .expect("kpis")
        .into_inner();
    for unit in kpis.org_unit.iter().chain(kpis.children.iter()) {
        for v in &unit.values {
            assert_eq!(
                cell(&unit.code, &v.element, 8),
                v.value.to_string(),
                "{} {}",
                unit.code,
                v.element
            );
        }
    }
    assert_eq!(cell("huafeng", "residents", 8), "10");
    assert_eq!(cell("xingfu", "residents.floating", 8), "1");

    // The trend: three months ending with this one, for the street and each child.
    let trend = district
        .get_indicator_trend(pb::GetIndicatorTrendRequest {
            org_unit: "huafeng".into(),
            indicator: "residents.floating_share".into(),
            period: "THIS_MONTH".into(),
            periods: 3,
        })
        .await
        .expect("trend")
        .into_inner();
    let points = &trend.org_unit.as_ref().expect("unit").points;
    assert_eq!(points.len(), 3);
    assert_eq!(points[2].period, today.format("%Y%m").to_string());
    assert_eq!(
        (points[2].value, points[2].numerator, points[2].denominator),
        (Some(10.0), 1.0, 10.0)
    );
    assert_eq!(points[1].value, None, "nobody was registered a month ago");
    assert_eq!(trend.children.len(), 4);

    app.stop().await;
}

/// The plan's eight standards: six judged from indicators, two "not measurable yet"
/// (never a number); the league table ranks a street's communities on the same cards.
#[tokio::test]
async fn scorecards_and_the_league_table() {
    let app = RunningApp::start().await;
    let mut xingfu = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    household(&mut xingfu, 1, 1, 2).await;
    let mut staff = app.insights(Some(app.token(Role::Staff, "xingfu"))).await;
    civitas_testkit::eventually!(async {
        let request = pb::GetKpisRequest {
            org_unit: String::new(),
            period: civitas_projection_today().format("%Y").to_string(),
        };
        let r = staff.get_kpis(request).await?.into_inner();
        anyhow::ensure!(
            r.applied_events >= 4,
            "applied {} of 4 events",
            r.applied_events
        );
        anyhow::Ok(())
    });
    let card = staff
        .get_scorecard(pb::GetScorecardRequest {
            org_unit: String::new(),
            period: "THIS_YEAR".into(),
        })
        .await
        .expect("scorecard")
        .into_inner()
        .scorecard
        .expect("card");
    assert_eq!(card.org_unit, "xingfu");
    let numbers: Vec<u32> = card.standards.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
    for unmeasurable in [1, 4] {
        let s = &card.standards[unmeasurable - 1];
        assert!(!s.measurable, "({unmeasurable})");
        assert_eq!(
            (s.score, s.passed),
            (None, None),
            "({unmeasurable}): no number"
        );
        assert!(!s.reason_en.is_empty() && !s.reason_zh.is_empty());
    }
    assert_eq!(card.measurable, 6);
    // (8) is scored on floating residents checked: none were, so it is a number, 0.
    let family_planning = &card.standards[7];
    assert!(family_planning.measurable && family_planning.score.is_some());
    // (7) safety: no major incident is the target met.
    let safety = &card.standards[6];
    assert_eq!((safety.measurable, safety.passed), (true, Some(true)));
    // (6): a household without facilities scores 0 on the facility part.
    let facilities = card.standards[5]
        .parts
        .iter()
        .find(|p| p.indicator == "facilities.area_per_100_households")
        .expect("part");
    assert_eq!(facilities.achievement, Some(0.0));

    let mut district = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let league = district
        .list_league_table(pb::ListLeagueTableRequest {
            org_unit: "huafeng".into(),
            period: "THIS_YEAR".into(),
        })
        .await
        .expect("league")
        .into_inner();
    assert_eq!(league.rows.len(), 4, "huafeng's communities");
    let ranks: Vec<u32> = league.rows.iter().map(|r| r.rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(ranks[0], 1);
    let row = league
        .rows
        .iter()
        .find(|r| r.scorecard.as_ref().unwrap().org_unit == "xingfu");
    assert_eq!(
        row.and_then(|r| r.scorecard.clone()),
        Some(card),
        "the same card"
    );

    let err = staff
        .list_league_table(pb::ListLeagueTableRequest {
            org_unit: "huafeng".into(),
            period: "THIS_YEAR".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = district
        .list_league_table(pb::ListLeagueTableRequest {
            org_unit: "xingfu".into(),
            period: "THIS_YEAR".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), vec!["org_unit".to_owned()]);
    app.stop().await;
}

#[tokio::test]
async fn indicator_requests_are_checked_and_scoped() {
    let app = RunningApp::start().await;
    let mut district = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let err = indicators(&mut district, "", "THIS_MONTH", &["no.such"])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), bad_fields(&err)),
        (Code::InvalidArgument, vec!["indicators".to_owned()])
    );
    let err = indicators(&mut district, "", "NEXT_DECADE", &[])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), bad_fields(&err)),
        (Code::InvalidArgument, vec!["period".to_owned()])
    );
    let all = indicators(&mut district, "", "2026", &[])
        .await
        .expect("every indicator");
    let unit = all.org_unit.expect("unit");
    assert_eq!(unit.level, "district");
    assert!(unit.values.len() >= 20, "{} indicators", unit.values.len());
    assert_eq!(all.children.len(), 3, "the district's streets");

    let err = district
        .get_indicator_trend(pb::GetIndicatorTrendRequest {
            indicator: "safety.on_time_resolution_rate".into(),
            period: "202611".into(),
            periods: 61,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), vec!["periods".to_owned()]);

    let mut staff = app.insights(Some(app.token(Role::Staff, "xingfu"))).await;
    let err = indicators(&mut staff, "huafeng", "THIS_MONTH", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let own = indicators(&mut staff, "", "THIS_MONTH", &[])
        .await
        .expect("own community");
    assert_eq!(own.org_unit.expect("unit").code, "xingfu");
    app.stop().await;
}

/// A district's own org tree with the shipped catalog: the demo district's target
/// overrides are left out, and the district's units get their level's targets.
#[tokio::test]
async fn a_district_of_its_own_starts_with_the_shipped_catalog() {
    let dir = civitas_testkit::temp_dir();
    let org = dir.path().join("org.toml");
    std::fs::write(
        &org,
        r#"
[district]
code = "taijiang"
name = "台江区"

[[district.streets]]
code = "chazhong"
name = "茶亭街道"

[[district.streets.communities]]
code = "lianhua"
name = "莲花社区"
"#,
    )
    .expect("write the org tree");
    let app = RunningApp::start_with(|c| c.org_file = Some(org.clone())).await;
    let mut district = app
        .insights(Some(app.token(Role::District, "taijiang")))
        .await;
    let r = indicators(
        &mut district,
        "",
        "2026",
        &["safety.on_time_resolution_rate"],
    )
    .await
    .expect("indicators");
    let unit = r.org_unit.expect("unit");
    assert_eq!(unit.code, "taijiang");
    assert!(value(&unit, "safety.on_time_resolution_rate")
        .target
        .is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_bad_catalog_ends_the_start_naming_the_entry() {
    let dir = civitas_testkit::temp_dir();
    let catalog = dir.path().join("catalog.toml");
    let bad = catalog_with_permanent_share(2026)
        .replace("#{residents.permanent}", "#{residents.permanent_typo}");
    std::fs::write(&catalog, bad).expect("write the catalog");
    let config = UpConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".to_owned(),
        kpi_catalog: Some(catalog),
        ..UpConfig::default()
    };
    let err = Application::build(config).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.contains("test.permanent_share"), "{message}");
    assert!(message.contains("residents.permanent_typo"), "{message}");
}

/// The district's today (UTC+8), as relative periods resolve.
fn civitas_projection_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The records of a CSV file without quoted fields (what this test's file holds).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}
