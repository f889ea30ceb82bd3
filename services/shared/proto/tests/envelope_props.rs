//! Hostile envelopes (what a subscriber or the projection reads off the wire):
//! `recorded_of` never panics, refuses naming an envelope field, and what it accepts
//! goes back to the same envelope; every recorded event round-trips through the wire.

use chrono::{DateTime, Utc};
use civitas_kernel::{Checkpoint, OrgPath, RecordedEvent};
use civitas_proto::convert::{envelope_of, recorded_of};
use civitas_proto::events::v1::Envelope;
use civitas_testkit::hostile::{cases, descriptor_pool, Hostile};
use proptest::prelude::*;
use prost::Message;

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        (
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            0..1_000_000_000u32
        )
            .prop_map(|(s, n)| DateTime::from_timestamp(s, n).expect("in range")),
    ]
}

prop_compose! {
    fn recorded()(
        id in any::<u128>(),
        stream_id in ".{1,40}",
        stream_version in 1..=u64::MAX,
        event_type in "[A-Za-z]{1,30}",
        schema_version in any::<u32>(),
        org in ("[a-z]{0,8}", "[a-z]{0,8}", "[a-z]{0,8}"),
        occurred_at in instant(),
        recorded_at in instant(),
        text in (".{0,20}", ".{0,20}", ".{0,20}", ".{0,60}"),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        checkpoint in (any::<u64>(), any::<u64>()),
    ) -> RecordedEvent {
        RecordedEvent {
            event_id: uuid::Uuid::from_u128(id),
            stream_id,
            stream_version,
            event_type,
            schema_version,
            org: OrgPath { district: org.0, street: org.1, community: org.2 },
            occurred_at,
            recorded_at,
            actor: text.0,
            correlation_id: text.1,
            causation_id: text.2,
            traceparent: text.3,
            payload,
            checkpoint: Checkpoint { xid: checkpoint.0, position: checkpoint.1 },
        }
    }
}

const FIELDS: &[&str] = &[
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "org",
    "occurred_at",
    "recorded_at",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn recorded_events_round_trip(event in recorded(), service in "[a-z]{0,12}") {
        let envelope = envelope_of(&service, &event);
        prop_assert_eq!(&envelope.service, &service);
        prop_assert_eq!(recorded_of(envelope), Ok(event));
    }

    #[test]
    fn hostile_envelopes_decode_or_name_the_field(seed in any::<u64>()) {
        let pool = descriptor_pool();
        let desc = pool
            .get_message_by_name("civitas.events.v1.Envelope")
            .expect("the envelope");
        let mut hostile = Hostile::new(seed);
        let Ok(envelope) = Envelope::decode(hostile.payload(&desc).as_slice()) else {
            return Ok(());
        };
        match recorded_of(envelope.clone()) {
            Ok(event) => prop_assert_eq!(envelope_of(&envelope.service, &event), envelope),
            Err(e) => prop_assert!(FIELDS.contains(&e.field), "{e}"),
        }
    }
}
