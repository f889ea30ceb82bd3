//! The district dashboard over HTTP, through its router: login and the session cookie,
//! scope (a staff token sees its own community only), CSRF on logout, the figures of
//! the unit pages and their CSV against the Insights reads for the same unit and
//! period, drill-down links, the indicator page's chart data, the public community
//! page (no personal data) and the vendored ECharts. SQLite, a fresh database per test.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use civitas_projection::dashboard::{headline, Dashboard};
use civitas_projection::Insights;
use civitas_proto::events::v1 as pb;
use civitas_proto::events::v1::ResidenceType::{Floating, Permanent};
use civitas_proto::insights::v1::{GetIndicatorsRequest, GetIndicatorsResponse};
use common::areas::*;
use common::*;
use tower::ServiceExt;

const SECRET: &[u8] = b"dashboard-test-secret-of-32-bytes!!";
const PERIOD: &str = "202611";

/// Personal or pseudonymous ids the fixture uses; none may reach the public page.
const IDS: &[&str] = &[
    "res-0a11",
    "res-0a12",
    "res-0b21",
    "hh-0a1",
    "hh-0b2",
    "vol-0a1",
    "vol-0a2",
    "inc-0a1",
    "act-0a1",
    "act-0a2",
    "staff-1",
    "board-0a1",
    "board-0b1",
    "team-0a1",
    "deed-0a1",
    "deed-0a2",
    "deed-0a3",
    "deed-0b1",
];

/// The good deeds' titles and stories: published, retracted, never published, and
/// another community's.
const PUBLISHED_DEED: (&str, &str) = ("拾金不昧", "楼下拾到钱包，当天交还失主。");
const RETRACTED_DEED: (&str, &str) = ("撤回的事迹", "不应再公开的内容");
const UNPUBLISHED_DEED: (&str, &str) = ("待审核的事迹", "尚未审核的内容");
const HEPING_DEED: (&str, &str) = ("和平社区的事迹", "和平社区的内容");

struct Fixture {
    _db: TestDb,
    router: Router,
    insights: Insights,
    keys: Arc<TokenKeys>,
}

