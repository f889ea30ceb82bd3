//! The dashboard in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven through WebDriver against `civitas up`. A district token
//! logs in through the form, the overview's numbers are the indicator RPC's for the same
//! unit and period, rows drill down district → street → community, the indicator page
//! draws its chart, the CSV download carries the same figures; a staff token sees only
//! its community, a visitor without a token is sent to the login page, and the public
//! community page shows no personal data. Each page's screenshot is written to
//! `docs/screenshots/` (the README shows two of them), so a person can look at them.

use std::path::PathBuf;

use civitas_e2e::{register_household, this_month, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::events::v1::ResidenceType;
use civitas_proto::insights::v1 as pb;
use civitas_proto::residents::v1 as api;
use civitas_testkit::browser::Browser;

/// The indicator the test checks cell by cell: floating residents checked, a ratio
/// that is a headline (standard (8)) and that two residents and one check make 50 %.
const CHECKED: &str = "population.floating_checked_share";

fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/screenshots")
        .join(format!("{name}.png"))
}

/// Two floating residents in xingfu, one of them checked this month.
async fn seed(app: &RunningApp) -> Vec<String> {
    let mut xingfu = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let household = register_household(&mut xingfu, "幸福路 1 号").await;
    let mut ids = Vec::new();
    for first17 in ["32010619800101001", "32010619850202002"] {
        let resident = xingfu
            .register_resident(api::RegisterResidentRequest {
                household_id: household.clone(),
                name: "张三".into(),
                id_number: civitas_e2e::id_number(first17),
                residence_type: ResidenceType::Floating as i32,
                ..Default::default()
            })
            .await
            .expect("resident")
            .into_inner()
            .resident_id;
        ids.push(resident);
    }
    let valid_until = chrono::Utc::now().date_naive() + chrono::Days::new(180);
    xingfu
        .verify_floating_residence(api::VerifyFloatingResidenceRequest {
            resident_id: ids[0].clone(),
            valid_until: Some(civitas_proto::convert::date_to_pb(valid_until)),
            ..Default::default()
        })
        .await
        .expect("verify");
    ids.push(household);
    ids
}

/// The value of `indicator` for `unit`'s child `child` in `period`, as the RPC says.
async fn rpc_value(app: &RunningApp, unit: &str, child: &str, period: &str) -> Option<f64> {
    let mut insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let answer = insights
        .get_indicators(pb::GetIndicatorsRequest {
            org_unit: unit.into(),
            period: period.into(),
            indicators: vec![CHECKED.into()],
        })
        .await
        .expect("GetIndicators")
        .into_inner();
    answer
        .org_unit
        .iter()
        .chain(&answer.children)
        .find(|u| u.code == child)
        .and_then(|u| u.values.iter().find(|v| v.indicator == CHECKED))
        .and_then(|v| v.value)
}

/// The number shown in the overview's cell of `unit` for the checked indicator.
async fn shown(browser: &Browser, unit: &str) -> Option<f64> {
    let css = format!("td[data-unit=\"{unit}\"][data-indicator=\"{CHECKED}\"] span.v");
    let cell = browser.find(&css).await;
    browser.text(&cell).await.trim().parse().ok()
}

#[tokio::test]
async fn the_dashboard_in_a_browser() {
    let app = RunningApp::start().await;
    let ids = seed(&app).await;
    let dashboard = app.dashboard.expect("up serves the dashboard");
    let base = format!("http://{dashboard}");
    let period = this_month();
    civitas_testkit::eventually!(async {
        let value = rpc_value(&app, "huafeng", "xingfu", &period).await;
        anyhow::ensure!(value == Some(50.0), "xingfu's checked share is {value:?}");
        anyhow::Ok(())
    });

    let browser = Browser::start().await;
    // No token: the login page.
    browser.goto(&format!("{base}/unit/gulou")).await;
    assert!(
        browser.url().await.contains("/login"),
        "{}",
        browser.url().await
    );
    browser.screenshot(&screenshot("login")).await;

    // A district token through the form.
    let token = app.token(Role::District, "gulou");
    let field = browser.find("#token").await;
    browser.type_into(&field, &token).await;
    browser
        .click(&browser.find("button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the overview",
            "return !location.pathname.startsWith('/login')",
        )
        .await;
    browser
        .goto(&format!("{base}/unit/gulou?period={period}"))
        .await;
    browser.screenshot(&screenshot("overview")).await;
    assert_eq!(
        shown(&browser, "huafeng").await,
        rpc_value(&app, "gulou", "huafeng", &period).await,
        "the street's cell is the RPC's value"
    );

    // Drill down: district → street → community.
    let street = browser.find("a[href^=\"/unit/huafeng\"]").await;
    browser.click(&street).await;
    browser
        .wait_for("the street", "return location.pathname === '/unit/huafeng'")
        .await;
    assert_eq!(shown(&browser, "xingfu").await, Some(50.0));
    browser.screenshot(&screenshot("street")).await;
    let community = browser.find("a[href^=\"/unit/xingfu\"]").await;
    browser.click(&community).await;
    browser
        .wait_for(
            "the community",
            "return location.pathname === '/unit/xingfu'",
        )
        .await;

    // The CSV link of the street carries the same figure.
    browser
        .goto(&format!("{base}/unit/huafeng?period={period}"))
        .await;
    let csv_link = browser.find("a[href^=\"/unit/huafeng.csv\"]").await;
    let href = browser.attribute(&csv_link, "href").await.expect("href");
    let csv = browser
        .execute_async(&format!(
            "const done = arguments[arguments.length - 1];
             fetch({href:?}).then(r => r.text()).then(done, e => done('failed: ' + e));"
        ))
        .await;
    let csv = csv.as_str().unwrap_or_default();
    let xingfu_row = csv
        .lines()
        .find(|l| l.contains("xingfu"))
        .unwrap_or_else(|| panic!("no xingfu row in {csv}"));
    assert!(xingfu_row.contains("50.0"), "{xingfu_row}");

    // The indicator page draws its chart.
    browser
        .goto(&format!(
            "{base}/indicator/{CHECKED}?unit=huafeng&period={period}"
        ))
        .await;
    browser
        .wait_for(
            "the trend chart",
            "return document.querySelectorAll('canvas').length > 0",
        )
        .await;
    browser.screenshot(&screenshot("indicator")).await;

    // A staff token sees its community only.
    browser.delete_cookies().await;
    browser.goto(&format!("{base}/login")).await;
    let field = browser.find("#token").await;
    browser
        .type_into(&field, &app.token(Role::Staff, "xingfu"))
        .await;
    browser
        .click(&browser.find("button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the staff page",
            "return !location.pathname.startsWith('/login')",
        )
        .await;
    browser.goto(&format!("{base}/unit/xingfu")).await;
    assert!(
        browser.try_find("table").await.is_some(),
        "its own community"
    );
    browser.goto(&format!("{base}/unit/heping")).await;
    assert!(
        browser.try_find("td[data-unit]").await.is_none(),
        "another community's figures are not shown"
    );
    assert!(
        browser.source().await.contains("无权访问"),
        "the forbidden page"
    );

    // The public community page, without a session: no personal data, no ids.
    browser.delete_cookies().await;
    browser.goto(&format!("{base}/c/xingfu")).await;
    let page = browser.source().await;
    assert!(page.contains("幸福"), "the community's name");
    for secret in ids
        .iter()
        .map(String::as_str)
        .chain(["张三", "32010619800101001"])
    {
        assert!(!page.contains(secret), "the public page shows {secret}");
    }
    browser.screenshot(&screenshot("community")).await;

    browser.close().await;
    app.stop().await;
}
