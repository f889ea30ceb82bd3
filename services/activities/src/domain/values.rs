//! Validated value types of the activities area. Each is built only by
//! `parse(field, input)`, which names the request field to blame, so an invalid value
//! cannot exist past the edge. Nothing here is personal data: residents appear only as
//! the pseudonymous [`ResidentId`].

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::{text_value, uuid_id};

pub use civitas_kernel::values::ValidationError;
/// The category codes, defined once for every service with their wire conversions.
pub use civitas_proto::codes::{ActivityCategory, FacilityType};

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
uuid_id!(
    /// A service the service station delivered; its stream is `stationservice-<uuid>`.
    StationServiceId,
    "stationservice"
);
uuid_id!(
    /// A contest's id; its stream is `contest-<uuid>`.
    ContestId,
    "contest"
);
uuid_id!(
    /// A co-building unit's id; its stream is `cobuildingunit-<uuid>`.
    CoBuildingUnitId,
    "cobuildingunit"
);
uuid_id!(
    /// A good deed's id; its stream is `gooddeed-<uuid>`.
    DeedId,
    "gooddeed"
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
text_value!(
    /// The code of the org unit a request names (`community`); whether the caller may
    /// use it is the scope check's question, this only keeps it short.
    OrgUnitCode,
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
        civitas_kernel::values::not_in_future(field, date, today).map(Self)
    }

    /// The date itself.
    pub fn date(self) -> NaiveDate {
        self.0
    }
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
