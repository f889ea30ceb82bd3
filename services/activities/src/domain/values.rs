//! Validated value types of the activities area. Each is built only by
//! `parse(field, input)`, which names the request field to blame, so an invalid value
//! cannot exist past the edge. Nothing here is personal data: residents appear only as
//! the pseudonymous [`ResidentId`].

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::{text_value, uuid_id};

pub use civitas_kernel::values::ValidationError;

uuid_id!(
    /// An activity's id; its stream is `activity-<uuid>`.
    ActivityId,
    "activity"
);
uuid_id!(
    /// A planned item's id, unique across plans; it lives in its plan's stream.
    PlannedItemId,
    "planneditem"
);
uuid_id!(
    /// A resident's pseudonymous id, as issued by the residents service.
    ResidentId,
    "resident"
);
uuid_id!(
    /// A publicity board's id; its stream is `publicityboard-<uuid>`.
    BoardId,
    "publicityboard"
);
uuid_id!(
    /// A facility's id; its stream is `facility-<uuid>`.
    FacilityId,
    "facility"
);

text_value!(
    /// The title of a planned item or an activity.
    Title,
    max = 100
);
text_value!(
    /// Where an activity takes place.
    Venue,
    max = 100
);
text_value!(
    /// Why a plan is amended or an activity cancelled.
    Reason,
    max = 200
);
text_value!(
    /// A closing report or a maintenance note; staff must keep names out of it.
    Note,
    max = 500
);
text_value!(
    /// Where a publicity board stands (a place, never a person).
    Location,
    max = 100
);
text_value!(
    /// What a publicity board shows after an update.
    Topic,
    max = 100
);
text_value!(
    /// A facility's name.
    FacilityName,
    max = 100
);

