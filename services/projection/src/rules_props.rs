//! Hostile events at the projection: whatever type, schema version, payload and instant
//! an event carries, decoding it never panics; a type no area knows is
//! [`Fact::Unknown`], a known one at another schema version is refused naming that
//! version, and a known one that decodes at version 1 is a fact of its day.

use chrono::{DateTime, Utc};
use civitas_kernel::RecordedEvent;
use civitas_testkit::hostile::{cases, descriptor_pool, event_messages, Hostile};
use proptest::prelude::*;

use super::{district_day, Decoded, Fact, Undecodable, SCHEMA_VERSION};

fn event(
    event_type: &str,
    schema_version: u32,
    at: DateTime<Utc>,
    payload: Vec<u8>,
) -> RecordedEvent {
    RecordedEvent {
        event_id: uuid::Uuid::nil(),
        stream_id: "s-1".into(),
        stream_version: 1,
        event_type: event_type.into(),
        schema_version,
        org: Default::default(),
        occurred_at: at,
        recorded_at: at,
        actor: String::new(),
        correlation_id: String::new(),
        causation_id: String::new(),
        traceparent: String::new(),
        payload,
        checkpoint: Default::default(),
    }
}

/// Any instant chrono can hold, the first and last included.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
            .prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn events_decode_or_are_refused_by_type_and_version(
        seed in any::<u64>(),
        at in instant(),
        version in prop_oneof![Just(SCHEMA_VERSION), any::<u32>()],
    ) {
        let mut hostile = Hostile::new(seed);
        for desc in event_messages(&descriptor_pool()) {
            let e = event(desc.name(), version, at, hostile.payload(&desc));
            match Decoded::of(&e) {
                Ok(decoded) => {
                    prop_assert_eq!(&decoded.day, &district_day(at));
                    prop_assert!(version == SCHEMA_VERSION || decoded.fact == Fact::Unknown);
                }
                Err(Undecodable::SchemaVersion { event_type, found }) => {
                    prop_assert_eq!((event_type.as_str(), found), (desc.name(), version));
                    prop_assert_ne!(version, SCHEMA_VERSION);
                }
                Err(Undecodable::Payload { event_type, .. }) => {
                    prop_assert_eq!(event_type.as_str(), desc.name());
                }
            }
        }
        let unknown = event("SomethingNew", version, at, hostile.bytes());
        prop_assert_eq!(Decoded::of(&unknown).map(|d| d.fact).ok(), Some(Fact::Unknown));
    }
}
