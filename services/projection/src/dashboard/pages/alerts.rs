//! The alerts list.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_proto::insights::v1 as pb;
use maud::html;

use super::super::view::{self, Ctx};
use super::super::{status_page, Dashboard, Lang};
use super::{fixed, local_time, period_form, Asked, PageQuery};

/// `GET /alerts?unit=&period=`: `ListAlerts`, first page.
pub async fn alerts(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
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
