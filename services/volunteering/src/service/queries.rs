//! Read handlers: staff see their own community, street and district offices every
//! community below them. Nothing here is personal, so there is nothing to redact.

use civitas_kernel::{Decider, EventCodec, OrgPath};
use civitas_platform::auth::Caller;
use civitas_platform::write::{Target, WriteError};
use civitas_proto::common::v1 as common;
use civitas_proto::convert::{date_to_pb, timestamp};
use civitas_proto::events::v1 as pb;
use civitas_proto::volunteering::v1 as api;

use super::{fold, id, opportunity_target, team_target, volunteer_target, Volunteering};
use crate::convert::published_to_pb;
use crate::domain::{
    Assignment, Opportunity, OpportunityId, RecordStatus, Team, TeamId, Volunteer, VolunteerId,
    VolunteerKind, VolunteerState,
};
use crate::error::ServiceError;

impl Volunteering {
    /// A volunteer's status, approved hours, star level, balance and pending records.
    pub async fn get_volunteer(
        &self,
        caller: &Caller,
        req: api::GetVolunteerRequest,
    ) -> Result<api::GetVolunteerResponse, ServiceError> {
        let target =
            id(&req.volunteer_id, "volunteer_id", VolunteerId::parse).map(volunteer_target)?;
        let (org, version, state) = self.read::<Volunteer>(caller, &target).await?;
        let (kind, resident_id, organisation) = match &state.kind {
            Some(VolunteerKind::Resident(r)) => (pb::VolunteerKind::Resident, r.to_string(), ""),
            Some(VolunteerKind::External(o)) => {
                (pb::VolunteerKind::External, String::new(), o.as_str())
            }
            None => (pb::VolunteerKind::Unspecified, String::new(), ""),
        };
        let pending_records = state
            .records
            .iter()
            .filter(|(_, r)| r.status == RecordStatus::Submitted)
            .map(|(record_id, r)| api::ServiceRecord {
                record_id: record_id.to_string(),
                service_date: Some(date_to_pb(r.service_date)),
                minutes: r.minutes.get(),
                submitted_on: Some(date_to_pb(r.submitted_on)),
                opportunity_id: r.opportunity.map(|o| o.to_string()).unwrap_or_default(),
            })
            .collect();
        Ok(api::GetVolunteerResponse {
            volunteer: Some(api::Volunteer {
                volunteer_id: target.id,
                org: Some(org_to_pb(&org)),
                kind: kind as i32,
                resident_id,
                organisation: organisation.to_owned(),
                status: volunteer_status(&state) as i32,
                verified_on: state.verified_on.map(date_to_pb),
                approved_minutes: state.approved_minutes,
                star_level: u32::from(state.star_level.get()),
                balance_minutes: state.balance_minutes,
                pending_records,
                version,
            }),
        })
    }

    pub async fn get_team(
        &self,
        caller: &Caller,
        req: api::GetTeamRequest,
    ) -> Result<api::GetTeamResponse, ServiceError> {
        let target = id(&req.team_id, "team_id", TeamId::parse).map(team_target)?;
        let (org, version, state) = self.read::<Team>(caller, &target).await?;
        let profile = state.profile.as_ref();
        Ok(api::GetTeamResponse {
            team: Some(api::Team {
                team_id: target.id,
                org: Some(org_to_pb(&org)),
                name: profile.map(|p| p.name.to_string()).unwrap_or_default(),
                purpose: profile.map(|p| p.purpose.to_string()).unwrap_or_default(),
                category: profile.map_or(0, |p| p.category.to_pb() as i32),
                member_ids: state.members.iter().map(|m| m.to_string()).collect(),
                version,
            }),
        })
    }

    /// An opportunity's needs, spots taken and every assignment.
    pub async fn get_opportunity(
        &self,
        caller: &Caller,
        req: api::GetOpportunityRequest,
    ) -> Result<api::GetOpportunityResponse, ServiceError> {
        let target = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)
            .map(opportunity_target)?;
        let (org, version, state) = self.read::<Opportunity>(caller, &target).await?;
        let needs = state.needs.as_ref().ok_or_else(|| WriteError::NotFound {
            what: target.what,
            id: target.id.clone(),
        })?;
        let published = published_to_pb(&state.community, needs, state.team);
        Ok(api::GetOpportunityResponse {
            opportunity: Some(api::Opportunity {
                opportunity_id: target.id,
                org: Some(org_to_pb(&org)),
                title: published.title,
                role: published.role,
                category: published.category,
                spots: published.spots,
                spots_taken: state.spots_taken(),
                starts_at: published.starts_at,
                ends_at: published.ends_at,
                team_id: published.team_id,
                assignments: state
                    .assignments
                    .iter()
                    .map(|(volunteer_id, a)| assignment_to_pb(volunteer_id, a))
                    .collect(),
                version,
            }),
        })
    }

    /// Reads and folds a stream after checking the caller may read its community.
    async fn read<D>(
        &self,
        caller: &Caller,
        target: &Target,
    ) -> Result<(OrgPath, u64, D::State), ServiceError>
    where
        D: Decider,
        D::Event: EventCodec,
    {
        let (recorded, org) = self.shell.read_authorized(caller, target).await?;
        let version = recorded.last().map_or(0, |e| e.stream_version);
        Ok((org, version, fold::<D>(&recorded)?))
    }
}

fn volunteer_status(state: &VolunteerState) -> api::VolunteerStatus {
    if state.deactivated {
        api::VolunteerStatus::Deactivated
    } else if state.verified_on.is_some() {
        api::VolunteerStatus::Verified
    } else {
        api::VolunteerStatus::Registered
    }
}

fn assignment_to_pb(volunteer_id: &VolunteerId, a: &Assignment) -> api::Assignment {
    let status = match (a.cancelled, a.checked_in_at, a.checked_out_at) {
        (true, _, _) => api::AssignmentStatus::Cancelled,
        (false, _, Some(_)) => api::AssignmentStatus::CheckedOut,
        (false, Some(_), None) => api::AssignmentStatus::CheckedIn,
        (false, None, None) => api::AssignmentStatus::Assigned,
    };
    api::Assignment {
        volunteer_id: volunteer_id.to_string(),
        self_sign_up: a.self_sign_up,
        status: status as i32,
        checked_in_at: a.checked_in_at.map(timestamp),
        checked_out_at: a.checked_out_at.map(timestamp),
    }
}

fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}
