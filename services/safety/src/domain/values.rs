//! Validated value types of the safety domain. Each is built only by `parse(field, ..)`,
//! which names the request field to blame, so an invalid value cannot exist past the edge.
//!
//! Nothing here is personal: places are grids, buildings and short descriptions, teams
//! are unit names, people on a patrol are a count.

use chrono::{DateTime, Utc};

use civitas_kernel::values::not_in_future;
pub use civitas_kernel::values::{Building, Grid, ValidationError};
use civitas_kernel::{text_value, uuid_id};

// The categories, each defined once for every service with its code and wire form.
pub use civitas_proto::codes::{EscalationTarget, IncidentCategory, InspectionType, Severity};

uuid_id!(
    /// An incident's id; its stream is `incident-<uuid>`.
    IncidentId,
    "incident"
);
uuid_id!(
    /// A patrol's id; its stream is `patrol-<uuid>`.
    PatrolId,
    "patrol"
);
uuid_id!(
    /// An inspection's id; its stream is `inspection-<uuid>`.
    InspectionId,
    "inspection"
);
uuid_id!(
    /// A rectification order's id; its stream is `rectification-<uuid>`.
    RectificationId,
    "rectification"
);

text_value!(
    /// Where something happened, described by place ("east gate bike shed"), never by person.
    Location,
    max = 200
);
text_value!(
    /// The team or unit an incident is dispatched to.
    Assignee,
    max = 60
);
text_value!(
    /// How an incident was dealt with.
    Resolution,
    max = 500
);
text_value!(
    /// Why an incident was escalated.
    Reason,
    max = 200
);
text_value!(
    /// A patrol's route.
    Route,
    max = 100
);
text_value!(
    /// What an inspection looked at (a shop front, a yard, a stairwell).
    InspectionTarget,
    max = 100
);
text_value!(
    /// A hazard found or to be fixed, in a few words.
    Hazard,
    max = 100
);

/// The most grids a patrol can plan or cover: more is a typing error.
pub const MAX_GRIDS: usize = 50;
/// The most hazards one inspection can list.
pub const MAX_HAZARDS: usize = 20;
/// The longest patrol accepted, in minutes (one day).
pub const MAX_PATROL_MINUTES: u32 = 24 * 60;
/// The most people accepted on one patrol.
pub const MAX_PARTICIPANTS: u32 = 500;

/// When an incident happened: checked against the `now` the command carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OccurredAt(DateTime<Utc>);

impl OccurredAt {
    /// Accepts an instant up to and including `now`.
    pub fn parse(
        field: &'static str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        not_in_future(field, at, now).map(Self)
    }

    /// The instant itself.
    pub fn instant(&self) -> DateTime<Utc> {
        self.0
    }
}

/// An inspection score, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u32);

impl Score {
    /// Accepts 0 to 100 inclusive.
    pub fn parse(field: &'static str, value: u32) -> Result<Self, ValidationError> {
        if value > 100 {
            return Err(ValidationError::new(field, "must be between 0 and 100"));
        }
        Ok(Self(value))
    }

