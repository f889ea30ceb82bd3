//! The functional core: how each event changes the read-model rows and the KPI deltas.
//! Pure functions over values, no IO, so every rule is tested without a database.
//!
//! One module per write service, along the seam of the event protos: [`residents`],
//! [`activities`], [`volunteering`], [`safety`], and areas of their own: the residents
//! service's care visits in [`care`] and re-employment cases in [`employment`], the
//! volunteering service's teams in [`teams`], the activities service's monthly
//! reports in [`reporting`], good deeds in [`deeds`],
//! co-building units in [`cobuilding`], the service station's services in
//! [`station`] and the community's fund ledger in [`funding`]. An event is decoded once into a
//! [`Decoded`]: its [`Fact`] (the event reduced to what the projection uses, its variant
//! named like the event) with the community and day it happened on. A batch then walks
//! its facts twice, both times through this module: [`Fact::need`] names the rows of
//! [`Views`] each fact reads or writes (the shell loads them all at once), and [`apply`]
//! changes those rows and adds to per-day [`Deltas`] of the catalog's data elements.

pub mod activities;
pub mod care;
pub mod cobuilding;
pub mod deeds;
pub mod employment;
pub mod funding;
pub mod reporting;
pub mod residents;
pub mod safety;
pub mod station;
pub mod teams;
pub mod volunteering;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use civitas_kernel::RecordedEvent;
use civitas_proto::common::v1 as common;
use prost::Message;

use crate::catalog::DataElement;

pub use activities::{ActivityRow, BoardUpdateRow, PlanItemRow, PlanRow};
pub use deeds::DeedRow;
pub use reporting::ReportRow;
pub use residents::ResidentRow;
pub use safety::{IncidentRow, RectificationRow};
pub use teams::TeamRow;
pub use volunteering::{PendingApproval, VolunteerRow};

/// The payload schema version every known event type is read at; an event of a known
/// type at another version is undecodable (and parked) until this build learns it.
pub const SCHEMA_VERSION: u32 = 1;

/// The district's fixed time zone (UTC+08:00), which decides an event's day.
const DISTRICT_OFFSET_SECONDS: i32 = 8 * 3600;

fn district_zone() -> FixedOffset {
    FixedOffset::east_opt(DISTRICT_OFFSET_SECONDS).expect("offset within a day")
}

/// The calendar day of an instant in the district's time zone. The last eight hours
/// chrono can hold have no local day (an envelope from the wire may carry them): they
/// count on their UTC day rather than panic.
pub fn district_date(at: DateTime<Utc>) -> NaiveDate {
    let utc = at.naive_utc();
    utc.checked_add_offset(district_zone())
        .unwrap_or(utc)
        .date()
}

/// The `YYYY-MM-DD` day of an instant in the district's time zone.
pub fn district_day(at: DateTime<Utc>) -> String {
    district_date(at).format("%Y-%m-%d").to_string()
}

/// Per-day deltas keyed by (element code, community, day).
pub type Deltas = BTreeMap<(&'static str, String, String), i64>;

/// Adds `delta` to `element`'s value in `community` on `day`.
pub(crate) fn add(
    deltas: &mut Deltas,
    element: &DataElement,
    community: &str,
    day: &str,
    delta: i64,
) {
    *deltas
        .entry((element.code, community.to_owned(), day.to_owned()))
        .or_default() += delta;
}

/// Rows of one read-model table touched by a batch, by key; `None` is a row that does
/// not exist (or no longer does: the shell deletes it).
pub type Table<R> = BTreeMap<String, Option<R>>;

/// The read-model rows facts read and write.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Views {
    pub residents: Table<ResidentRow>,
    pub activities: Table<ActivityRow>,
    pub plans: Table<PlanRow>,
    pub plan_items: Table<PlanItemRow>,
    pub volunteers: Table<VolunteerRow>,
    pub pending: Table<PendingApproval>,
    pub incidents: Table<IncidentRow>,
    pub rectifications: Table<RectificationRow>,
    pub reports: Table<ReportRow>,
    /// Persons counted by DISTINCT elements; only ever added, so never loaded.
    pub persons: Table<PersonRow>,
    /// What the community page shows: board updates (only ever written whole, so
    /// never loaded), volunteer teams and good deeds.
    pub board_updates: Table<BoardUpdateRow>,
    pub teams: Table<TeamRow>,
    pub deeds: Table<DeedRow>,
}

