//! The signed-in pages: overview and unit tables (and their CSV), an indicator's
//! trend, alerts and monthly reporting. Each reads through the Insights or Worklist
//! method the matching RPC calls, with the session's caller, so the scope checks are
//! the RPCs' own.

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use civitas_proto::insights::v1 as pb;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::session::{to_login, Session};
use super::view::{self, Ctx, Who};
use super::{status_page, Dashboard, Lang};
use crate::indicators::Catalog;

/// The query of the table pages.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    period: Option<String>,
    unit: Option<String>,
    month: Option<String>,
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

/// `GET /`: the caller's own unit.
pub async fn overview(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    let unit = session.caller.org_unit.clone();
    unit_page(&dashboard, &ctx, &session, &unit, query.period.as_deref()).await
}

/// `GET /unit/{code}` and `GET /unit/{code}.csv`.
pub async fn unit(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    match code.strip_suffix(".csv") {
        Some(code) => unit_csv(&dashboard, &ctx, &session, code, query.period.as_deref()).await,
        None => unit_page(&dashboard, &ctx, &session, &code, query.period.as_deref()).await,
    }
}

/// The period asked for (this month when none) and the unit's table for it, or the
/// page that says why not: what the unit page and its CSV both show.
async fn unit_table(
    dashboard: &Dashboard,
    ctx: &Ctx,
    session: &Session,
    code: &str,
    period: Option<&str>,
) -> Result<(String, pb::GetIndicatorsResponse), Response> {
    let Some(period) = period_param(period, "THIS_MONTH") else {
        return Err(bad_period(ctx));
    };
    match dashboard.table(session, code, &period).await {
        Ok(answer) => Ok((period, answer)),
        Err(status) => Err(status_page(ctx, &status)),
    }
}

