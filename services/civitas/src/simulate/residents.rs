//! Residents: households, residents and their care registers, care campaigns, visits
//! and the referrals visits open, and the moves: residents moving out, newcomers moving
//! in, babies born.

use civitas_proto::residents::v1 as api;

use super::world::{CommunityWorld, HouseholdRef, MonthLife, MoveKind, Newcomer};
use super::{date, Driver, Staff};

/// The ids the service gave the community's households and residents (`None` where
/// the command was refused or skipped).
pub(crate) struct People {
    pub households: Vec<Option<String>>,
    pub residents: Vec<Option<String>>,
}

/// Registers the households, the residents (guardians before their wards) and their
/// care categories.
pub(crate) async fn register(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
) -> anyhow::Result<People> {
    let code = &staff.code;
    let mut households = Vec::with_capacity(c.households.len());
    for (h, household) in c.households.iter().enumerate() {
        let request = api::RegisterHouseholdRequest {
            options: d.options(&format!("{code}/household/{h}")),
            address: household.address.clone(),
            grid: household.grid.clone(),
            building: household.building.clone(),
            community: code.clone(),
        };
        let answer = d
            .write("households", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.register_household(request).await }
            })
            .await?;
        households.push(answer.map(|a| a.household_id));
    }
    let mut residents: Vec<Option<String>> = Vec::with_capacity(c.residents.len());
    for (i, person) in c.residents.iter().enumerate() {
        let Some(household_id) = households[person.household].clone() else {
            residents.push(None);
            continue;
        };
        let guardian = match person.guardian {
            None => String::new(),
            Some(g) => match residents.get(g).cloned().flatten() {
                Some(id) => id,
                None => {
                    residents.push(None);
                    continue;
                }
            },
        };
        let request = api::RegisterResidentRequest {
            options: d.options(&format!("{code}/resident/{i}")),
            household_id,
            name: person.name.clone(),
            id_number: person.id_number.clone(),
            phone: person.phone.clone(),
            birth_date: date(person.birth),
            residence_type: person.residence as i32,
            guardian_resident_id: guardian,
            ..Default::default()
        };
        let answer = d
            .write("residents", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.register_resident(request).await }
            })
            .await?;
        residents.push(answer.map(|a| a.resident_id));
    }
    for (i, person) in c.residents.iter().enumerate() {
        let Some(resident_id) = residents[i].clone() else {
            continue;
        };
        for category in &person.care {
            let request = api::AssignCareCategoryRequest {
                options: d.options(&format!("{code}/resident/{i}/care/{}", *category as i32)),
                resident_id: resident_id.clone(),
                category: *category as i32,
            };
            d.write("care categories", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.assign_care_category(request).await }
            })
            .await?;
        }
    }
    for &(i, valid_until) in &c.floating_checks {
        let Some(resident_id) = residents[i].clone() else {
            continue;
        };
        let request = api::VerifyFloatingResidenceRequest {
            options: d.options(&format!("{code}/resident/{i}/residence-check")),
            resident_id,
            valid_until: date(valid_until),
        };
        d.write("residence certificates checked", || {
            let (mut client, request) = (staff.residents.clone(), request.clone());
            async move { client.verify_floating_residence(request).await }
        })
        .await?;
    }
    Ok(People {
        households,
        residents,
    })
}

/// The month's care campaign and visits, and the referrals closed.
pub(crate) async fn care(
    d: &Driver,
    staff: &Staff,
    month: &MonthLife,
    people: &People,
    volunteers: &[Option<String>],
) -> anyhow::Result<()> {
    let code = &staff.code;
    let label = month.month.label();
    let mut campaign_id = None;
    if let Some(campaign) = &month.campaign {
        let request = api::LaunchCareCampaignRequest {
            options: d.options(&format!("{code}/{label}/campaign")),
            name: campaign.name.clone(),
            starts_on: date(campaign.starts_on),
            ends_on: date(campaign.ends_on),
            categories: campaign.categories.iter().map(|c| *c as i32).collect(),
            community: code.clone(),
        };
        campaign_id = d
            .write("care campaigns", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.launch_care_campaign(request).await }
            })
            .await?
            .map(|a| a.campaign_id);
    }
    for (k, visit) in month.visits.iter().enumerate() {
        let Some(resident_id) = people.residents[visit.resident].clone() else {
            continue;
        };
        let campaign = if visit.in_campaign {
            match &campaign_id {
                Some(id) => id.clone(),
                None => continue,
            }
        } else {
            String::new()
        };
        let volunteer_id = visit
            .volunteer
            .and_then(|v| volunteers.get(v).cloned().flatten())
            .unwrap_or_default();
        let request = api::RecordCareVisitRequest {
            options: d.options(&format!("{code}/{label}/visit/{k}")),
            resident_id,
            visited_on: date(visit.visited_on),
            campaign_id: campaign,
            volunteer_id,
            support: visit.support.iter().map(|s| *s as i32).collect(),
            need: visit.need.map_or(0, |n| n as i32),
            open_referral: visit.referral.is_some(),
            note: visit.note.clone(),
        };
        let answer = d
            .write("care visits", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.record_care_visit(request).await }
            })
            .await?;
        if let (Some(answer), Some(Some(outcome))) = (answer, visit.referral) {
            let request = api::CloseReferralRequest {
                options: d.options(&format!("{code}/{label}/visit/{k}/referral")),
                visit_id: answer.visit_id,
                outcome: outcome as i32,
                note: "已跟进处理".to_owned(),
            };
            d.write("referrals closed", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.close_referral(request).await }
            })
            .await?;
        }
    }
    if let (Some(id), Some(campaign)) = (campaign_id, &month.campaign) {
        if campaign.close {
            let request = api::CloseCareCampaignRequest {
                options: d.options(&format!("{code}/{label}/campaign/close")),
                campaign_id: id,
            };
            d.write("care campaigns closed", || {
                let (mut client, request) = (staff.residents.clone(), request.clone());
                async move { client.close_care_campaign(request).await }
            })
            .await?;
        }
    }
    Ok(())
}

