//! Write handlers for volunteers' registration, teams and opportunities.

use civitas_platform::auth::Caller;
use civitas_platform::command::write_result;
use civitas_platform::write::created_id;
use civitas_proto::convert::timestamp_from_pb;
use civitas_proto::volunteering::v1 as api;
use uuid::Uuid;

use super::{id, opportunity_target, team_target, Volunteering};
use crate::convert::optional_reason;
use crate::domain::{
    Needs, Opportunity, OpportunityCommand, OpportunityId, Organisation, Purpose, Reason,
    ResidentId, RoleName, ServiceCategory, Spots, Team, TeamCommand, TeamId, TeamName, TeamProfile,
    TimeWindow, Title, ValidationError, Volunteer, VolunteerCommand, VolunteerError, VolunteerId,
    VolunteerKind,
};
use crate::error::ServiceError;

impl Volunteering {
    /// Registers a resident (by pseudonymous id) or an external volunteer (by
    /// organisation) in the caller's community. A resident must live in that community
    /// (read from the residents log), and is a volunteer there at most once: their
    /// volunteer id is derived from (community, resident), so a second registration
    /// meets the first one's stream and is refused ALREADY_EXISTS, naming it.
    pub async fn register_volunteer(
        &self,
        caller: &Caller,
        req: api::RegisterVolunteerRequest,
    ) -> Result<api::RegisterVolunteerResponse, ServiceError> {
        let rpc = "RegisterVolunteer";
        let ctx = self
            .shell
            .begin(caller, &req.community, req.options.as_ref(), rpc, &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let kind = kind_of(&req.resident_id, &req.organisation)?;
                let community = ctx.org().community.clone();
                let resident = match &kind {
                    VolunteerKind::Resident(resident) => Some(*resident),
                    VolunteerKind::External(_) => None,
                };
                let command = |volunteer_id| VolunteerCommand::Register {
                    volunteer_id,
                    community: community.clone(),
                    kind,
                    today: ctx.today(),
                };
                match resident {
                    Some(resident) => {
                        self.require_resident_of(resident, &community).await?;
                        let volunteer_id = VolunteerId::of_resident(&community, resident);
                        let command = command(volunteer_id);
                        let stream = volunteer_id.stream_id();
                        match self
                            .shell
                            .run::<Volunteer, ServiceError>(&stream, ctx, command)
                            .await
                        {
                            Err(ServiceError::Volunteer(VolunteerError::AlreadyRegistered)) => {
                                return Err(ServiceError::AlreadyVolunteer(volunteer_id));
                            }
                            outcome => outcome?,
                        }
                    }
                    None => {
                        // A fresh id: its stream is known to be empty.
                        let volunteer_id = VolunteerId::from_uuid(Uuid::now_v7());
                        let command = command(volunteer_id);
                        let stream = volunteer_id.stream_id();
                        self.shell
                            .run_on::<Volunteer, ServiceError>(&stream, Vec::new(), ctx, command)
                            .await?
                    }
                }
            }
        };
        Ok(api::RegisterVolunteerResponse {
            volunteer_id: created_id(&outcome.stream_id, "volunteer"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Refuses a resident who does not live in `community` now (never registered
    /// there, moved out or erased), without saying where else they might live.
    async fn require_resident_of(
        &self,
        resident: ResidentId,
        community: &str,
    ) -> Result<(), ServiceError> {
        match self.residence.community_of(resident).await {
            Ok(Some(lives_in)) if lives_in == community => Ok(()),
            Ok(_) => Err(ServiceError::NotAResident(resident)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check a resident volunteer");
                Err(ServiceError::ResidentsUnavailable)
            }
        }
    }

    /// Records that staff checked the volunteer's real name.
    pub async fn verify_volunteer(
        &self,
        caller: &Caller,
        req: api::VerifyVolunteerRequest,
    ) -> Result<api::VerifyVolunteerResponse, ServiceError> {
        let outcome = self
            .on_volunteer(
                caller,
                "VerifyVolunteer",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| Ok(VolunteerCommand::Verify { today: ctx.today() }),
            )
            .await?;
        Ok(api::VerifyVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn deactivate_volunteer(
        &self,
        caller: &Caller,
        req: api::DeactivateVolunteerRequest,
    ) -> Result<api::DeactivateVolunteerResponse, ServiceError> {
        let outcome = self
            .on_volunteer(
                caller,
                "DeactivateVolunteer",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| {
                    Ok(VolunteerCommand::Deactivate {
                        reason: Reason::parse("reason", &req.reason)?,
                        today: ctx.today(),
                    })
                },
            )
            .await?;
        Ok(api::DeactivateVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn form_team(
        &self,
        caller: &Caller,
        req: api::FormTeamRequest,
    ) -> Result<api::FormTeamResponse, ServiceError> {
        let created = self
            .shell
            .create::<Team, ServiceError>(
                caller,
                "FormTeam",
                &req.community,
                req.options.as_ref(),
                &req,
                "team",
                |ctx| {
                    let team_id = TeamId::from_uuid(Uuid::now_v7());
                    let profile = TeamProfile {
                        name: TeamName::parse("name", &req.name)?,
                        purpose: Purpose::parse("purpose", &req.purpose)?,
                        category: ServiceCategory::from_pb(req.category, "category")?,
                    };
                    let command = TeamCommand::Form {
                        team_id,
                        community: ctx.org().community.clone(),
                        profile,
                    };
                    Ok((team_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::FormTeamResponse {
            team_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Adds an active volunteer of the same community to a team.
    pub async fn add_team_member(
        &self,
        caller: &Caller,
        req: api::AddTeamMemberRequest,
    ) -> Result<api::AddTeamMemberResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "AddTeamMember", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let team = id(&req.team_id, "team_id", TeamId::parse).map(team_target)?;
                let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
                let community = &ctx.org().community;
                self.shell.require_in(&team, community).await?;
                let volunteer = self.volunteer_facts(volunteer_id, community).await?;
                let command = TeamCommand::AddMember { volunteer };
                self.shell
                    .run::<Team, ServiceError>(&team.stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::AddTeamMemberResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn remove_team_member(
        &self,
        caller: &Caller,
        req: api::RemoveTeamMemberRequest,
    ) -> Result<api::RemoveTeamMemberResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Team, ServiceError>(
                caller,
                "RemoveTeamMember",
                req.options.as_ref(),
                &req,
                || id(&req.team_id, "team_id", TeamId::parse).map(team_target),
                |_| {
                    Ok(TeamCommand::RemoveMember {
                        volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
                        reason: optional_reason(&req.reason, "reason")?,
                    })
                },
            )
            .await?;
        Ok(api::RemoveTeamMemberResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Publishes an opportunity's needs, optionally for a team of the community.
    pub async fn publish_opportunity(
        &self,
        caller: &Caller,
        req: api::PublishOpportunityRequest,
    ) -> Result<api::PublishOpportunityResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "PublishOpportunity",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let opportunity_id = OpportunityId::from_uuid(Uuid::now_v7());
                let needs = Needs {
                    opportunity_id,
                    title: Title::parse("title", &req.title)?,
                    role: RoleName::parse("role", &req.role)?,
                    category: ServiceCategory::from_pb(req.category, "category")?,
                    spots: Spots::parse("spots", req.spots)?,
                    window: TimeWindow::parse(
                        "ends_at",
                        timestamp_from_pb(req.starts_at, "starts_at")?,
                        timestamp_from_pb(req.ends_at, "ends_at")?,
                    )?,
                };
                let team = match req.team_id.trim() {
                    "" => None,
                    t => Some(
                        self.team_facts(TeamId::parse("team_id", t)?, &ctx.org().community)
                            .await?,
                    ),
                };
                let command = OpportunityCommand::Publish {
                    community: ctx.org().community.clone(),
                    needs,
                    team,
                };
                self.shell
                    .run::<Opportunity, ServiceError>(&opportunity_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::PublishOpportunityResponse {
            opportunity_id: created_id(&outcome.stream_id, "opportunity"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Assigns a volunteer (by staff or as a self sign-up) while spots remain.
    pub async fn assign_volunteer(
        &self,
        caller: &Caller,
        req: api::AssignVolunteerRequest,
    ) -> Result<api::AssignVolunteerResponse, ServiceError> {
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "AssignVolunteer", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let opportunity = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)
                    .map(opportunity_target)?;
                let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
                let community = &ctx.org().community;
                self.shell.require_in(&opportunity, community).await?;
                let command = OpportunityCommand::Assign {
                    volunteer: self.volunteer_facts(volunteer_id, community).await?,
                    self_sign_up: req.self_sign_up,
                    now: ctx.now,
                };
                self.shell
                    .run::<Opportunity, ServiceError>(&opportunity.stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::AssignVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn cancel_assignment(
        &self,
        caller: &Caller,
        req: api::CancelAssignmentRequest,
    ) -> Result<api::CancelAssignmentResponse, ServiceError> {
        let outcome = self
            .on_opportunity(
                caller,
                "CancelAssignment",
                req.options.as_ref(),
                &req,
                &req.opportunity_id,
                |_| {
                    Ok(OpportunityCommand::CancelAssignment {
                        volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
                        reason: optional_reason(&req.reason, "reason")?,
                    })
                },
            )
            .await?;
        Ok(api::CancelAssignmentResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Checks a volunteer in at `at` (the time of the request when unset).
    pub async fn check_in_volunteer(
        &self,
        caller: &Caller,
        req: api::CheckInVolunteerRequest,
    ) -> Result<api::CheckInVolunteerResponse, ServiceError> {
        let outcome = self
            .on_opportunity(
                caller,
                "CheckInVolunteer",
                req.options.as_ref(),
                &req,
                &req.opportunity_id,
                |ctx| {
                    Ok(OpportunityCommand::CheckIn {
                        volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
                        at: at_or_now(req.at, ctx.now)?,
                    })
                },
            )
            .await?;
        Ok(api::CheckInVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Checks a volunteer out at `at` (the time of the request when unset).
    pub async fn check_out_volunteer(
        &self,
        caller: &Caller,
        req: api::CheckOutVolunteerRequest,
    ) -> Result<api::CheckOutVolunteerResponse, ServiceError> {
        let outcome = self
            .on_opportunity(
                caller,
                "CheckOutVolunteer",
                req.options.as_ref(),
                &req,
                &req.opportunity_id,
                |ctx| {
                    Ok(OpportunityCommand::CheckOut {
                        volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
                        at: at_or_now(req.at, ctx.now)?,
                    })
                },
            )
            .await?;
        Ok(api::CheckOutVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }
}

/// Who a volunteer is: a resident by pseudonymous id or an organisation, never both.
fn kind_of(resident_id: &str, organisation: &str) -> Result<VolunteerKind, ValidationError> {
    match (resident_id.trim(), organisation.trim()) {
        ("", "") => Err(ValidationError::new(
            "resident_id",
            "either resident_id or organisation is required",
        )),
        (resident, "") => Ok(VolunteerKind::Resident(ResidentId::parse(
            "resident_id",
            resident,
        )?)),
        ("", organisation) => Ok(VolunteerKind::External(Organisation::parse(
            "organisation",
            organisation,
        )?)),
        _ => Err(ValidationError::new(
            "organisation",
            "must be empty when resident_id is set",
        )),
    }
}

/// An attendance instant: the request's `at`, or the time of the request when unset.
fn at_or_now(
    at: Option<prost_types::Timestamp>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, ValidationError> {
    at.map_or(Ok(now), |at| timestamp_from_pb(Some(at), "at"))
}
