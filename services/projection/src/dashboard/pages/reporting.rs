//! Monthly reporting status: completeness, timeliness and approval.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as api;
use civitas_proto::codes::ApprovalLevel;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::insights::v1 as pb;
use maud::html;
use serde::Deserialize;
use tonic::Code;

use super::super::session::{see_other, to_login, urlencode, Session};
use super::super::view::{self, Ctx};
use super::super::{status_page, Dashboard, Lang};
use super::csv::Csv;
use super::{bad_period, period_form, Asked, PageQuery};

/// `GET /reporting?unit=&month=`: `GetReportingStatus`.
pub async fn reporting(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Read {
        session,
        month,
        unit,
        answer,
    } = match read(&dashboard, &ctx, &headers, &query).await {
        Ok(read) => read,
        Err(page) => return *page,
    };
    let unit_name = dashboard.unit_name(&unit);
    // Street and district offices approve; only they see the action column.
    let can_act = session.caller.role == Role::District && dashboard.inner.activities.is_some();
    let csrf = session.csrf(&dashboard.inner.csrf_key);
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
        p { a href=(format!("/reporting.csv?unit={unit}&month={month}")) download { (lang.t("下载各社区报表 CSV", "Download each community's report as CSV")) } }
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
                @if can_act { th { (lang.t("操作", "Action")) } }
            } }
            tbody { @for c in &answer.communities { @let step = dashboard.next_step(&session, c); tr {
                th scope="row" { (c.name) }
                td { (yes_no(c.submitted)) }
                td { (c.submitted_on.as_ref().map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)).unwrap_or_default()) }
                td { (yes_no(c.on_time)) } td.num { (c.submissions) }
                td { (match c.approval.as_str() { "street" => lang.t("街道已审", "street"), "district" => lang.t("区已审", "district"), _ => lang.t("未审", "none") }) }
                td { (yes_no(c.locked)) }
                td { @for l in &c.late { (l.element) ": " (view::plain(l.approved)) " → " (view::plain(l.current)) br; } }
                @if can_act { td { @if let Some(step) = step {
                    form method="post" action="/reporting/approve" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="key" value=(hex::encode(rand::random::<[u8; 16]>()));
                        input type="hidden" name="community" value=(c.community);
                        input type="hidden" name="month" value=(answer.month);
                        input type="hidden" name="unit" value=(unit);
                        button type="submit" data-approve=(c.community) { (step_name(lang, step)) }
                    }
                } } }
            } } }
        }
        @if let Some(done) = &query.approved {
            p.better role="status" { (lang.t("已提交审核：", "Approval recorded: ")) (dashboard.unit_name(done))
                (lang.t("。表格在审核事件处理后更新。", ". The table shows it once the event is applied.")) }
        }
        @if can_act && dashboard.inner.activities.is_none() {
            p.muted { (lang.t("此看板未连接活动服务，不能在此审核；请用 gRPC 的 ApproveMonthlyReport。", "This dashboard has no connection to the activities service, so it cannot approve; use ApproveMonthlyReport over gRPC.")) }
        }
    };
    let who = dashboard.who(&session, lang);
    view::page(&ctx, &title, Some(who), body).into_response()
}

/// What the reporting page and its CSV show.
struct Read {
    session: Session,
    /// As asked (`LAST_MONTH`, `YYYYMM`).
    month: String,
    unit: String,
    answer: pb::GetReportingStatusResponse,
}

/// `GetReportingStatus` for the month and unit asked (last month and the session's
/// own unit by default), or the page to answer instead.
async fn read(
    dashboard: &Dashboard,
    ctx: &Ctx,
    headers: &HeaderMap,
    query: &PageQuery,
) -> Result<Read, Box<Response>> {
    let Asked {
        session,
        period: month,
        unit,
    } = dashboard.asked_as(ctx, headers, query, query.month.as_deref(), "LAST_MONTH")?;
    // A month: not a year.
    if month == "THIS_YEAR" || month.len() == 4 {
        return Err(Box::new(bad_period(ctx)));
    }
    let request = pb::GetReportingStatusRequest {
        org_unit: unit.clone(),
        month: month.clone(),
    };
    match dashboard
        .inner
        .insights
        .get_reporting_status(&session.caller, request)
        .await
    {
        Ok(answer) => Ok(Read {
            session,
            month,
            unit,
            answer,
        }),
        Err(status) => Err(Box::new(status_page(ctx, &status))),
    }
}

