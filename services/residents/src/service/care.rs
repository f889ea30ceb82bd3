//! Write handlers of care visits: campaigns launched and closed, visits recorded with
//! the facts the decider needs (the resident, the campaign), and referrals closed.
//! Notes are sealed with the visited resident's data key.

use std::collections::BTreeSet;

use civitas_kernel::command::folded;
use civitas_kernel::values::not_in_future;
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result};
use civitas_platform::write::{created_id, Target};
use civitas_proto::convert::date_from_pb;
use civitas_proto::residents::v1 as api;

use super::{parse_resident_id, Residents};
use crate::domain::{
    campaign_categories, CampaignCommand, CampaignFacts, CampaignId, CampaignName, CampaignPeriod,
    CampaignState, CareCampaign, CareCategory, CareNeed, CareSupport, CareVisit, ReferralOutcome,
    Resident, ResidentFacts, ResidentId, ValidationError, VisitCommand, VisitDetails, VisitId,
    VisitState, VolunteerId,
};
use crate::error::ServiceError;

/// An optional id field: `None` when blank.
fn optional_id<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match raw.trim() {
        "" => Ok(None),
        raw => parse(raw).map(Some),
    }
}

fn campaign_target(raw: &str) -> Result<Target, ValidationError> {
    let id = CampaignId::parse("campaign_id", required(raw, "campaign_id")?)?;
    Ok(Target::new("care campaign", id, id.stream_id()))
}

fn visit_target(raw: &str) -> Result<Target, ValidationError> {
    let id = VisitId::parse("visit_id", required(raw, "visit_id")?)?;
    Ok(Target::new("care visit", id, id.stream_id()))
}

