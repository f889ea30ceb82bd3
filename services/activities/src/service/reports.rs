//! Write handlers of monthly reporting: staff submit their community's report; the
//! street office and then the district office approve it; the district withdraws.
//! Approvals are the one write a `district` role makes, so they take their scope from
//! [`Caller::approval_level`] instead of the staff scope of the shared shell.

use civitas_kernel::OrgPath;
use civitas_platform::auth::{AuthError, Caller};
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1::WriteOptions;

use super::{community, unexpected_event, Activities};
use crate::domain::{
    report_stream_id, ApprovalLevel, MonthlyReport, Narrative, Reason, ReportCommand, ReportEvent,
    ReportMonth,
};
use crate::error::ServiceError;

impl Activities {
    /// Submits (or resubmits, before approval) the caller's report of an ended month.
    pub async fn submit_monthly_report(
        &self,
        caller: &Caller,
        req: api::SubmitMonthlyReportRequest,
    ) -> Result<api::SubmitMonthlyReportResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &community(&req.community)?,
            req.options.as_ref(),
            "SubmitMonthlyReport",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let month = ReportMonth::parse("month", &req.month)?;
                let command = ReportCommand::Submit {
                    community: ctx.org().community.clone(),
                    month,
                    narrative: Narrative::parse("narrative", &req.narrative)?,
                    today: ctx.today(),
                };
                let stream_id = report_stream_id(&ctx.org().community, month);
                self.shell
                    .run::<MonthlyReport, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        let event = self
            .shell
            .event_at::<ReportEvent>(&outcome.stream_id, outcome.version)
            .await?;
        let ReportEvent::MonthlyReportSubmitted { submission, .. } = event else {
            return Err(unexpected_event(
                "MonthlyReportSubmitted",
                &outcome,
                event.event_type(),
            ));
        };
        Ok(api::SubmitMonthlyReportResponse {
            submission,
            result: Some(write_result(&outcome)),
        })
    }

    /// Approves a community's report at the caller's level: the street office first,
    /// then the district office.
    pub async fn approve_monthly_report(
        &self,
        caller: &Caller,
        req: api::ApproveMonthlyReportRequest,
    ) -> Result<api::ApproveMonthlyReportResponse, ServiceError> {
        let (ctx, level, month) = self.on_report(
            caller,
            "ApproveMonthlyReport",
            &req.community,
            &req.month,
            req.options.as_ref(),
            &req,
        )?;
        let stream_id = report_stream_id(&ctx.org().community, month);
        let command = ReportCommand::Approve {
            level,
            approver_unit: caller.org_unit.clone(),
        };
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                self.shell
                    .run::<MonthlyReport, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::ApproveMonthlyReportResponse {
            level: level.to_pb() as i32,
            result: Some(write_result(&outcome)),
        })
    }

    /// Withdraws every approval of a community's month (the district office only).
    pub async fn withdraw_report_approval(
        &self,
        caller: &Caller,
        req: api::WithdrawReportApprovalRequest,
    ) -> Result<api::WithdrawReportApprovalResponse, ServiceError> {
        let (ctx, level, month) = self.on_report(
            caller,
            "WithdrawReportApproval",
            &req.community,
            &req.month,
            req.options.as_ref(),
            &req,
        )?;
        if level != ApprovalLevel::District {
            return Err(AuthError::PermissionDenied(
                "only the district office may withdraw an approval".to_owned(),
            )
            .into());
        }
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let command = ReportCommand::WithdrawApproval {
                    reason: Reason::parse("reason", &req.reason)?,
                };
                let stream_id = report_stream_id(&ctx.org().community, month);
                self.shell
                    .run::<MonthlyReport, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::WithdrawReportApprovalResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// The context of an office's write on a community's report, the office's approval
    /// level and the month. A community outside the caller's reach is refused as
    /// PERMISSION_DENIED whether or not it exists, so codes cannot be probed.
    fn on_report(
        &self,
        caller: &Caller,
        rpc: &str,
        community_field: &str,
        month: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
    ) -> Result<(WriteContext, ApprovalLevel, ReportMonth), ServiceError> {
        let code = community(required(community_field, "community")?)?;
        let org: OrgPath = self.shell.tree().path_of(&code).ok_or_else(|| {
            AuthError::PermissionDenied(format!(
                "role {} of {} may not approve the reports of {code}",
                caller.role, caller.org_unit
            ))
        })?;
        let level = caller.approval_level(&org)?;
        let month = ReportMonth::parse("month", month)?;
        let ctx = WriteContext::new(caller, org, options, rpc, request)?;
        Ok((ctx, level, month))
    }
}
