//! The dashboard's one-time login links and its forms that write, through its router:
//! a link signs in once and never again, a forged or stale link is refused, the
//! approve form needs the session's CSRF token and a connection to the activities
//! service, and the league table answers for a street and for a community. (Approving
//! through a real activities service is tested end to end in `tests/browser.rs`.)
//! SQLite, a fresh database per test.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use civitas_projection::dashboard::{Activities, Dashboard};
use common::*;
use tower::ServiceExt;

const SECRET: &[u8] = b"dashboard-actions-secret-32-bytes!!";
const HOUR: Duration = Duration::from_secs(3600);

struct Fixture {
    _db: TestDb,
    dashboard: Dashboard,
    keys: Arc<TokenKeys>,
}

async fn fixture() -> Fixture {
    let db = applied(Backend::Sqlite, "all", &Log::default()).await;
    let keys = Arc::new(TokenKeys::new(SECRET));
    let dashboard = Dashboard::new(db.projection.clone(), OrgTree::demo(), keys.clone());
    Fixture {
        _db: db,
        dashboard,
        keys,
    }
}

async fn send(router: &Router, request: Request<Body>) -> Response<Body> {
    router.clone().oneshot(request).await.unwrap()
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn set_cookie(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c[name.len() + 1..].split(';').next().unwrap().to_owned())
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// Opens `link` (path and query) and presses its button: the answer to the press.
async fn redeem(router: &Router, link: &str) -> Response<Body> {
    let opened = send(router, Request::get(link).body(Body::empty()).unwrap()).await;
    assert_eq!(opened.status(), StatusCode::OK, "GET {link}");
    let nonce = set_cookie(&opened, "civitas_login").expect("the link page sets its nonce");
    let page = text(opened).await;
    let body = format!("csrf={nonce}&ticket={}", hidden(&page, "ticket"));
    send(
        router,
        Request::post("/login/link")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("civitas_login={nonce}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_login_link_signs_in_once() {
    let f = fixture().await;
    let router = f.dashboard.router();
    let ticket = f
        .keys
        .issue_login_link("amy", Role::District, "huafeng", HOUR)
        .unwrap();
    let link = format!("/login/link?ticket={ticket}");

    // Opening the link shows whom it signs in, and uses nothing up.
    let opened = send(&router, Request::get(&link).body(Body::empty()).unwrap()).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(set_cookie(&opened, "civitas_session").is_none());
    let page = text(opened).await;
    assert!(page.contains("amy") && page.contains("huafeng"), "{page}");

    let first = redeem(&router, &link).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&first, "civitas_session").expect("a session cookie");
    // The session is a token issued here, for the link's holder and unit.
    let claims = f.keys.verify(&session).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.role, claims.org.as_str()),
        ("amy", Role::District, "huafeng")
    );
    assert!(claims.exp - claims.iat <= 3600, "{claims:?}");
    let home = send(
        &router,
        Request::get("/unit/huafeng")
            .header(header::COOKIE, format!("civitas_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(home.status(), StatusCode::OK);

    // The second press is refused, and sets no session.
    let again = redeem(&router, &link).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&again, "civitas_session").is_none());
    assert!(text(again).await.contains("已经用过"));

    // So is the same link on a second dashboard over the same database: the used
    // links are in the projection's database, not in one process.
    let other = Dashboard::new(f._db.projection.clone(), OrgTree::demo(), f.keys.clone());
    let elsewhere = redeem(&other.router(), &link).await;
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forged_and_plain_tokens_are_not_links() {
    let f = fixture().await;
    let router = f.dashboard.router();
    let stranger = TokenKeys::new(b"another-secret-another-secret-xx")
        .issue_login_link("eve", Role::District, "gulou", HOUR)
        .unwrap();
    let token = f.keys.issue("amy", Role::District, "gulou", HOUR).unwrap();
    for ticket in [stranger.as_str(), token.as_str(), "garbage"] {
        let opened = send(
            &router,
            Request::get(format!("/login/link?ticket={ticket}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(opened.status(), StatusCode::UNAUTHORIZED, "{ticket}");
        // Posting it straight, with a valid login nonce, is refused too.
        let response = send(
            &router,
            Request::post("/login/link")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, "civitas_login=n1")
                .body(Body::from(format!("csrf=n1&ticket={ticket}")))
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{ticket}");
        assert!(set_cookie(&response, "civitas_session").is_none());
    }
    // A genuine link without the form's nonce is refused before it is used up.
    let ticket = f
        .keys
        .issue_login_link("amy", Role::District, "gulou", HOUR)
        .unwrap();
    let response = send(
        &router,
        Request::post("/login/link")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf=n1&ticket={ticket}")))
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let after = redeem(&router, &format!("/login/link?ticket={ticket}")).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "still usable");
}

/// The reporting page's approve form, posted as `token`'s session with `csrf`.
async fn approve(router: &Router, token: &str, csrf: &str) -> Response<Body> {
    send(
        router,
        Request::post("/reporting/approve")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("civitas_session={token}"))
            .body(Body::from(format!(
                "csrf={csrf}&key=k1&community=xingfu&month=202610&unit=huafeng"
            )))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_approve_form_needs_the_csrf_token_and_the_activities_service() {
    let f = fixture().await;
    let token = f
        .keys
        .issue("amy", Role::District, "huafeng", HOUR)
        .unwrap();
    let session = |router: Router, token: String| async move {
        let page = send(
            &router,
            Request::get("/reporting?unit=huafeng&month=202610")
                .header(header::COOKIE, format!("civitas_session={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(page.status(), StatusCode::OK);
        text(page).await
    };

    // Without a connection to the activities service the page says so, offers no
    // action, and a posted form is answered 503.
    let reading = f.dashboard.router();
    let page = session(reading.clone(), token.clone()).await;
    assert!(!page.contains("/reporting/approve"), "no form");
    let csrf = hidden(&page, "csrf");
    let response = approve(&reading, &token, &csrf).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // With one, a form without the session's CSRF token is refused before anything is
    // sent (the address is one nothing listens on: a send would fail with 502).
    let activities = Activities::connect_lazy("http://127.0.0.1:9").unwrap();
    let writing = f.dashboard.clone().with_activities(activities).router();
    let response = approve(&writing, &token, "forged").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // With it, the command is sent: here it cannot arrive, and the page says the
    // service did not answer.
    let response = approve(&writing, &token, &csrf).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    // No session, no command: the login page.
    let response = approve(&writing, "not-a-token", &csrf).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_league_table_ranks_a_streets_communities_and_shows_a_community_its_card() {
    let f = fixture().await;
    let router = f.dashboard.router();
    let get = |uri: &'static str, token: String| {
        let router = router.clone();
        async move {
            let response = send(
                &router,
                Request::get(uri)
                    .header(header::COOKIE, format!("civitas_session={token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            (response.status(), text(response).await)
        }
    };
    let street = f
        .keys
        .issue("amy", Role::District, "huafeng", HOUR)
        .unwrap();
    let (status, page) = get("/league?period=2026", street.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let tree = OrgTree::demo();
    for community in tree.communities_under("huafeng") {
        assert!(
            page.contains(&format!("href=\"/unit/{}", community.code)),
            "{}",
            community.code
        );
    }
    for other in tree.communities_under("dongjie") {
        assert!(
            !page.contains(&format!("/unit/{}?", other.code)),
            "{}",
            other.code
        );
    }
    for n in 1..=8 {
        assert!(page.contains(&format!("({n})")), "standard ({n})");
    }
    // Standards (1) and (4) cannot be judged from the records: said, not scored.
    assert!(page.contains("不可衡量"), "{page}");
    // The CSV is the same table: a header, then one line per community.
    let (status, csv) = get("/league.csv?period=2026", street.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines.len(),
        1 + tree.communities_under("huafeng").len(),
        "{csv}"
    );
    assert!(
        lines[0].starts_with("名次,社区代码,社区,期间,平均分"),
        "{}",
        lines[0]
    );
    for community in tree.communities_under("huafeng") {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!(",{},", community.code)));
        let fields: Vec<&str> = line.expect("a line per community").split(',').collect();
        assert_eq!(fields.len(), 15, "{fields:?}");
        assert_eq!((fields[2], fields[3]), (community.name.as_str(), "2026"));
    }

    // A community's staff see its own card, unranked.
    let staff = f.keys.issue("bo", Role::Staff, "xingfu", HOUR).unwrap();
    let (status, page) = get("/league", staff.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/unit/xingfu"));
    // And may not read the street's.
    let (status, _) = get("/league?unit=huafeng", staff).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A bad period is a 400, not a failure.
    let (status, _) = get("/league?period=20xx", street).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_reporting_csv_has_a_line_per_community() {
    let f = fixture().await;
    let router = f.dashboard.router();
    let token = f
        .keys
        .issue("amy", Role::District, "huafeng", HOUR)
        .unwrap();
    let response = send(
        &router,
        Request::get("/reporting.csv?month=202610")
            .header(header::COOKIE, format!("civitas_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("reporting-huafeng-202610.csv"));
    let csv = text(response).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    let communities = OrgTree::demo().communities_under("huafeng").len();
    assert_eq!(lines.len(), 1 + communities, "{csv}");
    assert!(
        lines[0].starts_with("社区代码,社区,月份,已提交"),
        "{}",
        lines[0]
    );
    // Nothing was submitted: every line says so, for the month asked.
    assert!(
        lines[1..].iter().all(|l| l.contains(",202610,0,,0,0,,0")),
        "{csv}"
    );
}
