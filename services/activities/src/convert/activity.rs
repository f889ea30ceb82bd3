//! An activity's events and read model.

use civitas_kernel::{DecodeError, EventCodec, OrgPath};
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::{timestamp, timestamp_from_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, org_to_pb, payload};
use crate::domain::{
    ActivityCategory, ActivityEvent, ActivityId, ActivityPlan, ActivityState, ActivityStatus,
    Attendee, Capacity, Note, PlanYear, PlannedItemId, Reason, ResidentId, TimeWindow, Title,
    ValidationError, Venue,
};

impl EventCodec for ActivityEvent {
    fn event_type(&self) -> &'static str {
        ActivityEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ActivityEvent::ActivityScheduled {
                activity_id,
                community,
                details,
                planned_item,
            } => pb::ActivityScheduled {
                activity_id: activity_id.to_string(),
                community: community.clone(),
                category: details.category.to_pb() as i32,
                title: details.title.as_str().to_owned(),
                venue: details.venue.as_str().to_owned(),
                starts_at: Some(timestamp(details.window.starts_at())),
                ends_at: Some(timestamp(details.window.ends_at())),
                capacity: details.capacity.get(),
                planned_item_id: planned_item.map(|p| p.to_string()).unwrap_or_default(),
                plan_year: details.plan_year.get(),
            }
            .encode_to_vec(),
            ActivityEvent::ParticipantRegistered {
                activity_id,
                resident_id,
                registered_count,
            } => pb::ParticipantRegistered {
                activity_id: activity_id.to_string(),
                resident_id: resident_id.to_string(),
                registered_count: *registered_count,
            }
            .encode_to_vec(),
            ActivityEvent::RegistrationCancelled {
                activity_id,
                resident_id,
                registered_count,
            } => pb::RegistrationCancelled {
                activity_id: activity_id.to_string(),
                resident_id: resident_id.to_string(),
                registered_count: *registered_count,
            }
            .encode_to_vec(),
            ActivityEvent::ParticipantCheckedIn {
                activity_id,
                attendee,
                at,
            } => pb::ParticipantCheckedIn {
                activity_id: activity_id.to_string(),
                resident_id: match attendee {
                    Attendee::Registered(r) => r.to_string(),
                    Attendee::WalkIn => String::new(),
                },
                walk_in: *attendee == Attendee::WalkIn,
                checked_in_at: Some(timestamp(*at)),
            }
            .encode_to_vec(),
            ActivityEvent::ActivityClosed {
                activity_id,
                category,
                attendance,
                registered,
                registered_attended,
                walk_ins,
                report,
                closed_at,
            } => pb::ActivityClosed {
                activity_id: activity_id.to_string(),
                category: category.to_pb() as i32,
                attendance: *attendance,
                registered: *registered,
                registered_attended: *registered_attended,
                walk_ins: *walk_ins,
                report: report.as_str().to_owned(),
                closed_at: Some(timestamp(*closed_at)),
            }
            .encode_to_vec(),
            ActivityEvent::ActivityCancelled {
                activity_id,
                category,
                reason,
            } => pb::ActivityCancelled {
                activity_id: activity_id.to_string(),
                category: category.to_pb() as i32,
                reason: reason.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| ActivityId::parse("activity_id", s).map_err(v);
        let resident = |s: &str| ResidentId::parse("resident_id", s).map_err(v);
        let category = |c| ActivityCategory::from_pb(c, "category").map_err(v);
        let event = match event_type {
            "ActivityScheduled" => {
                let e: pb::ActivityScheduled = payload(bytes, &fail)?;
                let starts_at = timestamp_from_pb(e.starts_at, "starts_at").map_err(v)?;
                let ends_at = timestamp_from_pb(e.ends_at, "ends_at").map_err(v)?;
                ActivityEvent::ActivityScheduled {
                    activity_id: id(&e.activity_id)?,
                    details: ActivityPlan {
                        category: category(e.category)?,
                        title: Title::parse("title", &e.title).map_err(v)?,
                        venue: Venue::parse("venue", &e.venue).map_err(v)?,
                        window: TimeWindow::parse("ends_at", starts_at, ends_at).map_err(v)?,
                        capacity: Capacity::parse("capacity", e.capacity).map_err(v)?,
                        plan_year: PlanYear::parse("plan_year", e.plan_year).map_err(v)?,
                    },
                    planned_item: match e.planned_item_id.as_str() {
                        "" => None,
                        p => Some(PlannedItemId::parse("planned_item_id", p).map_err(v)?),
                    },
                    community: e.community,
                }
            }
            "ParticipantRegistered" => {
                let e: pb::ParticipantRegistered = payload(bytes, &fail)?;
                ActivityEvent::ParticipantRegistered {
                    activity_id: id(&e.activity_id)?,
                    resident_id: resident(&e.resident_id)?,
                    registered_count: e.registered_count,
                }
            }
            "RegistrationCancelled" => {
                let e: pb::RegistrationCancelled = payload(bytes, &fail)?;
                ActivityEvent::RegistrationCancelled {
                    activity_id: id(&e.activity_id)?,
                    resident_id: resident(&e.resident_id)?,
                    registered_count: e.registered_count,
                }
            }
            "ParticipantCheckedIn" => {
                let e: pb::ParticipantCheckedIn = payload(bytes, &fail)?;
                ActivityEvent::ParticipantCheckedIn {
                    activity_id: id(&e.activity_id)?,
                    attendee: if e.walk_in {
                        Attendee::WalkIn
                    } else {
                        Attendee::Registered(resident(&e.resident_id)?)
                    },
                    at: timestamp_from_pb(e.checked_in_at, "checked_in_at").map_err(v)?,
                }
            }
            "ActivityClosed" => {
                let e: pb::ActivityClosed = payload(bytes, &fail)?;
                ActivityEvent::ActivityClosed {
                    activity_id: id(&e.activity_id)?,
                    category: category(e.category)?,
                    attendance: e.attendance,
                    registered: e.registered,
                    registered_attended: e.registered_attended,
                    walk_ins: e.walk_ins,
                    report: Note::parse("report", &e.report).map_err(v)?,
                    closed_at: timestamp_from_pb(e.closed_at, "closed_at").map_err(v)?,
                }
            }
            "ActivityCancelled" => {
                let e: pb::ActivityCancelled = payload(bytes, &fail)?;
                ActivityEvent::ActivityCancelled {
                    activity_id: id(&e.activity_id)?,
                    category: category(e.category)?,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                }
            }
            other => return Err(fail(format!("unknown activity event {other}"))),
        };
        Ok(event)
    }
}

