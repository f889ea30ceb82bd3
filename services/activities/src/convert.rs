//! Domain ⇄ protobuf: event payloads (the stored and published contract), enums, dates
//! and timestamps. Decoding a stored event checks every required field and names the
//! one missing or invalid.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::common::v1 as common;
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1 as pb;
use prost::Message;

use crate::domain::{
    ActivityCategory, ActivityEvent, ActivityId, ActivityPlan, AreaSquareMeters, Attendee,
    BoardEvent, BoardId, Capacity, FacilityDetails, FacilityEvent, FacilityId, FacilityName,
    FacilityType, Location, Month, Note, PastDate, PlanEvent, PlanYear, PlannedItem, PlannedItemId,
    Reason, ResidentId, TargetParticipants, TimeWindow, Title, Topic, ValidationError, Venue,
};

/// Builds the decode failure of one stored event.
fn failure(event_type: &str, schema_version: u32) -> impl Fn(String) -> DecodeError + '_ {
    move |reason| DecodeError {
        event_type: event_type.to_owned(),
        schema_version,
        reason,
    }
}

/// Decodes a payload, mapping the protobuf error.
fn payload<M: Message + Default>(
    bytes: &[u8],
    fail: &impl Fn(String) -> DecodeError,
) -> Result<M, DecodeError> {
    M::decode(bytes).map_err(|e| fail(e.to_string()))
}

impl EventCodec for PlanEvent {
    fn event_type(&self) -> &'static str {
        PlanEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            PlanEvent::ItemAdded {
                community,
                year,
                version,
                item,
            } => pb::PlannedItemAdded {
                community: community.clone(),
                year: year.get(),
                version: *version,
                item_id: item.item_id.to_string(),
                month: item.month.get(),
                category: category_to_pb(item.category) as i32,
                title: item.title.as_str().to_owned(),
                target_participants: item.target.get(),
            }
            .encode_to_vec(),
            PlanEvent::Published {
                community,
                year,
                version,
                item_count,
                target_total,
            } => pb::AnnualPlanPublished {
                community: community.clone(),
                year: year.get(),
                version: *version,
                item_count: *item_count,
                target_participants_total: *target_total,
            }
            .encode_to_vec(),
            PlanEvent::Amended {
                community,
                year,
                version,
                reason,
            } => pb::AnnualPlanAmended {
                community: community.clone(),
                year: year.get(),
                version: *version,
                reason: reason.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let year = |y| PlanYear::parse("year", y).map_err(v);
        let event = match event_type {
            "PlannedItemAdded" => {
                let e: pb::PlannedItemAdded = payload(bytes, &fail)?;
                PlanEvent::ItemAdded {
                    year: year(e.year)?,
                    version: e.version,
                    item: PlannedItem {
                        item_id: PlannedItemId::parse("item_id", &e.item_id).map_err(v)?,
                        month: Month::parse("month", e.month).map_err(v)?,
                        category: category_from_pb(e.category, "category").map_err(v)?,
                        title: Title::parse("title", &e.title).map_err(v)?,
                        target: TargetParticipants::parse(
                            "target_participants",
                            e.target_participants,
                        )
                        .map_err(v)?,
                    },
                    community: e.community,
                }
            }
            "AnnualPlanPublished" => {
                let e: pb::AnnualPlanPublished = payload(bytes, &fail)?;
                PlanEvent::Published {
                    year: year(e.year)?,
                    version: e.version,
                    item_count: e.item_count,
                    target_total: e.target_participants_total,
                    community: e.community,
                }
            }
            "AnnualPlanAmended" => {
                let e: pb::AnnualPlanAmended = payload(bytes, &fail)?;
                PlanEvent::Amended {
                    year: year(e.year)?,
                    version: e.version,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                    community: e.community,
                }
            }
            other => return Err(fail(format!("unknown annual plan event {other}"))),
        };
        Ok(event)
    }
}

