//! The register changes on an existing resident of the caller's community: moving out,
//! residence type, floating residence verification, care categories and erasure. Each
//! is the shell's whole path (begin → replay → target → require it is ours → command →
//! run). Moving out, revoking a care category and erasure take the steps themselves
//! ([`Residents::on_resident_with`]) to add one: a note sealed with the resident's data
//! key, and for moving out and erasure a change of the resident's key row that commits
//! with the event or not at all (moving out frees the ID number, erasure destroys the
//! key, and with it every note).

use std::future::Future;

use civitas_kernel::AppendOutcome;
use civitas_platform::auth::Caller;
use civitas_platform::command::{write_result, WriteContext};
use civitas_proto::common::v1::{WriteOptions, WriteResult};
use civitas_proto::convert::date_from_pb;
use civitas_proto::residents::v1 as api;

use super::{parse_resident_id, resident_target, Residents};
use crate::domain::{
    CareCategory, CareRevokeReason, MoveOutReason, ResidenceType, Resident, ResidentCommand,
    ResidentId,
};
use crate::error::ServiceError;
use crate::keystore::KeyStore;

impl Residents {
    /// Records that a resident left the community (a reason code is required, a note
    /// is sealed) and frees their ID number, in one transaction.
    pub async fn move_out_resident(
        &self,
        caller: &Caller,
        req: api::MoveOutResidentRequest,
    ) -> Result<api::MoveOutResidentResponse, ServiceError> {
        let result = self
            .on_resident_with(
                caller,
                "MoveOutResident",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx, id| self.move_out(ctx, id, &req),
            )
            .await?;
        Ok(api::MoveOutResidentResponse {
            result: Some(result),
        })
    }

    async fn move_out(
        &self,
        mut ctx: WriteContext,
        id: ResidentId,
        req: &api::MoveOutResidentRequest,
    ) -> Result<AppendOutcome, ServiceError> {
        let command = ResidentCommand::MoveOut {
            reason: MoveOutReason::from_pb(req.reason_code, "reason_code")?,
            note: self.sealed_note(&id, &req.note).await?,
            today: ctx.today(),
        };
        // The number is free once the move-out commits, and only then.
        ctx.command
            .companions
            .push(KeyStore::moved_out(&id.to_string()));
        self.shell
            .run::<Resident, ServiceError>(&id.stream_id(), ctx, command)
            .await
    }

    /// Switches a resident between permanent and floating residence.
    pub async fn change_residence_type(
        &self,
        caller: &Caller,
        req: api::ChangeResidenceTypeRequest,
    ) -> Result<api::ChangeResidenceTypeResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "ChangeResidenceType",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |_| {
                    Ok(ResidentCommand::ChangeResidenceType {
                        to: ResidenceType::from_pb(req.residence_type, "residence_type")?,
                    })
                },
            )
            .await?;
        Ok(api::ChangeResidenceTypeResponse {
            result: Some(result),
        })
    }

    /// Records that a floating resident's residence was checked, valid until a later day.
    pub async fn verify_floating_residence(
        &self,
        caller: &Caller,
        req: api::VerifyFloatingResidenceRequest,
    ) -> Result<api::VerifyFloatingResidenceResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "VerifyFloatingResidence",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(ResidentCommand::VerifyFloatingResidence {
                        today: ctx.today(),
                        valid_until: date_from_pb(req.valid_until, "valid_until")?,
                    })
                },
            )
            .await?;
        Ok(api::VerifyFloatingResidenceResponse {
            result: Some(result),
        })
    }

    /// Puts a resident on a care register.
    pub async fn assign_care_category(
        &self,
        caller: &Caller,
        req: api::AssignCareCategoryRequest,
    ) -> Result<api::AssignCareCategoryResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "AssignCareCategory",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    Ok(ResidentCommand::AssignCareCategory {
                        category: CareCategory::from_pb(req.category, "category")?,
                        today: ctx.today(),
                    })
                },
            )
            .await?;
        Ok(api::AssignCareCategoryResponse {
            result: Some(result),
        })
    }

    /// Takes a resident off a care register (a reason code is required, a note is
    /// sealed).
    pub async fn revoke_care_category(
        &self,
        caller: &Caller,
        req: api::RevokeCareCategoryRequest,
    ) -> Result<api::RevokeCareCategoryResponse, ServiceError> {
        let result = self
            .on_resident_with(
                caller,
                "RevokeCareCategory",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx, id| self.revoke_care(ctx, id, &req),
            )
            .await?;
        Ok(api::RevokeCareCategoryResponse {
            result: Some(result),
        })
    }

    async fn revoke_care(
        &self,
        ctx: WriteContext,
        id: ResidentId,
        req: &api::RevokeCareCategoryRequest,
    ) -> Result<AppendOutcome, ServiceError> {
        let command = ResidentCommand::RevokeCareCategory {
            category: CareCategory::from_pb(req.category, "category")?,
            reason: CareRevokeReason::from_pb(req.reason_code, "reason_code")?,
            note: self.sealed_note(&id, &req.note).await?,
        };
        self.shell
            .run::<Resident, ServiceError>(&id.stream_id(), ctx, command)
            .await
    }

    /// Forgets a resident: records the erasure and destroys their data key, in one
    /// transaction.
    pub async fn erase_resident(
        &self,
        caller: &Caller,
        req: api::EraseResidentRequest,
    ) -> Result<api::EraseResidentResponse, ServiceError> {
        let result = self
            .on_resident_with(
                caller,
                "EraseResident",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx, id| self.erase(ctx, id),
            )
            .await?;
        Ok(api::EraseResidentResponse {
            result: Some(result),
        })
    }

    async fn erase(
        &self,
        mut ctx: WriteContext,
        id: ResidentId,
    ) -> Result<AppendOutcome, ServiceError> {
        // The key goes with the erasure event or not at all: an append refused or
        // failed leaves the resident readable, and no erased resident stays readable.
        ctx.command
            .companions
            .push(KeyStore::erased(&id.to_string()));
        self.shell
            .run::<Resident, ServiceError>(&id.stream_id(), ctx, ResidentCommand::Erase)
            .await
    }

    /// The shell's steps for a command on the resident `resident_id` whose event goes
    /// with a change of the resident's key row, or needs the key: begin, replay, parse
    /// the target, require it is ours, then `command` builds and runs it.
    pub(super) async fn on_resident_with<F, Fut>(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        resident_id: &str,
        command: F,
    ) -> Result<WriteResult, ServiceError>
    where
        F: FnOnce(WriteContext, ResidentId) -> Fut,
        Fut: Future<Output = Result<AppendOutcome, ServiceError>>,
    {
        let ctx = self.shell.begin(caller, "", options, rpc, request)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let id = parse_resident_id(resident_id)?;
                self.shell
                    .require_in(&resident_target(&id), &ctx.org().community)
                    .await?;
                command(ctx, id).await?
            }
        };
        Ok(write_result(&outcome))
    }

    /// The shell's whole path for a command on the resident `resident_id`.
    pub(super) async fn on_resident(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        resident_id: &str,
        command: impl FnOnce(&WriteContext) -> Result<ResidentCommand, ServiceError>,
    ) -> Result<WriteResult, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Resident, ServiceError>(
                caller,
                rpc,
                options,
                request,
                || parse_resident_id(resident_id).map(|id| resident_target(&id)),
                command,
            )
            .await?;
        Ok(write_result(&outcome))
    }
}
