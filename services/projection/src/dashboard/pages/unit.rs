//! The overview and unit tables, and their CSV download.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, FixedOffset, Utc};
use civitas_proto::insights::v1 as pb;
use maud::{html, Markup};

use super::super::session::{to_login, Session};
use super::super::view::{self, Ctx};
use super::super::{status_page, Dashboard, Lang};
use super::csv::Csv;
use super::{bad_period, headline, period_form, period_param, today, PageQuery};
use crate::indicators::Catalog;

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

/// The unit's table as CSV: the same rows and values, with the targets.
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
    let mut csv = Csv::new();
    csv.line(&header);
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
        csv.line(&fields);
    }
    csv.download(code, &period)
}
