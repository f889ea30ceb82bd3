//! Logging in with a token, the session cookie and CSRF.
//!
//! The session is the token itself in an HttpOnly, SameSite=Strict cookie that lives
//! no longer than the token: every request verifies it again with the keys the gRPC
//! interceptor uses ([`TokenKeys::verify`]), so an expired or foreign token is no
//! session. A form that writes carries a CSRF token, an HMAC of the session under a
//! key of this dashboard, and is refused 403 without it. The login form itself is
//! guarded by a random value in a short-lived cookie that the form repeats. Tokens are
//! never logged: errors name the kind of refusal only.

use axum::extract::{Form, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_platform::auth::{AuthError, Caller, Role};
use hmac::{Hmac, Mac};
use maud::html;
use serde::Deserialize;
use sha2::Sha256;

use super::view::{self, Ctx};
use super::Dashboard;

/// The session cookie: the verified token.
pub const SESSION_COOKIE: &str = "civitas_session";
/// The login form's CSRF cookie.
pub const LOGIN_COOKIE: &str = "civitas_login";
/// The language cookie.
pub const LANG_COOKIE: &str = "civitas_lang";

/// A verified session.
pub struct Session {
    pub caller: Caller,
    token: String,
    /// The token's `exp`, seconds since the epoch.
    pub expires: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Session")
            .field("caller", &self.caller)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The CSRF token of this session under `key`.
    pub fn csrf(&self, key: &[u8]) -> String {
        csrf_of(key, &self.token)
    }

    /// The session's token, for a command sent on the holder's behalf.
    pub(super) fn bearer(&self) -> &str {
        &self.token
    }
}

fn csrf_of(key: &[u8], token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"civitas-dashboard-csrf\0");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares without returning early on the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

impl Dashboard {
    /// The request's session, when its cookie holds a token that verifies now and a
    /// person's role.
    pub(super) fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let (caller, expires) = self.verify(token).ok()?;
        Some(Session {
            caller,
            token: token.to_owned(),
            expires,
        })
    }

    /// The 403 page for a form whose CSRF token is not this session's; `None` when it
    /// is.
    pub(super) fn csrf_refusal(
        &self,
        ctx: &Ctx,
        session: &Session,
        csrf: &str,
    ) -> Option<Response> {
        if same(&session.csrf(&self.inner.csrf_key), csrf) {
            return None;
        }
        Some(view::error_page(
            ctx,
            StatusCode::FORBIDDEN,
            ctx.lang.t(
                "请求缺少有效的表单令牌。",
                "The request lacks a valid form token.",
            ),
        ))
    }

    fn verify(&self, token: &str) -> Result<(Caller, i64), AuthError> {
        let claims = self.inner.keys.verify(token)?;
        let expires = claims.exp;
        let caller = Caller::from(claims);
        if caller.role == Role::Service {
            return Err(AuthError::PermissionDenied(
                "role service may only read event logs".to_owned(),
            ));
        }
        Ok((caller, expires))
    }
}

