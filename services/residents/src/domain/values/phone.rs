//! Mainland phone numbers: mobile (`1[3-9]` + 9 digits) or fixed line (area code + local
//! number). People type them with spaces and hyphens; one canonical form is kept so that
//! the same number always seals to the same plaintext.

use std::fmt;

use super::ValidationError;

/// A mainland phone number (personal data: sealed before it is stored).
///
/// Canonical forms: mobile as 11 digits (`13812345678`), fixed line as
/// `area-number` (`0571-87654321`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Drops spaces, then reads a mobile number (hyphens ignored) or a fixed line.
    ///
    /// A fixed line written with a hyphen keeps the caller's split: a 3–4 digit area code
    /// starting with 0 and a 7–8 digit number. Written without one, the split follows the
    /// numbering plan: area codes starting 01 or 02 (Beijing 010, 020–029) have three
    /// digits, all others four.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, ValidationError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if !compact.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return Err(ValidationError::new(
                field,
                "must contain only digits, spaces and hyphens",
            ));
        }
        match compact.as_bytes()[0] {
            b'1' => mobile(field, &compact),
            b'0' => fixed_line(field, &compact),
            _ => Err(ValidationError::new(
                field,
                "must be a mobile number or a fixed line starting with its area code",
            )),
        }
    }

    /// The canonical form, for sealing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number (it can receive text messages).
    pub fn is_mobile(&self) -> bool {
        !self.0.starts_with('0')
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

fn mobile(field: &'static str, compact: &str) -> Result<Phone, ValidationError> {
    let digits: String = compact.chars().filter(|c| *c != '-').collect();
    let second = digits.as_bytes().get(1).copied().unwrap_or(b'0');
    if digits.len() != 11 || !(b'3'..=b'9').contains(&second) {
        return Err(ValidationError::new(
            field,
            "mobile number must be 11 digits starting with 13 to 19",
        ));
    }
    Ok(Phone(digits))
}

fn fixed_line(field: &'static str, compact: &str) -> Result<Phone, ValidationError> {
    let (area, number) = match compact.split_once('-') {
        Some(split) => split,
        None => {
            let area_len = if compact.starts_with("01") || compact.starts_with("02") {
                3
            } else {
                4
            };
            compact.split_at(area_len.min(compact.len()))
        }
    };
    let area_ok = (3..=4).contains(&area.len()) && area.starts_with('0');
    let number_ok = (7..=8).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    if !area_ok || !number_ok {
        return Err(ValidationError::new(
            field,
            "fixed line must be a 3 to 4 digit area code starting with 0 and a 7 to 8 digit number",
        ));
    }
    Ok(Phone(format!("{area}-{number}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> String {
        Phone::parse("phone", input).unwrap().as_str().to_owned()
    }

    fn message(input: &str) -> String {
        Phone::parse("phone", input).unwrap_err().message
    }

    #[test]
    fn mobiles_lose_spaces_and_hyphens() {
        assert_eq!(canonical("13812345678"), "13812345678");
        assert_eq!(canonical(" 138 1234 5678 "), "13812345678");
        assert_eq!(canonical("138-1234-5678"), "13812345678");
        assert_eq!(canonical("19912345678"), "19912345678");
        assert!(Phone::parse("phone", "13812345678").unwrap().is_mobile());
    }

    #[test]
    fn bad_mobiles() {
        let expected = "mobile number must be 11 digits starting with 13 to 19";
        assert_eq!(message("12812345678"), expected);
        assert_eq!(message("1381234567"), expected);
        assert_eq!(message("138123456789"), expected);
        assert_eq!(message("1"), expected);
    }

    #[test]
    fn fixed_lines_with_and_without_hyphen() {
        assert_eq!(canonical("0571-87654321"), "0571-87654321");
        assert_eq!(canonical("057187654321"), "0571-87654321");
        assert_eq!(canonical("0571 8765432"), "0571-8765432");
        assert_eq!(canonical("010-12345678"), "010-12345678");
        assert_eq!(canonical("01012345678"), "010-12345678");
        assert_eq!(canonical("02187654321"), "021-87654321");
        assert!(!Phone::parse("phone", "0571-87654321").unwrap().is_mobile());
    }

    #[test]
    fn bad_fixed_lines() {
        let expected =
            "fixed line must be a 3 to 4 digit area code starting with 0 and a 7 to 8 digit number";
        assert_eq!(message("0571-876543"), expected);
        assert_eq!(message("0571-876543210"), expected);
        assert_eq!(message("05-87654321"), expected);
        assert_eq!(message("05711-8765432"), expected);
        assert_eq!(message("0571-8765-4321"), expected);
        assert_eq!(message("0571876543"), expected);
        assert_eq!(message("0"), expected);
    }

    #[test]
    fn not_a_phone_at_all() {
        assert_eq!(message(""), "must not be empty");
        assert_eq!(message("   "), "must not be empty");
        assert_eq!(
            message("+8613812345678"),
            "must contain only digits, spaces and hyphens"
        );
        assert_eq!(
            message("138l2345678"),
            "must contain only digits, spaces and hyphens"
        );
        assert_eq!(
            message("88888888"),
            "must be a mobile number or a fixed line starting with its area code"
        );
        assert_eq!(
            message("-13812345678"),
            "must be a mobile number or a fixed line starting with its area code"
        );
    }

    #[test]
    fn debug_hides_the_number() {
        let phone = Phone::parse("phone", "13812345678").unwrap();
        assert_eq!(format!("{phone:?}"), "Phone(***)");
    }
}
