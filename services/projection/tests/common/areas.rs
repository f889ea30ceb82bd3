//! Builders of the activities (good deeds included), volunteering (teams included) and
//! safety events, with the fields the projection reads and defaults for the rest, each
//! on its aggregate's stream.

use chrono::{DateTime, Utc};
use civitas_proto::common::v1::Date;
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1 as pb;

use super::Draft;

/// A proto date from `YYYY-MM-DD`.
pub fn date(s: &str) -> Option<Date> {
    let d: chrono::NaiveDate = s.parse().expect("YYYY-MM-DD");
    use chrono::Datelike;
    Some(Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    })
}

/// An instant from RFC 3339.
pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339")
}

pub fn annual_plan_published(community: &str, year: i32, version: u32, items: u32) -> Draft {
    let msg = pb::AnnualPlanPublished {
        community: community.into(),
        year,
        version,
        item_count: items,
        target_participants_total: items * 10,
    };
    Draft::new(
        "annualplan",
        &format!("{community}-{year}"),
        "AnnualPlanPublished",
        msg,
    )
}

pub fn annual_plan_amended(community: &str, year: i32, version: u32) -> Draft {
    let msg = pb::AnnualPlanAmended {
        community: community.into(),
        year,
        version,
        reason: "more film nights".into(),
    };
    Draft::new(
        "annualplan",
        &format!("{community}-{year}"),
        "AnnualPlanAmended",
        msg,
    )
}

pub fn activity_scheduled(id: &str, category: pb::ActivityCategory, starts_at: &str) -> Draft {
    let start = at(starts_at);
    let msg = pb::ActivityScheduled {
        activity_id: id.into(),
        category: category as i32,
        title: format!("activity {id}"),
        venue: "hall".into(),
        starts_at: Some(timestamp(start)),
        ends_at: Some(timestamp(start + chrono::Duration::hours(2))),
        capacity: 30,
        ..Default::default()
    };
    Draft::new("activity", id, "ActivityScheduled", msg)
}

pub fn participant_registered(activity: &str, resident: &str, count: u32) -> Draft {
    let msg = pb::ParticipantRegistered {
        activity_id: activity.into(),
        resident_id: resident.into(),
        registered_count: count,
    };
    Draft::new("activity", activity, "ParticipantRegistered", msg)
}

pub fn participant_checked_in(activity: &str, resident: &str) -> Draft {
    let msg = pb::ParticipantCheckedIn {
        activity_id: activity.into(),
        resident_id: resident.into(),
        walk_in: resident.is_empty(),
        checked_in_at: None,
    };
    Draft::new("activity", activity, "ParticipantCheckedIn", msg)
}

pub fn activity_closed(
    activity: &str,
    category: pb::ActivityCategory,
    registered: u32,
    registered_attended: u32,
    walk_ins: u32,
) -> Draft {
    let msg = pb::ActivityClosed {
        activity_id: activity.into(),
        category: category as i32,
        attendance: registered_attended + walk_ins,
        registered,
        registered_attended,
        walk_ins,
        ..Default::default()
    };
    Draft::new("activity", activity, "ActivityClosed", msg)
}

pub fn activity_cancelled(activity: &str, category: pb::ActivityCategory) -> Draft {
    let msg = pb::ActivityCancelled {
        activity_id: activity.into(),
        category: category as i32,
        reason: "rain".into(),
    };
    Draft::new("activity", activity, "ActivityCancelled", msg)
}

pub fn publicity_board_updated(board: &str, on: &str) -> Draft {
    let msg = pb::PublicityBoardUpdated {
        board_id: board.into(),
        topic: "waste sorting".into(),
        updated_on: date(on),
        topic_code: pb::BoardTopic::HealthEducation as i32,
    };
    Draft::new("publicityboard", board, "PublicityBoardUpdated", msg)
}

