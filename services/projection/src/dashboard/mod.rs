//! The district dashboard: server-rendered HTML pages (axum and maud) over the same
//! reads, with the same scope checks, as [`crate::Insights`] and [`crate::Worklist`].
//!
//! | route | what |
//! |---|---|
//! | `GET /login`, `POST /login` | paste a token; sets the session cookie |
//! | `GET /login/link?ticket=`, `POST /login/link` | a one-time login link (`civitas token --login`): shows whom it signs in, the button redeems it once |
//! | `POST /logout` | clears it (CSRF token required) |
//! | `GET /`, `GET /unit/{code}?period=` | a unit's children × the headline indicators |
//! | `GET /unit/{code}.csv?period=` | the same table as CSV (UTF-8 with BOM) |
//! | `GET /indicator/{code}?unit=&period=` | 12-month trend chart and numerator/denominator table |
//! | `GET /alerts?unit=&period=` | `ListAlerts` |
//! | `GET /reporting?unit=&month=` | `GetReportingStatus` |
//! | `GET /reporting.csv?unit=&month=` | each community's report of the month as CSV |
//! | `POST /reporting/approve` | `ApproveMonthlyReport`, sent to the activities service with the session's token |
//! | `GET /league?unit=&period=` | `ListLeagueTable`: the communities ranked on the plan's scorecard |
//! | `GET /league.csv?unit=&period=` | the same table as CSV |
//! | `GET /c/{community}` | the public community page, no login, aggregates and public texts only |
//! | `GET /assets/echarts.min.js` | Apache ECharts, vendored, from the binary |
//!
//! Pages are in Chinese; `?lang=en` switches to English and a cookie remembers it. A
//! protected page without a session redirects to `/login`. Nothing is loaded from
//! elsewhere at run time (the CSP says so too).

mod actions;
mod assets;
mod i18n;
mod pages;
mod public;
mod session;
mod view;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use civitas_platform::auth::TokenKeys;
use civitas_platform::org::OrgTree;
use tokio::net::TcpListener;
use tonic::Code;

pub use actions::Activities;
pub use i18n::Lang;
pub use pages::headline;
pub use session::{LANG_COOKIE, SESSION_COOKIE};

use crate::{Insights, Projection, Worklist};

/// Where `civitas up` serves the dashboard unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The dashboard over a projection; cloning is cheap.
#[derive(Clone)]
pub struct Dashboard {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    insights: Insights,
    worklist: Worklist,
    projection: Projection,
    tree: OrgTree,
    keys: Arc<TokenKeys>,
    /// Signs the CSRF tokens: random per process unless derived from a secret every
    /// instance shares ([`Dashboard::with_csrf_secret`]).
    csrf_key: [u8; 32],
    /// The catalog's legend colours as CSS classes.
    legend_css: String,
    /// Where approvals are sent; without it the dashboard only reads.
    activities: Option<Activities>,
}

impl Dashboard {
    /// The dashboard over `projection` and `tree`, verifying tokens with `keys` (the
    /// keys the gRPC interceptor verifies with).
    pub fn new(projection: Projection, tree: OrgTree, keys: Arc<TokenKeys>) -> Dashboard {
        let legend_css = view::legend_css(projection.catalog());
        Dashboard {
            inner: Arc::new(Inner {
                insights: Insights::new(projection.clone(), tree.clone()),
                worklist: Worklist::new(projection.clone(), tree.clone()),
                projection,
                tree,
                keys,
                csrf_key: rand::random(),
                legend_css,
                activities: None,
            }),
        }
    }

