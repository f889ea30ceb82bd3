//! Activities: the annual plan, activities from scheduling to close, publicity boards
//! and facilities.
//!
//! Flows are counted on the day of the event that completes them (an activity is
//! "held" when it is closed), a board update on the day it was updated (`updated_on`),
//! in total and per topic (`publicity.board_updates.<topic>`; updates recorded before
//! topic codes count as `other`); the plan's published item count is a stock of the plan
//! of the period's year, which a re-publication of an amended plan replaces.
//!
//! Plan adherence: a published item is due on the first day of its month
//! (`plan.items_due`, with its `plan.target_participants`); the items added to a draft
//! wait in the plan row until the draft is published. An activity that delivers a
//! planned item and closes within the item's month delivers it (`plan.items_delivered`,
//! each item once) with its attendance (`plan.delivered_attendance`).
//!
//! The community page shows the latest board updates ([`BoardUpdateRow`]): one row per
//! board and day, the day's last update, with its topic code and text but not the
//! board's id.

use std::collections::BTreeMap;

use civitas_proto::codes::{ActivityCategory, FacilityType};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, instant_text, Deltas, Views};
use crate::catalog::{
    board_topic_element, held_element, ACTIVITIES_ATTENDANCE, ACTIVITIES_CANCELLED,
    ACTIVITIES_FILM_SCREENINGS, ACTIVITIES_HELD, ACTIVITIES_MINORS_REACHED,
    ACTIVITIES_PARTICIPANTS, ACTIVITIES_REGISTERED_ATTENDED, ACTIVITIES_REGISTERED_AT_CLOSE,
    FACILITIES_AREA_M2, FACILITIES_STATION_AREA_M2, PLAN_DELIVERED_ATTENDANCE,
    PLAN_ITEMS_DELIVERED, PLAN_ITEMS_DUE, PLAN_ITEMS_PUBLISHED, PLAN_TARGET_PARTICIPANTS,
    PUBLICITY_BOARDS, PUBLICITY_BOARD_UPDATES,
};

/// An activity as staff lists show it; no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityRow {
    pub community: String,
    /// `None` when unspecified.
    pub category: Option<ActivityCategory>,
    pub title: String,
    /// RFC 3339 in UTC.
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    /// Active registrations (at close: as closed).
    pub registered: i64,
    /// Every check-in, walk-ins included (at close: the attendance).
    pub checked_in: i64,
    pub walk_ins: i64,
    /// `scheduled`, `closed` or `cancelled`.
    pub status: String,
    /// The planned item it delivers and that item's month (`YYYY-MM`); empty if none.
    pub planned_item: String,
    pub planned_month: String,
}

pub const SCHEDULED: &str = "scheduled";
pub const CLOSED: &str = "closed";
pub const CANCELLED: &str = "cancelled";

/// A publicity board update as the community page shows it: the day, the topic and
/// the text staff wrote for publication; the board's id is only in the row's key
/// (`<board id>/<day>`), never a column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardUpdateRow {
    pub community: String,
    /// `YYYY-MM-DD`: `updated_on`, or the event's day when it has no valid date.
    pub updated_on: String,
    /// The topic's code as in `publicity.board_updates.<topic>` (see
    /// [`board_topic_code`]): updates recorded before topic codes are `other`.
    pub topic: String,
    /// The update's free text (on updates before topic codes, the topic itself);
    /// may be empty.
    pub text: String,
}

/// A board topic's code, the suffix of its `publicity.board_updates.<topic>` element,
/// so the page and the KPI count a topic alike (UNSPECIFIED is `other`).
pub fn board_topic_code(topic: pb::BoardTopic) -> &'static str {
    let code = board_topic_element(topic).code;
    code.rsplit('.').next().unwrap_or(code)
}

/// The board update row key: one row per board and day.
fn board_update_key(board_id: &str, on: &str) -> String {
    format!("{board_id}/{on}")
}

