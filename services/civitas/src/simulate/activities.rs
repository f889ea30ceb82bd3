//! Activities: the annual plan and its monthly items, activities scheduled for them with
//! registrations, check-ins and their close (or cancellation), and the monthly reports
//! the street and then the district approve.

use std::collections::BTreeMap;

use chrono::{Duration, DurationRound as _, Utc};
use civitas_proto::activities::v1 as api;

use super::residents::People;
use super::world::{ActivityEnd, CommunityWorld, MonthLife, Timing, World};
use super::{at, instant, Driver, Staff};

/// The planned items' ids per plan year, in the order of the plan's items.
pub(crate) type PlanIds = BTreeMap<i32, Vec<Option<String>>>;

/// Adds every item of each year's plan and publishes it.
pub(crate) async fn plans(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
) -> anyhow::Result<PlanIds> {
    let code = &staff.code;
    let mut ids = PlanIds::new();
    for plan in &c.plans {
        let mut items = Vec::with_capacity(plan.items.len());
        for (i, item) in plan.items.iter().enumerate() {
            let request = api::AddPlannedItemRequest {
                options: d.shared_options(&format!("{code}/plan/{}/item/{i}", plan.year)),
                year: plan.year,
                month: i32::try_from(item.month).unwrap_or(1),
                category: item.category as i32,
                title: item.title.clone(),
                target_participants: item.target,
                community: code.clone(),
            };
            let answer = d
                .write("plan items", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.add_planned_item(request).await }
                })
                .await?;
            items.push(answer.map(|a| a.item_id));
        }
        let request = api::PublishAnnualPlanRequest {
            options: d.shared_options(&format!("{code}/plan/{}/publish", plan.year)),
            year: plan.year,
            community: code.clone(),
        };
        d.write("plans published", || {
            let (mut client, request) = (staff.activities.clone(), request.clone());
            async move { client.publish_annual_plan(request).await }
        })
        .await?;
        ids.insert(plan.year, items);
    }
    Ok(ids)
}

/// The month's activities, from scheduling to close.
pub(crate) async fn month(
    d: &Driver,
    staff: &Staff,
    month: &MonthLife,
    people: &People,
    plans: &PlanIds,
) -> anyhow::Result<()> {
    let code = &staff.code;
    let label = month.month.label();
    for (k, activity) in month.activities.iter().enumerate() {
        let what = format!("{code}/{label}/activity/{k}");
        let (starts_at, ends_at) = match &activity.timing {
            Timing::At { starts, minutes } => (
                instant(*starts),
                instant(*starts + Duration::minutes(*minutes)),
            ),
            Timing::Live => {
                // Ended 1 to 11 minutes ago: check-ins stay open for half an hour
                // after the end, and an ended activity may be closed. On a ten-minute
                // grid, so that a rerun soon after schedules the very same activity
                // (a minute's grid made most reruns differ).
                let now = Utc::now()
                    .duration_trunc(Duration::minutes(10))
                    .unwrap_or_else(|_| Utc::now());
                let ends = now - Duration::minutes(1);
                (Some(at(ends - Duration::minutes(90))), Some(at(ends)))
            }
        };
        let planned_item_id = activity
            .plan_item
            .and_then(|i| plans.get(&month.month.year)?.get(i).cloned().flatten())
            .unwrap_or_default();
        let request = api::ScheduleActivityRequest {
            options: d.options(&what),
            category: activity.category as i32,
            title: activity.title.clone(),
            venue: activity.venue.clone(),
            starts_at,
            ends_at,
            capacity: activity.capacity,
            planned_item_id,
            community: code.clone(),
        };
        let Some(scheduled) = d
            .write("activities scheduled", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.schedule_activity(request).await }
            })
            .await?
        else {
            continue;
        };
        let activity_id = scheduled.activity_id;
        for &resident in &activity.registrants {
            let Some(resident_id) = people.residents[resident].clone() else {
                continue;
            };
            let request = api::RegisterParticipantRequest {
                options: d.options(&format!("{what}/register/{resident}")),
                activity_id: activity_id.clone(),
                resident_id,
            };
            d.write("activity registrations", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.register_participant(request).await }
            })
            .await?;
        }
        if activity.timing == Timing::Live {
            for &resident in &activity.attendees {
                let Some(resident_id) = people.residents[resident].clone() else {
                    continue;
                };
                let request = api::CheckInParticipantRequest {
                    options: d.options(&format!("{what}/check-in/{resident}")),
                    activity_id: activity_id.clone(),
                    resident_id,
                    walk_in: false,
                };
                d.write("activity check-ins", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.check_in_participant(request).await }
                })
                .await?;
            }
            for n in 0..activity.walk_ins {
                let request = api::CheckInParticipantRequest {
                    options: d.options(&format!("{what}/walk-in/{n}")),
                    activity_id: activity_id.clone(),
                    resident_id: String::new(),
                    walk_in: true,
                };
                d.write("activity check-ins", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.check_in_participant(request).await }
                })
                .await?;
            }
        }
        match &activity.end {
            ActivityEnd::Close { report } => {
                let request = api::CloseActivityRequest {
                    options: d.options(&format!("{what}/close")),
                    activity_id,
                    attendance: None,
                    report: report.clone(),
                };
                d.write("activities closed", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.close_activity(request).await }
                })
                .await?;
            }
            ActivityEnd::Cancel { reason } => {
                let request = api::CancelActivityRequest {
                    options: d.options(&format!("{what}/cancel")),
                    activity_id,
                    reason: reason.clone(),
                };
                d.write("activities cancelled", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.cancel_activity(request).await }
                })
                .await?;
            }
        }
    }
    Ok(())
}

/// Every ended month's report of every community: submitted by its staff, approved by
/// its street office, then by the district office.
pub(crate) async fn reports(d: &Driver, world: &World, root: &str) -> anyhow::Result<()> {
    let district = d.office(root)?;
    let mut streets = BTreeMap::new();
    for c in &world.communities {
        let staff = d.staff(&c.info.code)?;
        let code = &staff.code;
        if !streets.contains_key(&c.info.street) {
            streets.insert(c.info.street.clone(), d.office(&c.info.street)?);
        }
        let street = &streets[&c.info.street];
        for month in &c.months {
            let Some(narrative) = &month.report else {
                continue;
            };
            let label = month.month.label();
            let what = format!("{code}/{label}/report");
            let request = api::SubmitMonthlyReportRequest {
                options: d.options(&what),
                month: label.clone(),
                narrative: narrative.clone(),
                community: code.clone(),
            };
            if d.write("reports submitted", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.submit_monthly_report(request).await }
            })
            .await?
            .is_none()
            {
                continue;
            }
            for (level, office) in [("street", street), ("district", &district)] {
                let request = api::ApproveMonthlyReportRequest {
                    options: d.options(&format!("{what}/approve/{level}")),
                    community: code.clone(),
                    month: label.clone(),
                };
                let kind = if level == "street" {
                    "reports approved (street)"
                } else {
                    "reports approved (district)"
                };
                if d.write(kind, || {
                    let (mut client, request) = (office.clone(), request.clone());
                    async move { client.approve_monthly_report(request).await }
                })
                .await?
                .is_none()
                {
                    break;
                }
            }
        }
    }
    Ok(())
}