impl Residents {
    /// Starts a campaign of visits in the caller's community.
    pub async fn launch_care_campaign(
        &self,
        caller: &Caller,
        req: api::LaunchCareCampaignRequest,
    ) -> Result<api::LaunchCareCampaignResponse, ServiceError> {
        let created = self
            .shell
            .create::<CareCampaign, ServiceError>(
                caller,
                "LaunchCareCampaign",
                &req.community,
                req.options.as_ref(),
                &req,
                "carecampaign",
                |ctx| {
                    let categories = req
                        .categories
                        .iter()
                        .map(|c| CareCategory::from_pb(*c, "categories"))
                        .collect::<Result<Vec<_>, _>>()?;
                    let starts_on = date_from_pb(req.starts_on, "starts_on")?;
                    let ends_on = date_from_pb(req.ends_on, "ends_on")?;
                    let campaign_id = CampaignId::from_uuid(uuid::Uuid::now_v7());
                    let command = CampaignCommand::Launch {
                        campaign_id,
                        community: ctx.org().community.clone(),
                        name: CampaignName::parse("name", &req.name)?,
                        period: CampaignPeriod::parse(starts_on, ends_on)?,
                        categories: campaign_categories(categories)?,
                    };
                    Ok((campaign_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::LaunchCareCampaignResponse {
            campaign_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Closes a campaign: no more visits are recorded in it.
    pub async fn close_care_campaign(
        &self,
        caller: &Caller,
        req: api::CloseCareCampaignRequest,
    ) -> Result<api::CloseCareCampaignResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<CareCampaign, ServiceError>(
                caller,
                "CloseCareCampaign",
                req.options.as_ref(),
                &req,
                || campaign_target(&req.campaign_id),
                |ctx| Ok(CampaignCommand::Close { today: ctx.today() }),
            )
            .await?;
        Ok(api::CloseCareCampaignResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Records a visit to a resident of the caller's community.
    pub async fn record_care_visit(
        &self,
        caller: &Caller,
        req: api::RecordCareVisitRequest,
    ) -> Result<api::RecordCareVisitResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "RecordCareVisit", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let community = ctx.org().community.clone();
                let resident_id = parse_resident_id(&req.resident_id)?;
                let visited_on = date_from_pb(req.visited_on, "visited_on")?;
                let visited_on = not_in_future("visited_on", visited_on, ctx.today())?;
                let support = req
                    .support
                    .iter()
                    .map(|s| CareSupport::from_pb(*s, "support"))
                    .collect::<Result<BTreeSet<_>, _>>()?;
                if support.is_empty() {
                    let e = ValidationError::new("support", "name what the visit brought");
                    return Err(e.into());
                }
                let need = match req.need {
                    0 => None,
                    n => Some(CareNeed::from_pb(n, "need")?),
                };
                let campaign_id =
                    optional_id(&req.campaign_id, |s| CampaignId::parse("campaign_id", s))?;
                let volunteer_id =
                    optional_id(&req.volunteer_id, |s| VolunteerId::parse("volunteer_id", s))?;
                let resident = self.resident_facts(&resident_id, &community).await?;
                let campaign = match campaign_id {
                    None => None,
                    Some(id) => Some(CampaignFacts {
                        campaign_id: id,
                        state: self.campaign_in(&id, &community).await?,
                    }),
                };
                // A resident who is not here has no key to seal with; the decider
                // refuses the visit anyway.
                let note = match resident {
                    ResidentFacts::Active => self.sealed_note(&resident_id, &req.note).await?,
                    ResidentFacts::Gone | ResidentFacts::Unknown => None,
                };
                let visit_id = VisitId::from_uuid(uuid::Uuid::now_v7());
                let command = VisitCommand::Record {
                    visit_id,
                    resident,
                    campaign,
                    details: VisitDetails {
                        resident_id,
                        visited_on,
                        campaign_id,
                        volunteer_id,
                        support,
                        need,
                        referral_opened: req.open_referral,
                        note,
                    },
                };
                self.shell
                    .run::<CareVisit, ServiceError>(&visit_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::RecordCareVisitResponse {
            visit_id: created_id(&outcome.stream_id, "carevisit"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Closes the referral a visit of the caller's community opened.
    pub async fn close_referral(
        &self,
        caller: &Caller,
        req: api::CloseReferralRequest,
    ) -> Result<api::CloseReferralResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "CloseReferral", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let target = visit_target(&req.visit_id)?;
                let outcome = ReferralOutcome::from_pb(req.outcome, "outcome")?;
                let recorded = self.shell.require_in(&target, &ctx.org().community).await?;
                let visit: VisitState = folded::<CareVisit>(&recorded)
                    .map_err(|e| anyhow::anyhow!("care visit {}: {e}", target.stream_id))?
                    .state;
                let note = match visit.resident_id {
                    Some(resident) => self.sealed_note(&resident, &req.note).await?,
                    None => None,
                };
                let command = VisitCommand::CloseReferral {
                    outcome,
                    today: ctx.today(),
                    note,
                };
                self.shell
                    .run_on::<CareVisit, ServiceError>(&target.stream_id, recorded, ctx, command)
                    .await?
            }
        };
        Ok(api::CloseReferralResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// The resident as a visit in `community` sees them: NOT_FOUND when never
    /// registered, PERMISSION_DENIED when registered in another community (as every
    /// command on a resident answers).
    pub(super) async fn resident_facts(
        &self,
        id: &ResidentId,
        community: &str,
    ) -> Result<ResidentFacts, ServiceError> {
        let recorded = self
            .shell
            .require_in(&super::resident_target(id), community)
            .await?;
        let state = folded::<Resident>(&recorded)
            .map_err(|e| anyhow::anyhow!("resident {id}: {e}"))?
            .state;
        Ok(match (state.registered, state.is_active()) {
            (false, _) => ResidentFacts::Unknown,
            (true, true) => ResidentFacts::Active,
            (true, false) => ResidentFacts::Gone,
        })
    }

    /// The campaign `id`, launched in `community` (NOT_FOUND, or PERMISSION_DENIED
    /// for another community's).
    async fn campaign_in(
        &self,
        id: &CampaignId,
        community: &str,
    ) -> Result<Option<CampaignState>, ServiceError> {
        let target = Target::new("care campaign", id, id.stream_id());
        let recorded = self.shell.require_in(&target, community).await?;
        let state = folded::<CareCampaign>(&recorded)
            .map_err(|e| anyhow::anyhow!("care campaign {id}: {e}"))?
            .state;
        Ok(Some(state))
    }
}