/// A community's plan for a year, as last published.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanRow {
    pub community: String,
    pub year: i64,
    pub version: i64,
    pub item_count: i64,
    /// Items added since the last publication, per month: `month:items:target`, comma
    /// separated (see [`Draft`]).
    pub draft: String,
}

/// A planned item: where and when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanItemRow {
    pub community: String,
    /// `YYYY-MM`.
    pub month: String,
    pub target: i64,
}

/// The items of a plan's draft not yet published: per month (1–12), how many and their
/// target participants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Draft(BTreeMap<i32, (i64, i64)>);

impl Draft {
    fn parse(text: &str) -> Draft {
        let entry = |part: &str| {
            let mut fields = part.split(':').map(str::parse::<i64>);
            match (fields.next(), fields.next(), fields.next()) {
                (Some(Ok(month)), Some(Ok(items)), Some(Ok(target))) => {
                    Some((i32::try_from(month).ok()?, (items, target)))
                }
                _ => None,
            }
        };
        Draft(text.split(',').filter_map(entry).collect())
    }

    fn text(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(month, (items, target))| format!("{month}:{items}:{target}"))
            .collect();
        parts.join(",")
    }
}

/// An activities event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    AnnualPlanPublished {
        year: i32,
        version: u32,
        item_count: u32,
    },
    PlannedItemAdded {
        item_id: String,
        year: i32,
        month: i32,
        target: u32,
    },
    ActivityScheduled {
        activity_id: String,
        /// Empty when it delivers no planned item.
        planned_item_id: String,
        category: Option<ActivityCategory>,
        title: String,
        starts_at: String,
        ends_at: String,
        capacity: u32,
    },
    /// `registered` is the activity's registration count after the event.
    ParticipantRegistered {
        activity_id: String,
        registered: u32,
    },
    /// `registered` is the activity's registration count after the event.
    RegistrationCancelled {
        activity_id: String,
        registered: u32,
    },
    /// `resident_id` is empty for a walk-in.
    ParticipantCheckedIn {
        activity_id: String,
        resident_id: String,
        walk_in: bool,
    },
    ActivityClosed {
        activity_id: String,
        category: Option<ActivityCategory>,
        attendance: u32,
        registered: u32,
        registered_attended: u32,
        walk_ins: u32,
    },
    ActivityCancelled {
        activity_id: String,
    },
    /// `updated_on` is `YYYY-MM-DD`, empty when the payload has no valid date;
    /// `topic` is UNSPECIFIED on updates recorded before topic codes; `text` is the
    /// payload's free-text `topic`.
    PublicityBoardUpdated {
        board_id: String,
        topic: pb::BoardTopic,
        updated_on: String,
        text: String,
    },
    PublicityBoardRegistered,
    FacilityRegistered {
        /// `None` when unspecified.
        facility_type: Option<FacilityType>,
        area_m2: u32,
    },
}

