//! The signed-in pages: overview and unit tables (and their CSV), an indicator's
//! trend, alerts and monthly reporting. Each reads through the Insights or Worklist
//! method the matching RPC calls, with the session's caller, so the scope checks are
//! the RPCs' own.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use civitas_proto::insights::v1 as pb;
use maud::{html, Markup};
use serde::Deserialize;

use super::session::Session;
use super::view::{self, Ctx, Who};
use super::{Dashboard, Lang};
use crate::indicators::Catalog;

mod alerts;
mod csv;
mod indicator;
mod league;
mod reporting;
mod unit;

pub use alerts::alerts;
pub use indicator::indicator;
pub use league::{league, league_csv};
pub use reporting::{approve, reporting, reporting_csv};
pub use unit::{overview, unit};

/// The query of the table pages.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    period: Option<String>,
    unit: Option<String>,
    month: Option<String>,
    /// The community just approved (after `POST /reporting/approve`).
    approved: Option<String>,
}

/// What a table page asks for: the session, the period and the unit.
struct Asked {
    session: Session,
    period: String,
    unit: String,
}

impl Dashboard {
    /// The session, the period (`default` when none is asked) and the unit (the
    /// session's own when none is asked) of a page request; or the page to answer
    /// instead: the login page without a session, 400 for a period not offered.
    fn asked(
        &self,
        ctx: &Ctx,
        headers: &HeaderMap,
        query: &PageQuery,
        default: &str,
    ) -> Result<Asked, Box<Response>> {
        self.asked_as(ctx, headers, query, query.period.as_deref(), default)
    }

    /// As [`Dashboard::asked`], with the period read from `period` (a page that names
    /// its parameter otherwise, as the reporting page's `month`).
    fn asked_as(
        &self,
        ctx: &Ctx,
        headers: &HeaderMap,
        query: &PageQuery,
        period: Option<&str>,
        default: &str,
    ) -> Result<Asked, Box<Response>> {
        let Some(session) = self.session(headers) else {
            return Err(Box::new(super::session::to_login(ctx)));
        };
        let Some(period) = period_param(period, default) else {
            return Err(Box::new(bad_period(ctx)));
        };
        let unit = query.unit_or_own(&session);
        Ok(Asked {
            session,
            period,
            unit,
        })
    }
}

impl PageQuery {
    /// The unit asked for, else the session's own.
    fn unit_or_own(&self, session: &Session) -> String {
        match &self.unit {
            Some(unit) if !unit.is_empty() => unit.clone(),
            _ => session.caller.org_unit.clone(),
        }
    }
}

/// The periods the tables offer: relative ones, a month `YYYYMM` or a year `YYYY`.
pub(super) fn period_param(text: Option<&str>, default: &str) -> Option<String> {
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(default);
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    let month_ok = || {
        text[4..]
            .parse::<u32>()
            .is_ok_and(|m| (1..=12).contains(&m))
    };
    match text {
        "THIS_MONTH" | "LAST_MONTH" | "THIS_YEAR" => Some(text.to_owned()),
        _ if digits && text.len() == 4 => Some(text.to_owned()),
        _ if digits && text.len() == 6 && month_ok() => Some(text.to_owned()),
        _ => None,
    }
}

/// The district's today.
fn today() -> chrono::NaiveDate {
    crate::rules::district_date(Utc::now())
}

/// A period of [`period_param`] as a fixed DHIS2 id (what `ListAlerts` takes).
fn fixed(period: &str) -> String {
    let today = today();
    match period {
        "THIS_MONTH" => today.format("%Y%m").to_string(),
        "LAST_MONTH" => today
            .with_day(1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(today)
            .format("%Y%m")
            .to_string(),
        "THIS_YEAR" => today.year().to_string(),
        p => p.to_owned(),
    }
}

/// The month a 12-month trend ends with for a period of [`period_param`].
fn trend_end(period: &str) -> String {
    match period {
        "THIS_YEAR" => "THIS_MONTH".to_owned(),
        p if p.len() == 4 && p == today().year().to_string() => "THIS_MONTH".to_owned(),
        p if p.len() == 4 => format!("{p}12"),
        p => p.to_owned(),
    }
}

/// The catalog's headline indicators: the first indicator of each measurable standard
/// of the plan, in the standards' order; the first six indicators for a catalog
/// without standards.
pub fn headline(catalog: &Catalog) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for standard in catalog.standards() {
        if let crate::indicators::Measure::Indicators(parts) = &standard.measure {
            if let Some(first) = parts.first() {
                if !codes.contains(&first.code) {
                    codes.push(first.code.clone());
                }
            }
        }
    }
    if codes.is_empty() {
        codes = catalog
            .indicators()
            .iter()
            .take(6)
            .map(|i| i.code.clone())
            .collect();
    }
    codes
}