async fn fixture() -> Fixture {
    let mut log = Log::default();
    for (community, household, residents) in [
        ("xingfu", "hh-0a1", &["res-0a11", "res-0a12"][..]),
        ("heping", "hh-0b2", &["res-0b21"][..]),
    ] {
        log.push_in(community, "2026-11-02", household_registered(household));
        for (i, r) in residents.iter().enumerate() {
            let kind = if i % 2 == 0 { Permanent } else { Floating };
            log.push_in(
                community,
                "2026-11-02",
                resident_registered(r, household, kind),
            );
        }
    }
    log.push_in("xingfu", "2026-11-03", facility_registered("fac-0a1", 240));
    // October: one update in xingfu, so November's two are a rise.
    log.push_in(
        "xingfu",
        "2026-10-10",
        publicity_board_updated("board-0a1", "2026-10-10"),
    );
    log.push_in(
        "xingfu",
        "2026-11-04",
        publicity_board_updated("board-0a1", "2026-11-04"),
    );
    log.push_in(
        "xingfu",
        "2026-11-05",
        publicity_board_updated("board-0a1", "2026-11-05"),
    );
    log.push_in(
        "heping",
        "2026-11-05",
        publicity_board_updated("board-0b1", "2026-11-05"),
    );
    let school = pb::ActivityCategory::CitizenSchoolClass;
    log.push_in(
        "xingfu",
        "2026-11-06",
        activity_scheduled("act-0a1", school, "2026-11-06T19:00:00+08:00"),
    );
    log.push_in(
        "xingfu",
        "2026-11-06",
        participant_registered("act-0a1", "res-0a11", 1),
    );
    log.push_in(
        "xingfu",
        "2026-11-06",
        activity_closed("act-0a1", school, 1, 1, 3),
    );
    // One still to come, for the public page.
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    log.push_in(
        "xingfu",
        "2026-11-07",
        activity_scheduled("act-0a2", school, &soon),
    );
    log.push_in("xingfu", "2026-11-08", volunteer_registered("vol-0a1"));
    // What the public page shows besides: a team, good deeds in every state.
    log.push_in(
        "xingfu",
        "2026-11-08",
        team_formed(
            "team-0a1",
            "夕阳红服务队",
            "每周探访空巢老人",
            pb::VolunteerServiceCategory::EmptyNestCare,
        ),
    );
    for volunteer in ["vol-0a1", "vol-0a2"] {
        log.push_in(
            "xingfu",
            "2026-11-08",
            team_member_added("team-0a1", volunteer),
        );
    }
    log.push_in(
        "xingfu",
        "2026-11-09",
        team_member_removed("team-0a1", "vol-0a2"),
    );
    for (community, id, (title, story)) in [
        ("xingfu", "deed-0a1", PUBLISHED_DEED),
        ("xingfu", "deed-0a2", RETRACTED_DEED),
        ("xingfu", "deed-0a3", UNPUBLISHED_DEED),
        ("heping", "deed-0b1", HEPING_DEED),
    ] {
        let recorded = good_deed_recorded(id, title, story, "2026-11-07");
        log.push_in(community, "2026-11-08", recorded);
        if id != "deed-0a3" {
            log.push_in(
                community,
                "2026-11-09",
                good_deed_published(id, "2026-11-09"),
            );
        }
    }
    log.push_in("xingfu", "2026-11-10", good_deed_retracted("deed-0a2"));
    log.push_in(
        "heping",
        "2026-11-09",
        incident_reported(
            "inc-0a1",
            pb::IncidentCategory::Fire,
            pb::IncidentSeverity::Major,
            "2026-11-09T10:00:00+08:00",
        ),
    );
    let db = applied(Backend::Sqlite, "all", &log).await;
    let keys = Arc::new(TokenKeys::new(SECRET));
    let tree = OrgTree::demo();
    let router = Dashboard::new(db.projection.clone(), tree.clone(), keys.clone()).router();
    let insights = Insights::new(db.projection.clone(), tree);
    Fixture {
        _db: db,
        router,
        insights,
        keys,
    }
}