async fn unit_page(
    dashboard: &Dashboard,
    ctx: &Ctx,
    session: &Session,
    code: &str,
    period: Option<&str>,
) -> Response {
    let lang = ctx.lang;
    let (period, answer) = match unit_table(dashboard, ctx, session, code, period).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let catalog = dashboard.inner.projection.catalog();
    let codes = headline(catalog);
    let Some(own) = &answer.org_unit else {
        return status_page(ctx, &tonic::Status::internal("no unit row"));
    };
    let title = format!("{} · {}", own.name, lang.period(&period));
    let body = html! {
        nav aria-label=(lang.t("层级", "Levels")) {
            @for (i, (code, name)) in dashboard.trail(session, &own.code).iter().enumerate() {
                @if i > 0 { " › " }
                a href=(format!("/unit/{code}?period={period}")) { (name) }
            }
        }
        h1 { (own.name) " " span.muted { (lang.level(&own.level)) " · " (lang.period(&period)) } }
        (period_form(lang, &format!("/unit/{}", own.code), &period, false))
        (freshness(lang, &answer.freshness, answer.applied_events))
        p { a href=(format!("/unit/{}.csv?period={period}", own.code)) download { (lang.t("下载 CSV（Excel 可直接打开）", "Download CSV (opens in Excel)")) } }
        table {
            caption.muted { (lang.t(
                "每格：数值（图例档位）与上期比较箭头，下行为年度目标及是否达标。",
                "Each cell: the value (legend band) and an arrow against the previous period; below, the year's target and whether it is met."
            )) }
            thead { tr {
                th scope="col" { (lang.t("单位", "Unit")) }
                @for code in &codes {
                    @if let Some(ind) = catalog.indicator(code) {
                        th scope="col" { a href=(format!("/indicator/{code}?unit={}&period={period}", own.code)) { (lang.t(&ind.name_zh, &ind.name_en)) } }
                    }
                }
            } }
            tbody {
                tr.self {
                    th scope="row" { (own.name) " " span.muted { "(" (lang.t("合计", "total")) ")" } }
                    (cells(lang, catalog, &codes, own))
                }
                @for child in &answer.children {
                    tr {
                        th scope="row" {
                            a href=(format!("/unit/{}?period={period}", child.code)) { (child.name) }
                            @if dashboard.has_children(&child.code) { " ›" }
                        }
                        (cells(lang, catalog, &codes, child))
                    }
                }
            }
        }
    };
    let who = dashboard.who(session, lang);
    view::page_with(ctx, &title, Some(who), &dashboard.inner.legend_css, body).into_response()
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

/// The cells of one unit's row, in the order of `codes`.
fn cells(lang: Lang, catalog: &Catalog, codes: &[String], row: &pb::OrgUnitIndicators) -> Markup {
    html! {
        @for code in codes {
            @let decimals = catalog.indicator(code).map(|i| i.decimals).unwrap_or(0);
            @match row.values.iter().find(|v| &v.indicator == code) {
                Some(v) => {
                    @let class = match v.legend.as_ref().and_then(|l| view::colour_hex(&l.colour)) {
                        Some(hex) => format!("cell num lg-{hex}"),
                        None => "cell num".to_owned(),
                    };
                    td class=(class) data-unit=(row.code) data-indicator=(code) {
                        span.v { (view::value(v.value, decimals)) }
                        @if let Some(legend) = &v.legend {
                            " " span.band { "（" (lang.t(&legend.label_zh, &legend.label_en)) "）" }
                        }
                        (arrow(lang, v, decimals))
                        br;
                        span.t {
                            @match v.target {
                                Some(target) => {
                                    (lang.t("目标 ", "target ")) (view::value(Some(target), decimals))
                                    @if v.value.is_some() {
                                        " " (if v.target_met { lang.t("✓ 达标", "✓ met") } else { lang.t("✗ 未达标", "✗ not met") })
                                    }
                                }
                                None => (lang.t("无目标", "no target")),
                            }
                        }
                    }
                }
                None => td.cell data-unit=(row.code) data-indicator=(code) { span.v { "—" } },
            }
        }
    }
}

/// ↑ ↓ → against the previous period, coloured better/worse and titled with the
/// previous value; nothing when either period has no value.
fn arrow(lang: Lang, v: &pb::IndicatorValue, decimals: u32) -> Markup {
    let Some(trend) = &v.trend else {
        return html! {};
    };
    let (glyph, class) = match pb::TrendDirection::try_from(trend.direction) {
        Ok(pb::TrendDirection::Up) => (
            "↑",
            if trend.better {
                "arrow better"
            } else {
                "arrow worse"
            },
        ),
        Ok(pb::TrendDirection::Down) => (
            "↓",
            if trend.better {
                "arrow better"
            } else {
                "arrow worse"
            },
        ),
        Ok(pb::TrendDirection::Flat) => ("→", "arrow"),
        _ => return html! {},
    };
    let title = format!(
        "{} {} {}",
        lang.t("上期", "previous"),
        trend.previous_period,
        view::value(trend.previous_value, decimals)
    );
    html! { span class=(class) title=(title) aria-label=(title) { (glyph) } }
}

/// "Figures complete up to HH:MM:SS": the earliest instant up to which every source
/// service's events are applied, in district time.
fn freshness(lang: Lang, sources: &[pb::SourceFreshness], applied: u64) -> Markup {
    let district = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let complete = sources
        .iter()
        .filter_map(|s| s.complete_up_to.as_ref())
        .filter_map(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .min();
    let unknown = sources.is_empty()
        || sources.iter().any(|s| {
            s.state == pb::FreshnessState::NotObserved as i32 || s.complete_up_to.is_none()
        });
    let behind: Vec<&str> = sources
        .iter()
        .filter(|s| s.state == pb::FreshnessState::Behind as i32)
        .map(|s| s.service.as_str())
        .collect();
    html! {
        p.fresh {
            @match complete {
                Some(at) => {
                    @let at = at.with_timezone(&district);
                    @let shown = if at.date_naive() == today() { at.format("%H:%M:%S").to_string() } else { at.format("%Y-%m-%d %H:%M:%S").to_string() };
                    (lang.t("数据完整至 ", "Figures complete up to ")) time datetime=(at.to_rfc3339()) { (shown) }
                    @if unknown { (lang.t("（部分服务尚未核对）", " (some services not compared yet)")) }
                }
                None => (lang.t("数据完整性尚未核对", "Completeness not compared with the services yet")),
            }
            @if !behind.is_empty() {
                " · " (lang.t("尚在追赶：", "catching up: ")) (behind.join(", "))
            }
            " · " (lang.t("已应用事件 ", "events applied ")) (applied)
        }
    }
}

/// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

async fn unit_csv(
    dashboard: &Dashboard,
    ctx: &Ctx,
    session: &Session,
    code: &str,
    period: Option<&str>,
) -> Response {
    let lang = ctx.lang;
    let (period, answer) = match unit_table(dashboard, ctx, session, code, period).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let catalog = dashboard.inner.projection.catalog();
    let codes = headline(catalog);
    let mut header = vec![
        lang.t("单位代码", "unit code").to_owned(),
        lang.t("单位", "unit").to_owned(),
        lang.t("层级", "level").to_owned(),
        lang.t("期间", "period").to_owned(),
    ];
    for code in &codes {
        let name = catalog
            .indicator(code)
            .map(|i| lang.t(&i.name_zh, &i.name_en).to_owned())
            .unwrap_or_else(|| code.clone());
        header.push(name.clone());
        header.push(format!("{name} {}", lang.t("目标", "target")));
    }
    let mut out = String::from("\u{feff}");
    let mut line = |fields: &[String]| {
        let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    };
    line(&header);
    for row in answer.org_unit.iter().chain(&answer.children) {
        let mut fields = vec![
            row.code.clone(),
            row.name.clone(),
            lang.level(&row.level).to_owned(),
            period.clone(),
        ];
        for code in &codes {
            let decimals = catalog.indicator(code).map(|i| i.decimals).unwrap_or(0);
            let v = row.values.iter().find(|v| &v.indicator == code);
            fields.push(match v.and_then(|v| v.value) {
                Some(x) => view::value(Some(x), decimals),
                None => String::new(),
            });
            fields.push(match v.and_then(|v| v.target) {
                Some(t) => view::value(Some(t), decimals),
                None => String::new(),
            });
        }
        line(&fields);
    }
    let file = format!(
        "attachment; filename=\"{}-{}.csv\"",
        ascii_name(code),
        ascii_name(&period)
    );
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, file),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        out,
    )
        .into_response()
}

