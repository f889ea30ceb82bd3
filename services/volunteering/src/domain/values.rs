//! Validated value types. Each is built only by a `parse` that names the request field
//! to blame, so an invalid value cannot exist past the edge. Nothing here is personal:
//! people are pseudonymous ids, organisations and teams are not people.

use std::fmt;

use chrono::{DateTime, Utc};
use civitas_kernel::{text_value, uuid_id};

pub use civitas_kernel::values::ValidationError;
/// What kind of service an opportunity, team or redemption is about: the one
/// definition of the codes, shared with the wire and the projection.
pub use civitas_proto::codes::ServiceCategory;

uuid_id!(
    /// A volunteer's id: the stream `volunteer-<uuid>` holds registration, service
    /// records and the time bank.
    VolunteerId,
    "volunteer"
);
impl VolunteerId {
    /// The id of `resident`'s volunteer record in `community`: a name-based uuid (v5)
    /// of the pair, so a resident has one volunteer stream per community and a second
    /// registration finds the first.
    pub fn of_resident(community: &str, resident: ResidentId) -> Self {
        let name = format!("{community}/{resident}");
        Self(uuid::Uuid::new_v5(&RESIDENT_VOLUNTEERS, name.as_bytes()))
    }
}

/// The namespace of [`VolunteerId::of_resident`]'s name-based ids (fixed forever: a
/// change would let every resident register again).
const RESIDENT_VOLUNTEERS: uuid::Uuid = uuid::uuid!("5b0c6f3e-8f6a-4c1e-9a57-2f4d8c1b7e90");

uuid_id!(
    /// A volunteer team's id.
    TeamId,
    "team"
);
uuid_id!(
    /// An opportunity's id; its assignments live in the same stream.
    OpportunityId,
    "opportunity"
);
uuid_id!(
    /// A resident's pseudonymous id, as the residents service issued it.
    ResidentId,
    "resident"
);
uuid_id!(
    /// A service record's id, chosen by the client so a retried submission is the same.
    RecordId,
    "record"
);
uuid_id!(
    /// A time-credit donation's id; it also keys the recipient's half of the donation.
    DonationId,
    "donation"
);
uuid_id!(
    /// A time-credit redemption's id.
    RedemptionId,
    "redemption"
);

text_value!(
    /// The organisation an external volunteer comes from (e.g. a university).
    Organisation,
    max = 100
);
text_value!(
    /// A team's name.
    TeamName,
    max = 60
);
text_value!(
    /// What a team is for.
    Purpose,
    max = 300
);
text_value!(
    /// An opportunity's title.
    Title,
    max = 100
);
text_value!(
    /// The role an opportunity needs filled (e.g. "maths tutor").
    RoleName,
    max = 60
);
text_value!(
    /// Why something was declined, reversed, cancelled or ended.
    Reason,
    max = 300
);

/// The most minutes one person can serve in a day.
pub const MINUTES_PER_DAY: u32 = 24 * 60;
/// The largest time-credit amount one command may move (a sanity bound, not a rule).
pub const MAX_CREDIT_MINUTES: u32 = 1_000_000;
/// The most volunteers one opportunity may ask for.
pub const MAX_SPOTS: u32 = 1_000;

/// A positive number of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(u32);

impl Minutes {
    /// Minutes served on one day, excluding travel: 1 to 1440.
    pub fn served(field: &'static str, minutes: u32) -> Result<Self, ValidationError> {
        Self::bounded(field, minutes, MINUTES_PER_DAY)
    }

    /// Time credits moved by one command: 1 to [`MAX_CREDIT_MINUTES`].
    pub fn credits(field: &'static str, minutes: u32) -> Result<Self, ValidationError> {
        Self::bounded(field, minutes, MAX_CREDIT_MINUTES)
    }

    fn bounded(field: &'static str, minutes: u32, max: u32) -> Result<Self, ValidationError> {
        if minutes == 0 {
            return Err(ValidationError::new(field, "must be at least 1 minute"));
        }
        if minutes > max {
            return Err(ValidationError::new(
                field,
                format!("must be at most {max} minutes"),
            ));
        }
        Ok(Self(minutes))
    }

    /// The number of minutes.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// How many volunteers an opportunity needs: 1 to [`MAX_SPOTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Spots(u32);

impl Spots {
    /// Accepts 1 to [`MAX_SPOTS`].
    pub fn parse(field: &'static str, spots: u32) -> Result<Self, ValidationError> {
        if spots == 0 {
            return Err(ValidationError::new(field, "must be at least 1"));
        }
        if spots > MAX_SPOTS {
            return Err(ValidationError::new(
                field,
                format!("must be at most {MAX_SPOTS}"),
            ));
        }
        Ok(Self(spots))
    }

