//! The league table: the communities of a street or the district ranked on the plan's
//! scorecard (`ListLeagueTable`), one column per standard.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_platform::org::OrgLevel;
use civitas_proto::insights::v1 as pb;
use maud::html;

use super::super::session::Session;
use super::super::view::{self, Ctx};
use super::super::{status_page, Dashboard, Lang};
use super::csv::Csv;
use super::{period_form, Asked, PageQuery};

/// `GET /league?unit=&period=`: `ListLeagueTable` for the unit (a street or the
/// district; the caller's own by default), this year unless another period is asked.
pub async fn league(
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
    } = match dashboard.asked(&ctx, &headers, &query, "THIS_YEAR") {
        Ok(asked) => asked,
        Err(page) => return *page,
    };
    let answer = read(&dashboard, &session, &unit, &period).await;
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
        p { a href=(format!("/league.csv?unit={unit}&period={period}")) download { (lang.t("下载 CSV（Excel 可直接打开）", "Download CSV (opens in Excel)")) } }
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

/// The league table of `unit` (a street or the district), or a community's own card
/// as a one-row table with rank 0: a community has no league of its own.
async fn read(
    dashboard: &Dashboard,
    session: &Session,
    unit: &str,
    period: &str,
) -> Result<pb::ListLeagueTableResponse, tonic::Status> {
    let insights = &dashboard.inner.insights;
    let is_community = dashboard
        .inner
        .tree
        .unit(unit)
        .is_some_and(|u| u.level == OrgLevel::Community);
    if is_community {
        let request = pb::GetScorecardRequest {
            org_unit: unit.to_owned(),
            period: period.to_owned(),
        };
        let card = insights.get_scorecard(&session.caller, request).await?;
        return Ok(pb::ListLeagueTableResponse {
            rows: vec![pb::LeagueRow {
                rank: 0,
                scorecard: card.scorecard,
            }],
            period: card.period,
        });
    }
    let request = pb::ListLeagueTableRequest {
        org_unit: unit.to_owned(),
        period: period.to_owned(),
    };
    insights.list_league_table(&session.caller, request).await
}

/// `GET /league.csv?unit=&period=`: the same table as CSV.
pub async fn league_csv(
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
    } = match dashboard.asked(&ctx, &headers, &query, "THIS_YEAR") {
        Ok(asked) => asked,
        Err(page) => return *page,
    };
    let answer = match read(&dashboard, &session, &unit, &period).await {
        Ok(answer) => answer,
        Err(status) => return status_page(&ctx, &status),
    };
    let mut csv = Csv::new();
    let mut header: Vec<String> = [
        lang.t("名次", "rank"),
        lang.t("社区代码", "community code"),
        lang.t("社区", "community"),
        lang.t("期间", "period"),
        lang.t("平均分", "mean score"),
        lang.t("达标", "passed"),
        lang.t("可衡量", "measurable"),
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend((1..=8).map(|n| format!("({n})")));
    csv.line(&header);
    for row in &answer.rows {
        let Some(card) = &row.scorecard else { continue };
        let mut fields = vec![
            if row.rank > 0 {
                row.rank.to_string()
            } else {
                String::new()
            },
            card.org_unit.clone(),
            card.name.clone(),
            period.clone(),
            card.mean_score
                .map(|v| view::value(Some(v), 1))
                .unwrap_or_default(),
            card.passed.to_string(),
            card.measurable.to_string(),
        ];
        fields.extend(
            card.standards
                .iter()
                .map(|s| s.score.map(|v| view::value(Some(v), 0)).unwrap_or_default()),
        );
        csv.line(&fields);
    }
    csv.download(&format!("league-{unit}"), &period)
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
