//! The mainland resident ID number (GB 11643-1999): six digits of region, eight of birth
//! date, three of sequence (odd for men) and an ISO 7064 MOD 11-2 check character.

use std::fmt;

use chrono::NaiveDate;

use super::{Sex, ValidationError};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A checked 18-character resident ID number (personal data: sealed before it is stored).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    /// 17 digits and an upper-case check character.
    value: String,
    birth_date: NaiveDate,
}

impl IdNumber {
    /// Checks length, characters, the embedded birth date and the check character, in that
    /// order, each with its own message; a lower-case `x` is normalised to `X`.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, ValidationError> {
        let value = input.trim().to_ascii_uppercase();
        if value.chars().count() != 18 {
            return Err(ValidationError::new(field, "must be 18 characters"));
        }
        let bytes = value.as_bytes();
        let (body, check) = (&bytes[..17], bytes[17]);
        if !body.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'X') {
            return Err(ValidationError::new(
                field,
                "must be 17 digits followed by a digit or x",
            ));
        }
        let birth_date = embedded_birth_date(&value[6..14])
            .ok_or_else(|| ValidationError::new(field, "must embed a real birth date"))?;
        if check != check_char(body) {
            return Err(ValidationError::new(field, "has a wrong check character"));
        }
        Ok(Self { value, birth_date })
    }

    /// The normalised number, for sealing.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The birth date embedded at positions 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Sex from the 17th digit: odd for male, even for female.
    pub fn sex(&self) -> Sex {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdNumber(***)")
    }
}

/// `yyyymmdd`, already checked to be ASCII digits.
fn embedded_birth_date(digits: &str) -> Option<NaiveDate> {
    let year = digits[..4].parse().ok()?;
    let month = digits[4..6].parse().ok()?;
    let day = digits[6..].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// ISO 7064 MOD 11-2 over the 17 body digits (already checked to be ASCII digits).
fn check_char(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An independent spelling of the checksum, so the test does not just echo the code.
    fn with_check(body: &str) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .chars()
            .zip(weights)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
        format!("{body}{check}")
    }

    fn message(input: &str) -> String {
        IdNumber::parse("id_number", input).unwrap_err().message
    }

    #[test]
    fn check_character_x() {
        assert_eq!(with_check("11010519491231002"), "11010519491231002X");
        let id = IdNumber::parse("id_number", "11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let id = IdNumber::parse("id_number", " 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn numeric_check_digits() {
        let male = with_check("44030419850615221");
        assert_eq!(male, "440304198506152213");
        let id = IdNumber::parse("id_number", &male).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1985, 6, 15).unwrap()
        );

        let female = with_check("32010219750815456");
        assert_eq!(
            IdNumber::parse("id_number", &female).unwrap().sex(),
            Sex::Female
        );

        let leap_day = with_check("33010619880229123");
        assert_eq!(leap_day, "330106198802291230");
        assert!(IdNumber::parse("id_number", &leap_day).is_ok());
    }

    #[test]
    fn wrong_length() {
        assert_eq!(message("11010519491231002"), "must be 18 characters");
        assert_eq!(message("11010519491231002X0"), "must be 18 characters");
        assert_eq!(message(""), "must be 18 characters");
        // 18 bytes but 16 characters: length is counted in characters
        assert_eq!(message("110105194912310二"), "must be 18 characters");
    }

    #[test]
    fn wrong_characters() {
        assert_eq!(
            message("1101051949123100XX"),
            "must be 17 digits followed by a digit or x"
        );
        assert_eq!(
            message("11010519491231002Y"),
            "must be 17 digits followed by a digit or x"
        );
        assert_eq!(
            message("11010519491231 02X"),
            "must be 17 digits followed by a digit or x"
        );
        assert_eq!(
            message("1101051949123100二X"),
            "must be 17 digits followed by a digit or x"
        );
    }

    #[test]
    fn impossible_birth_date() {
        assert_eq!(
            message(&with_check("11010519490231002")),
            "must embed a real birth date"
        );
        assert_eq!(
            message(&with_check("11010519491301002")),
            "must embed a real birth date"
        );
        assert_eq!(
            message(&with_check("11010519890229002")),
            "must embed a real birth date"
        );
    }

    #[test]
    fn wrong_check_character() {
        assert_eq!(message("110105194912310021"), "has a wrong check character");
        assert_eq!(message("440304198506152214"), "has a wrong check character");
        let err = IdNumber::parse("guardian_id_number", "440304198506152214").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid guardian_id_number: has a wrong check character"
        );
    }

    #[test]
    fn debug_hides_the_number() {
        let id = IdNumber::parse("id_number", "11010519491231002X").unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(***)");
        let err = IdNumber::parse("id_number", "110105194912310021").unwrap_err();
        assert!(!format!("{err:?}{err}").contains("1101"));
    }
}