    /// The number of spots.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// When an opportunity takes place: `starts_at` strictly before `ends_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl TimeWindow {
    /// Refuses an empty or inverted window, blaming `field` (the end).
    pub fn parse(
        field: &'static str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        if ends_at <= starts_at {
            return Err(ValidationError::new(field, "must be after starts_at"));
        }
        Ok(Self { starts_at, ends_at })
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }
}

/// Who a volunteer is, without saying who the person is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VolunteerKind {
    /// A resident of the community, by pseudonymous id.
    Resident(ResidentId),
    /// Someone from an outside organisation; only the organisation is recorded.
    External(Organisation),
}

/// Star level by approved hours: 1★ 100 h, 2★ 300 h, 3★ 600 h, 4★ 1000 h, 5★ 1500 h.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StarLevel(u8);

impl StarLevel {
    /// Approved hours needed for each star, lowest first.
    pub const THRESHOLD_HOURS: [u64; 5] = [100, 300, 600, 1000, 1500];

    /// The level earned by this many approved minutes.
    pub fn for_minutes(approved_minutes: u64) -> Self {
        let hours_reached = Self::THRESHOLD_HOURS
            .iter()
            .filter(|&&h| approved_minutes >= h * 60)
            .count();
        Self(u8::try_from(hours_reached).unwrap_or(5))
    }

    /// 0 (no star) to 5.
    pub fn get(self) -> u8 {
        self.0
    }

    /// A stored level; out-of-range values clamp to 5.
    pub fn from_stored(level: u32) -> Self {
        Self(u8::try_from(level.min(5)).unwrap_or(5))
    }
}

impl fmt::Display for StarLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}★", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_bounded_and_name_the_field() {
        assert_eq!(Minutes::served("minutes", 90).unwrap().get(), 90);
        assert_eq!(Minutes::served("minutes", 1440).unwrap().get(), 1440);
        assert_eq!(Minutes::served("minutes", 0).unwrap_err().field, "minutes");
        assert_eq!(
            Minutes::served("minutes", 1441).unwrap_err().field,
            "minutes"
        );
        assert_eq!(Minutes::credits("minutes", 5000).unwrap().get(), 5000);
        assert!(Minutes::credits("minutes", MAX_CREDIT_MINUTES + 1).is_err());
        assert!(Minutes::credits("minutes", 0).is_err());
    }

    #[test]
    fn spots_are_at_least_one() {
        assert_eq!(Spots::parse("spots", 1).unwrap().get(), 1);
        assert_eq!(Spots::parse("spots", 0).unwrap_err().field, "spots");
        assert!(Spots::parse("spots", MAX_SPOTS + 1).is_err());
    }

    #[test]
    fn a_time_window_starts_before_it_ends() {
        let t = DateTime::parse_from_rfc3339("2026-05-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = t + chrono::Duration::hours(2);
        let w = TimeWindow::parse("ends_at", t, later).unwrap();
        assert_eq!((w.starts_at(), w.ends_at()), (t, later));
        assert_eq!(
            TimeWindow::parse("ends_at", t, t).unwrap_err().field,
            "ends_at"
        );
        assert!(TimeWindow::parse("ends_at", later, t).is_err());
    }

    #[test]
    fn star_levels_follow_the_thresholds() {
        let level = |hours: u64, extra_minutes: u64| {
            StarLevel::for_minutes(hours * 60 + extra_minutes).get()
        };
        assert_eq!(level(0, 0), 0);
        assert_eq!(level(99, 59), 0);
        assert_eq!(level(100, 0), 1);
        assert_eq!(level(299, 59), 1);
        assert_eq!(level(300, 0), 2);
        assert_eq!(level(600, 0), 3);
        assert_eq!(level(1000, 0), 4);
        assert_eq!(level(1499, 59), 4);
        assert_eq!(level(1500, 0), 5);
        assert_eq!(level(9000, 0), 5);
        assert_eq!(StarLevel::from_stored(9).get(), 5);
        assert_eq!(StarLevel::for_minutes(6000).to_string(), "1★");
    }

    #[test]
    fn text_values_name_the_field() {
        assert_eq!(Reason::parse("reason", " ").unwrap_err().field, "reason");
        assert_eq!(
            Organisation::parse("organisation", " 东南大学 ")
                .unwrap()
                .as_str(),
            "东南大学"
        );
        assert_eq!(
            TeamName::parse("name", &"x".repeat(61)).unwrap_err().field,
            "name"
        );
    }
}