impl EventCodec for ActivityEvent {
    fn event_type(&self) -> &'static str {
        ActivityEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            ActivityEvent::Scheduled {
                activity_id,
                community,
                details,
                planned_item,
            } => pb::ActivityScheduled {
                activity_id: activity_id.to_string(),
                community: community.clone(),
                category: category_to_pb(details.category) as i32,
                title: details.title.as_str().to_owned(),
                venue: details.venue.as_str().to_owned(),
                starts_at: Some(timestamp(details.window.starts_at())),
                ends_at: Some(timestamp(details.window.ends_at())),
                capacity: details.capacity.get(),
                planned_item_id: planned_item.map(|p| p.to_string()).unwrap_or_default(),
                plan_year: details.plan_year.get(),
            }
            .encode_to_vec(),
            ActivityEvent::Registered {
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
            ActivityEvent::CheckedIn {
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
            ActivityEvent::Closed {
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
                category: category_to_pb(*category) as i32,
                attendance: *attendance,
                registered: *registered,
                registered_attended: *registered_attended,
                walk_ins: *walk_ins,
                report: report.as_str().to_owned(),
                closed_at: Some(timestamp(*closed_at)),
            }
            .encode_to_vec(),
            ActivityEvent::Cancelled {
                activity_id,
                category,
                reason,
            } => pb::ActivityCancelled {
                activity_id: activity_id.to_string(),
                category: category_to_pb(*category) as i32,
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
        let event = match event_type {
            "ActivityScheduled" => {
                let e: pb::ActivityScheduled = payload(bytes, &fail)?;
                let starts_at = timestamp_from_pb(e.starts_at, "starts_at").map_err(v)?;
                let ends_at = timestamp_from_pb(e.ends_at, "ends_at").map_err(v)?;
                ActivityEvent::Scheduled {
                    activity_id: id(&e.activity_id)?,
                    details: ActivityPlan {
                        category: category_from_pb(e.category, "category").map_err(v)?,
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
                ActivityEvent::Registered {
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
                ActivityEvent::CheckedIn {
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
                ActivityEvent::Closed {
                    activity_id: id(&e.activity_id)?,
                    category: category_from_pb(e.category, "category").map_err(v)?,
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
                ActivityEvent::Cancelled {
                    activity_id: id(&e.activity_id)?,
                    category: category_from_pb(e.category, "category").map_err(v)?,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                }
            }
            other => return Err(fail(format!("unknown activity event {other}"))),
        };
        Ok(event)
    }
}

impl EventCodec for BoardEvent {
    fn event_type(&self) -> &'static str {
        BoardEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            BoardEvent::Registered {
                board_id,
                community,
                location,
            } => pb::PublicityBoardRegistered {
                board_id: board_id.to_string(),
                community: community.clone(),
                location: location.as_str().to_owned(),
            }
            .encode_to_vec(),
            BoardEvent::Updated {
                board_id,
                topic,
                updated_on,
            } => pb::PublicityBoardUpdated {
                board_id: board_id.to_string(),
                topic: topic.as_str().to_owned(),
                updated_on: Some(date_to_pb(updated_on.date())),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| BoardId::parse("board_id", s).map_err(v);
        match event_type {
            "PublicityBoardRegistered" => {
                let e: pb::PublicityBoardRegistered = payload(bytes, &fail)?;
                Ok(BoardEvent::Registered {
                    board_id: id(&e.board_id)?,
                    location: Location::parse("location", &e.location).map_err(v)?,
                    community: e.community,
                })
            }
            "PublicityBoardUpdated" => {
                let e: pb::PublicityBoardUpdated = payload(bytes, &fail)?;
                Ok(BoardEvent::Updated {
                    board_id: id(&e.board_id)?,
                    topic: Topic::parse("topic", &e.topic).map_err(v)?,
                    updated_on: recorded_date(e.updated_on, "updated_on").map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown publicity board event {other}"))),
        }
    }
}

impl EventCodec for FacilityEvent {
    fn event_type(&self) -> &'static str {
        FacilityEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            FacilityEvent::Registered {
                facility_id,
                community,
                details,
            } => pb::FacilityRegistered {
                facility_id: facility_id.to_string(),
                community: community.clone(),
                facility_type: facility_type_to_pb(details.facility_type) as i32,
                name: details.name.as_str().to_owned(),
                area_square_meters: details.area.get(),
            }
            .encode_to_vec(),
            FacilityEvent::Maintained {
                facility_id,
                maintained_on,
                note,
            } => pb::FacilityMaintained {
                facility_id: facility_id.to_string(),
                maintained_on: Some(date_to_pb(maintained_on.date())),
                note: note.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let id = |s: &str| FacilityId::parse("facility_id", s).map_err(v);
        match event_type {
            "FacilityRegistered" => {
                let e: pb::FacilityRegistered = payload(bytes, &fail)?;
                Ok(FacilityEvent::Registered {
                    facility_id: id(&e.facility_id)?,
                    details: FacilityDetails {
                        facility_type: facility_type_from_pb(e.facility_type, "facility_type")
                            .map_err(v)?,
                        name: FacilityName::parse("name", &e.name).map_err(v)?,
                        area: AreaSquareMeters::parse("area_square_meters", e.area_square_meters)
                            .map_err(v)?,
                    },
                    community: e.community,
                })
            }
            "FacilityMaintained" => {
                let e: pb::FacilityMaintained = payload(bytes, &fail)?;
                Ok(FacilityEvent::Maintained {
                    facility_id: id(&e.facility_id)?,
                    maintained_on: recorded_date(e.maintained_on, "maintained_on").map_err(v)?,
                    note: Note::parse("note", &e.note).map_err(v)?,
                })
            }
            other => Err(fail(format!("unknown facility event {other}"))),
        }
    }
}

/// A date already accepted when it was recorded; "today" then was at least the date.
fn recorded_date(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<PastDate, ValidationError> {
    let date = date_from_pb(d, field)?;
    PastDate::parse(field, date, date)
}

pub(crate) fn category_to_pb(c: ActivityCategory) -> pb::ActivityCategory {
    use pb::ActivityCategory as P;
    match c {
        ActivityCategory::CitizenSchoolClass => P::CitizenSchoolClass,
        ActivityCategory::FilmScreening => P::FilmScreening,
        ActivityCategory::Performance => P::Performance,
        ActivityCategory::Exhibition => P::Exhibition,
        ActivityCategory::Publicity => P::Publicity,
        ActivityCategory::MinorsEducation => P::MinorsEducation,
        ActivityCategory::PartyBuilding => P::PartyBuilding,
        ActivityCategory::Environment => P::Environment,
        ActivityCategory::ElderlyCare => P::ElderlyCare,
        ActivityCategory::Other => P::Other,
    }
}

/// A required category from the wire; UNSPECIFIED or unknown values name `field`.
pub(crate) fn category_from_pb(
    v: i32,
    field: &'static str,
) -> Result<ActivityCategory, ValidationError> {
    use pb::ActivityCategory as P;
    let category = match P::try_from(v) {
        Ok(P::CitizenSchoolClass) => ActivityCategory::CitizenSchoolClass,
        Ok(P::FilmScreening) => ActivityCategory::FilmScreening,
        Ok(P::Performance) => ActivityCategory::Performance,
        Ok(P::Exhibition) => ActivityCategory::Exhibition,
        Ok(P::Publicity) => ActivityCategory::Publicity,
        Ok(P::MinorsEducation) => ActivityCategory::MinorsEducation,
        Ok(P::PartyBuilding) => ActivityCategory::PartyBuilding,
        Ok(P::Environment) => ActivityCategory::Environment,
        Ok(P::ElderlyCare) => ActivityCategory::ElderlyCare,
        Ok(P::Other) => ActivityCategory::Other,
        Ok(P::Unspecified) | Err(_) => {
            return Err(ValidationError::new(
                field,
                "must be a known activity category",
            ))
        }
    };
    Ok(category)
}

pub(crate) fn facility_type_to_pb(t: FacilityType) -> pb::FacilityType {
    use pb::FacilityType as P;
    match t {
        FacilityType::ServiceStation => P::ServiceStation,
        FacilityType::CitizenSchool => P::CitizenSchool,
        FacilityType::MinorsVenue => P::MinorsVenue,
        FacilityType::CulturalRoom => P::CulturalRoom,
        FacilityType::SportsGround => P::SportsGround,
        FacilityType::Other => P::Other,
    }
}

/// A required facility type from the wire; UNSPECIFIED or unknown values name `field`.
pub(crate) fn facility_type_from_pb(
    v: i32,
    field: &'static str,
) -> Result<FacilityType, ValidationError> {
    use pb::FacilityType as P;
    let t = match P::try_from(v) {
        Ok(P::ServiceStation) => FacilityType::ServiceStation,
        Ok(P::CitizenSchool) => FacilityType::CitizenSchool,
        Ok(P::MinorsVenue) => FacilityType::MinorsVenue,
        Ok(P::CulturalRoom) => FacilityType::CulturalRoom,
        Ok(P::SportsGround) => FacilityType::SportsGround,
        Ok(P::Other) => FacilityType::Other,
        Ok(P::Unspecified) | Err(_) => {
            return Err(ValidationError::new(field, "must be a known facility type"))
        }
    };
    Ok(t)
}

pub(crate) fn date_to_pb(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// A required date from the wire, naming `field` when absent or impossible.
pub(crate) fn date_from_pb(
    d: Option<common::Date>,
    field: &'static str,
) -> Result<NaiveDate, ValidationError> {
    let d = d.ok_or_else(|| ValidationError::new(field, "is required"))?;
    let (Ok(month), Ok(day)) = (u32::try_from(d.month), u32::try_from(d.day)) else {
        return Err(ValidationError::new(field, "is not a calendar date"));
    };
    NaiveDate::from_ymd_opt(d.year, month, day)
        .ok_or_else(|| ValidationError::new(field, "is not a calendar date"))
}

/// A required instant from the wire, naming `field` when absent or out of range.
pub(crate) fn timestamp_from_pb(
    ts: Option<prost_types::Timestamp>,
    field: &'static str,
) -> Result<DateTime<Utc>, ValidationError> {
    let ts = ts.ok_or_else(|| ValidationError::new(field, "is required"))?;
    u32::try_from(ts.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(ts.seconds, nanos))
        .ok_or_else(|| ValidationError::new(field, "is not a valid timestamp"))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
