//! Transfers between communities of the district. The sending community releases a
//! resident to another community; until that community accepts, the resident stays
//! the sender's (who may withdraw the release). The receiving community's staff accept
//! into one of their households: the accepting event is written in the receiving
//! community, so the resident's stream, personal data and history are its from then on,
//! and the resident's key row moves with the event in the same transaction.

use civitas_kernel::command::load;
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_proto::convert::date_from_pb;
use civitas_proto::residents::v1 as api;

use super::{parse_resident_id, resident_target, Residents};
use crate::domain::{
    Household, HouseholdFacts, HouseholdId, Resident, ResidentCommand, ResidentId, ValidationError,
};
use crate::error::ServiceError;
use crate::keystore::KeyStore;

impl Residents {
    /// Releases a resident of the caller's community to move to another community.
    pub async fn release_resident(
        &self,
        caller: &Caller,
        req: api::ReleaseResidentRequest,
    ) -> Result<api::ReleaseResidentResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "ReleaseResident",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |ctx| {
                    let to = required(&req.to_community, "to_community")?;
                    if self.shell.tree().path_of(to).is_none() {
                        let e = ValidationError::new(
                            "to_community",
                            "is not a community of the district",
                        );
                        return Err(e.into());
                    }
                    Ok(ResidentCommand::Release {
                        to_community: to.to_owned(),
                        own_community: ctx.org().community.clone(),
                    })
                },
            )
            .await?;
        Ok(api::ReleaseResidentResponse {
            result: Some(result),
        })
    }

    /// Takes back a release the receiving community has not accepted.
    pub async fn withdraw_release(
        &self,
        caller: &Caller,
        req: api::WithdrawReleaseRequest,
    ) -> Result<api::WithdrawReleaseResponse, ServiceError> {
        let result = self
            .on_resident(
                caller,
                "WithdrawRelease",
                req.options.as_ref(),
                &req,
                &req.resident_id,
                |_| Ok(ResidentCommand::WithdrawRelease),
            )
            .await?;
        Ok(api::WithdrawReleaseResponse {
            result: Some(result),
        })
    }

    /// Accepts a resident released to the caller's community into one of its
    /// households.
    pub async fn accept_transfer(
        &self,
        caller: &Caller,
        req: api::AcceptTransferRequest,
    ) -> Result<api::AcceptTransferResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "AcceptTransfer", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => self.accept(ctx, &req).await?,
        };
        Ok(api::AcceptTransferResponse {
            result: Some(write_result(&outcome)),
        })
    }

    async fn accept(
        &self,
        mut ctx: WriteContext,
        req: &api::AcceptTransferRequest,
    ) -> Result<civitas_kernel::AppendOutcome, ServiceError> {
        let id: ResidentId = parse_resident_id(&req.resident_id)?;
        let household_id = required(&req.household_id, "household_id")
            .and_then(|s| HouseholdId::parse("household_id", s))?;
        let moved_on = date_from_pb(req.moved_on, "moved_on")?;
        let community = ctx.org().community.clone();
        // Not `require_in`: the resident is still the sending community's. Whether
        // they were released to this one is the decider's to say; anyone else hears
        // what they would hear of any resident of another community.
        let target = resident_target(&id);
        let (recorded, org) = self.shell.read_existing(&target).await?;
        let household = load::<Household>(self.shell.store(), &household_id.stream_id())
            .await?
            .state;
        let command = ResidentCommand::AcceptTransfer {
            community: community.clone(),
            from_community: org.community,
            household_id,
            household: HouseholdFacts {
                exists: household.registered,
                community: household.community,
            },
            moved_on,
            today: ctx.today(),
        };
        ctx.command.companions.push(KeyStore::transferred(
            &id.to_string(),
            &community,
            &household_id.to_string(),
        ));
        self.shell
            .run_on::<Resident, ServiceError>(&id.stream_id(), recorded, ctx, command)
            .await
    }
}