/// The month's moves: move-outs, newcomers (into a household registered for them, or
/// an existing one), births.
pub(crate) async fn moves(
    d: &Driver,
    staff: &Staff,
    month: &MonthLife,
    people: &People,
) -> anyhow::Result<()> {
    use civitas_proto::events::v1::Arrival;
    let code = &staff.code;
    for mv in &month.moves {
        let what = format!("{code}/{}", mv.key);
        match &mv.kind {
            MoveKind::Out {
                resident,
                reason,
                note,
            } => {
                let Some(resident_id) = people.residents[*resident].clone() else {
                    continue;
                };
                let request = api::MoveOutResidentRequest {
                    options: d.options(&what),
                    resident_id,
                    note: note.clone(),
                    reason_code: *reason as i32,
                };
                d.write("residents moved out", || {
                    let (mut client, request) = (staff.residents.clone(), request.clone());
                    async move { client.move_out_resident(request).await }
                })
                .await?;
            }
            MoveKind::In {
                household,
                newcomers,
            } => {
                let household_id = match household {
                    HouseholdRef::Existing(h) => people.households[*h].clone(),
                    HouseholdRef::New(household) => {
                        let request = api::RegisterHouseholdRequest {
                            options: d.options(&format!("{what}/household")),
                            address: household.address.clone(),
                            grid: household.grid.clone(),
                            building: household.building.clone(),
                            community: code.clone(),
                        };
                        d.write("households", || {
                            let (mut client, request) = (staff.residents.clone(), request.clone());
                            async move { client.register_household(request).await }
                        })
                        .await?
                        .map(|a| a.household_id)
                    }
                };
                let Some(household_id) = household_id else {
                    continue;
                };
                let mut ids: Vec<Option<String>> = Vec::with_capacity(newcomers.len());
                for (j, person) in newcomers.iter().enumerate() {
                    let guardian = match person.guardian {
                        None => Some(String::new()),
                        Some(g) => ids.get(g).cloned().flatten(),
                    };
                    let Some(guardian) = guardian else {
                        ids.push(None);
                        continue;
                    };
                    let request = api::RegisterResidentRequest {
                        options: d.options(&format!("{what}/resident/{j}")),
                        household_id: household_id.clone(),
                        arrival: Arrival::MovedIn as i32,
                        arrived_on: date(mv.on),
                        guardian_resident_id: guardian,
                        ..registration(person)
                    };
                    let id = d
                        .write("residents moved in", || {
                            let (mut client, request) = (staff.residents.clone(), request.clone());
                            async move { client.register_resident(request).await }
                        })
                        .await?
                        .map(|a| a.resident_id);
                    ids.push(id);
                }
            }
            MoveKind::Birth {
                mother,
                household,
                baby,
            } => {
                let (Some(guardian), Some(household_id)) = (
                    people.residents[*mother].clone(),
                    people.households[*household].clone(),
                ) else {
                    continue;
                };
                let request = api::RegisterResidentRequest {
                    options: d.options(&what),
                    household_id,
                    arrival: Arrival::Born as i32,
                    arrived_on: date(mv.on),
                    guardian_resident_id: guardian,
                    ..registration(baby)
                };
                d.write("births", || {
                    let (mut client, request) = (staff.residents.clone(), request.clone());
                    async move { client.register_resident(request).await }
                })
                .await?;
            }
        }
    }
    Ok(())
}

/// A newcomer's personal data and residence, as a registration carries them.
fn registration(person: &Newcomer) -> api::RegisterResidentRequest {
    use civitas_proto::events::v1::Sex;
    api::RegisterResidentRequest {
        name: person.name.clone(),
        id_number: person.id_number.clone(),
        phone: person.phone.clone(),
        birth_date: date(person.birth),
        sex: if person.male { Sex::Male } else { Sex::Female } as i32,
        residence_type: person.residence as i32,
        ..Default::default()
    }
}