    /// The score.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A positive count bounded by `max`, e.g. patrol participants or minutes.
fn bounded_count(field: &'static str, value: u32, max: u32) -> Result<u32, ValidationError> {
    if value == 0 || value > max {
        return Err(ValidationError::new(
            field,
            format!("must be between 1 and {max}"),
        ));
    }
    Ok(value)
}

/// How many people took part in a patrol: 1 to [`MAX_PARTICIPANTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Participants(u32);

impl Participants {
    /// Accepts 1 to [`MAX_PARTICIPANTS`].
    pub fn parse(field: &'static str, value: u32) -> Result<Self, ValidationError> {
        bounded_count(field, value, MAX_PARTICIPANTS).map(Self)
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// How long a patrol lasted: 1 to [`MAX_PATROL_MINUTES`] minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(u32);

impl Minutes {
    /// Accepts 1 to [`MAX_PATROL_MINUTES`].
    pub fn parse(field: &'static str, value: u32) -> Result<Self, ValidationError> {
        bounded_count(field, value, MAX_PATROL_MINUTES).map(Self)
    }

    /// The minutes.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A non-empty list of distinct grids in the order given (duplicates collapse: a grid
/// is covered or not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grids(Vec<Grid>);

impl Grids {
    /// Parses each grid; at least one, at most [`MAX_GRIDS`] distinct.
    pub fn parse<S: AsRef<str>>(
        field: &'static str,
        inputs: &[S],
    ) -> Result<Self, ValidationError> {
        let mut grids: Vec<Grid> = Vec::with_capacity(inputs.len());
        for input in inputs {
            let grid = Grid::parse(field, input.as_ref())?;
            if grids.contains(&grid) {
                continue;
            }
            // Checked while collecting, so a huge request costs at most MAX_GRIDS per item.
            if grids.len() == MAX_GRIDS {
                return Err(ValidationError::new(
                    field,
                    format!("must name at most {MAX_GRIDS} grids"),
                ));
            }
            grids.push(grid);
        }
        if grids.is_empty() {
            return Err(ValidationError::new(field, "must name at least one grid"));
        }
        Ok(Self(grids))
    }

    /// The grids, first occurrence order.
    pub fn iter(&self) -> impl Iterator<Item = &Grid> {
        self.0.iter()
    }

    /// How many distinct grids.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a parsed value; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The grids as plain strings, for the wire.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|g| g.as_str().to_owned()).collect()
    }
}

/// Hazards found by an inspection: each a short text, at most [`MAX_HAZARDS`]; empty
/// is allowed here (a pass may find none) and refused by the decider for a fail.
pub fn parse_hazards<S: AsRef<str>>(
    field: &'static str,
    inputs: &[S],
) -> Result<Vec<Hazard>, ValidationError> {
    if inputs.len() > MAX_HAZARDS {
        return Err(ValidationError::new(
            field,
            format!("must list at most {MAX_HAZARDS} hazards"),
        ));
    }
    inputs
        .iter()
        .map(|h| Hazard::parse(field, h.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).unwrap()
    }

    #[test]
    fn ids_name_their_streams() {
        let id = IncidentId::parse("incident_id", "0191f0a2-7b3c-7d4e-8f10-111213141516").unwrap();
        assert_eq!(
            id.stream_id(),
            "incident-0191f0a2-7b3c-7d4e-8f10-111213141516"
        );
        let uuid = id.as_uuid();
        assert!(PatrolId::from_uuid(uuid).stream_id().starts_with("patrol-"));
        assert!(InspectionId::from_uuid(uuid)
            .stream_id()
            .starts_with("inspection-"));
        assert!(RectificationId::from_uuid(uuid)
            .stream_id()
            .starts_with("rectification-"));
        assert_eq!(
            PatrolId::parse("patrol_id", "nope").unwrap_err(),
            ValidationError::new("patrol_id", "must be a uuid")
        );
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            Location::parse("location", " 东门车棚 ").unwrap().as_str(),
            "东门车棚"
        );
        assert_eq!(
            Location::parse("location", &"x".repeat(201))
                .unwrap_err()
                .message,
            "must be at most 200 characters"
        );
        assert_eq!(
            Assignee::parse("assignee", " ").unwrap_err().field,
            "assignee"
        );
        assert!(Resolution::parse("resolution", &"修".repeat(500)).is_ok());
        assert!(Hazard::parse("hazards", &"h".repeat(101)).is_err());
    }

    #[test]
    fn occurred_at_is_not_in_the_future() {
        assert_eq!(
            OccurredAt::parse("occurred_at", at(9), at(9))
                .unwrap()
                .instant(),
            at(9)
        );
        assert!(OccurredAt::parse("occurred_at", at(8), at(9)).is_ok());
        let err = OccurredAt::parse("occurred_at", at(10), at(9)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid occurred_at: must not be in the future"
        );
    }

    #[test]
    fn scores_and_counts_are_bounded() {
        assert_eq!(Score::parse("score", 0).unwrap().get(), 0);
        assert_eq!(Score::parse("score", 100).unwrap().get(), 100);
        assert_eq!(Score::parse("score", 101).unwrap_err().field, "score");
        assert_eq!(Participants::parse("participants", 1).unwrap().get(), 1);
        assert_eq!(
            Participants::parse("participants", 0).unwrap_err().message,
            "must be between 1 and 500"
        );
        assert!(Participants::parse("participants", MAX_PARTICIPANTS + 1).is_err());
        assert_eq!(Minutes::parse("minutes", 90).unwrap().get(), 90);
        assert_eq!(Minutes::parse("minutes", 0).unwrap_err().field, "minutes");
        assert!(Minutes::parse("minutes", MAX_PATROL_MINUTES + 1).is_err());
    }

    #[test]
    fn grids_are_distinct_and_non_empty() {
        let grids = Grids::parse("grids_covered", &["G2", " G1", "G2 "]).unwrap();
        assert_eq!(grids.to_strings(), ["G2", "G1"]);
        assert_eq!(grids.len(), 2);
        assert!(!grids.is_empty());
        let none: [&str; 0] = [];
        assert_eq!(
            Grids::parse("grids_covered", &none).unwrap_err().message,
            "must name at least one grid"
        );
        assert_eq!(
            Grids::parse("planned_grids", &["G1", ""])
                .unwrap_err()
                .field,
            "planned_grids"
        );
        let many: Vec<String> = (0..=MAX_GRIDS).map(|i| format!("G{i}")).collect();
        assert!(Grids::parse("planned_grids", &many).is_err());
    }

    #[test]
    fn hazards_are_bounded() {
        let none: [&str; 0] = [];
        assert!(parse_hazards("hazards", &none).unwrap().is_empty());
        assert_eq!(
            parse_hazards("hazards", &["blocked exit"]).unwrap().len(),
            1
        );
        assert_eq!(
            parse_hazards("hazards", &["ok", " "]).unwrap_err().field,
            "hazards"
        );
        let many = vec!["h"; MAX_HAZARDS + 1];
        assert!(parse_hazards("hazards", &many).is_err());
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(IncidentCategory::ALL.len(), 10);
        assert_eq!(IncidentCategory::PublicOrder.to_string(), "public_order");
        assert_eq!(Severity::Major.code(), "major");
        assert_eq!(
            EscalationTarget::ALL,
            [EscalationTarget::Police, EscalationTarget::Street]
        );
        assert_eq!(InspectionType::DoorFrontDuties.code(), "door_front_duties");
    }
}