/// Decodes an activities event; `None` for another service's event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "AnnualPlanPublished" => {
            let e = pb::AnnualPlanPublished::decode(p)?;
            Fact::AnnualPlanPublished {
                year: e.year,
                version: e.version,
                item_count: e.item_count,
            }
        }
        "ActivityScheduled" => {
            let e = pb::ActivityScheduled::decode(p)?;
            Fact::ActivityScheduled {
                planned_item_id: e.planned_item_id,
                category: ActivityCategory::from_wire(e.category),
                starts_at: instant_text(e.starts_at.map(|t| (t.seconds, t.nanos))),
                ends_at: instant_text(e.ends_at.map(|t| (t.seconds, t.nanos))),
                activity_id: e.activity_id,
                title: e.title,
                capacity: e.capacity,
            }
        }
        "ParticipantRegistered" => {
            let e = pb::ParticipantRegistered::decode(p)?;
            Fact::ParticipantRegistered {
                activity_id: e.activity_id,
                registered: e.registered_count,
            }
        }
        "RegistrationCancelled" => {
            let e = pb::RegistrationCancelled::decode(p)?;
            Fact::RegistrationCancelled {
                activity_id: e.activity_id,
                registered: e.registered_count,
            }
        }
        "ParticipantCheckedIn" => {
            let e = pb::ParticipantCheckedIn::decode(p)?;
            Fact::ParticipantCheckedIn {
                activity_id: e.activity_id,
                resident_id: e.resident_id,
                walk_in: e.walk_in,
            }
        }
        "ActivityClosed" => {
            let e = pb::ActivityClosed::decode(p)?;
            Fact::ActivityClosed {
                category: ActivityCategory::from_wire(e.category),
                activity_id: e.activity_id,
                attendance: e.attendance,
                registered: e.registered,
                registered_attended: e.registered_attended,
                walk_ins: e.walk_ins,
            }
        }
        "ActivityCancelled" => Fact::ActivityCancelled {
            activity_id: pb::ActivityCancelled::decode(p)?.activity_id,
        },
        "PublicityBoardUpdated" => {
            let e = pb::PublicityBoardUpdated::decode(p)?;
            Fact::PublicityBoardUpdated {
                topic: pb::BoardTopic::try_from(e.topic_code)
                    .unwrap_or(pb::BoardTopic::Unspecified),
                updated_on: date_text(e.updated_on.as_ref()),
                board_id: e.board_id,
                text: e.topic,
            }
        }
        "FacilityRegistered" => {
            let e = pb::FacilityRegistered::decode(p)?;
            Fact::FacilityRegistered {
                facility_type: FacilityType::from_wire(e.facility_type),
                area_m2: e.area_square_meters,
            }
        }
        "PlannedItemAdded" => {
            let e = pb::PlannedItemAdded::decode(p)?;
            Fact::PlannedItemAdded {
                item_id: e.item_id,
                year: e.year,
                month: e.month,
                target: e.target_participants,
            }
        }
        "AnnualPlanAmended" => return super::ignored::<pb::AnnualPlanAmended>(p).map(Some),
        "PublicityBoardRegistered" => {
            pb::PublicityBoardRegistered::decode(p)?;
            Fact::PublicityBoardRegistered
        }
        "FacilityMaintained" => return super::ignored::<pb::FacilityMaintained>(p).map(Some),
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Activities(fact)))
}

/// The plan row key: one plan per community and year.
fn plan_key(community: &str, year: i32) -> String {
    format!("{community}/{year}")
}

impl Fact {
    fn activity_id(&self) -> Option<&str> {
        match self {
            Fact::ActivityScheduled { activity_id, .. }
            | Fact::ParticipantRegistered { activity_id, .. }
            | Fact::RegistrationCancelled { activity_id, .. }
            | Fact::ParticipantCheckedIn { activity_id, .. }
            | Fact::ActivityClosed { activity_id, .. }
            | Fact::ActivityCancelled { activity_id } => Some(activity_id),
            Fact::AnnualPlanPublished { .. }
            | Fact::PlannedItemAdded { .. }
            | Fact::PublicityBoardUpdated { .. }
            | Fact::PublicityBoardRegistered
            | Fact::FacilityRegistered { .. } => None,
        }
    }

    /// Names the rows this fact reads or writes; the plan's key needs the event's
    /// community.
    pub(super) fn need(&self, community: &str, views: &mut Views) {
        match self {
            Fact::AnnualPlanPublished { year, .. } => {
                views.plans.entry(plan_key(community, *year)).or_default();
            }
            Fact::PlannedItemAdded { year, .. } => {
                views.plans.entry(plan_key(community, *year)).or_default();
            }
            Fact::ActivityScheduled {
                planned_item_id, ..
            } if !planned_item_id.is_empty() => {
                views.plan_items.entry(planned_item_id.clone()).or_default();
            }
            _ => {}
        }
        if let Some(id) = self.activity_id() {
            views.activities.entry(id.to_owned()).or_default();
        }
    }
}

