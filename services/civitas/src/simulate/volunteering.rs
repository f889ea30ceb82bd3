//! Volunteering: residents who volunteer, real-name verified, the teams they form, and
//! the hours they serve, submitted and approved by the community's staff.

use civitas_proto::volunteering::v1 as api;

use super::residents::People;
use super::world::{CommunityWorld, MonthLife};
use super::{date, Driver, Staff};

/// Registers and verifies the community's volunteers: their ids, by volunteer index.
pub(crate) async fn register(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
    people: &People,
) -> anyhow::Result<Vec<Option<String>>> {
    let code = &staff.code;
    let mut ids = Vec::with_capacity(c.volunteers.len());
    for (v, &resident) in c.volunteers.iter().enumerate() {
        let Some(resident_id) = people.residents[resident].clone() else {
            ids.push(None);
            continue;
        };
        let request = api::RegisterVolunteerRequest {
            options: d.options(&format!("{code}/volunteer/{v}")),
            resident_id,
            organisation: String::new(),
            community: code.clone(),
        };
        let id = d
            .write("volunteers", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.register_volunteer(request).await }
            })
            .await?
            .map(|a| a.volunteer_id);
        if let Some(volunteer_id) = &id {
            let request = api::VerifyVolunteerRequest {
                options: d.options(&format!("{code}/volunteer/{v}/verify")),
                volunteer_id: volunteer_id.clone(),
            };
            d.write("volunteers verified", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.verify_volunteer(request).await }
            })
            .await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Forms the community's volunteer teams and adds their members.
pub(crate) async fn teams(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
    volunteers: &[Option<String>],
) -> anyhow::Result<()> {
    let code = &staff.code;
    for (k, team) in c.teams.iter().enumerate() {
        let what = format!("{code}/team/{k}");
        let request = api::FormTeamRequest {
            options: d.options(&what),
            name: team.name.clone(),
            purpose: team.purpose.clone(),
            category: team.category as i32,
            community: code.clone(),
        };
        let Some(formed) = d
            .write("volunteer teams", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.form_team(request).await }
            })
            .await?
        else {
            continue;
        };
        for &v in &team.members {
            let Some(volunteer_id) = volunteers.get(v).cloned().flatten() else {
                continue;
            };
            let request = api::AddTeamMemberRequest {
                options: d.options(&format!("{what}/member/{v}")),
                team_id: formed.team_id.clone(),
                volunteer_id,
            };
            d.write("team members", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.add_team_member(request).await }
            })
            .await?;
        }
    }
    Ok(())
}

/// The month's service records: submitted, and approved unless still recent.
pub(crate) async fn hours(
    d: &Driver,
    staff: &Staff,
    month: &MonthLife,
    volunteers: &[Option<String>],
) -> anyhow::Result<()> {
    let code = &staff.code;
    for record in &month.hours {
        let Some(volunteer_id) = volunteers.get(record.volunteer).cloned().flatten() else {
            continue;
        };
        let record_id = record.record_id.to_string();
        let request = api::SubmitHoursRequest {
            options: d.options(&format!("{code}/hours/{record_id}")),
            volunteer_id: volunteer_id.clone(),
            record_id: record_id.clone(),
            service_date: date(record.date),
            minutes: record.minutes,
            opportunity_id: String::new(),
        };
        let submitted = d
            .write("hours submitted", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.submit_hours(request).await }
            })
            .await?;
        if submitted.is_some() && record.approve {
            let request = api::ApproveHoursRequest {
                options: d.options(&format!("{code}/hours/{record_id}/approve")),
                volunteer_id,
                record_id,
            };
            d.write("hours approved", || {
                let (mut client, request) = (staff.volunteering.clone(), request.clone());
                async move { client.approve_hours(request).await }
            })
            .await?;
        }
    }
    Ok(())
}