/// A file name part of letters, digits, `-` and `_` only.
fn ascii_name(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// `GET /indicator/{code}?unit=&period=`: the 12-month trend of the unit and its
/// children as a chart (and a table), and the period's numerators and denominators.
pub async fn indicator(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    let catalog = dashboard.inner.projection.catalog();
    let Some(ind) = catalog.indicator(&code) else {
        return view::error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            lang.t("目录中没有这个指标。", "The catalog has no such indicator."),
        );
    };
    let Some(period) = period_param(query.period.as_deref(), "THIS_MONTH") else {
        return bad_period(&ctx);
    };
    let unit = query
        .unit
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| session.caller.org_unit.clone());
    let insights = &dashboard.inner.insights;
    let trend = insights
        .get_indicator_trend(
            &session.caller,
            pb::GetIndicatorTrendRequest {
                org_unit: unit.clone(),
                indicator: code.clone(),
                period: trend_end(&period),
                periods: 12,
            },
        )
        .await;
    let trend = match trend {
        Ok(trend) => trend,
        Err(status) => return status_page(&ctx, &status),
    };
    let values = insights
        .get_indicators(
            &session.caller,
            pb::GetIndicatorsRequest {
                org_unit: unit.clone(),
                period: period.clone(),
                indicators: vec![code.clone()],
            },
        )
        .await;
    let values = match values {
        Ok(values) => values,
        Err(status) => return status_page(&ctx, &status),
    };
    let name = lang.t(&ind.name_zh, &ind.name_en).to_owned();
    let units: Vec<&pb::UnitTrend> = trend.org_unit.iter().chain(&trend.children).collect();
    let periods: Vec<&str> = units
        .first()
        .map(|u| u.points.iter().map(|p| p.period.as_str()).collect())
        .unwrap_or_default();
    let data = serde_json::json!({
        "periods": periods,
        "unit_label": if ind.factor == 100.0 { "%" } else { "" },
        "series": units.iter().map(|u| serde_json::json!({
            "name": u.name,
            "data": u.points.iter().map(|p| p.value).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let data = script_json(&data);
    let unit_name = dashboard.unit_name(&unit);
    let title = format!("{name} · {unit_name}");
    let body = html! {
        nav aria-label=(lang.t("层级", "Levels")) {
            @for (i, (code, uname)) in dashboard.trail(&session, &unit).iter().enumerate() {
                @if i > 0 { " › " }
                a href=(format!("/indicator/{}?unit={code}&period={period}", ind.code)) { (uname) }
            }
        }
        h1 { (name) " " span.muted { (unit_name) " · " (lang.period(&period)) } }
        @if let Some(description) = &ind.description { p.muted { (description) } }
        p { a href=(format!("/unit/{unit}?period={period}")) { (lang.t("返回单位概览", "Back to the unit's overview")) } }
        (period_form(lang, &format!("/indicator/{}", ind.code), &period, false))
        h2 { (lang.t("近 12 个月趋势", "Trend over 12 months")) }
        div id="trend-chart" role="img" aria-label=(lang.t("趋势图，数据见下表", "Trend chart; the table below holds its data")) {}
        script type="application/json" id="trend-data" { (PreEscaped(data)) }
        script src=(format!("/assets/echarts.min.js?v={}", super::assets::ECHARTS_VERSION)) {}
        script { (PreEscaped(view::CHART_SCRIPT)) }
        table {
            thead { tr {
                th scope="col" { (lang.t("单位", "Unit")) }
                @for p in &periods { th scope="col" { (p) } }
            } }
            tbody {
                @for u in &units {
                    tr {
                        th scope="row" { (u.name) }
                        @for p in &u.points { td.num { (view::value(p.value, ind.decimals)) } }
                    }
                }
            }
        }
        h2 { (lang.t("分子与分母", "Numerator and denominator")) " · " (lang.period(&period)) }
        table {
            thead { tr {
                th scope="col" { (lang.t("单位", "Unit")) }
                th scope="col" { (lang.t("数值", "Value")) }
                th scope="col" { (lang.t("分子", "Numerator")) }
                th scope="col" { (lang.t("分母", "Denominator")) }
                th scope="col" { (lang.t("系数", "Factor")) }
                th scope="col" { (lang.t("目标", "Target")) }
                th scope="col" { (lang.t("档位", "Band")) }
            } }
            tbody {
                @for (i, row) in values.org_unit.iter().chain(&values.children).enumerate() {
                    @let v = row.values.iter().find(|v| v.indicator == ind.code);
                    tr class=(if i == 0 { "self" } else { "" }) {
                        th scope="row" {
                            @if i > 0 { a href=(format!("/indicator/{}?unit={}&period={period}", ind.code, row.code)) { (row.name) } }
                            @else { (row.name) }
                        }
                        td.num data-unit=(row.code) data-indicator=(ind.code) { span.v { (view::value(v.and_then(|v| v.value), ind.decimals)) } }
                        td.num { (view::plain(v.map(|v| v.numerator).unwrap_or_default())) }
                        td.num { (view::plain(v.map(|v| v.denominator).unwrap_or_default())) }
                        td.num { (view::plain(ind.factor)) }
                        td.num { (view::value(v.and_then(|v| v.target), ind.decimals)) }
                        td { @if let Some(l) = v.and_then(|v| v.legend.as_ref()) {
                            @if let Some(hex) = view::colour_hex(&l.colour) { span class=(format!("sw-{hex}")) { "\u{a0}\u{a0}\u{a0}" } " " }
                            (lang.t(&l.label_zh, &l.label_en))
                        } }
                    }
                }
            }
        }
    };
    let who = dashboard.who(&session, lang);
    view::page_with(&ctx, &title, Some(who), &dashboard.inner.legend_css, body).into_response()
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

/// `GET /alerts?unit=&period=`: `ListAlerts`, first page.
pub async fn alerts(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    let Some(period) = period_param(query.period.as_deref(), "THIS_MONTH") else {
        return bad_period(&ctx);
    };
    let unit = query
        .unit
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| session.caller.org_unit.clone());
    let request = pb::ListAlertsRequest {
        org_unit: unit.clone(),
        period: fixed(&period),
        page_size: 200,
        page_token: String::new(),
    };
    let answer = match dashboard
        .inner
        .worklist
        .list_alerts(&session.caller, request)
        .await
    {
        Ok(answer) => answer,
        Err(status) => return status_page(&ctx, &status),
    };
    let catalog = dashboard.inner.projection.catalog();
    let unit_name = dashboard.unit_name(&unit);
    let title = format!("{} · {unit_name}", lang.t("预警", "Alerts"));
    let body = html! {
        h1 { (lang.t("预警", "Alerts")) " " span.muted { (unit_name) " · " (lang.period(&period)) } }
        (period_form(lang, "/alerts", &period, false))
        h2 { (lang.t("指标预警", "Indicator alerts")) }
        @if answer.indicator_alerts.is_empty() { p.muted { (lang.t("无。", "None.")) } } @else {
            table {
                thead { tr {
                    th { (lang.t("级别", "Severity")) } th { (lang.t("单位", "Unit")) } th { (lang.t("指标", "Indicator")) }
                    th { (lang.t("数值", "Value")) } th { (lang.t("规则", "Rule")) } th { (lang.t("说明", "Message")) }
                } }
                tbody { @for a in &answer.indicator_alerts {
                    @let decimals = catalog.indicator(&a.indicator).map(|i| i.decimals).unwrap_or(2);
                    tr {
                        td { (severity(lang, &a.severity)) }
                        td { a href=(format!("/unit/{}?period={period}", a.org_unit)) { (dashboard.unit_name(&a.org_unit)) } }
                        td { a href=(format!("/indicator/{}?unit={}&period={period}", a.indicator, a.org_unit)) {
                            (catalog.indicator(&a.indicator).map(|i| lang.t(&i.name_zh, &i.name_en).to_owned()).unwrap_or_else(|| a.indicator.clone()))
                        } }
                        td.num { (view::value(Some(a.value), decimals)) }
                        td { (a.op) " " (view::plain(a.threshold)) }
                        td { (lang.t(&a.message_zh, &a.message_en)) }
                    }
                } }
            }
        }
        h2 { (lang.t("重大事件", "Major incidents")) }
        @if answer.alerts.is_empty() { p.muted { (lang.t("无。", "None.")) } } @else {
            table {
                thead { tr {
                    th { (lang.t("报告时间", "Reported")) } th { (lang.t("社区", "Community")) } th { (lang.t("类别", "Category")) }
                    th { (lang.t("级别", "Severity")) } th { (lang.t("状态", "State")) }
                } }
                tbody { @for a in &answer.alerts { tr {
                    td { (a.reported_at.as_ref().map(|t| local_time(t.seconds)).unwrap_or_default()) }
                    td { (dashboard.unit_name(&a.community)) }
                    td { (a.category) } td { (a.severity) } td { (a.state) }
                } } }
            }
            @if !answer.next_page_token.is_empty() { p.muted { (lang.t("仅显示最近 200 条。", "Only the latest 200 are shown.")) } }
        }
        h2 { (lang.t("待走访的独居老人", "Residents living alone due for a visit")) }
        @if answer.visits_due.is_empty() { p.muted { (lang.t("无。", "None.")) } } @else {
            table {
                thead { tr { th { (lang.t("社区", "Community")) } th { (lang.t("人数", "Residents")) } th { (lang.t("未走访天数超过", "Not visited for more than (days)")) } } }
                tbody { @for v in &answer.visits_due { tr {
                    td { (dashboard.unit_name(&v.community)) } td.num { (v.residents) } td.num { (v.days) }
                } } }
            }
        }
    };
    let who = dashboard.who(&session, lang);
    view::page(&ctx, &title, Some(who), body).into_response()
}

fn severity(lang: Lang, severity: &str) -> &str {
    match severity {
        "critical" => lang.t("严重", "critical"),
        "warning" => lang.t("警告", "warning"),
        "info" => lang.t("提示", "info"),
        other => other,
    }
}

/// `GET /reporting?unit=&month=`: `GetReportingStatus`.
pub async fn reporting(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    let month = match period_param(query.month.as_deref(), "LAST_MONTH") {
        Some(m) if m != "THIS_YEAR" && m.len() != 4 => m,
        _ => return bad_period(&ctx),
    };
    let unit = query
        .unit
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| session.caller.org_unit.clone());
    let request = pb::GetReportingStatusRequest {
        org_unit: unit.clone(),
        month: month.clone(),
    };
    let answer = match dashboard
        .inner
        .insights
        .get_reporting_status(&session.caller, request)
        .await
    {
        Ok(answer) => answer,
        Err(status) => return status_page(&ctx, &status),
    };
    let unit_name = dashboard.unit_name(&unit);
    let yes_no = |b: bool| {
        if b {
            lang.t("是", "yes")
        } else {
            lang.t("否", "no")
        }
    };
    let title = format!("{} · {unit_name}", lang.t("月报", "Monthly reports"));
    let body = html! {
        h1 { (lang.t("月度报表", "Monthly reporting")) " " span.muted { (unit_name) " · " (lang.period(&answer.month)) } }
        (period_form(lang, "/reporting", &month, true))
        table {
            thead { tr {
                th { (lang.t("单位", "Unit")) } th { (lang.t("应报", "Expected")) } th { (lang.t("已报", "Received")) }
                th { (lang.t("按时", "On time")) } th { (lang.t("区已审核", "Approved")) }
                th { (lang.t("完整率 %", "Completeness %")) } th { (lang.t("及时率 %", "Timeliness %")) }
            } }
            tbody { @for (i, r) in answer.rates.iter().enumerate() { tr class=(if i == 0 { "self" } else { "" }) {
                th scope="row" { @if i > 0 { a href=(format!("/reporting?unit={}&month={month}", r.org_unit)) { (dashboard.unit_name(&r.org_unit)) } } @else { (dashboard.unit_name(&r.org_unit)) } }
                td.num { (r.expected) } td.num { (r.received) } td.num { (r.on_time) } td.num { (r.approved) }
                td.num { (view::value(Some(r.completeness), 1)) } td.num { (view::value(Some(r.timeliness), 1)) }
            } } }
        }
        h2 { (lang.t("各社区报表", "Each community's report")) }
        table {
            thead { tr {
                th { (lang.t("社区", "Community")) } th { (lang.t("已提交", "Submitted")) } th { (lang.t("首次提交", "First submitted")) }
                th { (lang.t("按时", "On time")) } th { (lang.t("提交次数", "Submissions")) } th { (lang.t("审核", "Approval")) }
                th { (lang.t("已锁定", "Locked")) } th { (lang.t("审核后变动", "Changed after approval")) }
            } }
            tbody { @for c in &answer.communities { tr {
                th scope="row" { (c.name) }
                td { (yes_no(c.submitted)) }
                td { (c.submitted_on.as_ref().map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)).unwrap_or_default()) }
                td { (yes_no(c.on_time)) } td.num { (c.submissions) }
                td { (match c.approval.as_str() { "street" => lang.t("街道已审", "street"), "district" => lang.t("区已审", "district"), _ => lang.t("未审", "none") }) }
                td { (yes_no(c.locked)) }
                td { @for l in &c.late { (l.element) ": " (view::plain(l.approved)) " → " (view::plain(l.current)) br; } }
            } } }
        }
        p.muted { (lang.t("审核操作将在后续版本提供。", "Approving from the dashboard comes later.")) }
    };
    let who = dashboard.who(&session, lang);
    view::page(&ctx, &title, Some(who), body).into_response()
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
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a"), "a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = serde_json::json!({"n": "</script><b>&"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('&'), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