/// A board update about `topic` with the free text `text`.
pub fn publicity_board_updated_about(
    board: &str,
    on: &str,
    topic: pb::BoardTopic,
    text: &str,
) -> Draft {
    let msg = pb::PublicityBoardUpdated {
        board_id: board.into(),
        topic: text.into(),
        updated_on: date(on),
        topic_code: topic as i32,
    };
    Draft::new("publicityboard", board, "PublicityBoardUpdated", msg)
}

pub fn good_deed_recorded(id: &str, title: &str, story: &str, happened_on: &str) -> Draft {
    let msg = pb::GoodDeedRecorded {
        deed_id: id.into(),
        title: title.into(),
        story: story.into(),
        happened_on: date(happened_on),
        ..Default::default()
    };
    Draft::new("gooddeed", id, "GoodDeedRecorded", msg)
}

pub fn good_deed_published(id: &str, on: &str) -> Draft {
    let msg = pb::GoodDeedPublished {
        deed_id: id.into(),
        published_on: date(on),
    };
    Draft::new("gooddeed", id, "GoodDeedPublished", msg)
}

pub fn good_deed_retracted(id: &str) -> Draft {
    let msg = pb::GoodDeedRetracted {
        deed_id: id.into(),
        reason: "under review".into(),
    };
    Draft::new("gooddeed", id, "GoodDeedRetracted", msg)
}

pub fn team_formed(
    id: &str,
    name: &str,
    purpose: &str,
    category: pb::VolunteerServiceCategory,
) -> Draft {
    let msg = pb::TeamFormed {
        team_id: id.into(),
        name: name.into(),
        purpose: purpose.into(),
        category: category as i32,
        ..Default::default()
    };
    Draft::new("team", id, "TeamFormed", msg)
}

pub fn team_member_added(team: &str, volunteer: &str) -> Draft {
    let msg = pb::TeamMemberAdded {
        team_id: team.into(),
        volunteer_id: volunteer.into(),
    };
    Draft::new("team", team, "TeamMemberAdded", msg)
}

pub fn team_member_removed(team: &str, volunteer: &str) -> Draft {
    let msg = pb::TeamMemberRemoved {
        team_id: team.into(),
        volunteer_id: volunteer.into(),
        reason: "moved away".into(),
    };
    Draft::new("team", team, "TeamMemberRemoved", msg)
}

pub fn facility_registered(id: &str, area: u32) -> Draft {
    let msg = pb::FacilityRegistered {
        facility_id: id.into(),
        facility_type: pb::FacilityType::ServiceStation as i32,
        area_square_meters: area,
        ..Default::default()
    };
    Draft::new("facility", id, "FacilityRegistered", msg)
}

pub fn volunteer_registered(id: &str) -> Draft {
    let msg = pb::VolunteerRegistered {
        volunteer_id: id.into(),
        kind: pb::VolunteerKind::External as i32,
        organisation: "university".into(),
        ..Default::default()
    };
    Draft::new("volunteer", id, "VolunteerRegistered", msg)
}

pub fn volunteer_verified(id: &str) -> Draft {
    let msg = pb::VolunteerVerified {
        volunteer_id: id.into(),
        verified_on: None,
    };
    Draft::new("volunteer", id, "VolunteerVerified", msg)
}

pub fn volunteer_deactivated(id: &str) -> Draft {
    let msg = pb::VolunteerDeactivated {
        volunteer_id: id.into(),
        ..Default::default()
    };
    Draft::new("volunteer", id, "VolunteerDeactivated", msg)
}

pub fn hours_submitted(volunteer: &str, record: &str, minutes: u32, submitted_on: &str) -> Draft {
    let msg = pb::HoursSubmitted {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        service_date: date(submitted_on),
        minutes,
        submitted_on: date(submitted_on),
        opportunity_id: String::new(),
    };
    Draft::new("volunteer", volunteer, "HoursSubmitted", msg)
}