/// A person (a pseudonymous id) counted by a DISTINCT element in a community on a day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonRow {
    pub element: String,
    pub community: String,
    pub day: String,
    pub person: String,
}

/// Counts `person` for the DISTINCT `element` in `community` on `day`, once however
/// often it happens: a unit's value is the number of distinct persons across its
/// communities in the period (see `db::distinct_counts`).
pub(crate) fn count_person(
    persons: &mut Table<PersonRow>,
    element: &DataElement,
    community: &str,
    day: &str,
    person: &str,
) {
    let key = format!("{}|{community}|{day}|{person}", element.code);
    persons.insert(
        key,
        Some(PersonRow {
            element: element.code.to_owned(),
            community: community.to_owned(),
            day: day.to_owned(),
            person: person.to_owned(),
        }),
    );
}

/// An event reduced to the fields the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Residents(residents::Fact),
    Activities(activities::Fact),
    Volunteering(volunteering::Fact),
    Safety(safety::Fact),
    Reporting(reporting::Fact),
    Care(care::Fact),
    Deeds(deeds::Fact),
    Employment(employment::Fact),
    CoBuilding(cobuilding::Fact),
    Station(station::Fact),
    Funding(funding::Fact),
    Teams(teams::Fact),
    /// A known event that feeds no element or view (yet).
    Ignored,
    /// An event type this projection does not know.
    Unknown,
}

/// Why an event of a known type cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    /// The payload is not the type's message.
    #[error("payload of {event_type} does not decode: {source}")]
    Payload {
        event_type: String,
        source: prost::DecodeError,
    },
    /// The event is of a schema version this build cannot read.
    #[error("{event_type} at unknown schema_version {found} (this build reads {SCHEMA_VERSION})")]
    SchemaVersion { event_type: String, found: u32 },
}

/// An area's decoder: its fact for an event type it knows, `None` for any other.
type AreaDecoder = fn(&str, &[u8]) -> Result<Option<Fact>, prost::DecodeError>;

/// Every area's decoder; each event type belongs to exactly one.
const AREAS: [AreaDecoder; 12] = [
    residents::decode,
    care::decode,
    activities::decode,
    volunteering::decode,
    safety::decode,
    reporting::decode,
    deeds::decode,
    employment::decode,
    cobuilding::decode,
    station::decode,
    funding::decode,
    teams::decode,
];

impl Fact {
    /// Decodes an event's payload by its type; an unknown type is [`Fact::Unknown`].
    pub fn decode(event: &RecordedEvent) -> Result<Fact, Undecodable> {
        let (event_type, p) = (event.event_type.as_str(), event.payload.as_slice());
        let decoded = AREAS
            .iter()
            .map(|decode| decode(event_type, p))
            .find(|decoded| !matches!(decoded, Ok(None)))
            .unwrap_or(Ok(None));
        // An area returns `Ok(None)` only for a type it does not know, so anything else
        // is a known type and its schema version is checked first.
        match decoded {
            Ok(None) => Ok(Fact::Unknown),
            _ if event.schema_version != SCHEMA_VERSION => Err(Undecodable::SchemaVersion {
                event_type: event_type.to_owned(),
                found: event.schema_version,
            }),
            Ok(Some(fact)) => Ok(fact),
            Err(source) => Err(Undecodable::Payload {
                event_type: event_type.to_owned(),
                source,
            }),
        }
    }

    /// Adds the rows this fact, which happened in `community`, reads or writes to
    /// `views` as not loaded (`None`) unless they are there already.
    pub fn need(&self, community: &str, views: &mut Views) {
        match self {
            Fact::Residents(f) => f.need(views),
            Fact::Activities(f) => f.need(community, views),
            Fact::Volunteering(f) => f.need(views),
            Fact::Safety(f) => f.need(views),
            Fact::Reporting(f) => f.need(community, views),
            Fact::Care(f) => f.need(views),
            Fact::Deeds(f) => f.need(views),
            Fact::Teams(f) => f.need(views),
            Fact::Employment(_) | Fact::CoBuilding(_) | Fact::Station(_) | Fact::Funding(_) => {}
            Fact::Ignored | Fact::Unknown => {}
        }
    }
}