    /// The same dashboard with its CSRF key derived from `secret` (the token signing
    /// key): every instance sharing the secret accepts the others' forms, and a
    /// restart does not invalidate open pages. The secret itself is not kept.
    pub fn with_csrf_secret(mut self, secret: &[u8]) -> Dashboard {
        use hmac::{Hmac, Mac};
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"civitas dashboard csrf key v1");
        Arc::make_mut(&mut self.inner).csrf_key = mac.finalize().into_bytes().into();
        self
    }

    /// The same dashboard sending the approvals of the reporting page to `activities`.
    pub fn with_activities(mut self, activities: Activities) -> Dashboard {
        Arc::make_mut(&mut self.inner).activities = Some(activities);
        self
    }

    /// Every route of the dashboard.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(pages::overview))
            .route("/unit/{code}", get(pages::unit))
            .route("/indicator/{code}", get(pages::indicator))
            .route("/alerts", get(pages::alerts))
            .route("/reporting", get(pages::reporting))
            .route("/reporting.csv", get(pages::reporting_csv))
            .route("/reporting/approve", post(pages::approve))
            .route("/league", get(pages::league))
            .route("/league.csv", get(pages::league_csv))
            .route("/login", get(session::login_form).post(session::login))
            .route(
                "/login/link",
                get(session::link_form).post(session::link_login),
            )
            .route("/logout", post(session::logout))
            .route("/c/{community}", get(public::community))
            .route("/assets/echarts.min.js", get(assets::echarts))
            .fallback(not_found)
            .layer(middleware::from_fn(context))
            .with_state(self.clone())
    }
}

/// Binds the dashboard's address (`host:port`; port 0 picks a free one).
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to bind the dashboard to {addr}"))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the dashboard's HTTP server failed")
}

/// Serves `dashboard` on `listener` as a task until `shutdown`, and says where: in the
/// log, and on stdout after `label` (which pads it to the caller's other lines).
pub fn spawn(
    listener: TcpListener,
    dashboard: &Dashboard,
    label: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "dashboard listening");
        println!("{label}http://{addr}/");
    }
    tokio::spawn(serve(listener, dashboard.router(), shutdown))
}

async fn not_found(axum::Extension(ctx): axum::Extension<view::Ctx>) -> Response {
    view::error_page(
        &ctx,
        StatusCode::NOT_FOUND,
        ctx.lang.t("没有这个页面。", "There is no such page."),
    )
}

/// Puts the request's [`view::Ctx`] in its extensions, remembers `?lang=` in a cookie,
/// and adds the security headers to every answer.
async fn context(mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let raw_query = request.uri().query().unwrap_or_default().to_owned();
    let mut asked = None;
    let mut query = Vec::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("lang", value)) => asked = Lang::parse(value),
            _ if pair == "lang" => {}
            _ => query.push(pair.to_owned()),
        }
    }
    let remembered = session::cookie(headers, LANG_COOKIE).and_then(Lang::parse);
    let ctx = view::Ctx {
        lang: asked.or(remembered).unwrap_or_default(),
        path: request.uri().path().to_owned(),
        query,
    };
    request.extensions_mut().insert(ctx);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(lang) = asked {
        let cookie = format!(
            "{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000",
            lang.code()
        );
        headers.append(SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII"));
    }
    if let Ok(csp) = HeaderValue::from_str(view::csp()) {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The page for a refused or failed read.
fn status_page(ctx: &view::Ctx, status: &tonic::Status) -> Response {
    let lang = ctx.lang;
    let (code, message) = match status.code() {
        Code::Unauthenticated => return session::to_login(ctx),
        Code::PermissionDenied => (
            StatusCode::FORBIDDEN,
            lang.t(
                "您的令牌无权查看这个单位。",
                "Your token may not read this unit.",
            ),
        ),
        Code::NotFound => (
            StatusCode::NOT_FOUND,
            lang.t(
                "没有这个单位或指标。",
                "There is no such unit or indicator.",
            ),
        ),
        Code::InvalidArgument => (
            StatusCode::BAD_REQUEST,
            lang.t(
                "参数有误（例如期间）。",
                "A parameter (e.g. the period) is not valid.",
            ),
        ),
        _ => {
            tracing::error!(code = ?status.code(), message = %status.message(), "dashboard read failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.t(
                    "读取数据失败，请稍后再试。",
                    "The figures could not be read; try again later.",
                ),
            )
        }
    };
    view::error_page(ctx, code, message)
}
