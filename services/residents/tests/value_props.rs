//! Hostile ID numbers and phone numbers: parsing never panics and blames the field it
//! was given; every valid number parses back to its canonical form, however it was
//! spaced, cased or hyphenated; a single changed digit of an ID number is caught.

use chrono::{Datelike, Days, NaiveDate};
use civitas_residents::domain::{IdNumber, Phone, Sex};
use civitas_testkit::hostile::cases;
use civitas_testkit::id_number;
use proptest::prelude::*;

/// 17 leading digits: region, a real birth date from 1900 on, sequence.
fn id_body() -> impl Strategy<Value = (String, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).expect("1900-01-01");
    ("[1-9][0-9]{5}", 0..73_000u64, "[0-9]{3}").prop_map(move |(region, days, seq)| {
        let born = first + Days::new(days);
        (format!("{region}{}{seq}", born.format("%Y%m%d")), born)
    })
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9xX \\-]{0,20}",
        "[ ]*[01][0-9 \\-]{0,14}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn any_text_parses_or_blames_its_field(text in hostile_text()) {
        if let Err(e) = IdNumber::parse("guardian_id_number", &text) {
            prop_assert_eq!(e.field, "guardian_id_number");
        }
        if let Err(e) = Phone::parse("contact_phone", &text) {
            prop_assert_eq!(e.field, "contact_phone");
        }
    }

    #[test]
    fn valid_id_numbers_round_trip((body, born) in id_body(), pad in "[ \\t]{0,2}") {
        let id = id_number(&body);
        let typed = format!("{pad}{}{pad}", id.to_lowercase());
        let parsed = IdNumber::parse("id_number", &typed).expect("a valid number");
        prop_assert_eq!(parsed.as_str(), id.as_str());
        prop_assert_eq!(parsed.birth_date(), born);
        let odd = (body.as_bytes()[16] - b'0') % 2 == 1;
        prop_assert_eq!(parsed.sex(), if odd { Sex::Male } else { Sex::Female });
        prop_assert_eq!(born.year(), body[6..10].parse::<i32>().expect("year"));
    }

    #[test]
    fn one_changed_digit_is_caught((body, _) in id_body(), at in 0..17usize, by in 1..10u8) {
        let id = id_number(&body);
        let mut bytes = id.into_bytes();
        bytes[at] = b'0' + (bytes[at] - b'0' + by) % 10;
        let changed = String::from_utf8(bytes).expect("ascii");
        prop_assert!(IdNumber::parse("id_number", &changed).is_err(), "{changed}");
    }

    #[test]
    fn phones_round_trip_through_their_canonical_form(
        number in prop_oneof!["1[3-9][0-9]{9}", "0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}"],
        spaced in any::<bool>(),
    ) {
        let typed = if spaced { number.replace('-', " - ") } else { number.clone() };
        let parsed = Phone::parse("phone", &typed).expect("a valid number");
        prop_assert_eq!(parsed.as_str(), number.as_str());
        let again = Phone::parse("phone", parsed.as_str()).expect("canonical parses");
        prop_assert_eq!(again, parsed);
    }
}
