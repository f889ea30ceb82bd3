//! A monthly report's events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, payload};
use crate::domain::{ApprovalLevel, Narrative, Reason, ReportEvent, ReportMonth, ValidationError};

impl EventCodec for ReportEvent {
    fn event_type(&self) -> &'static str {
        ReportEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ReportEvent::MonthlyReportSubmitted {
                community,
                month,
                narrative,
                submission,
            } => pb::MonthlyReportSubmitted {
                community: community.clone(),
                month: month.to_string(),
                narrative: narrative.as_str().to_owned(),
                submission: *submission,
            }
            .encode_to_vec(),
            ReportEvent::MonthlyReportApproved {
                community,
                month,
                level,
                approver_unit,
            } => pb::MonthlyReportApproved {
                community: community.clone(),
                month: month.to_string(),
                level: level.to_pb() as i32,
                approver_unit: approver_unit.clone(),
            }
            .encode_to_vec(),
            ReportEvent::MonthlyReportApprovalWithdrawn {
                community,
                month,
                reason,
            } => pb::MonthlyReportApprovalWithdrawn {
                community: community.clone(),
                month: month.to_string(),
                reason: reason.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let month = |s: &str| ReportMonth::parse("month", s).map_err(v);
        match event_type {
            "MonthlyReportSubmitted" => {
                let e: pb::MonthlyReportSubmitted = payload(bytes, &fail)?;
                Ok(ReportEvent::MonthlyReportSubmitted {
                    month: month(&e.month)?,
                    narrative: Narrative::parse("narrative", &e.narrative).map_err(v)?,
                    submission: e.submission,
                    community: e.community,
                })
            }
            "MonthlyReportApproved" => {
                let e: pb::MonthlyReportApproved = payload(bytes, &fail)?;
                Ok(ReportEvent::MonthlyReportApproved {
                    month: month(&e.month)?,
                    level: ApprovalLevel::from_pb(e.level, "level").map_err(v)?,
                    community: e.community,
                    approver_unit: e.approver_unit,
                })
            }
            "MonthlyReportApprovalWithdrawn" => {
                let e: pb::MonthlyReportApprovalWithdrawn = payload(bytes, &fail)?;
                Ok(ReportEvent::MonthlyReportApprovalWithdrawn {
                    month: month(&e.month)?,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                    community: e.community,
                })
            }
            other => Err(fail(format!("unknown monthly report event {other}"))),
        }
    }
}
