//! Payloads of the activities, volunteering and safety events, with the fields the
//! projection reads and defaults for the rest.

use chrono::{DateTime, Utc};
use civitas_proto::common::v1::Date;
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::Payload;

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

pub fn plan_published(community: &str, year: i32, version: u32, items: u32) -> Payload {
    let msg = pb::AnnualPlanPublished {
        community: community.into(),
        year,
        version,
        item_count: items,
        target_participants_total: items * 10,
    };
    ("AnnualPlanPublished", msg.encode_to_vec())
}

pub fn plan_amended(community: &str, year: i32, version: u32) -> Payload {
    let msg = pb::AnnualPlanAmended {
        community: community.into(),
        year,
        version,
        reason: "more film nights".into(),
    };
    ("AnnualPlanAmended", msg.encode_to_vec())
}

pub fn scheduled(id: &str, category: pb::ActivityCategory, starts_at: &str) -> Payload {
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
    ("ActivityScheduled", msg.encode_to_vec())
}

pub fn participant_registered(activity: &str, resident: &str, count: u32) -> Payload {
    let msg = pb::ParticipantRegistered {
        activity_id: activity.into(),
        resident_id: resident.into(),
        registered_count: count,
    };
    ("ParticipantRegistered", msg.encode_to_vec())
}

pub fn checked_in(activity: &str, resident: &str) -> Payload {
    let msg = pb::ParticipantCheckedIn {
        activity_id: activity.into(),
        resident_id: resident.into(),
        walk_in: resident.is_empty(),
        checked_in_at: None,
    };
    ("ParticipantCheckedIn", msg.encode_to_vec())
}

pub fn activity_closed(
    activity: &str,
    category: pb::ActivityCategory,
    registered: u32,
    registered_attended: u32,
    walk_ins: u32,
) -> Payload {
    let msg = pb::ActivityClosed {
        activity_id: activity.into(),
        category: category as i32,
        attendance: registered_attended + walk_ins,
        registered,
        registered_attended,
        walk_ins,
        ..Default::default()
    };
    ("ActivityClosed", msg.encode_to_vec())
}

pub fn activity_cancelled(activity: &str, category: pb::ActivityCategory) -> Payload {
    let msg = pb::ActivityCancelled {
        activity_id: activity.into(),
        category: category as i32,
        reason: "rain".into(),
    };
    ("ActivityCancelled", msg.encode_to_vec())
}

pub fn board_updated(board: &str, on: &str) -> Payload {
    let msg = pb::PublicityBoardUpdated {
        board_id: board.into(),
        topic: "waste sorting".into(),
        updated_on: date(on),
    };
    ("PublicityBoardUpdated", msg.encode_to_vec())
}

pub fn facility_registered(id: &str, area: u32) -> Payload {
    let msg = pb::FacilityRegistered {
        facility_id: id.into(),
        facility_type: pb::FacilityType::ServiceStation as i32,
        area_square_meters: area,
        ..Default::default()
    };
    ("FacilityRegistered", msg.encode_to_vec())
}

pub fn volunteer_registered(id: &str) -> Payload {
    let msg = pb::VolunteerRegistered {
        volunteer_id: id.into(),
        kind: pb::VolunteerKind::External as i32,
        organisation: "university".into(),
        ..Default::default()
    };
    ("VolunteerRegistered", msg.encode_to_vec())
}

pub fn volunteer_verified(id: &str) -> Payload {
    let msg = pb::VolunteerVerified {
        volunteer_id: id.into(),
        verified_on: None,
    };
    ("VolunteerVerified", msg.encode_to_vec())
}

pub fn volunteer_deactivated(id: &str) -> Payload {
    let msg = pb::VolunteerDeactivated {
        volunteer_id: id.into(),
        ..Default::default()
    };
    ("VolunteerDeactivated", msg.encode_to_vec())
}

pub fn hours_submitted(volunteer: &str, record: &str, minutes: u32, submitted_on: &str) -> Payload {
    let msg = pb::HoursSubmitted {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        service_date: date(submitted_on),
        minutes,
        submitted_on: date(submitted_on),
        opportunity_id: String::new(),
    };
    ("HoursSubmitted", msg.encode_to_vec())
}

pub fn hours_approved(
    volunteer: &str,
    record: &str,
    minutes: u32,
    submitted_on: &str,
    approved_on: &str,
    total: u64,
) -> Payload {
    let msg = pb::HoursApproved {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        minutes,
        service_date: date(submitted_on),
        submitted_on: date(submitted_on),
        approved_on: date(approved_on),
        approved_minutes_total: total,
    };
    ("HoursApproved", msg.encode_to_vec())
}

pub fn hours_reversed(volunteer: &str, record: &str, minutes: u32, total: u64) -> Payload {
    let msg = pb::HoursReversed {
        volunteer_id: volunteer.into(),
        record_id: record.into(),
        minutes,
        approved_minutes_total: total,
        ..Default::default()
    };
    ("HoursReversed", msg.encode_to_vec())
}

pub fn star_changed(volunteer: &str, from: u32, to: u32) -> Payload {
    let msg = pb::StarLevelChanged {
        volunteer_id: volunteer.into(),
        from_level: from,
        to_level: to,
        approved_minutes: 0,
    };
    ("StarLevelChanged", msg.encode_to_vec())
}

pub fn incident_reported(
    id: &str,
    category: pb::IncidentCategory,
    severity: pb::IncidentSeverity,
    reported_at: &str,
) -> Payload {
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
    ("IncidentReported", msg.encode_to_vec())
}

pub fn incident_dispatched(id: &str) -> Payload {
    let msg = pb::IncidentDispatched {
        incident_id: id.into(),
        assignee: "patrol team".into(),
    };
    ("IncidentDispatched", msg.encode_to_vec())
}

pub fn incident_resolved(id: &str, reported_at: &str, resolved_at: &str) -> Payload {
    let msg = pb::IncidentResolved {
        incident_id: id.into(),
        resolution: "done".into(),
        reported_at: Some(timestamp(at(reported_at))),
        resolved_at: Some(timestamp(at(resolved_at))),
        ..Default::default()
    };
    ("IncidentResolved", msg.encode_to_vec())
}

pub fn patrol_completed(id: &str, participants: u32, minutes: u32) -> Payload {
    let msg = pb::PatrolCompleted {
        patrol_id: id.into(),
        participants,
        minutes,
        grids_covered: vec!["g1".into()],
        planned_grid_count: 1,
    };
    ("PatrolCompleted", msg.encode_to_vec())
}

pub fn inspection(id: &str, passed: bool) -> Payload {
    let msg = pb::InspectionRecorded {
        inspection_id: id.into(),
        inspection_type: pb::InspectionType::FireSafety as i32,
        passed,
        score: if passed { 90 } else { 40 },
        ..Default::default()
    };
    ("InspectionRecorded", msg.encode_to_vec())
}

pub fn rectification_ordered(id: &str, ordered_on: &str, deadline: &str) -> Payload {
    let msg = pb::RectificationOrdered {
        rectification_id: id.into(),
        hazard: "blocked exit".into(),
        ordered_on: date(ordered_on),
        deadline: date(deadline),
        ..Default::default()
    };
    ("RectificationOrdered", msg.encode_to_vec())
}

pub fn rectification_verified(id: &str, verified_on: &str, deadline: &str) -> Payload {
    let msg = pb::RectificationVerified {
        rectification_id: id.into(),
        verified_on: date(verified_on),
        deadline: date(deadline),
        on_time: verified_on <= deadline,
        inspection_id: String::new(),
    };
    ("RectificationVerified", msg.encode_to_vec())
}
