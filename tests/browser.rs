//! The dashboard in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven through WebDriver against `civitas up`. A district token
//! logs in through the form, the overview's numbers are the indicator RPC's for the same
//! unit and period (and the public page's counts GetKpis's), rows drill down
//! district → street → community, the indicator page
//! draws its chart, the CSV download carries the same figures; a staff token sees only
//! its community, a visitor without a token is sent to the login page, and the public
//! community page shows no personal data. A street office signs in with a one-time
//! link, approves a community's monthly report from the reporting page and reads the
//! league table; the link does not work twice. Each page's screenshot is written to
//! `docs/screenshots/` (the README shows two of them), so a person can look at them.

use std::path::PathBuf;

use civitas_e2e::{register_household, this_month, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as activities;
use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
use civitas_proto::events::v1::ResidenceType;
use civitas_proto::insights::v1 as pb;
use civitas_proto::residents::v1 as api;
use civitas_testkit::browser::Browser;

/// The indicator the test checks cell by cell: floating residents checked, a ratio
/// that is a headline (standard (8)) and that two residents and one check make 50 %.
const CHECKED: &str = "population.floating_checked_share";

const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

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
    ids.extend(public_records(app).await);
    ids
}

/// What the public page shows: a board update, a published good deed and a team in
/// xingfu. Their ids, which the page must not show.
async fn public_records(app: &RunningApp) -> Vec<String> {
    use civitas_proto::events::v1::{BoardTopic, VolunteerServiceCategory};
    use civitas_proto::volunteering::v1 as volunteering;
    use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
    let channel =
        civitas_testkit::connect_with(&app.addr, Some(&app.token(Role::Staff, "xingfu"))).await;
    let mut staff = ActivitiesServiceClient::new(channel.clone());
    // The district's today (UTC+8), the day the page's month counts in.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let today = civitas_proto::convert::date_to_pb(today);
    let board = staff
        .register_publicity_board(activities::RegisterPublicityBoardRequest {
            location: "幸福路 1 号门口".into(),
            ..Default::default()
        })
        .await
        .expect("board")
        .into_inner()
        .board_id;
    staff
        .record_board_update(activities::RecordBoardUpdateRequest {
            board_id: board.clone(),
            topic: "冬季消防安全知识".into(),
            updated_on: Some(today),
            topic_code: BoardTopic::Science as i32,
            ..Default::default()
        })
        .await
        .expect("board update");
    let deed = staff
        .record_good_deed(activities::RecordGoodDeedRequest {
            title: "拾金不昧".into(),
            story: "一位居民在小区广场捡到钱包，当天交还失主。".into(),
            happened_on: Some(today),
            ..Default::default()
        })
        .await
        .expect("good deed")
        .into_inner()
        .deed_id;
    staff
        .publish_good_deed(activities::PublishGoodDeedRequest {
            deed_id: deed.clone(),
            ..Default::default()
        })
        .await
        .expect("published");
    let team = VolunteeringServiceClient::new(channel)
        .form_team(volunteering::FormTeamRequest {
            name: "幸福社区平安巡逻队".into(),
            purpose: "协助社区开展夜间巡逻".into(),
            category: VolunteerServiceCategory::Other as i32,
            ..Default::default()
        })
        .await
        .expect("team")
        .into_inner()
        .team_id;
    vec![board, deed, team]
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
    civitas_testkit::eventually!(async {
        browser.goto(&format!("{base}/c/xingfu")).await;
        let page = browser.source().await;
        for public in [
            "冬季消防安全知识",
            "拾金不昧",
            "当天交还失主",
            "幸福社区平安巡逻队",
        ] {
            anyhow::ensure!(
                page.contains(public),
                "the public page does not show {public} yet"
            );
        }
        anyhow::Ok(())
    });
    let page = browser.source().await;
    assert!(page.contains("幸福"), "the community's name");
    // Its counts are GetKpis's for the community and month.
    let kpis = app
        .insights(Some(app.token(Role::District, "gulou")))
        .await
        .get_kpis(pb::GetKpisRequest {
            org_unit: "xingfu".into(),
            period: period.clone(),
        })
        .await
        .expect("GetKpis")
        .into_inner();
    for element in ["publicity.board_updates", "good_deeds.published"] {
        let rpc = kpis
            .org_unit
            .iter()
            .flat_map(|u| &u.values)
            .find(|v| v.element == element)
            .map(|v| v.value);
        let cell = browser
            .find(&format!("td[data-element=\"{element}\"]"))
            .await;
        let shown: Option<f64> = browser.text(&cell).await.trim().parse().ok();
        assert_eq!(shown, rpc, "{element} on the public page");
        assert_eq!(shown, Some(1.0), "{element}");
    }
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

/// Last month in the district, `YYYYMM`: the month a report can be submitted for.
fn last_month() -> String {
    use chrono::{Datelike, Months};
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    (today.with_day(1).expect("day 1") - Months::new(1))
        .format("%Y%m")
        .to_string()
}

/// Opens a one-time login link and presses its button.
async fn follow_link(browser: &Browser, link: &str) {
    browser.goto(link).await;
    browser
        .click(&browser.find("button[type=submit]").await)
        .await;
}

#[tokio::test]
async fn a_street_signs_in_by_link_approves_a_report_and_reads_the_league_table() {
    let app = RunningApp::start().await;
    let base = format!("http://{}", app.dashboard.expect("up serves the dashboard"));
    let month = last_month();
    let channel =
        civitas_testkit::connect_with(&app.addr, Some(&app.token(Role::Staff, "xingfu"))).await;
    ActivitiesServiceClient::new(channel)
        .submit_monthly_report(activities::SubmitMonthlyReportRequest {
            month: month.clone(),
            narrative: "本月市民学校两次课。".into(),
            ..Default::default()
        })
        .await
        .expect("xingfu submits its report");

    // The street office signs in with a one-time link, as `civitas token --login`
    // prints it.
    let ticket = app
        .keys
        .issue_login_link("street-officer", Role::District, "huafeng", HOUR)
        .expect("link");
    let link = format!("{base}/login/link?ticket={ticket}");
    let browser = Browser::start().await;
    browser.goto(&link).await;
    assert!(
        browser.source().await.contains("street-officer"),
        "the link says whom it signs in"
    );
    browser
        .click(&browser.find("button[type=submit]").await)
        .await;
    browser
        .wait_for("the overview", "return location.pathname === '/'")
        .await;

    // The reporting page offers the street's approval of xingfu's report; pressing it
    // sends ApproveMonthlyReport with the session's token.
    let reporting = format!("{base}/reporting?unit=huafeng&month={month}");
    civitas_testkit::eventually!(async {
        browser.goto(&reporting).await;
        anyhow::ensure!(
            browser
                .try_find("button[data-approve=xingfu]")
                .await
                .is_some(),
            "no approve button for xingfu yet"
        );
        anyhow::Ok(())
    });
    assert!(
        browser
            .try_find("button[data-approve=heping]")
            .await
            .is_none(),
        "heping has not reported: nothing to approve"
    );
    browser
        .click(&browser.find("button[data-approve=xingfu]").await)
        .await;
    browser
        .wait_for(
            "the approval's answer",
            "return location.search.includes('approved=xingfu')",
        )
        .await;
    let mut insights = app
        .insights(Some(app.token(Role::District, "huafeng")))
        .await;
    civitas_testkit::eventually!(async {
        let status = insights
            .get_reporting_status(pb::GetReportingStatusRequest {
                org_unit: "huafeng".into(),
                month: month.clone(),
            })
            .await?
            .into_inner();
        let xingfu = status.communities.iter().find(|c| c.community == "xingfu");
        let approval = xingfu.map(|c| c.approval.as_str());
        anyhow::ensure!(
            approval == Some("street"),
            "xingfu's approval is {approval:?}"
        );
        anyhow::Ok(())
    });
    browser.goto(&reporting).await;
    assert!(
        browser
            .try_find("button[data-approve=xingfu]")
            .await
            .is_none(),
        "approved once: the street has no second step"
    );
    browser.screenshot(&screenshot("reporting")).await;

    // The league table ranks the street's communities on the plan's scorecard.
    browser.goto(&format!("{base}/league?unit=huafeng")).await;
    let rows = browser.find_all("tbody tr").await;
    let communities = app_communities_under("huafeng");
    assert_eq!(
        rows.len(),
        communities,
        "one row per community of the street"
    );
    assert!(
        browser.source().await.contains("(8)"),
        "a column per standard"
    );
    browser.screenshot(&screenshot("league")).await;

    // The link worked once; a second use is refused.
    browser.delete_cookies().await;
    follow_link(&browser, &link).await;
    // The click's page may still be loading: wait for the refusal, as for the overview.
    browser
        .wait_for(
            "a used link's refusal",
            "return document.body.innerText.includes('已经用过')",
        )
        .await;
    browser.goto(&format!("{base}/reporting")).await;
    assert!(
        browser.url().await.contains("/login"),
        "and opens no session"
    );

    browser.close().await;
    app.stop().await;
}

/// How many communities the demo org tree has under `unit`.
fn app_communities_under(unit: &str) -> usize {
    civitas_platform::org::OrgTree::demo()
        .communities_under(unit)
        .len()
}