impl Dashboard {
    fn who<'a>(&self, session: &'a Session, lang: Lang) -> Who<'a> {
        Who {
            subject: &session.caller.subject,
            role: role_name(lang, session.caller.role.as_str()).to_owned(),
            org_unit: &session.caller.org_unit,
            csrf: session.csrf(&self.inner.csrf_key),
        }
    }

    fn unit_name(&self, code: &str) -> String {
        self.inner
            .tree
            .unit(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_owned())
    }

    /// The units from the root down to `code` that the caller may read, for the
    /// breadcrumb.
    fn trail(&self, session: &Session, code: &str) -> Vec<(String, String)> {
        let tree = &self.inner.tree;
        let mut trail = Vec::new();
        let mut at = tree.unit(code);
        while let Some(unit) = at {
            if session.caller.authorize_read(&unit.code, tree).is_ok() {
                trail.push((unit.code.clone(), unit.name.clone()));
            }
            at = unit.parent.as_deref().and_then(|p| tree.unit(p));
        }
        trail.reverse();
        trail
    }

    /// Whether `code` has units below it.
    fn has_children(&self, code: &str) -> bool {
        !self.inner.tree.children(code).is_empty()
    }

    /// The headline indicators for the unit and its children (`GetIndicators`).
    async fn table(
        &self,
        session: &Session,
        unit: &str,
        period: &str,
    ) -> Result<pb::GetIndicatorsResponse, tonic::Status> {
        let request = pb::GetIndicatorsRequest {
            org_unit: unit.to_owned(),
            period: period.to_owned(),
            indicators: headline(self.inner.projection.catalog()),
        };
        self.inner
            .insights
            .get_indicators(&session.caller, request)
            .await
    }
}

fn role_name(lang: Lang, role: &str) -> &'static str {
    match (lang, role) {
        (Lang::Zh, "staff") => "社区工作人员",
        (Lang::Zh, "district") => "区/街道",
        (Lang::Zh, "analyst") => "分析员",
        (Lang::Zh, "admin") => "管理员",
        (Lang::En, "staff") => "staff",
        (Lang::En, "district") => "district office",
        (Lang::En, "analyst") => "analyst",
        (Lang::En, "admin") => "admin",
        _ => "",
    }
}

fn bad_period(ctx: &Ctx) -> Response {
    view::error_page(
        ctx,
        StatusCode::BAD_REQUEST,
        ctx.lang.t(
            "期间应为 THIS_MONTH、LAST_MONTH、THIS_YEAR、YYYYMM 或 YYYY。",
            "The period is THIS_MONTH, LAST_MONTH, THIS_YEAR, YYYYMM or YYYY.",
        ),
    )
}

/// The period selector: the relative periods and a field for `YYYYMM` / `YYYY`.
fn period_form(lang: Lang, action: &str, period: &str, month_only: bool) -> Markup {
    let name = if month_only { "month" } else { "period" };
    let choices: &[&str] = if month_only {
        &["THIS_MONTH", "LAST_MONTH"]
    } else {
        &["THIS_MONTH", "LAST_MONTH", "THIS_YEAR"]
    };
    html! {
        form method="get" action=(action) {
            @for choice in choices {
                @if *choice == period { strong { (lang.period(choice)) } } @else {
                    a href=(format!("{action}?{name}={choice}")) { (lang.period(choice)) }
                }
                " "
            }
            label { (lang.t("或期间", "or period")) " "
                input type="text" name=(name) size="8" pattern=(if month_only { "[0-9]{6}" } else { "[0-9]{4}([0-9]{2})?" })
                    placeholder=(if month_only { "YYYYMM" } else { "YYYYMM / YYYY" })
                    value=(if choices.contains(&period) { "" } else { period });
            }
            " " button type="submit" { (lang.t("查看", "Show")) }
        }
    }
}

/// JSON safe inside a `<script>` element.
pub(super) fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// An instant in district time, `YYYY-MM-DD HH:MM`.
pub(super) fn local_time(seconds: i64) -> String {
    let district = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| {
            t.with_timezone(&district)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_the_offered_ones() {
        assert_eq!(
            period_param(None, "THIS_MONTH").as_deref(),
            Some("THIS_MONTH")
        );
        assert_eq!(
            period_param(Some("202611"), "THIS_MONTH").as_deref(),
            Some("202611")
        );
        assert_eq!(
            period_param(Some("2026"), "THIS_MONTH").as_deref(),
            Some("2026")
        );
        assert_eq!(period_param(Some("202613"), "THIS_MONTH"), None);
        assert_eq!(period_param(Some("2026Q4"), "THIS_MONTH"), None);
        assert_eq!(period_param(Some("<script>"), "THIS_MONTH"), None);
        assert_eq!(trend_end("2020"), "202012");
        assert_eq!(trend_end("THIS_YEAR"), "THIS_MONTH");
        assert_eq!(fixed("202611"), "202611");
    }

    #[test]
    fn headline_is_one_indicator_per_measurable_standard() {
        let catalog = Catalog::shipped().unwrap();
        let codes = headline(&catalog);
        assert!(codes.len() >= 5, "{codes:?}");
        assert!(codes.iter().all(|c| catalog.indicator(c).is_some()));
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = serde_json::json!({"n": "</script><b>&"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('&'), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