/// The redirect to the login form for a request without a session.
pub fn to_login(ctx: &Ctx) -> Response {
    let next = urlencode(&ctx.here());
    see_other(&format!("/login?next={next}"))
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `; Secure` when the request came over HTTPS through a proxy that says so (the
/// cookie then never travels in clear); nothing on plain HTTP, where a browser would
/// drop a Secure cookie.
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    if https {
        "; Secure"
    } else {
        ""
    }
}

/// Where to go after logging in: a path of this site, never another origin.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: the form (or home, for a session).
pub async fn login_form(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Response {
    if dashboard.session(&headers).is_some() {
        return see_other(local_path(query.next.as_deref()));
    }
    form_page(&ctx, query.next.as_deref(), None, StatusCode::OK)
}

fn form_page(ctx: &Ctx, next: Option<&str>, problem: Option<&str>, status: StatusCode) -> Response {
    let lang = ctx.lang;
    let nonce: [u8; 16] = rand::random();
    let nonce = hex::encode(nonce);
    let body = html! {
        h1 { (lang.t("登录", "Sign in")) }
        p { (lang.t(
            "请粘贴您的访问令牌（与 gRPC 接口使用的令牌相同，可由 civitas token 签发）。",
            "Paste your access token (the same token the gRPC API takes; civitas token issues one)."
        )) }
        @if let Some(problem) = problem {
            p.problem role="alert" { (problem) }
        }
        form method="post" action="/login" {
            input type="hidden" name="csrf" value=(nonce);
            input type="hidden" name="next" value=(local_path(next));
            label for="token" { (lang.t("令牌", "Token")) }
            textarea id="token" name="token" rows="6" cols="70" required autocomplete="off" spellcheck="false" {}
            p { button type="submit" { (lang.t("登录", "Sign in")) } }
        }
    };
    let page = view::page(ctx, lang.t("登录", "Sign in"), None, body);
    with_nonce((status, page).into_response(), &nonce)
}

/// `response` with the login forms' CSRF cookie holding `nonce`.
fn with_nonce(mut response: Response, nonce: &str) -> Response {
    let cookie =
        format!("{LOGIN_COOKIE}={nonce}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The 403 page when a login form's CSRF token is not the one its cookie holds.
fn stale_form(ctx: &Ctx, headers: &HeaderMap, csrf: &str) -> Option<Response> {
    let expected = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if !expected.is_empty() && same(expected, csrf) {
        return None;
    }
    Some(view::error_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.lang.t(
            "表单已失效，请重新登录。",
            "The form has expired; sign in again.",
        ),
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: verifies the token and sets the session cookie.
pub async fn login(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = ctx.lang;
    if let Some(refused) = stale_form(&ctx, &headers, &form.csrf) {
        return refused;
    }
    let token = form.token.trim();
    let (caller, expires) = match dashboard.verify(token) {
        Ok(verified) => verified,
        Err(err) => {
            // The kind of refusal only, never the token.
            tracing::info!(reason = %refusal_kind(&err), "dashboard login refused");
            let problem = refusal(lang, &err);
            return form_page(
                &ctx,
                form.next.as_deref(),
                Some(&problem),
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    let max_age = expires - chrono::Utc::now().timestamp();
    if max_age <= 0 {
        let problem = refusal(lang, &AuthError::Expired);
        return form_page(
            &ctx,
            form.next.as_deref(),
            Some(&problem),
            StatusCode::UNAUTHORIZED,
        );
    }
    tracing::info!(subject = %caller.subject, role = %caller.role, org_unit = %caller.org_unit, "dashboard login");
    signed_in(&ctx, &headers, token, max_age, form.next.as_deref())
}

/// The answer that starts a session with `token` for `max_age` seconds: the session
/// cookie, the login nonce cleared, and on to `next`.
fn signed_in(
    ctx: &Ctx,
    headers: &HeaderMap,
    token: &str,
    max_age: i64,
    next: Option<&str>,
) -> Response {
    let mut response = see_other(local_path(next));
    let session = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{}",
        secure(headers)
    );
    match HeaderValue::from_str(&session) {
        Ok(value) => {
            response.headers_mut().append(SET_COOKIE, value);
        }
        Err(_) => {
            let problem = refusal(ctx.lang, &AuthError::MalformedToken);
            return form_page(ctx, next, Some(&problem), StatusCode::UNAUTHORIZED);
        }
    }
    let done = format!("{LOGIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/login; Max-Age=0");
    response
        .headers_mut()
        .append(SET_COOKIE, HeaderValue::from_str(&done).expect("ASCII"));
    response
}

#[derive(Deserialize, Default)]
pub struct LinkQuery {
    #[serde(default)]
    ticket: String,
}

/// `GET /login/link?ticket=`: whom the one-time link (`civitas token --login`) signs
/// in, with a button that does it. Opening the link does not use it up, so a chat's
/// link preview or a mail scanner that fetches it leaves it working; the button's
/// `POST` redeems it.
pub async fn link_form(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    axum::extract::Query(query): axum::extract::Query<LinkQuery>,
) -> Response {
    let lang = ctx.lang;
    let ticket = match dashboard.inner.keys.verify_login_link(&query.ticket) {
        Ok(ticket) => ticket,
        Err(err) => {
            let problem = link_refusal(lang, &err);
            return form_page(&ctx, None, Some(&problem), StatusCode::UNAUTHORIZED);
        }
    };
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let body = html! {
        h1 { (lang.t("登录", "Sign in")) }
        p { (lang.t("这个一次性链接将以下面的身份登录看板：", "This one-time link signs you in to the dashboard as:")) }
        p { strong { (ticket.sub) } " · " (ticket.role.as_str()) " · " (ticket.org) }
        p.muted { (lang.t("会话到期：", "The session ends at: ")) (super::pages::local_time(ticket.session_exp)) }
        form method="post" action="/login/link" {
            input type="hidden" name="csrf" value=(nonce);
            input type="hidden" name="ticket" value=(query.ticket);
            button type="submit" { (lang.t("登录", "Sign in")) }
        }
    };
    let page = view::page(&ctx, lang.t("登录", "Sign in"), None, body);
    with_nonce(page.into_response(), &nonce)
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login/link`: redeems the one-time link, once, for a session token issued
/// here with the link's holder, role, unit and session end.
pub async fn link_login(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    let lang = ctx.lang;
    if let Some(refused) = stale_form(&ctx, &headers, &form.csrf) {
        return refused;
    }
    let keys = &dashboard.inner.keys;
    let refuse = |err: &AuthError| {
        tracing::info!(reason = %refusal_kind(err), "dashboard login link refused");
        form_page(
            &ctx,
            None,
            Some(&link_refusal(lang, err)),
            StatusCode::UNAUTHORIZED,
        )
    };
    let ticket = match keys.verify_login_link(&form.ticket) {
        Ok(ticket) if ticket.role == Role::Service => {
            return refuse(&AuthError::PermissionDenied("role service".to_owned()))
        }
        Ok(ticket) => ticket,
        Err(err) => return refuse(&err),
    };
    let max_age = ticket.session_exp - chrono::Utc::now().timestamp();
    if max_age <= 0 {
        return refuse(&AuthError::Expired);
    }
    match dashboard
        .inner
        .projection
        .redeem_login_link(&ticket.jti, ticket.exp)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(subject = %ticket.sub, "dashboard login link used again, refused");
            let problem = lang.t(
                "这个登录链接已经用过；请重新签发，或粘贴令牌登录。",
                "This login link was used before; issue a new one, or paste a token.",
            );
            return form_page(&ctx, None, Some(problem), StatusCode::UNAUTHORIZED);
        }
        Err(err) => {
            tracing::error!(error = %err, "redeeming a login link failed");
            return view::error_page(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.t(
                    "登录失败，请稍后再试。",
                    "Signing in failed; try again later.",
                ),
            );
        }
    }
    let lifetime = std::time::Duration::from_secs(max_age.unsigned_abs());
    let token = match keys.issue(&ticket.sub, ticket.role, &ticket.org, lifetime) {
        Ok(token) => token,
        Err(err) => return refuse(&err),
    };
    tracing::info!(subject = %ticket.sub, role = %ticket.role, org_unit = %ticket.org, "dashboard login by link");
    signed_in(&ctx, &headers, &token, max_age, None)
}

fn link_refusal(lang: super::Lang, err: &AuthError) -> String {
    match err {
        AuthError::Expired => lang
            .t(
                "这个登录链接已过期（链接 15 分钟内有效）；请重新签发。",
                "This login link has expired (links last 15 minutes); issue a new one.",
            )
            .to_owned(),
        other => refusal(lang, other),
    }
}

fn refusal_kind(err: &AuthError) -> &'static str {
    match err {
        AuthError::Expired => "expired",
        AuthError::PermissionDenied(_) => "role",
        AuthError::LifetimeTooLong { .. } => "lifetime",
        AuthError::NotYetValid | AuthError::IssuedInFuture => "not yet valid",
        _ => "invalid",
    }
}

fn refusal(lang: super::Lang, err: &AuthError) -> String {
    match err {
        AuthError::Expired => lang.t("令牌已过期。", "The token has expired."),
        AuthError::PermissionDenied(_) => lang.t(
            "服务令牌不能登录看板。",
            "A service token cannot sign in to the dashboard.",
        ),
        AuthError::LifetimeTooLong { .. } => lang.t(
            "令牌有效期超过允许的最长时间。",
            "The token lives longer than its role allows.",
        ),
        AuthError::NotYetValid | AuthError::IssuedInFuture => {
            lang.t("令牌尚未生效。", "The token is not valid yet.")
        }
        _ => lang.t("令牌无效。", "The token is not valid."),
    }
    .to_owned()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: clears the session cookie; 403 without the session's CSRF token.
pub async fn logout(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    if let Some(refused) = dashboard.csrf_refusal(&ctx, &session, &form.csrf) {
        return refused;
    }
    tracing::info!(subject = %session.caller.subject, "dashboard logout");
    let mut response = see_other("/login");
    let cleared = format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        secure(&headers)
    );
    response
        .headers_mut()
        .append(SET_COOKIE, HeaderValue::from_str(&cleared).expect("ASCII"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            local_path(Some("/unit/xingfu?period=202611")),
            "/unit/xingfu?period=202611"
        );
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn csrf_depends_on_key_and_session() {
        let a = csrf_of(b"k1", "t1");
        assert_ne!(a, csrf_of(b"k2", "t1"));
        assert_ne!(a, csrf_of(b"k1", "t2"));
        assert!(same(&a, &csrf_of(b"k1", "t1")));
        assert!(!same(&a, ""));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; civitas_lang=en"));
        headers.append(COOKIE, HeaderValue::from_static("civitas_session=x.y.z"));
        assert_eq!(cookie(&headers, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("x.y.z"));
        assert_eq!(cookie(&headers, "b"), None);
    }
}
