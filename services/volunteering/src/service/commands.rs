//! Write handlers for volunteers, teams and opportunities: each parse → load facts →
//! decide → append.

use civitas_kernel::command::load;
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result};
use civitas_proto::volunteering::v1 as api;
use uuid::Uuid;

use super::{id_of, Volunteering};
use crate::convert::{category_from_pb, optional_reason, timestamp_from_pb};
use crate::domain::{
    Opportunity, OpportunityCommand, OpportunityId, Organisation, Purpose, Reason, ResidentId,
    RoleName, Spots, Team, TeamCommand, TeamFacts, TeamId, TeamName, TimeWindow, Title,
    ValidationError, Volunteer, VolunteerCommand, VolunteerId, VolunteerKind,
};
use crate::error::ServiceError;

/// A required id field.
pub(super) fn id<T>(
    value: &str,
    field: &'static str,
    parse: fn(&'static str, &str) -> Result<T, ValidationError>,
) -> Result<T, ValidationError> {
    required(value, field).and_then(|v| parse(field, v))
}

impl Volunteering {
    /// Registers a resident (by pseudonymous id) or an external volunteer (by
    /// organisation) in the caller's community.
    pub async fn register_volunteer(
        &self,
        caller: &Caller,
        req: api::RegisterVolunteerRequest,
    ) -> Result<api::RegisterVolunteerResponse, ServiceError> {
        let (org, meta) = self.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "RegisterVolunteer",
            &req,
        )?;
        let kind = match (req.resident_id.trim(), req.organisation.trim()) {
            ("", "") => {
                return Err(ValidationError::new(
                    "resident_id",
                    "either resident_id or organisation is required",
                )
                .into())
            }
            (resident, "") => VolunteerKind::Resident(ResidentId::parse("resident_id", resident)?),
            ("", organisation) => {
                VolunteerKind::External(Organisation::parse("organisation", organisation)?)
            }
            _ => {
                return Err(ValidationError::new(
                    "organisation",
                    "must be empty when resident_id is set",
                )
                .into())
            }
        };
        let volunteer_id = VolunteerId::from_uuid(Uuid::now_v7());
        let command = VolunteerCommand::Register {
            volunteer_id,
            community: org.community.clone(),
            kind,
            today: meta.today(),
        };
        let outcome = self
            .run::<Volunteer>(&volunteer_id.stream_id(), meta.command, command)
            .await?;
        Ok(api::RegisterVolunteerResponse {
            volunteer_id: id_of(&outcome.stream_id, "volunteer"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Records that staff checked the volunteer's real name.
    pub async fn verify_volunteer(
        &self,
        caller: &Caller,
        req: api::VerifyVolunteerRequest,
    ) -> Result<api::VerifyVolunteerResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "VerifyVolunteer", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let stream = volunteer_id.stream_id();
        self.require_in("volunteer", &stream, &volunteer_id, &org.community)
            .await?;
        let command = VolunteerCommand::Verify {
            today: meta.today(),
        };
        let outcome = self
            .run::<Volunteer>(&stream, meta.command, command)
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
        let (org, meta) = self.begin(
            caller,
            "",
            req.options.as_ref(),
            "DeactivateVolunteer",
            &req,
        )?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let reason = Reason::parse("reason", &req.reason)?;
        let stream = volunteer_id.stream_id();
        self.require_in("volunteer", &stream, &volunteer_id, &org.community)
            .await?;
        let command = VolunteerCommand::Deactivate {
            reason,
            today: meta.today(),
        };
        let outcome = self
            .run::<Volunteer>(&stream, meta.command, command)
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
        let (org, meta) = self.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "FormTeam",
            &req,
        )?;
        let team_id = TeamId::from_uuid(Uuid::now_v7());
        let command = TeamCommand::Form {
            team_id,
            community: org.community.clone(),
            name: TeamName::parse("name", &req.name)?,
            purpose: Purpose::parse("purpose", &req.purpose)?,
            category: category_from_pb(req.category, "category")?,
        };
        let outcome = self
            .run::<Team>(&team_id.stream_id(), meta.command, command)
            .await?;
        Ok(api::FormTeamResponse {
            team_id: id_of(&outcome.stream_id, "team"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Adds an active volunteer of the same community to a team.
    pub async fn add_team_member(
        &self,
        caller: &Caller,
        req: api::AddTeamMemberRequest,
    ) -> Result<api::AddTeamMemberResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "AddTeamMember", &req)?;
        let team_id = id(&req.team_id, "team_id", TeamId::parse)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        self.require_in("team", &team_id.stream_id(), &team_id, &org.community)
            .await?;
        let volunteer = self.volunteer_facts(volunteer_id, &org.community).await?;
        let outcome = self
            .run::<Team>(
                &team_id.stream_id(),
                meta.command,
                TeamCommand::AddMember { volunteer },
            )
            .await?;
        Ok(api::AddTeamMemberResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn remove_team_member(
        &self,
        caller: &Caller,
        req: api::RemoveTeamMemberRequest,
    ) -> Result<api::RemoveTeamMemberResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "RemoveTeamMember", &req)?;
        let team_id = id(&req.team_id, "team_id", TeamId::parse)?;
        let command = TeamCommand::RemoveMember {
            volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
            reason: optional_reason(&req.reason, "reason")?,
        };
        self.require_in("team", &team_id.stream_id(), &team_id, &org.community)
            .await?;
        let outcome = self
            .run::<Team>(&team_id.stream_id(), meta.command, command)
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
        let (org, meta) = self.begin(
            caller,
            &req.community,
            req.options.as_ref(),
            "PublishOpportunity",
            &req,
        )?;
        let title = Title::parse("title", &req.title)?;
        let role = RoleName::parse("role", &req.role)?;
        let category = category_from_pb(req.category, "category")?;
        let spots = Spots::parse("spots", req.spots)?;
        let window = TimeWindow::parse(
            "ends_at",
            timestamp_from_pb(req.starts_at, "starts_at")?,
            timestamp_from_pb(req.ends_at, "ends_at")?,
        )?;
        let team = match req.team_id.trim() {
            "" => None,
            t => {
                let team_id = TeamId::parse("team_id", t)?;
                self.require_in("team", &team_id.stream_id(), &team_id, &org.community)
                    .await?;
                let state = load::<Team>(&*self.store, &team_id.stream_id())
                    .await?
                    .state;
                Some(TeamFacts {
                    team_id,
                    exists: state.team_id.is_some(),
                    community: state.community,
                })
            }
        };
        let opportunity_id = OpportunityId::from_uuid(Uuid::now_v7());
        let command = OpportunityCommand::Publish {
            opportunity_id,
            community: org.community.clone(),
            title,
            role,
            category,
            spots,
            window,
            team,
        };
        let outcome = self
            .run::<Opportunity>(&opportunity_id.stream_id(), meta.command, command)
            .await?;
        Ok(api::PublishOpportunityResponse {
            opportunity_id: id_of(&outcome.stream_id, "opportunity"),
            result: Some(write_result(&outcome)),
        })
    }

    /// Assigns a volunteer (by staff or as a self sign-up) while spots remain.
    pub async fn assign_volunteer(
        &self,
        caller: &Caller,
        req: api::AssignVolunteerRequest,
    ) -> Result<api::AssignVolunteerResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "AssignVolunteer", &req)?;
        let opportunity_id = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let stream = opportunity_id.stream_id();
        self.require_in("opportunity", &stream, &opportunity_id, &org.community)
            .await?;
        let volunteer = self.volunteer_facts(volunteer_id, &org.community).await?;
        let command = OpportunityCommand::Assign {
            volunteer,
            self_sign_up: req.self_sign_up,
            now: meta.now,
        };
        let outcome = self
            .run::<Opportunity>(&stream, meta.command, command)
            .await?;
        Ok(api::AssignVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn cancel_assignment(
        &self,
        caller: &Caller,
        req: api::CancelAssignmentRequest,
    ) -> Result<api::CancelAssignmentResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "CancelAssignment", &req)?;
        let opportunity_id = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)?;
        let command = OpportunityCommand::CancelAssignment {
            volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
            reason: optional_reason(&req.reason, "reason")?,
        };
        let outcome = self
            .on_opportunity(opportunity_id, &org.community, meta.command, command)
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
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "CheckInVolunteer", &req)?;
        let opportunity_id = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)?;
        let command = OpportunityCommand::CheckIn {
            volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
            at: match req.at {
                None => meta.now,
                at => timestamp_from_pb(at, "at")?,
            },
        };
        let outcome = self
            .on_opportunity(opportunity_id, &org.community, meta.command, command)
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
        let (org, meta) =
            self.begin(caller, "", req.options.as_ref(), "CheckOutVolunteer", &req)?;
        let opportunity_id = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)?;
        let command = OpportunityCommand::CheckOut {
            volunteer_id: id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?,
            at: match req.at {
                None => meta.now,
                at => timestamp_from_pb(at, "at")?,
            },
        };
        let outcome = self
            .on_opportunity(opportunity_id, &org.community, meta.command, command)
            .await?;
        Ok(api::CheckOutVolunteerResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Runs a command on an opportunity of `community`.
    async fn on_opportunity(
        &self,
        opportunity_id: OpportunityId,
        community: &str,
        context: civitas_kernel::CommandContext,
        command: OpportunityCommand,
    ) -> Result<civitas_kernel::AppendOutcome, ServiceError> {
        let stream = opportunity_id.stream_id();
        self.require_in("opportunity", &stream, &opportunity_id, community)
            .await?;
        self.run::<Opportunity>(&stream, context, command).await
    }
}
