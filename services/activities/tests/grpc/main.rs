//! End to end over gRPC: the annual plan, an activity's life, boards and facilities,
//! monthly reports, good deeds, co-building units, the fund ledger,
//! with the documented codes and the fields they blame; and the bound on every free-text
//! field. One test binary, a module per area.

#[path = "../support/mod.rs"]
mod support;

mod activity;
mod bounds;
mod cobuilding;
mod deeds;
mod funding;
mod places;
mod plan;
mod reports;

use chrono::{DateTime, Utc};
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::ActivityCategory;
use support::Client;

pub fn item(year: i32, month: i32, title: &str) -> api::AddPlannedItemRequest {
    api::AddPlannedItemRequest {
        options: None,
        year,
        month,
        category: ActivityCategory::FilmScreening as i32,
        title: title.into(),
        target_participants: 40,
        community: String::new(),
    }
}

pub fn schedule(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: u32,
) -> api::ScheduleActivityRequest {
    api::ScheduleActivityRequest {
        options: None,
        category: ActivityCategory::FilmScreening as i32,
        title: "世界电影之夜".into(),
        venue: "社区文化室".into(),
        starts_at: Some(timestamp(starts_at)),
        ends_at: Some(timestamp(ends_at)),
        capacity,
        planned_item_id: String::new(),
        community: String::new(),
    }
}

pub fn resident() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn register(activity_id: &str, resident_id: &str) -> api::RegisterParticipantRequest {
    api::RegisterParticipantRequest {
        options: None,
        activity_id: activity_id.into(),
        resident_id: resident_id.into(),
    }
}

pub fn check_in(
    activity_id: &str,
    resident_id: &str,
    walk_in: bool,
) -> api::CheckInParticipantRequest {
    api::CheckInParticipantRequest {
        options: None,
        activity_id: activity_id.into(),
        resident_id: resident_id.into(),
        walk_in,
    }
}

pub async fn plan(client: &mut Client, year: i32) -> api::AnnualPlan {
    client
        .get_annual_plan(api::GetAnnualPlanRequest {
            year,
            community: String::new(),
        })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan")
}

pub async fn activity(client: &mut Client, activity_id: &str) -> api::Activity {
    client
        .get_activity(api::GetActivityRequest {
            activity_id: activity_id.into(),
        })
        .await
        .expect("activity")
        .into_inner()
        .activity
        .expect("activity")
}