pub fn hours_approved(
    volunteer: &str,
    record: &str,
    minutes: u32,
    submitted_on: &str,
    approved_on: &str,
    total: u64,
) -> Draft {
    let msg = pb::HoursApproved {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        minutes,
        service_date: date(submitted_on),
        submitted_on: date(submitted_on),
        approved_on: date(approved_on),
        approved_minutes_total: total,
    };
    Draft::new("volunteer", volunteer, "HoursApproved", msg)
}

pub fn hours_reversed(volunteer: &str, record: &str, minutes: u32, total: u64) -> Draft {
    let msg = pb::HoursReversed {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        minutes,
        approved_minutes_total: total,
        ..Default::default()
    };
    Draft::new("volunteer", volunteer, "HoursReversed", msg)
}

pub fn star_level_changed(volunteer: &str, from: u32, to: u32) -> Draft {
    let msg = pb::StarLevelChanged {
        volunteer_id: volunteer.into(),
        from_level: from,
        to_level: to,
        approved_minutes: 0,
    };
    Draft::new("volunteer", volunteer, "StarLevelChanged", msg)
}

pub fn incident_reported(
    id: &str,
    category: pb::IncidentCategory,
    severity: pb::IncidentSeverity,
    reported_at: &str,
) -> Draft {
    let alert = severity == pb::IncidentSeverity::Major
        || matches!(
            category,
            pb::IncidentCategory::Fire | pb::IncidentCategory::Casualty
        );
    let msg = pb::IncidentReported {
        incident_id: id.into(),
        category: category as i32,
        severity: severity as i32,
        grid: "g1".into(),
        occurred_at: Some(timestamp(at(reported_at))),
        reported_at: Some(timestamp(at(reported_at))),
        alert,
        ..Default::default()
    };
    Draft::new("incident", id, "IncidentReported", msg)
}

pub fn incident_dispatched(id: &str) -> Draft {
    let msg = pb::IncidentDispatched {
        incident_id: id.into(),
        assignee: "patrol team".into(),
    };
    Draft::new("incident", id, "IncidentDispatched", msg)
}

pub fn incident_resolved(id: &str, reported_at: &str, resolved_at: &str) -> Draft {
    let msg = pb::IncidentResolved {
        incident_id: id.into(),
        resolution: "done".into(),
        reported_at: Some(timestamp(at(reported_at))),
        resolved_at: Some(timestamp(at(resolved_at))),
        ..Default::default()
    };
    Draft::new("incident", id, "IncidentResolved", msg)
}

pub fn patrol_completed(id: &str, participants: u32, minutes: u32) -> Draft {
    let msg = pb::PatrolCompleted {
        patrol_id: id.into(),
        participants,
        minutes,
        grids_covered: vec!["g1".into()],
        planned_grid_count: 1,
    };
    Draft::new("patrol", id, "PatrolCompleted", msg)
}

pub fn inspection_recorded(id: &str, passed: bool) -> Draft {
    let msg = pb::InspectionRecorded {
        inspection_id: id.into(),
        inspection_type: pb::InspectionType::FireSafety as i32,
        passed,
        score: if passed { 90 } else { 40 },
        ..Default::default()
    };
    Draft::new("inspection", id, "InspectionRecorded", msg)
}

pub fn rectification_ordered(id: &str, ordered_on: &str, deadline: &str) -> Draft {
    let msg = pb::RectificationOrdered {
        rectification_id: id.into(),
        hazard: "blocked exit".into(),
        ordered_on: date(ordered_on),
        deadline: date(deadline),
        ..Default::default()
    };
    Draft::new("rectification", id, "RectificationOrdered", msg)
}

pub fn rectification_verified(id: &str, verified_on: &str, deadline: &str) -> Draft {
    let msg = pb::RectificationVerified {
        rectification_id: id.into(),
        verified_on: date(verified_on),
        deadline: date(deadline),
        on_time: verified_on <= deadline,
        inspection_id: String::new(),
    };
    Draft::new("rectification", id, "RectificationVerified", msg)
}
