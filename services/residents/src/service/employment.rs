//! Write handlers of re-employment help: a resident's case registered, helped, placed
//! or closed. Requests name the resident; the case id follows from it.

use civitas_kernel::values::not_in_future;
use civitas_platform::auth::Caller;
use civitas_platform::command::{write_result, WriteContext};
use civitas_platform::write::{created_id, Target};
use civitas_proto::common::v1::{Date, WriteOptions, WriteResult};
use civitas_proto::convert::date_from_pb;
use civitas_proto::residents::v1 as api;

use super::{parse_resident_id, Residents};
use crate::domain::{
    CaseClosure, CaseId, Course, JobCommand, JobSeeker, JobSeekerKind, ValidationError,
};
use crate::error::ServiceError;

/// A day of help from a request: required, not in the future.
fn past_day(
    ctx: &WriteContext,
    date: Option<Date>,
    field: &'static str,
) -> Result<chrono::NaiveDate, ValidationError> {
    not_in_future(field, date_from_pb(date, field)?, ctx.today())
}

impl Residents {
    /// Opens a resident's re-employment case (again, if an earlier one closed).
    pub async fn register_job_seeker(
        &self,
        caller: &Caller,
        req: api::RegisterJobSeekerRequest,
    ) -> Result<api::RegisterJobSeekerResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "RegisterJobSeeker", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let resident_id = parse_resident_id(&req.resident_id)?;
                let kind = JobSeekerKind::from_pb(req.kind, "kind")?;
                let resident = self
                    .resident_facts(&resident_id, &ctx.org().community)
                    .await?;
                let case_id = CaseId::of_resident(resident_id);
                let command = JobCommand::Register {
                    case_id,
                    resident_id,
                    resident,
                    kind,
                    today: ctx.today(),
                };
                self.shell
                    .run::<JobSeeker, ServiceError>(&case_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::RegisterJobSeekerResponse {
            case_id: created_id(&outcome.stream_id, "jobseeker"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Records a training course the job seeker attended.
    pub async fn record_job_training(
        &self,
        caller: &Caller,
        req: api::RecordJobTrainingRequest,
    ) -> Result<api::RecordJobTrainingResponse, ServiceError> {
        let result = self
            .on_case(
                caller,
                "RecordJobTraining",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(JobCommand::RecordTraining {
                        course: Course::parse("course", &req.course)?,
                        attended_on: past_day(ctx, req.attended_on, "attended_on")?,
                    })
                },
            )
            .await?;
        Ok(api::RecordJobTrainingResponse {
            result: Some(result),
        })
    }

    /// Records a job referral made for the job seeker.
    pub async fn record_job_referral(
        &self,
        caller: &Caller,
        req: api::RecordJobReferralRequest,
    ) -> Result<api::RecordJobReferralResponse, ServiceError> {
        let result = self
            .on_case(
                caller,
                "RecordJobReferral",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(JobCommand::RecordReferral {
                        referred_on: past_day(ctx, req.referred_on, "referred_on")?,
                    })
                },
            )
            .await?;
        Ok(api::RecordJobReferralResponse {
            result: Some(result),
        })
    }

    /// Records that the job seeker found work; the case closes as placed.
    pub async fn record_placement(
        &self,
        caller: &Caller,
        req: api::RecordPlacementRequest,
    ) -> Result<api::RecordPlacementResponse, ServiceError> {
        let result = self
            .on_case(
                caller,
                "RecordPlacement",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(JobCommand::RecordPlacement {
                        placed_on: past_day(ctx, req.placed_on, "placed_on")?,
                    })
                },
            )
            .await?;
        Ok(api::RecordPlacementResponse {
            result: Some(result),
        })
    }

    /// Closes a case without a placement.
    pub async fn close_job_seeker_case(
        &self,
        caller: &Caller,
        req: api::CloseJobSeekerCaseRequest,
    ) -> Result<api::CloseJobSeekerCaseResponse, ServiceError> {
        let result = self
            .on_case(
                caller,
                "CloseJobSeekerCase",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(JobCommand::Close {
                        reason: CaseClosure::from_pb(req.reason, "reason")?,
                        today: ctx.today(),
                    })
                },
            )
            .await?;
        Ok(api::CloseJobSeekerCaseResponse {
            result: Some(result),
        })
    }

    /// The shell's path for a command on the case of the resident a request names.
    async fn on_case(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        resident_id: &str,
        command: impl FnOnce(&WriteContext) -> Result<JobCommand, ServiceError>,
    ) -> Result<WriteResult, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<JobSeeker, ServiceError>(
                caller,
                rpc,
                options,
                request,
                || {
                    let id = CaseId::of_resident(parse_resident_id(resident_id)?);
                    Ok(Target::new(
                        "re-employment case of resident",
                        resident_id,
                        id.stream_id(),
                    ))
                },
                command,
            )
            .await?;
        Ok(write_result(&outcome))
    }
}