/// `GET /reporting.csv?unit=&month=`: each community's report of the month as CSV.
pub async fn reporting_csv(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = ctx.lang;
    let Read { unit, answer, .. } = match read(&dashboard, &ctx, &headers, &query).await {
        Ok(read) => read,
        Err(page) => return *page,
    };
    let mut csv = Csv::new();
    csv.line(
        &[
            lang.t("社区代码", "community code"),
            lang.t("社区", "community"),
            lang.t("月份", "month"),
            lang.t("已提交", "submitted"),
            lang.t("首次提交", "first submitted"),
            lang.t("按时", "on time"),
            lang.t("提交次数", "submissions"),
            lang.t("审核", "approval"),
            lang.t("已锁定", "locked"),
        ]
        .map(str::to_owned),
    );
    let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
    for c in &answer.communities {
        csv.line(&[
            c.community.clone(),
            c.name.clone(),
            answer.month.clone(),
            flag(c.submitted),
            c.submitted_on
                .as_ref()
                .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                .unwrap_or_default(),
            flag(c.on_time),
            c.submissions.to_string(),
            c.approval.clone(),
            flag(c.locked),
        ]);
    }
    csv.download(&format!("reporting-{unit}"), &answer.month)
}

/// The approval step this session may take on a community's report now, if any: the
/// street's on a submitted, unapproved report, the district's after the street's.
/// The service decides again when the form is sent.
impl Dashboard {
    fn next_step(&self, session: &Session, report: &pb::CommunityReport) -> Option<ApprovalLevel> {
        if !report.submitted {
            return None;
        }
        let path = self.inner.tree.path_of(&report.community)?;
        match (
            session.caller.approval_level(&path).ok()?,
            report.approval.as_str(),
        ) {
            (ApprovalLevel::Street, "") => Some(ApprovalLevel::Street),
            (ApprovalLevel::District, "street") => Some(ApprovalLevel::District),
            _ => None,
        }
    }
}

fn step_name(lang: Lang, step: ApprovalLevel) -> &'static str {
    match step {
        ApprovalLevel::District => lang.t("区审核通过", "Approve (district)"),
        _ => lang.t("街道审核通过", "Approve (street)"),
    }
}

/// The approve form.
#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    /// The form's idempotency key: sending the same form twice approves once.
    #[serde(default)]
    key: String,
    community: String,
    month: String,
    /// The unit the reporting page showed, to go back to.
    #[serde(default)]
    unit: String,
}

/// `POST /reporting/approve`: `ActivitiesService.ApproveMonthlyReport` over gRPC with
/// the session's own token, so the service's validation and scope checks decide
/// exactly as they do for any client. Back to the reporting page on success; the
/// service's refusal, in its words, otherwise.
pub async fn approve(
    State(dashboard): State<Dashboard>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(form): Form<ApproveForm>,
) -> Response {
    let lang = ctx.lang;
    let Some(session) = dashboard.session(&headers) else {
        return to_login(&ctx);
    };
    if let Some(refused) = dashboard.csrf_refusal(&ctx, &session, &form.csrf) {
        return refused;
    }
    let Some(client) = dashboard.inner.activities.clone() else {
        return view::error_page(
            &ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            lang.t(
                "此看板未连接活动服务，不能审核。",
                "This dashboard has no connection to the activities service, so it cannot approve.",
            ),
        );
    };
    let request = api::ApproveMonthlyReportRequest {
        options: Some(WriteOptions {
            idempotency_key: form.key.clone(),
            expected_version: None,
        }),
        community: form.community.clone(),
        month: form.month.clone(),
    };
    match client
        .approve_monthly_report(session.bearer(), request)
        .await
    {
        Ok(_) => {
            tracing::info!(subject = %session.caller.subject, community = %form.community, month = %form.month, "report approved from the dashboard");
            let unit = if form.unit.is_empty() {
                &session.caller.org_unit
            } else {
                &form.unit
            };
            see_other(&format!(
                "/reporting?unit={}&month={}&approved={}",
                urlencode(unit),
                urlencode(&form.month),
                urlencode(&form.community)
            ))
        }
        Err(status) => {
            let code = match status.code() {
                Code::PermissionDenied => StatusCode::FORBIDDEN,
                Code::InvalidArgument | Code::FailedPrecondition | Code::NotFound => {
                    StatusCode::BAD_REQUEST
                }
                Code::Unauthenticated => return to_login(&ctx),
                _ => StatusCode::BAD_GATEWAY,
            };
            let message = format!(
                "{}{}",
                lang.t(
                    "活动服务拒绝了审核：",
                    "The activities service refused the approval: "
                ),
                status.message()
            );
            view::error_page(&ctx, code, &message)
        }
    }
}