/// An event as the rules take it: its fact, the envelope's community (and its street,
/// for the street rollups) and the day it happened in the district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub fact: Fact,
    pub community: String,
    pub street: String,
    pub day: String,
}

impl Decoded {
    /// Decodes `event`; see [`Fact::decode`].
    pub fn of(event: &RecordedEvent) -> Result<Decoded, Undecodable> {
        Ok(Decoded {
            fact: Fact::decode(event)?,
            community: event.org.community.clone(),
            street: event.org.street.clone(),
            day: district_day(event.occurred_at),
        })
    }
}

/// A known event whose payload is checked but feeds nothing.
fn ignored<M: Message + Default>(payload: &[u8]) -> Result<Fact, prost::DecodeError> {
    M::decode(payload)?;
    Ok(Fact::Ignored)
}

/// Applies one fact that happened in `community` on `day` (the envelope's) to the
/// views (rows named by [`Fact::need`], absent ones read as missing) and the deltas.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    match fact {
        Fact::Residents(f) => residents::apply(f, community, day, views, deltas),
        Fact::Activities(f) => activities::apply(f, community, day, views, deltas),
        Fact::Volunteering(f) => volunteering::apply(f, community, day, views, deltas),
        Fact::Safety(f) => safety::apply(f, community, day, views, deltas),
        Fact::Reporting(f) => reporting::apply(f, community, day, views, deltas),
        Fact::Care(f) => care::apply(f, community, day, views, deltas),
        Fact::Deeds(f) => deeds::apply(f, community, day, views, deltas),
        Fact::Employment(f) => employment::apply(f, community, day, views, deltas),
        Fact::CoBuilding(f) => cobuilding::apply(f, community, day, views, deltas),
        Fact::Station(f) => station::apply(f, community, day, views, deltas),
        Fact::Funding(f) => funding::apply(f, community, day, views, deltas),
        Fact::Teams(f) => teams::apply(f, community, day, views, deltas),
        Fact::Ignored | Fact::Unknown => {}
    }
}

/// A category's code as stored and served; empty when unspecified.
pub fn code_text<C: std::fmt::Display>(category: Option<C>) -> String {
    category.map(|c| c.to_string()).unwrap_or_default()
}

/// A proto date as `YYYY-MM-DD`; empty when unset or not a calendar date.
pub fn date_text(date: Option<&common::Date>) -> String {
    date.and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Days from `earlier` to `later` (`YYYY-MM-DD`); `None` if either is not a date.
pub fn days_between(earlier: &str, later: &str) -> Option<i64> {
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    Some((parse(later)? - parse(earlier)?).num_days())
}

/// A proto timestamp as an instant; `None` when unset or out of range.
pub fn instant(seconds: i64, nanos: i32) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, u32::try_from(nanos).ok()?)
}

