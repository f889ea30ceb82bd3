//! Write handlers of co-building units: registered, signing agreements, contributing.

use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_platform::write::Target;
use civitas_proto::activities::v1 as api;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::convert::date_from_pb;

use super::{community, Activities};
use crate::domain::{
    CoBuildingUnit, CoBuildingUnitId, Contribution, ContributionKind, Note, PastDate, UnitCommand,
    UnitName,
};
use crate::error::ServiceError;

impl Activities {
    /// Registers a unit of the caller's community's area.
    pub async fn register_co_building_unit(
        &self,
        caller: &Caller,
        req: api::RegisterCoBuildingUnitRequest,
    ) -> Result<api::RegisterCoBuildingUnitResponse, ServiceError> {
        let created = self
            .shell
            .create::<CoBuildingUnit, ServiceError>(
                caller,
                "RegisterCoBuildingUnit",
                &community(&req.community)?,
                req.options.as_ref(),
                &req,
                "cobuildingunit",
                |ctx| {
                    let unit_id = CoBuildingUnitId::from_uuid(uuid::Uuid::now_v7());
                    let command = UnitCommand::Register {
                        unit_id,
                        community: ctx.org().community.clone(),
                        name: UnitName::parse("name", &req.name)?,
                    };
                    Ok((unit_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RegisterCoBuildingUnitResponse {
            unit_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Records a signed (or renewed) co-building agreement.
    pub async fn sign_co_building_agreement(
        &self,
        caller: &Caller,
        req: api::SignCoBuildingAgreementRequest,
    ) -> Result<api::SignCoBuildingAgreementResponse, ServiceError> {
        let outcome = self
            .on_unit(
                caller,
                "SignCoBuildingAgreement",
                req.options.as_ref(),
                &req,
                &req.unit_id,
                |ctx| {
                    let signed_on = date_from_pb(req.signed_on, "signed_on")?;
                    Ok(UnitCommand::SignAgreement {
                        signed_on: PastDate::parse("signed_on", signed_on, ctx.today())?,
                        valid_until: date_from_pb(req.valid_until, "valid_until")?,
                    })
                },
            )
            .await?;
        Ok(api::SignCoBuildingAgreementResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Records what a unit contributed.
    pub async fn record_co_building_contribution(
        &self,
        caller: &Caller,
        req: api::RecordCoBuildingContributionRequest,
    ) -> Result<api::RecordCoBuildingContributionResponse, ServiceError> {
        let outcome = self
            .on_unit(
                caller,
                "RecordCoBuildingContribution",
                req.options.as_ref(),
                &req,
                &req.unit_id,
                |ctx| {
                    let given_on = date_from_pb(req.given_on, "given_on")?;
                    Ok(UnitCommand::RecordContribution(Contribution {
                        kind: ContributionKind::from_pb(req.kind, "kind")?,
                        given_on: PastDate::parse("given_on", given_on, ctx.today())?,
                        amount_yuan: req.amount_yuan,
                        volunteers: req.volunteers,
                        note: Note::parse("note", &req.note)?,
                    }))
                },
            )
            .await?;
        Ok(api::RecordCoBuildingContributionResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// The shell's path for a command on an existing unit.
    async fn on_unit(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&WriteOptions>,
        request: &impl prost::Message,
        unit_id: &str,
        command: impl FnOnce(&WriteContext) -> Result<UnitCommand, ServiceError>,
    ) -> Result<civitas_kernel::AppendOutcome, ServiceError> {
        self.shell
            .on_existing::<CoBuildingUnit, ServiceError>(
                caller,
                rpc,
                options,
                request,
                || {
                    let id = CoBuildingUnitId::parse("unit_id", required(unit_id, "unit_id")?)?;
                    Ok(Target::new("co-building unit", id, id.stream_id()))
                },
                command,
            )
            .await
    }
}
