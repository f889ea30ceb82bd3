//! An indicator's 12-month trend and its numerators and denominators.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_proto::insights::v1 as pb;
use maud::{html, PreEscaped};

use super::super::view::{self, Ctx};
use super::super::{assets, status_page, Dashboard};
use super::{period_form, script_json, trend_end, Asked, PageQuery};

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
    let Asked {
        session,
        period,
        unit,
    } = match dashboard.asked(&ctx, &headers, &query, "THIS_MONTH") {
        Ok(asked) => asked,
        Err(page) => return *page,
    };
    let catalog = dashboard.inner.projection.catalog();
    let Some(ind) = catalog.indicator(&code) else {
        return view::error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            lang.t("目录中没有这个指标。", "The catalog has no such indicator."),
        );
    };
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
        script src=(format!("/assets/echarts.min.js?v={}", assets::ECHARTS_VERSION)) {}
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
