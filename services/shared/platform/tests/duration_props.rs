//! Hostile durations (`--ttl`, `request_timeout`, …): `parse_duration` never panics,
//! reads every whole number with every unit back as its duration, and refuses what
//! does not fit a `u64` of seconds as too long rather than wrapping it.

use std::time::Duration;

use civitas_platform::config::{parse_duration, DurationError};
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_text_parses_or_is_refused(text in prop_oneof![any::<String>(), "[ 0-9]{0,25}[a-z]{0,3} ?"]) {
        if let Err(e) = parse_duration(&text) {
            prop_assert!(e.to_string().starts_with("invalid duration"), "{e}");
        }
    }

    #[test]
    fn numbers_with_units_round_trip(
        n in prop_oneof![any::<u64>(), 0..100_000u64],
        unit in prop::sample::select(vec![("ms", 0u64), ("", 1), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]),
        pad in "[ ]{0,2}",
    ) {
        let (suffix, seconds_per) = unit;
        let parsed = parse_duration(&format!("{pad}{n}{suffix}{pad}"));
        let expected = match seconds_per {
            0 => Some(Duration::from_millis(n)),
            per => n.checked_mul(per).map(Duration::from_secs),
        };
        match (parsed, expected) {
            (Ok(got), Some(want)) => prop_assert_eq!(got, want),
            (Err(DurationError::Overflow(_)), None) => {}
            (got, want) => prop_assert!(false, "{n}{suffix}: {got:?}, expected {want:?}"),
        }
    }
}
