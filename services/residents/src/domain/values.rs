//! Validated value types. Each is built only by `parse(field, input)`, which names the
//! request field to blame, so an invalid value cannot exist past the edge.
//!
//! Types that hold personal data (`PersonName`, `IdNumber`, `Phone`, `Address`,
//! `BirthDate`) have no `Display` and a `Debug` that prints `***`: reading the value takes
//! an explicit `as_str()` / `date()`, and a stray `{:?}` in a log line leaks nothing.
//!
//! The category codes (residence type, sex, care category, the move-out and care
//! revocation reasons) are the workspace's one definition in `civitas_proto::codes`,
//! re-exported here.

mod id_number;
mod phone;

use std::fmt;

use chrono::{Datelike, NaiveDate};

pub use id_number::IdNumber;
pub use phone::Phone;

use civitas_kernel::values::not_in_future;
pub use civitas_kernel::values::{Building, Grid, ValidationError};
use civitas_kernel::{text_value, uuid_id};
pub use civitas_proto::codes::{
    Arrival, CareCategory, CareRevokeReason, MoveOutReason, ResidenceType, Sex,
};

uuid_id!(
    /// A resident's pseudonymous id: the only way other services and events refer to a person.
    ResidentId,
    "resident"
);
uuid_id!(
    /// A household's id.
    HouseholdId,
    "household"
);

text_value!(
    /// A person's name (personal data: sealed before it is stored).
    PersonName,
    max = 50,
    personal
);
text_value!(
    /// A postal address (personal data: sealed before it is stored).
    Address,
    max = 200,
    personal
);
text_value!(
    /// A staff note beside a reason code (why a resident moved out or left a care
    /// register). It may name people, so it is treated as personal data: sealed with the
    /// resident's key before it is stored, and bounded like every other text a request
    /// carries.
    Note,
    max = 200,
    personal
);

impl Note {
    /// An optional note: blank is `None`, anything else must parse.
    pub fn parse_optional(
        field: &'static str,
        input: &str,
    ) -> Result<Option<Self>, ValidationError> {
        civitas_kernel::values::optional(input, |text| Self::parse(field, text))
    }
}

/// A birth date checked against the `today` the command carries.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    /// The earliest birth date accepted; older dates are typing errors, not residents.
    pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
        Some(date) => date,
        None => panic!("1900-01-01 is a date"),
    };

    /// Accepts a date from 1900-01-01 up to and including `today`.
    pub fn parse(
        field: &'static str,
        date: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, ValidationError> {
        let date = not_in_future(field, date, today)?;
        if date < Self::EARLIEST {
            return Err(ValidationError::new(field, "must not be before 1900-01-01"));
        }
        Ok(Self(date))
    }

    /// The date itself (personal data: seal it, publish only [`Self::year`]).
    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// The birth year, the only part of the date events carry.
    pub fn year(&self) -> i32 {
        self.0.year()
    }

    /// Age in full years on `today`; 0 if `today` precedes the birth.
    pub fn age_on(&self, today: NaiveDate) -> u32 {
        let birthday_passed = (today.month(), today.day()) >= (self.0.month(), self.0.day());
        let years = today.year() - self.0.year() - i32::from(!birthday_passed);
        u32::try_from(years).unwrap_or(0)
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate(***)")
    }
}