/// A change of `change` items in the published plan of `year`: it counts in that
/// year only, from the publication day (or the year's first day, for a plan published
/// ahead) until the next year's first day, when it is taken off again. So
/// `plan.items_published` at the end of any period is the plan of that period's year,
/// not every year's plans added up.
fn plan_items(deltas: &mut Deltas, community: &str, day: &str, year: i32, change: i64) {
    let first_day = |year: i32| format!("{year:04}-01-01");
    let from = first_day(year).max(day.to_owned());
    add(deltas, &PLAN_ITEMS_PUBLISHED, community, &from, change);
    if let Some(next) = year.checked_add(1) {
        add(
            deltas,
            &PLAN_ITEMS_PUBLISHED,
            community,
            &first_day(next),
            -change,
        );
    }
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    // Everything counts in the event's community.
    if let Fact::ParticipantCheckedIn { resident_id, .. } = fact {
        if !resident_id.is_empty() {
            let participants = &ACTIVITIES_PARTICIPANTS;
            count_person(
                &mut views.persons,
                participants,
                community,
                day,
                resident_id,
            );
        }
    }
    let mut count = |element, delta| add(deltas, element, community, day, delta);
    let row = fact
        .activity_id()
        .map(|id| views.activities.entry(id.to_owned()).or_default());
    match (fact, row) {
        (
            Fact::AnnualPlanPublished {
                year,
                version,
                item_count,
            },
            _,
        ) => {
            let plan = views.plans.entry(plan_key(community, *year)).or_default();
            let before = plan.as_ref().map_or(0, |p| p.item_count);
            let after = i64::from(*item_count);
            plan_items(deltas, community, day, *year, after - before);
            // The draft's items are due from now on, each in its month.
            let draft = Draft::parse(plan.as_ref().map_or("", |p| p.draft.as_str()));
            for (month, (items, target)) in draft.0 {
                let first = format!("{year:04}-{month:02}-01");
                add(deltas, &PLAN_ITEMS_DUE, community, &first, items);
                add(deltas, &PLAN_TARGET_PARTICIPANTS, community, &first, target);
            }
            *plan = Some(PlanRow {
                community: community.to_owned(),
                year: i64::from(*year),
                version: i64::from(*version),
                item_count: after,
                draft: String::new(),
            });
        }
        (
            Fact::PlannedItemAdded {
                item_id,
                year,
                month,
                target,
            },
            _,
        ) => {
            let plan = views.plans.entry(plan_key(community, *year)).or_default();
            let plan = plan.get_or_insert_with(|| PlanRow {
                community: community.to_owned(),
                year: i64::from(*year),
                ..PlanRow::default()
            });
            let mut draft = Draft::parse(&plan.draft);
            let tally = draft.0.entry(*month).or_default();
            *tally = (tally.0 + 1, tally.1 + i64::from(*target));
            plan.draft = draft.text();
            views.plan_items.insert(
                item_id.clone(),
                Some(PlanItemRow {
                    community: community.to_owned(),
                    month: format!("{year:04}-{month:02}"),
                    target: i64::from(*target),
                }),
            );
        }
        (
            Fact::ActivityScheduled {
                planned_item_id,
                category,
                title,
                starts_at,
                ends_at,
                capacity,
                ..
            },
            Some(row),
        ) => {
            let item = views.plan_items.get(planned_item_id).cloned().flatten();
            *row = Some(ActivityRow {
                planned_item: item
                    .as_ref()
                    .map(|_| planned_item_id.clone())
                    .unwrap_or_default(),
                planned_month: item.map(|i| i.month).unwrap_or_default(),
                community: community.to_owned(),
                category: *category,
                title: title.clone(),
                starts_at: starts_at.clone(),
                ends_at: ends_at.clone(),
                capacity: i64::from(*capacity),
                registered: 0,
                checked_in: 0,
                walk_ins: 0,
                status: SCHEDULED.to_owned(),
            });
        }
        (
            Fact::ParticipantRegistered { registered, .. }
            | Fact::RegistrationCancelled { registered, .. },
            Some(Some(row)),
        ) => {
            row.registered = i64::from(*registered);
        }
        (Fact::ParticipantCheckedIn { walk_in, .. }, Some(Some(row))) => {
            row.checked_in += 1;
            row.walk_ins += i64::from(*walk_in);
        }
        (
            Fact::ActivityClosed {
                category,
                attendance,
                registered,
                registered_attended,
                walk_ins,
                ..
            },
            row,
        ) => {
            let row = row.and_then(Option::as_mut);
            if row.as_ref().is_some_and(|r| r.status != SCHEDULED) {
                tracing::debug!(community, "activity closed twice, counted once");
                return;
            }
            let attendance = i64::from(*attendance);
            let registered = i64::from(*registered);
            count(&ACTIVITIES_HELD, 1);
            if let Some(category) = category {
                count(held_element(*category), 1);
            }
            count(&ACTIVITIES_ATTENDANCE, attendance);
            count(&ACTIVITIES_REGISTERED_AT_CLOSE, registered);
            count(
                &ACTIVITIES_REGISTERED_ATTENDED,
                i64::from(*registered_attended),
            );
            match category {
                Some(ActivityCategory::FilmScreening) => count(&ACTIVITIES_FILM_SCREENINGS, 1),
                Some(ActivityCategory::MinorsEducation) => {
                    count(&ACTIVITIES_MINORS_REACHED, attendance)
                }
                _ => {}
            }
            if let Some(row) = row
                .as_ref()
                .filter(|r| !r.planned_item.is_empty() && day.starts_with(r.planned_month.as_str()))
            {
                let item = &row.planned_item;
                count_person(
                    &mut views.persons,
                    &PLAN_ITEMS_DELIVERED,
                    community,
                    day,
                    item,
                );
                count(&PLAN_DELIVERED_ATTENDANCE, attendance);
            }
            if let Some(row) = row {
                row.registered = registered;
                row.checked_in = attendance;
                row.walk_ins = i64::from(*walk_ins);
                row.status = CLOSED.to_owned();
            }
        }
        (Fact::ActivityCancelled { .. }, row) => {
            let row = row.and_then(Option::as_mut);
            if row.as_ref().is_some_and(|r| r.status != SCHEDULED) {
                return;
            }
            count(&ACTIVITIES_CANCELLED, 1);
            if let Some(row) = row {
                row.status = CANCELLED.to_owned();
            }
        }
        (
            Fact::PublicityBoardUpdated {
                board_id,
                topic,
                updated_on,
                text,
            },
            _,
        ) => {
            let on = if updated_on.is_empty() {
                day
            } else {
                updated_on
            };
            add(deltas, &PUBLICITY_BOARD_UPDATES, community, on, 1);
            add(deltas, board_topic_element(*topic), community, on, 1);
            // Only ever written whole, so never loaded: a later update of the board on
            // the same day replaces the row.
            views.board_updates.insert(
                board_update_key(board_id, on),
                Some(BoardUpdateRow {
                    community: community.to_owned(),
                    updated_on: on.to_owned(),
                    topic: board_topic_code(*topic).to_owned(),
                    text: text.clone(),
                }),
            );
        }
        (Fact::PublicityBoardRegistered, _) => count(&PUBLICITY_BOARDS, 1),
        (
            Fact::FacilityRegistered {
                facility_type,
                area_m2,
            },
            _,
        ) => {
            if *facility_type == Some(FacilityType::ServiceStation) {
                count(&FACILITIES_STATION_AREA_M2, i64::from(*area_m2));
            }
            count(&FACILITIES_AREA_M2, i64::from(*area_m2))
        }
        // Events about an activity the projection never saw scheduled change no row.
        (Fact::ActivityScheduled { .. }, None)
        | (
            Fact::ParticipantRegistered { .. }
            | Fact::RegistrationCancelled { .. }
            | Fact::ParticipantCheckedIn { .. },
            _,
        ) => {}
    }
}

#[cfg(test)]
#[path = "activities_tests.rs"]
mod tests;
