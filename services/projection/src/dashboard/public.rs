//! `GET /c/{community}`: the community's public page (the plan's 社区网站), without a
//! login. It shows only aggregate figures and public texts the projection holds:
//! upcoming activities (title, kind, time, places), the latest publicity board updates
//! (day, topic, text), the good deeds standing published (title, story, day), the
//! volunteer teams (name, purpose, kind of service, member count), the month's headline
//! indicators and counts (good deeds published, publicity board updates, volunteers).
//! No personal data, not even pseudonymous ids: nothing per person is read at all; the
//! figures and activities go through the RPC methods as an analyst of the community
//! would make them, which see aggregates and lists only, and the public records through
//! [`crate::Projection::community_notices`], which reads no id. Texts are staff's, written
//! for publication (a deed only once reviewed), and escaped like every text here.

use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgLevel;
use civitas_proto::insights::v1 as pb;
use maud::html;

use super::pages::{headline, local_time};
use super::view::{self, Ctx};
use super::{status_page, Dashboard};

/// The counts the page shows from the month's KPI values.
const COUNTS: [&str; 6] = [
    "activities.held",
    "activities.attendance",
    "good_deeds.published",
    "publicity.board_updates",
    "volunteers.registered",
    "volunteering.approved_minutes",
];

/// The community page.
pub async fn community(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    Path(code): Path<String>,
) -> Response {
    let lang = ctx.lang;
    let tree = &dashboard.inner.tree;
    let Some(unit) = tree.unit(&code).filter(|u| u.level == OrgLevel::Community) else {
        return view::error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            lang.t("没有这个社区。", "There is no such community."),
        );
    };
    // The page reads as an analyst of this community: aggregates and lists only.
    let public = Caller {
        subject: "dashboard-public".to_owned(),
        role: Role::Analyst,
        org_unit: unit.code.clone(),
    };
    let inner = &dashboard.inner;
    let month = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y%m")
        .to_string();
    let activities = inner
        .worklist
        .list_upcoming_activities(
            &public,
            pb::ListUpcomingActivitiesRequest {
                org_unit: unit.code.clone(),
                page_size: 20,
                ..Default::default()
            },
        )
        .await;
    let indicators = inner
        .insights
        .get_indicators(
            &public,
            pb::GetIndicatorsRequest {
                org_unit: unit.code.clone(),
                period: month.clone(),
                indicators: headline(inner.projection.catalog()),
            },
        )
        .await;
    let kpis = inner
        .insights
        .get_kpis(
            &public,
            pb::GetKpisRequest {
                org_unit: unit.code.clone(),
                period: month.clone(),
            },
        )
        .await;
    let (activities, indicators, kpis) = match (activities, indicators, kpis) {
        (Ok(a), Ok(i), Ok(k)) => (a, i, k),
        (Err(status), _, _) | (_, Err(status), _) | (_, _, Err(status)) => {
            return status_page(&ctx, &status)
        }
    };
    let notices = match inner.projection.community_notices(&unit.code).await {
        Ok(notices) => notices,
        Err(e) => return status_page(&ctx, &tonic::Status::from(e)),
    };
    let none_yet = lang.t("暂无", "None yet");
    let catalog = inner.projection.catalog();
    let own_values = kpis.org_unit.map(|u| u.values).unwrap_or_default();
    let count = |code: &str| {
        own_values
            .iter()
            .find(|v| v.element == code)
            .map(|v| v.value)
    };
    let body = html! {
        h1 { (unit.name) }
        p.muted { (lang.t("社区公开信息：只含汇总数字和公开内容。", "The community's public page: aggregate figures and public texts only.")) }
        h2 { (lang.t("近期活动", "Upcoming activities")) }
        @if activities.activities.is_empty() {
            p.muted { (lang.t("近期没有已安排的活动。", "No activities scheduled soon.")) }
        } @else {
            table {
                thead { tr {
                    th { (lang.t("活动", "Activity")) } th { (lang.t("类别", "Kind")) }
                    th { (lang.t("开始", "Starts")) } th { (lang.t("结束", "Ends")) }
                    th { (lang.t("名额", "Places")) } th { (lang.t("已报名", "Registered")) }
                } }
                tbody { @for a in &activities.activities { tr {
                    td { (a.title) }
                    td { (category(catalog, lang, &a.category)) }
                    td { (a.starts_at.as_ref().map(|t| local_time(t.seconds)).unwrap_or_default()) }
                    td { (a.ends_at.as_ref().map(|t| local_time(t.seconds)).unwrap_or_default()) }
                    td.num { @if a.capacity > 0 { (a.capacity) } @else { "—" } }
                    td.num { (a.registered) }
                } } }
            }
        }
        h2 { (lang.t("宣传栏", "Publicity boards")) }
        @if notices.board_updates.is_empty() {
            p.muted { (none_yet) }
        } @else {
            table {
                thead { tr {
                    th { (lang.t("日期", "Date")) } th { (lang.t("主题", "Topic")) }
                    th { (lang.t("内容", "Content")) }
                } }
                tbody { @for u in &notices.board_updates { tr {
                    td { (u.updated_on) }
                    td { (board_topic(lang, &u.topic)) }
                    td { (u.text) }
                } } }
            }
        }
        h2 { (lang.t("好人好事", "Good deeds")) }
        @if notices.deeds.is_empty() {
            p.muted { (none_yet) }
        } @else {
            @for d in &notices.deeds {
                article.deed {
                    h3 { (d.title) " " span.muted { (d.happened_on) } }
                    p { (d.story) }
                }
            }
        }
        h2 { (lang.t("志愿服务队", "Volunteer teams")) }
        @if notices.teams.is_empty() {
            p.muted { (none_yet) }
        } @else {
            table {
                thead { tr {
                    th { (lang.t("服务队", "Team")) } th { (lang.t("宗旨", "Purpose")) }
                    th { (lang.t("服务类别", "Kind of service")) } th { (lang.t("队员人数", "Members")) }
                } }
                tbody { @for t in &notices.teams { tr {
                    td { (t.name) }
                    td { (t.purpose) }
                    td { (service_category(lang, &t.category)) }
                    td.num { (t.members) }
                } } }
            }
        }
        h2 { (lang.t("本月数字", "This month in figures")) " " span.muted { (lang.period(&month)) } }
        table {
            tbody {
                @for code in COUNTS {
                    @if let Some(element) = catalog.element(code) {
                        tr {
                            th scope="row" { (lang.t(&element.name_zh, &element.name_en)) }
                            td.num data-element=(code) { (count(code).map(view::plain).unwrap_or_else(|| "—".to_owned())) }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("创建指标", "Headline indicators")) }
        table {
            tbody {
                @for v in indicators.org_unit.iter().flat_map(|u| &u.values) {
                    @let decimals = catalog.indicator(&v.indicator).map(|i| i.decimals).unwrap_or(0);
                    tr {
                        th scope="row" { (lang.t(&v.name_zh, &v.name_en)) }
                        td.num { (view::value(v.value, decimals)) }
                        td { @if let Some(l) = &v.legend { (lang.t(&l.label_zh, &l.label_en)) } }
                        td.muted { @if let Some(t) = v.target { (lang.t("目标 ", "target ")) (view::value(Some(t), decimals)) } }
                    }
                }
            }
        }
    };
    let mut response = view::page(&ctx, &unit.name, None, body).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// An activity category's name: the catalog's "held" element of the category names
/// it; the code otherwise.
fn category(catalog: &crate::indicators::Catalog, lang: super::Lang, code: &str) -> String {
    let kind = code.to_ascii_lowercase();
    match catalog.element(&format!("activities.held.{kind}")) {
        Some(e) => lang
            .t(&e.name_zh, &e.name_en)
            .trim_end_matches("次数")
            .trim_end_matches("场次")
            .trim_end_matches("开展数")
            .trim_end_matches(" held")
            .to_owned(),
        None => code.to_owned(),
    }
}

/// A board topic's name (the codes of `rules::activities::board_topic_code`); the code
/// itself for one this build does not know.
fn board_topic(lang: super::Lang, code: &str) -> &str {
    match code {
        "current_affairs" => lang.t("时事", "Current affairs"),
        "politics" => lang.t("政治", "Politics"),
        "economy" => lang.t("经济", "Economy"),
        "science" => lang.t("科普", "Popular science"),
        "health_education" => lang.t("健康教育", "Health education"),
        "other" => lang.t("其他", "Other"),
        code => code,
    }
}

/// A volunteer service category's name (`ServiceCategory` codes); "—" for none, the
/// code itself for one this build does not know.
fn service_category(lang: super::Lang, code: &str) -> &str {
    match code {
        "tutoring" => lang.t("学业辅导", "Tutoring"),
        "repair" => lang.t("维修", "Repairs"),
        "housekeeping" => lang.t("家政服务", "Housekeeping"),
        "stairwell_cleaning" => lang.t("楼道清洁", "Stairwell cleaning"),
        "empty_nest_care" => lang.t("关爱空巢老人", "Care for empty-nest elderly"),
        "other" => lang.t("其他", "Other"),
        "" => "—",
        code => code,
    }
}