/// Personal data encrypted by the shell under a per-resident key. The domain carries it
/// opaquely; deleting the key (erasure) makes it unreadable everywhere at once.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sealed {
    /// Which key encrypted this; the shell deletes that key to erase the data.
    pub key_id: String,
    /// The cipher's nonce.
    pub nonce: Vec<u8>,
    /// The encrypted bytes.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("nonce_len", &self.nonce.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn ids_parse_display_and_name_their_stream() {
        let id =
            ResidentId::parse("resident_id", " 0191F0A2-7B3C-7D4E-8F10-111213141516 ").unwrap();
        assert_eq!(id.to_string(), "0191f0a2-7b3c-7d4e-8f10-111213141516");
        assert_eq!(
            id.stream_id(),
            "resident-0191f0a2-7b3c-7d4e-8f10-111213141516"
        );
        let household = HouseholdId::from_uuid(id.as_uuid());
        assert_eq!(
            household.stream_id(),
            "household-0191f0a2-7b3c-7d4e-8f10-111213141516"
        );
    }

    #[test]
    fn ids_refuse_garbage_and_nil() {
        let err = HouseholdId::parse("household_id", "not-a-uuid").unwrap_err();
        assert_eq!(err, ValidationError::new("household_id", "must be a uuid"));
        assert_eq!(err.to_string(), "invalid household_id: must be a uuid");
        let err = ResidentId::parse("resident_id", &uuid::Uuid::nil().to_string()).unwrap_err();
        assert_eq!(err.message, "must not be the nil uuid");
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            PersonName::parse("name", "  张三 ").unwrap().as_str(),
            "张三"
        );
        assert!(PersonName::parse("name", &"李".repeat(50)).is_ok());
        let err = PersonName::parse("name", &"李".repeat(51)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid name: must be at most 50 characters"
        );
        assert_eq!(
            PersonName::parse("name", "   ").unwrap_err().message,
            "must not be empty"
        );
        let err = PersonName::parse("name", "张\u{0}三").unwrap_err();
        assert_eq!(err.message, "must not contain control characters");
    }

    #[test]
    fn personal_text_never_reaches_debug_output() {
        let name = PersonName::parse("name", "王五").unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(***)");
        let address = Address::parse("address", "杭州市西湖区文三路 1 号").unwrap();
        assert_eq!(format!("{address:?}"), "Address(***)");
        let born = BirthDate::parse("birth_date", date(1990, 3, 7), date(2024, 1, 1)).unwrap();
        assert_eq!(format!("{born:?}"), "BirthDate(***)");
    }

    #[test]
    fn address_grid_and_building_limits() {
        assert!(Address::parse("address", &"a".repeat(200)).is_ok());
        assert_eq!(
            Address::parse("address", &"a".repeat(201))
                .unwrap_err()
                .message,
            "must be at most 200 characters"
        );
        let grid = Grid::parse("grid", " 第三网格 ").unwrap();
        assert_eq!(grid.to_string(), "第三网格");
        assert_eq!(format!("{grid:?}"), "Grid(\"第三网格\")");
        assert_eq!(
            Grid::parse("grid", &"g".repeat(41)).unwrap_err().message,
            "must be at most 40 characters"
        );
        assert_eq!(
            Building::parse("building", "").unwrap_err().message,
            "must not be empty"
        );
        assert_eq!(
            Building::parse("building", "3\n栋").unwrap_err().message,
            "must not contain control characters"
        );
        assert_eq!(
            Building::parse("building", "3 栋").unwrap().as_str(),
            "3 栋"
        );
    }

    #[test]
    fn notes_are_optional_bounded_and_never_printed() {
        assert_eq!(Note::parse_optional("note", " \t "), Ok(None));
        let note = Note::parse_optional("note", " 搬往外地 ").unwrap().unwrap();
        assert_eq!(note.as_str(), "搬往外地");
        assert_eq!(format!("{note:?}"), "Note(***)");
        assert!(Note::parse_optional("note", &"因".repeat(200)).is_ok());
        let huge = "x".repeat(1_500_000);
        let err = Note::parse_optional("note", &huge).unwrap_err();
        assert_eq!(
            err,
            ValidationError::new("note", "must be at most 200 characters")
        );
    }

    #[test]
    fn birth_dates_between_1900_and_today() {
        let today = date(2024, 6, 1);
        assert!(BirthDate::parse("birth_date", today, today).is_ok());
        assert!(BirthDate::parse("birth_date", date(1900, 1, 1), today).is_ok());
        let err = BirthDate::parse("birth_date", date(2024, 6, 2), today).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid birth_date: must not be in the future"
        );
        let err = BirthDate::parse("birth_date", date(1899, 12, 31), today).unwrap_err();
        assert_eq!(err.message, "must not be before 1900-01-01");
    }

    #[test]
    fn age_counts_full_years() {
        let born = BirthDate::parse("birth_date", date(2010, 6, 15), date(2024, 6, 15)).unwrap();
        assert_eq!(born.year(), 2010);
        assert_eq!(born.date(), date(2010, 6, 15));
        assert_eq!(born.age_on(date(2024, 6, 14)), 13);
        assert_eq!(born.age_on(date(2024, 6, 15)), 14);
        assert_eq!(born.age_on(date(2010, 6, 15)), 0);
        assert_eq!(born.age_on(date(2009, 1, 1)), 0);
        let leap = BirthDate::parse("birth_date", date(2000, 2, 29), date(2024, 1, 1)).unwrap();
        assert_eq!(leap.age_on(date(2023, 2, 28)), 22);
        assert_eq!(leap.age_on(date(2023, 3, 1)), 23);
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        let codes: Vec<&str> = CareCategory::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(
            codes,
            [
                "living_alone",
                "empty_nest",
                "over_80_without_pension",
                "disabled",
                "entitled_family",
                "household_in_difficulty",
                "minor"
            ]
        );
        for category in CareCategory::ALL {
            assert_eq!(CareCategory::from_code(category.code()), Some(*category));
        }
        assert_eq!(
            ResidenceType::ALL,
            [ResidenceType::Permanent, ResidenceType::Floating]
        );
        assert_eq!(ResidenceType::Floating.to_string(), "floating");
        assert_eq!(Sex::from_code("female"), Some(Sex::Female));
        assert_eq!(Sex::from_code("Female"), None);
        assert_eq!(Sex::ALL.len(), 2);
    }

    #[test]
    fn sealed_debug_shows_only_sizes() {
        let sealed = Sealed {
            key_id: "k1".into(),
            nonce: vec![0; 12],
            ciphertext: vec![7; 40],
        };
        assert_eq!(
            format!("{sealed:?}"),
            r#"Sealed { key_id: "k1", nonce_len: 12, ciphertext_len: 40 }"#
        );
    }
}