/// A proto timestamp's `(seconds, nanos)` as sortable RFC 3339 text in UTC (`…Z`);
/// empty if unset or out of range.
pub fn instant_text(ts: Option<(i64, i32)>) -> String {
    ts.and_then(|(seconds, nanos)| instant(seconds, nanos))
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Test support shared by the per-area rule tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub const DAY: &str = "2026-11-28";

    /// Applies facts in order in community `c1` on [`DAY`], returning the views and the
    /// non-zero net deltas as (element, value), checking every element is in the catalog.
    pub fn run(facts: &[Fact]) -> (Views, Vec<(String, i64)>) {
        let mut views = Views::default();
        let mut deltas = Deltas::new();
        for f in facts {
            apply(f, "c1", DAY, &mut views, &mut deltas);
        }
        for (element, _, _) in deltas.keys() {
            assert!(
                crate::catalog::element(element).is_some(),
                "{element} is not in the catalog"
            );
        }
        (views, net(deltas))
    }

    /// The non-zero deltas as (element, value), in element order.
    pub fn net(deltas: Deltas) -> Vec<(String, i64)> {
        deltas
            .into_iter()
            .filter(|(_, v)| *v != 0)
            .map(|((e, _, _), v)| (e.to_owned(), v))
            .collect()
    }

    /// Expected (element, value) pairs, in element order like [`run`]'s.
    pub fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        let mut v: Vec<_> = list.iter().map(|(e, n)| (e.to_string(), *n)).collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_in_the_district_zone() {
        let late_utc = "2026-11-27T16:30:00Z".parse().unwrap();
        assert_eq!(district_day(late_utc), "2026-11-28");
        assert_eq!(
            district_day("2026-11-27T15:59:59Z".parse().unwrap()),
            "2026-11-27"
        );
    }

    #[test]
    fn dates_and_instants_are_stored_as_sortable_text() {
        let date = common::Date {
            year: 2026,
            month: 2,
            day: 3,
        };
        assert_eq!(date_text(Some(&date)), "2026-02-03");
        let bad = common::Date { month: 13, ..date };
        assert_eq!(date_text(Some(&bad)), "");
        assert_eq!(date_text(None), "");
        assert_eq!(days_between("2026-11-25", "2026-12-02"), Some(7));
        assert_eq!(days_between("", "2026-12-02"), None);
        assert_eq!(instant_text(Some((0, 0))), "1970-01-01T00:00:00Z");
        assert_eq!(instant_text(Some((0, -1))), "");
        assert_eq!(instant_text(None), "");
    }

    fn event(event_type: &str, payload: Vec<u8>) -> RecordedEvent {
        RecordedEvent {
            event_id: uuid::Uuid::nil(),
            stream_id: "s-1".into(),
            stream_version: 1,
            event_type: event_type.into(),
            schema_version: 1,
            org: Default::default(),
            occurred_at: Utc::now(),
            recorded_at: Utc::now(),
            actor: String::new(),
            correlation_id: String::new(),
            causation_id: String::new(),
            traceparent: String::new(),
            payload,
            checkpoint: Default::default(),
        }
    }

    #[test]
    fn decodes_every_area_and_skips_unknown_types() {
        use civitas_proto::codes::ActivityCategory;
        use civitas_proto::events::v1 as pb;
        let closed = pb::ActivityClosed {
            activity_id: "a1".into(),
            category: pb::ActivityCategory::FilmScreening as i32,
            attendance: 3,
            ..Default::default()
        };
        assert!(matches!(
            Fact::decode(&event("ActivityClosed", closed.encode_to_vec())).unwrap(),
            Fact::Activities(activities::Fact::ActivityClosed {
                category: Some(ActivityCategory::FilmScreening),
                attendance: 3,
                ..
            })
        ));
        let team = pb::TeamFormed {
            team_id: "t1".into(),
            name: "Repair team".into(),
            category: pb::VolunteerServiceCategory::Repair as i32,
            ..Default::default()
        };
        assert_eq!(
            Fact::decode(&event("TeamFormed", team.encode_to_vec())).unwrap(),
            Fact::Teams(teams::Fact::Formed {
                team_id: "t1".into(),
                name: "Repair team".into(),
                purpose: String::new(),
                category: Some(civitas_proto::codes::ServiceCategory::Repair),
            })
        );
        let opportunity = pb::OpportunityPublished::default().encode_to_vec();
        assert_eq!(
            Fact::decode(&event("OpportunityPublished", opportunity)).unwrap(),
            Fact::Ignored
        );
        let patrol = pb::PatrolCompleted {
            participants: 4,
            minutes: 90,
            ..Default::default()
        };
        assert_eq!(
            Fact::decode(&event("PatrolCompleted", patrol.encode_to_vec())).unwrap(),
            Fact::Safety(safety::Fact::PatrolCompleted {
                participants: 4,
                minutes: 90
            })
        );
        assert_eq!(
            Fact::decode(&event("SomethingNew", vec![1, 2, 3])).unwrap(),
            Fact::Unknown
        );
        assert!(Fact::decode(&event("HoursApproved", vec![0xff, 0xff])).is_err());
    }
}

#[cfg(test)]
#[path = "rules_props.rs"]
mod props;
