//! Read handlers: staff see their own community, street and district offices every
//! community below them. Nothing here is personal, so there is nothing to redact.

use civitas_kernel::command::decode_all;
use civitas_kernel::{Decider, EventCodec, OrgPath, RecordedEvent};
use civitas_platform::auth::Caller;
use civitas_proto::common::v1 as common;
use civitas_proto::events::v1 as pb;
use civitas_proto::volunteering::v1 as api;

use super::commands::id;
use super::Volunteering;
use crate::convert::{category_to_pb, date_to_pb, timestamp_to_pb};
use crate::domain::{
    Opportunity, OpportunityId, RecordStatus, Team, TeamId, Volunteer, VolunteerId, VolunteerKind,
};
use crate::error::ServiceError;

impl Volunteering {
    /// A volunteer's status, approved hours, star level, balance and pending records.
    pub async fn get_volunteer(
        &self,
        caller: &Caller,
        req: api::GetVolunteerRequest,
    ) -> Result<api::GetVolunteerResponse, ServiceError> {
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let (org, version, state) = self
            .read::<Volunteer>(
                caller,
                "volunteer",
                &volunteer_id.stream_id(),
                &volunteer_id,
            )
            .await?;
        let (kind, resident_id, organisation) = match &state.kind {
            Some(VolunteerKind::Resident(r)) => (pb::VolunteerKind::Resident, r.to_string(), ""),
            Some(VolunteerKind::External(o)) => {
                (pb::VolunteerKind::External, String::new(), o.as_str())
            }
            None => (pb::VolunteerKind::Unspecified, String::new(), ""),
        };
        let status = if state.deactivated {
            api::VolunteerStatus::Deactivated
        } else if state.verified_on.is_some() {
            api::VolunteerStatus::Verified
        } else {
            api::VolunteerStatus::Registered
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
                volunteer_id: volunteer_id.to_string(),
                org: Some(org_to_pb(&org)),
                kind: kind as i32,
                resident_id,
                organisation: organisation.to_owned(),
                status: status as i32,
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
        let team_id = id(&req.team_id, "team_id", TeamId::parse)?;
        let (org, version, state) = self
            .read::<Team>(caller, "team", &team_id.stream_id(), &team_id)
            .await?;
        Ok(api::GetTeamResponse {
            team: Some(api::Team {
                team_id: team_id.to_string(),
                org: Some(org_to_pb(&org)),
                name: state.name.map(|n| n.to_string()).unwrap_or_default(),
                purpose: state.purpose.map(|p| p.to_string()).unwrap_or_default(),
                category: state.category.map_or(0, |c| category_to_pb(c) as i32),
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
        let opportunity_id = id(&req.opportunity_id, "opportunity_id", OpportunityId::parse)?;
        let (org, version, state) = self
            .read::<Opportunity>(
                caller,
                "opportunity",
                &opportunity_id.stream_id(),
                &opportunity_id,
            )
            .await?;
        let needs = state.needs.as_ref().ok_or_else(|| ServiceError::NotFound {
            what: "opportunity",
            id: opportunity_id.to_string(),
        })?;
        let assignments = state
            .assignments
            .iter()
            .map(|(volunteer_id, a)| {
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
                    checked_in_at: a.checked_in_at.map(timestamp_to_pb),
                    checked_out_at: a.checked_out_at.map(timestamp_to_pb),
                }
            })
            .collect();
        Ok(api::GetOpportunityResponse {
            opportunity: Some(api::Opportunity {
                opportunity_id: opportunity_id.to_string(),
                org: Some(org_to_pb(&org)),
                title: needs.title.to_string(),
                role: needs.role.to_string(),
                category: category_to_pb(needs.category) as i32,
                spots: needs.spots.get(),
                spots_taken: state.spots_taken(),
                starts_at: Some(timestamp_to_pb(needs.window.starts_at())),
                ends_at: Some(timestamp_to_pb(needs.window.ends_at())),
                team_id: needs.team.map(|t| t.to_string()).unwrap_or_default(),
                assignments,
                version,
            }),
        })
    }

    /// Reads and folds a stream after checking the caller may read its community.
    async fn read<D>(
        &self,
        caller: &Caller,
        what: &'static str,
        stream_id: &str,
        id: &(dyn std::fmt::Display + Sync),
    ) -> Result<(OrgPath, u64, D::State), ServiceError>
    where
        D: Decider,
        D::Event: EventCodec,
    {
        let recorded = self.store.read_stream(stream_id).await?;
        let org = self.authorize_stream_read(caller, &recorded, what, id)?;
        let events: Vec<D::Event> = decode_all(&recorded)?;
        let version = recorded.last().map_or(0, |e| e.stream_version);
        Ok((org, version, D::fold(events.iter())))
    }

    /// The stream's org path, after checking the caller may read below it.
    fn authorize_stream_read(
        &self,
        caller: &Caller,
        recorded: &[RecordedEvent],
        what: &'static str,
        id: &(dyn std::fmt::Display + Sync),
    ) -> Result<OrgPath, ServiceError> {
        let first = recorded.first().ok_or_else(|| ServiceError::NotFound {
            what,
            id: id.to_string(),
        })?;
        caller.authorize_read(&first.org.community, &self.tree)?;
        Ok(first.org.clone())
    }
}

fn org_to_pb(org: &OrgPath) -> common::OrgPath {
    common::OrgPath {
        district: org.district.clone(),
        street: org.street.clone(),
        community: org.community.clone(),
    }
}