/// Defines a validated integer newtype with an inclusive range.
macro_rules! bounded_int {
    ($(#[$doc:meta])* $name:ident($int:ty), $min:expr, $max:expr, $message:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($int);

        impl $name {
            /// The smallest value accepted.
            pub const MIN: $int = $min;
            /// The largest value accepted.
            pub const MAX: $int = $max;

            #[doc = concat!("Accepts ", stringify!($min), "–", stringify!($max), ".")]
            pub fn parse(field: &'static str, value: $int) -> Result<Self, ValidationError> {
                if (Self::MIN..=Self::MAX).contains(&value) {
                    Ok(Self(value))
                } else {
                    Err(ValidationError::new(field, $message))
                }
            }

            /// The number itself.
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

bounded_int!(
    /// A plan year; earlier or later years are typing errors.
    PlanYear(i32), 2000, 2100, "must be between 2000 and 2100"
);
bounded_int!(
    /// A calendar month of a plan.
    Month(i32), 1, 12, "must be between 1 and 12"
);
bounded_int!(
    /// How many people a planned item aims to reach.
    TargetParticipants(u32), 1, 100_000, "must be between 1 and 100000"
);
bounded_int!(
    /// How many registrations an activity accepts.
    Capacity(u32), 1, 100_000, "must be between 1 and 100000"
);
bounded_int!(
    /// A facility's floor area in whole square metres.
    AreaSquareMeters(u32), 1, 1_000_000, "must be between 1 and 1000000"
);

/// When an activity runs: `ends_at` strictly after `starts_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl TimeWindow {
    /// Refuses a window that does not end after it starts, naming `ends_field`.
    pub fn parse(
        ends_field: &'static str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        if ends_at <= starts_at {
            return Err(ValidationError::new(ends_field, "must be after starts_at"));
        }
        Ok(Self { starts_at, ends_at })
    }

    /// The start.
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    /// The end.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }
}

/// A calendar day that has already come: work is recorded after it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PastDate(NaiveDate);

impl PastDate {
    /// Accepts `date` up to and including `today` (the district's day of the command).
    pub fn parse(
        field: &'static str,
        date: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, ValidationError> {
        if date > today {
            return Err(ValidationError::new(field, "must not be in the future"));
        }
        Ok(Self(date))
    }

    /// The date itself.
    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// Defines a code enum with `ALL`, a stable snake_case `code()` and `Display`.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable snake_case code (KPI element suffix).
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// What an activity or planned item is about.
    ActivityCategory {
        /// A citizen-school (市民学校) class.
        CitizenSchoolClass => "citizen_school_class",
        /// A film night.
        FilmScreening => "film_screening",
        /// A performance (family show, gala).
        Performance => "performance",
        /// An exhibition.
        Exhibition => "exhibition",
        /// A publicity campaign.
        Publicity => "publicity",
        /// Moral education for minors.
        MinorsEducation => "minors_education",
        /// Party building.
        PartyBuilding => "party_building",
        /// Environment: clean, green, contests.
        Environment => "environment",
        /// Care for the elderly (e.g. the Double Ninth festival).
        ElderlyCare => "elderly_care",
        /// Anything else.
        Other => "other",
    }
);

code_enum!(
    /// The kind of a community facility.
    FacilityType {
        /// The service station for the elderly, disabled and families in difficulty.
        ServiceStation => "service_station",
        /// The citizen school's room.
        CitizenSchool => "citizen_school",
        /// A venue for minors.
        MinorsVenue => "minors_venue",
        /// A cultural activity room.
        CulturalRoom => "cultural_room",
        /// A sports ground.
        SportsGround => "sports_ground",
        /// Anything else.
        Other => "other",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_name_their_streams() {
        let u = uuid::Uuid::from_u128(7);
        assert_eq!(
            ActivityId::from_uuid(u).stream_id(),
            format!("activity-{u}")
        );
        assert_eq!(
            BoardId::from_uuid(u).stream_id(),
            format!("publicityboard-{u}")
        );
        assert_eq!(
            FacilityId::from_uuid(u).stream_id(),
            format!("facility-{u}")
        );
        assert_eq!(
            ResidentId::parse("resident_id", "nope").unwrap_err(),
            ValidationError::new("resident_id", "must be a uuid")
        );
    }

    #[test]
    fn bounded_numbers_name_the_field() {
        assert_eq!(Month::parse("month", 1).unwrap().get(), 1);
        assert_eq!(Month::parse("month", 12).unwrap().to_string(), "12");
        for bad in [0, 13, -1] {
            assert_eq!(
                Month::parse("month", bad).unwrap_err(),
                ValidationError::new("month", "must be between 1 and 12")
            );
        }
        assert!(PlanYear::parse("year", 2026).is_ok());
        assert_eq!(PlanYear::parse("year", 1999).unwrap_err().field, "year");
        assert!(PlanYear::parse("year", 2101).is_err());
        assert_eq!(
            Capacity::parse("capacity", 0).unwrap_err().field,
            "capacity"
        );
        assert_eq!(Capacity::parse("capacity", 1).unwrap().get(), 1);
        assert!(TargetParticipants::parse("target_participants", 0).is_err());
        assert!(AreaSquareMeters::parse("area_square_meters", 0).is_err());
        assert_eq!(
            AreaSquareMeters::parse("area_square_meters", 200)
                .unwrap()
                .get(),
            200
        );
        assert!(AreaSquareMeters::parse("area_square_meters", 1_000_001).is_err());
    }

    #[test]
    fn time_windows_end_after_they_start() {
        let at = |h| Utc.with_ymd_and_hms(2026, 5, 1, h, 0, 0).unwrap();
        let w = TimeWindow::parse("ends_at", at(9), at(11)).unwrap();
        assert_eq!((w.starts_at(), w.ends_at()), (at(9), at(11)));
        for end in [at(9), at(8)] {
            assert_eq!(
                TimeWindow::parse("ends_at", at(9), end).unwrap_err(),
                ValidationError::new("ends_at", "must be after starts_at")
            );
        }
    }

    #[test]
    fn past_dates_stop_at_today() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        assert_eq!(
            PastDate::parse("updated_on", day(3), day(3))
                .unwrap()
                .date(),
            day(3)
        );
        assert!(PastDate::parse("updated_on", day(1), day(3)).is_ok());
        assert_eq!(
            PastDate::parse("updated_on", day(4), day(3)).unwrap_err(),
            ValidationError::new("updated_on", "must not be in the future")
        );
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(
            Title::parse("title", " 周末电影 ").unwrap().as_str(),
            "周末电影"
        );
        assert_eq!(
            Title::parse("title", &"片".repeat(101))
                .unwrap_err()
                .message,
            "must be at most 100 characters"
        );
        assert_eq!(Reason::parse("reason", " ").unwrap_err().field, "reason");
        assert!(Note::parse("report", &"a".repeat(500)).is_ok());
        assert!(Note::parse("report", &"a".repeat(501)).is_err());
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = ActivityCategory::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 10);
        assert_eq!(FacilityType::ALL.len(), 6);
        assert_eq!(
            ActivityCategory::FilmScreening.to_string(),
            "film_screening"
        );
    }
}