/// The read model of an activity: its state, the org it was written in and its stream
/// version.
pub(crate) fn activity_to_pb(
    id: ActivityId,
    org: &OrgPath,
    state: ActivityState,
    version: u64,
) -> api::Activity {
    let details = state.details.as_ref();
    api::Activity {
        activity_id: id.to_string(),
        org: Some(org_to_pb(org)),
        category: details.map_or(0, |d| d.category.to_pb() as i32),
        title: details.map(|d| d.title.to_string()).unwrap_or_default(),
        venue: details.map(|d| d.venue.to_string()).unwrap_or_default(),
        starts_at: details.map(|d| timestamp(d.window.starts_at())),
        ends_at: details.map(|d| timestamp(d.window.ends_at())),
        capacity: details.map_or(0, |d| d.capacity.get()),
        planned_item_id: state
            .planned_item
            .map(|p| p.to_string())
            .unwrap_or_default(),
        status: status_to_pb(state.status) as i32,
        registered: state.registered_count(),
        registered_checked_in: state.registered_attended(),
        walk_ins: state.walk_ins,
        attendance: state.attendance(),
        report: state
            .report
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        cancel_reason: state
            .cancel_reason
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        version,
    }
}

/// Where an activity stands, on the wire; UNSPECIFIED before it is scheduled. Only read
/// models carry it, so there is no way back.
fn status_to_pb(status: Option<ActivityStatus>) -> api::ActivityStatus {
    match status {
        None => api::ActivityStatus::Unspecified,
        Some(ActivityStatus::Scheduled) => api::ActivityStatus::Scheduled,
        Some(ActivityStatus::Closed) => api::ActivityStatus::Closed,
        Some(ActivityStatus::Cancelled) => api::ActivityStatus::Cancelled,
    }
}