impl Fixture {
    fn token(&self, role: Role, org: &str) -> String {
        self.keys
            .issue("tester", role, org, Duration::from_secs(3600))
            .unwrap()
    }

    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> Response<Body> {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header(header::COOKIE, format!("civitas_session={token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// The page's text, asserting its status.
    async fn page(&self, uri: &str, token: Option<&str>, status: StatusCode) -> String {
        let response = self.get(uri, token).await;
        assert_eq!(response.status(), status, "GET {uri}");
        text(response).await
    }

    async fn indicators(&self, unit: &str) -> GetIndicatorsResponse {
        self.insights
            .get_indicators(
                &caller(Role::District, "gulou"),
                GetIndicatorsRequest {
                    org_unit: unit.into(),
                    period: PERIOD.into(),
                    indicators: headline(self.insights_catalog()),
                },
            )
            .await
            .unwrap()
    }

    fn insights_catalog(&self) -> &'static civitas_projection::indicators::Catalog {
        static CATALOG: std::sync::OnceLock<civitas_projection::indicators::Catalog> =
            std::sync::OnceLock::new();
        CATALOG.get_or_init(|| civitas_projection::indicators::Catalog::shipped().unwrap())
    }
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn header_values(response: &Response<Body>, name: header::HeaderName) -> Vec<String> {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `value` of the hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// The shown value of `indicator` for `unit` in a unit page.
fn cell(page: &str, unit: &str, indicator: &str) -> String {
    let marker = format!("data-unit=\"{unit}\" data-indicator=\"{indicator}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell {unit} × {indicator}"));
    let rest = &page[at..];
    let start = rest.find("<span class=\"v\">").unwrap() + "<span class=\"v\">".len();
    rest[start..].split("</span>").next().unwrap().to_owned()
}

/// How the dashboard writes an indicator value.
fn shown(value: Option<f64>, decimals: u32) -> String {
    match value {
        Some(v) => format!("{v:.prec$}", prec = decimals as usize),
        None => "—".to_owned(),
    }
}

/// Logs in through the form and returns the login answer.
async fn log_in(f: &Fixture, token: &str) -> Response<Body> {
    log_in_over(f, token, "http").await
}

/// [`log_in`] through a proxy that says the request came over `proto`.
async fn log_in_over(f: &Fixture, token: &str, proto: &str) -> Response<Body> {
    let form = f.get("/login", None).await;
    assert_eq!(form.status(), StatusCode::OK);
    let cookie = header_values(&form, header::SET_COOKIE)
        .into_iter()
        .find(|c| c.starts_with("civitas_login="))
        .expect("the login form sets its CSRF cookie");
    let nonce = cookie["civitas_login=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = text(form).await;
    assert_eq!(hidden(&page, "csrf"), nonce);
    let body = format!("token={token}&csrf={nonce}&next=%2Funit%2Fhuafeng");
    f.send(
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("civitas_login={nonce}"))
            .header("x-forwarded-proto", proto)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn login_with_a_district_token_sets_a_strict_session_cookie() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let response = log_in(&f, &token).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/unit/huafeng");
    let session = header_values(&response, header::SET_COOKIE)
        .into_iter()
        .find(|c| c.starts_with("civitas_session="))
        .expect("session cookie");
    let attrs: Vec<&str> = session.split(';').map(str::trim).collect();
    assert_eq!(attrs[0], format!("civitas_session={token}"));
    assert!(attrs.contains(&"HttpOnly"), "{session}");
    assert!(attrs.contains(&"SameSite=Strict"), "{session}");
    assert!(attrs.contains(&"Path=/"), "{session}");
    let max_age: i64 = attrs
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("Max-Age")
        .parse()
        .unwrap();
    assert!(
        (3590..=3600).contains(&max_age),
        "Max-Age={max_age}: no later than exp"
    );
    assert!(
        !attrs.contains(&"Secure"),
        "plain HTTP: a browser would drop it"
    );
    let over_https = log_in_over(&f, &token, "https").await;
    assert!(header_values(&over_https, header::SET_COOKIE)
        .iter()
        .any(|c| c.starts_with("civitas_session=") && c.ends_with("; Secure")));

    let page = f.page("/", Some(&token), StatusCode::OK).await;
    assert!(page.contains("鼓楼区"), "{page}");
    assert!(!page.contains(&token), "the token never appears in a page");
}

#[tokio::test]
async fn login_refuses_bad_tokens_and_forms_without_their_csrf_value() {
    let f = fixture().await;
    for token in [
        "not-a-jwt".to_owned(),
        TokenKeys::new(b"another-secret-another-secret-32b")
            .issue("x", Role::District, "gulou", Duration::from_secs(60))
            .unwrap(),
        f.token(Role::Service, "gulou"),
    ] {
        let response = log_in(&f, &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(header_values(&response, header::SET_COOKIE)
            .iter()
            .all(|c| !c.starts_with("civitas_session=")));
    }
    // A form posted without the login cookie's value.
    let token = f.token(Role::District, "gulou");
    let response = f
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("token={token}&csrf=forged")))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_without_a_session_redirect_to_login() {
    let f = fixture().await;
    for uri in [
        "/",
        "/unit/xingfu?period=202611",
        "/unit/xingfu.csv",
        "/indicator/safety.major_incidents",
        "/alerts",
        "/reporting",
    ] {
        let response = f.get(uri, None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{uri}");
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/login?next="), "{uri}: {location}");
    }
    // An expired or foreign cookie is no session either.
    let response = f.get("/", Some("x.y.z")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_staff_token_sees_only_its_community() {
    let f = fixture().await;
    let staff = f.token(Role::Staff, "xingfu");
    let own = f.page("/", Some(&staff), StatusCode::OK).await;
    assert!(own.contains("幸福社区"));
    f.page("/unit/xingfu?period=202611", Some(&staff), StatusCode::OK)
        .await;
    for uri in [
        "/unit/heping",
        "/unit/huafeng",
        "/unit/gulou.csv",
        "/unit/heping.csv",
        "/indicator/safety.major_incidents?unit=heping",
        "/alerts?unit=heping",
        "/reporting?unit=huafeng",
    ] {
        f.page(uri, Some(&staff), StatusCode::FORBIDDEN).await;
    }
    f.page("/unit/nowhere", Some(&staff), StatusCode::NOT_FOUND)
        .await;
    // A street office reads its street, not the district or another street.
    let street = f.token(Role::District, "huafeng");
    f.page("/unit/xingfu", Some(&street), StatusCode::OK).await;
    f.page("/unit/gulou", Some(&street), StatusCode::FORBIDDEN)
        .await;
    f.page("/unit/chaoyang", Some(&street), StatusCode::FORBIDDEN)
        .await;
}

#[tokio::test]
async fn logout_needs_the_sessions_csrf_token_and_clears_the_cookie() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let post = |body: &str| {
        Request::post("/logout")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("civitas_session={token}"))
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    for body in ["", "csrf=", "csrf=00ff"] {
        let response = f.send(post(body)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body:?}");
        assert!(header_values(&response, header::SET_COOKIE).is_empty());
    }
    // Another session's token does not do either.
    let other = f.token(Role::District, "huafeng");
    let other_page = f.page("/", Some(&other), StatusCode::OK).await;
    let response = f
        .send(post(&format!("csrf={}", hidden(&other_page, "csrf"))))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let page = f.page("/", Some(&token), StatusCode::OK).await;
    let response = f
        .send(post(&format!("csrf={}", hidden(&page, "csrf"))))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/login");
    let cleared = header_values(&response, header::SET_COOKIE);
    assert!(
        cleared.iter().any(|c| c.starts_with("civitas_session=;")
            && c.contains("Max-Age=0")
            && c.contains("Path=/")),
        "{cleared:?}"
    );
}

#[tokio::test]
async fn unit_pages_show_the_insights_figures_with_targets_and_drill_down_links() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let catalog = f.insights_catalog();
    let codes = headline(catalog);
    let mut some_value = false;
    for unit in ["gulou", "huafeng", "xingfu"] {
        let page = f
            .page(
                &format!("/unit/{unit}?period={PERIOD}"),
                Some(&token),
                StatusCode::OK,
            )
            .await;
        let expected = f.indicators(unit).await;
        for row in expected.org_unit.iter().chain(&expected.children) {
            for code in &codes {
                let decimals = catalog.indicator(code).unwrap().decimals;
                let value = row
                    .values
                    .iter()
                    .find(|v| &v.indicator == code)
                    .and_then(|v| v.value);
                some_value |= value.is_some();
                assert_eq!(
                    cell(&page, &row.code, code),
                    shown(value, decimals),
                    "{unit}: {} × {code}",
                    row.code
                );
            }
        }
        for child in &expected.children {
            let link = format!("href=\"/unit/{}?period={PERIOD}\"", child.code);
            assert!(page.contains(&link), "{unit}: no drill-down link {link}");
        }
        // Targets are written, not only coloured.
        assert!(page.contains("目标 "), "{unit}");
        assert!(page.contains("数据完整至") || page.contains("数据完整性尚未核对"));
    }
    assert!(
        some_value,
        "the fixture gives some headline indicator a value"
    );
    // xingfu's two board updates: the text and its legend's class.
    let page = f
        .page(
            &format!("/unit/huafeng?period={PERIOD}"),
            Some(&token),
            StatusCode::OK,
        )
        .await;
    assert_eq!(cell(&page, "xingfu", "publicity.board_update_count"), "2");
    let marker = "data-unit=\"xingfu\" data-indicator=\"publicity.board_update_count\"";
    let xingfu = page[page.find(marker).unwrap()..]
        .split("</td>")
        .next()
        .unwrap();
    assert!(
        xingfu.contains("class=\"arrow better\" title=\"上期 202610 1\""),
        "a rise on October, written as well as coloured: {xingfu}"
    );
    assert!(
        page.contains("class=\"cell num lg-"),
        "legend classes on cells"
    );
    // English on request, remembered in a cookie.
    let response = f
        .get(
            &format!("/unit/huafeng?period={PERIOD}&lang=en"),
            Some(&token),
        )
        .await;
    assert!(header_values(&response, header::SET_COOKIE)
        .iter()
        .any(|c| c.starts_with("civitas_lang=en")));
    let english = text(response).await;
    assert!(
        english.contains("lang=\"en\"") && english.contains("target "),
        "English page"
    );
    assert!(english.contains(&format!(
        "href=\"/unit/huafeng?period={PERIOD}&amp;lang=zh\""
    )));
    // A period the page does not offer.
    f.page(
        "/unit/huafeng?period=2026Q4",
        Some(&token),
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn the_csv_holds_the_same_numbers_with_a_bom() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let response = f
        .get(&format!("/unit/huafeng.csv?period={PERIOD}"), Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("huafeng-202611.csv"));
    let csv = text(response).await;
    let csv = csv.strip_prefix('\u{feff}').expect("a byte order mark");
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let catalog = f.insights_catalog();
    let codes = headline(catalog);
    assert_eq!(lines[0].len(), 4 + 2 * codes.len());
    let expected = f.indicators("huafeng").await;
    let rows: Vec<_> = expected.org_unit.iter().chain(&expected.children).collect();
    assert_eq!(lines.len(), 1 + rows.len());
    for (line, row) in lines[1..].iter().zip(rows) {
        assert_eq!(line[0], row.code);
        assert_eq!(line[3], PERIOD);
        for (i, code) in codes.iter().enumerate() {
            let decimals = catalog.indicator(code).unwrap().decimals;
            let v = row.values.iter().find(|v| &v.indicator == code);
            let value = v
                .and_then(|v| v.value)
                .map(|x| shown(Some(x), decimals))
                .unwrap_or_default();
            let target = v
                .and_then(|v| v.target)
                .map(|x| shown(Some(x), decimals))
                .unwrap_or_default();
            assert_eq!(line[4 + 2 * i], value, "{} × {code}", row.code);
            assert_eq!(line[5 + 2 * i], target, "{} × {code} target", row.code);
        }
    }
}

#[tokio::test]
async fn the_indicator_page_embeds_a_years_trend_and_the_ratio_table() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let page = f
        .page(
            "/indicator/publicity.board_update_count?unit=huafeng&period=202611",
            Some(&token),
            StatusCode::OK,
        )
        .await;
    assert!(page.contains("src=\"/assets/echarts.min.js?v="));
    let marker = "<script type=\"application/json\" id=\"trend-data\">";
    let at = page.find(marker).expect("chart data") + marker.len();
    let json: serde_json::Value =
        serde_json::from_str(page[at..].split("</script>").next().unwrap()).unwrap();
    let periods = json["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 12);
    assert_eq!(periods[11], "202611");
    assert_eq!(periods[0], "202512");
    let series = json["series"].as_array().unwrap();
    assert_eq!(series.len(), 5, "huafeng and its four communities");
    assert_eq!(series[0]["name"], "华峰街道");
    assert_eq!(series[0]["data"][11], 3.0);
    assert_eq!(cell(&page, "xingfu", "publicity.board_update_count"), "2");
    f.page(
        "/indicator/no.such?unit=huafeng",
        Some(&token),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn alerts_and_reporting_pages_answer() {
    let f = fixture().await;
    let token = f.token(Role::District, "gulou");
    let alerts = f
        .page("/alerts?period=202611", Some(&token), StatusCode::OK)
        .await;
    assert!(alerts.contains("和平社区"), "the fire in heping is listed");
    let reporting = f
        .page("/reporting?month=202610", Some(&token), StatusCode::OK)
        .await;
    assert!(reporting.contains("幸福社区"));
    f.page(
        "/reporting?month=2026",
        Some(&token),
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn the_community_page_is_public_and_holds_no_personal_data() {
    let f = fixture().await;
    let response = f.get("/c/xingfu", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    assert!(page.contains("幸福社区"));
    assert!(
        page.contains("activity act-0a2"),
        "the upcoming activity's title"
    );
    // The latest board updates: day, topic and text.
    for shown in ["2026-11-05", "2026-11-04", "健康教育", "waste sorting"] {
        assert!(page.contains(shown), "board update: {shown}");
    }
    // The team with its purpose, kind and member count.
    for shown in ["夕阳红服务队", "每周探访空巢老人", "关爱空巢老人"] {
        assert!(page.contains(shown), "team: {shown}");
    }
    let team_row = &page[page.find("夕阳红服务队").unwrap()..];
    let team_row = &team_row[..team_row.find("</tr>").unwrap()];
    assert!(team_row.contains(">1<"), "one member left: {team_row}");
    // The published deed only: title, story and day.
    for shown in [PUBLISHED_DEED.0, PUBLISHED_DEED.1, "2026-11-07"] {
        assert!(page.contains(shown), "deed: {shown}");
    }
    for (title, story) in [RETRACTED_DEED, UNPUBLISHED_DEED, HEPING_DEED] {
        assert!(!page.contains(title), "{title} is not on the page");
        assert!(!page.contains(story), "{story} is not on the page");
    }
    for id in IDS {
        // The activity title of the test builder names its id; the page shows titles
        // as they are, so the check is on ids outside titles.
        if id.starts_with("act-") {
            continue;
        }
        assert!(!page.contains(id), "the public page shows {id}");
    }
    for field in [
        "resident_id",
        "household_id",
        "volunteer_id",
        "incident_id",
        "subject",
    ] {
        assert!(!page.contains(field), "{field}");
    }
    assert!(!page.contains("/logout"), "no session needed or shown");
    let english = f.page("/c/xingfu?lang=en", None, StatusCode::OK).await;
    for shown in [
        "Publicity boards",
        "Health education",
        "Good deeds",
        "Volunteer teams",
        "Care for empty-nest elderly",
    ] {
        assert!(english.contains(shown), "{shown}");
    }
    // A community with none of these records says so.
    let minzhu = f.page("/c/minzhu", None, StatusCode::OK).await;
    assert_eq!(minzhu.matches("暂无").count(), 3, "three empty sections");
    f.page("/c/huafeng", None, StatusCode::NOT_FOUND).await;
    f.page("/c/nowhere", None, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn echarts_is_served_from_the_binary_with_a_long_cache() {
    let f = fixture().await;
    let response = f.get("/assets/echarts.min.js", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(response.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    let body = text(response).await;
    let vendored = include_str!("../assets/echarts/echarts.min.js");
    assert_eq!(body.len(), vendored.len());
    assert!(body.contains("Licensed to the Apache Software Foundation"));
    // Every page forbids loading anything from elsewhere.
    let login = f.get("/login", None).await;
    let csp = login.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
}

#[tokio::test]
async fn instances_sharing_the_signing_secret_accept_each_others_forms() {
    let f = fixture().await;
    let instance = |secret: &[u8]| {
        Dashboard::new(f._db.projection.clone(), OrgTree::demo(), f.keys.clone())
            .with_csrf_secret(secret)
            .router()
    };
    let (a, b, other) = (instance(SECRET), instance(SECRET), instance(b"another"));
    let token = f.token(Role::District, "gulou");
    let page = a
        .oneshot(
            Request::get("/")
                .header(header::COOKIE, format!("civitas_session={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let csrf = hidden(&text(page).await, "csrf");
    let logout = || {
        Request::post("/logout")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("civitas_session={token}"))
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap()
    };
    let refused = other.oneshot(logout()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let accepted = b.oneshot(logout()).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
}
