//! The league table: the communities of a street or the district ranked on the plan's
//! scorecard (`ListLeagueTable`), one column per standard.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_platform::org::OrgLevel;
use civitas_proto::insights::v1 as pb;
use maud::html;

use super::super::session::to_login;
use super::super::view::{self, Ctx};
use super::super::{status_page, Dashboard, Lang};
use super::{bad_period, period_form, period_param, PageQuery};

/// `GET /league?unit=&period=`: `ListLeagueTable` for the unit (a street or the
/// district; the caller's own by default), this year unless another period is asked.
pub async fn league(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    let Some(period) = period_param(query.period.as_deref(), "THIS_YEAR") else {
        return bad_period(&ctx);
    };
    let unit = query.unit_or_own(&session);
    let insights = &dashboard.inner.insights;
    let is_community = dashboard
        .inner
        .tree
        .unit(&unit)
        .is_some_and(|u| u.level == OrgLevel::Community);
    // A community has no league of its own: it sees its scorecard, unranked.
    let answer = if is_community {
        let request = pb::GetScorecardRequest {
            org_unit: unit.clone(),
            period: period.clone(),
        };
        insights
            .get_scorecard(&session.caller, request)
            .await
            .map(|card| pb::ListLeagueTableResponse {
                rows: vec![pb::LeagueRow {
                    rank: 0,
                    scorecard: card.scorecard,
                }],
                period: card.period,
            })
    } else {
        let request = pb::ListLeagueTableRequest {
            org_unit: unit.clone(),
            period: period.clone(),
        };
        insights.list_league_table(&session.caller, request).await
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(status) => return status_page(&ctx, &status),
    };
    let unit_name = dashboard.unit_name(&unit);
    let title = format!("{} · {unit_name}", lang.t("创建评分排名", "League table"));
    // The standards' names from the first row (every row has the eight, in order).
    let standards: Vec<&pb::StandardScore> = answer
        .rows
        .first()
        .and_then(|r| r.scorecard.as_ref())
        .map(|s| s.standards.iter().collect())
        .unwrap_or_default();
    let body = html! {
        h1 { (lang.t("创建评分排名", "League table")) " " span.muted { (unit_name) " · " (lang.period(&period)) } }
        p.muted { (lang.t(
            "按创建实施方案八项具体目标评分：每项为其指标对目标的完成度加权平均（0–100），达到及格线为达标；“—”表示该项暂无法衡量或尚无数据。",
            "Scored on the plan's eight standards: each is the weighted mean of its indicators' achievement against target (0–100), passed at its pass mark; “—” means not measurable yet or no data."
        )) }
        (period_form(lang, "/league", &period, false))
        @if answer.rows.is_empty() {
            p.muted { (lang.t("这个单位下没有社区。", "There are no communities under this unit.")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("名次", "Rank")) }
                    th scope="col" { (lang.t("社区", "Community")) }
                    th scope="col" { (lang.t("平均分", "Mean score")) }
                    th scope="col" { (lang.t("达标/可衡量", "Passed / measurable")) }
                    @for s in &standards {
                        th scope="col" title=(lang.t(&s.name_zh, &s.name_en)) { "(" (s.number) ")" }
                    }
                } }
                tbody { @for row in &answer.rows {
                    @if let Some(card) = &row.scorecard {
                        tr {
                            td.num { @if row.rank > 0 { (row.rank) } @else { "—" } }
                            th scope="row" { a href=(format!("/unit/{}?period={period}", card.org_unit)) { (card.name) } }
                            td.num { span.v { (view::value(card.mean_score, 1)) } }
                            td.num { (card.passed) " / " (card.measurable) }
                            @for s in &card.standards { (standard_cell(lang, s)) }
                        }
                    }
                } }
            }
            h2 { (lang.t("八项标准", "The eight standards")) }
            ol { @for s in &standards {
                li { (lang.t(&s.name_zh, &s.name_en))
                    @if !s.measurable { " " span.muted { "（" (lang.t(&s.reason_zh, &s.reason_en)) "）" } }
                    @else { " " span.muted { (lang.t("及格线", "pass mark")) " " (view::plain(s.pass_mark)) } }
                }
            } }
        }
    };
    let who = dashboard.who(&session, lang);
    view::page(&ctx, &title, Some(who), body).into_response()
}

/// One standard's score with whether it passed, in words as well as colour.
fn standard_cell(lang: Lang, s: &pb::StandardScore) -> maud::Markup {
    let verdict = match s.passed {
        Some(true) => lang.t("达标", "passed"),
        Some(false) => lang.t("未达标", "not passed"),
        None if !s.measurable => lang.t("不可衡量", "not measurable"),
        None => lang.t("无数据", "no data"),
    };
    let class = match s.passed {
        Some(true) => "num better",
        Some(false) => "num worse",
        None => "num muted",
    };
    html! {
        td class=(class) data-standard=(s.number) { (view::value(s.score, 0)) br; span.t { (verdict) } }
    }
}
