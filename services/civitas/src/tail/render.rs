//! Rendering for `civitas tail`: one event envelope as one JSON object, with the
//! payload decoded dynamically from the compiled descriptor set
//! (`civitas_proto::FILE_DESCRIPTOR_SET`), so it also shows event types that this
//! binary's domain code does not know. Nothing here touches NATS.

use std::sync::OnceLock;

use anyhow::Context as _;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use civitas_proto::events::v1::Envelope;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::{json, Value};

/// The protobuf package of every event payload.
pub const EVENTS_PACKAGE: &str = "civitas.events.v1";

/// One event as JSON: the envelope's fields (with the producing store's checkpoint as
/// `xid` and `position`), the NATS subject and stream sequence, and
/// `payload` decoded as `civitas.events.v1.<event_type>` (proto field names, enum value
/// names, bytes as base64, timestamps RFC 3339, default values included, 64-bit integers
/// as numbers). When the event type is not in the descriptor set the payload is given
/// as `payload_base64`; when it does not decode, as `payload_base64` and
/// `payload_error`. Fails only when `bytes` is not an envelope.
pub fn envelope_to_json(subject: &str, sequence: u64, bytes: &[u8]) -> anyhow::Result<Value> {
    let envelope =
        Envelope::decode(bytes).context("the message is not a civitas.events.v1.Envelope")?;
    let org = envelope.org.clone().unwrap_or_default();
    let mut value = json!({
        "subject": subject,
        "stream_sequence": sequence,
        "event_id": envelope.event_id,
        "stream_id": envelope.stream_id,
        "stream_version": envelope.stream_version,
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "org": {
            "district": org.district,
            "street": org.street,
            "community": org.community,
        },
        "occurred_at": rfc3339(envelope.occurred_at.as_ref()),
        "recorded_at": rfc3339(envelope.recorded_at.as_ref()),
        "actor": envelope.actor,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "traceparent": envelope.traceparent,
        "service": envelope.service,
        "xid": envelope.xid,
        "position": envelope.position,
    });
    let raw = || Value::String(base64::engine::general_purpose::STANDARD.encode(&envelope.payload));
    match decode_payload(&envelope.event_type, &envelope.payload)? {
        Payload::Decoded(payload) => value["payload"] = payload,
        Payload::Unknown => value["payload_base64"] = raw(),
        Payload::Invalid(error) => {
            value["payload_base64"] = raw();
            value["payload_error"] = Value::String(error);
        }
    }
    Ok(value)
}

/// The pool of every civitas message, decoded once from the compiled descriptor set.
pub fn descriptor_pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(civitas_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow::anyhow!("the compiled descriptor set does not decode: {e}"))
}

enum Payload {
    Decoded(Value),
    Unknown,
    Invalid(String),
}

fn decode_payload(event_type: &str, bytes: &[u8]) -> anyhow::Result<Payload> {
    let pool = descriptor_pool()?;
    // A type name is one identifier: a dotted value must not reach into other packages.
    let valid = !event_type.is_empty()
        && event_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let descriptor = match valid {
        true => pool.get_message_by_name(&format!("{EVENTS_PACKAGE}.{event_type}")),
        false => None,
    };
    let Some(descriptor) = descriptor else {
        return Ok(Payload::Unknown);
    };
    let message = match DynamicMessage::decode(descriptor, bytes) {
        Ok(message) => message,
        Err(e) => return Ok(Payload::Invalid(e.to_string())),
    };
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(false);
    match message.serialize_with_options(serde_json::value::Serializer, &options) {
        Ok(value) => Ok(Payload::Decoded(value)),
        Err(e) => Ok(Payload::Invalid(e.to_string())),
    }
}

fn rfc3339(ts: Option<&prost_types::Timestamp>) -> Value {
    ts.and_then(|ts| {
        let nanos = u32::try_from(ts.nanos).ok()?;
        DateTime::<Utc>::from_timestamp(ts.seconds, nanos)
    })
    .map_or(Value::Null, |at| {
        Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    })
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as B64;
    use civitas_proto::residents::v1::ResidentPersonal;
    use civitas_residents::crypto;

    use super::*;
    use crate::tail::fixtures::{envelope, registered, TRACEPARENT};

    #[test]
    fn envelope_to_json_shows_every_field_and_only_ciphertext_of_personal_data() {
        let (event, key) = registered("r-1");
        let bytes =
            envelope(1, "gulou", "ResidentRegistered", event.encode_to_vec()).encode_to_vec();
        let subject = "civitas.evt.residents.gulou.huafeng.xingfu.ResidentRegistered";
        let json = envelope_to_json(subject, 42, &bytes).unwrap();

        assert_eq!(json["subject"], subject);
        assert_eq!(json["stream_sequence"], 42);
        assert_eq!(json["event_id"], "0195508a-0000-7000-8000-000000000001");
        assert_eq!(json["stream_id"], "resident-1");
        assert_eq!(json["stream_version"], 1);
        assert_eq!(json["event_type"], "ResidentRegistered");
        assert_eq!(json["schema_version"], 1);
        assert_eq!(
            json["org"],
            json!({"district": "gulou", "street": "huafeng", "community": "xingfu"})
        );
        assert_eq!(json["occurred_at"], "2025-03-01T08:00:00Z");
        assert_eq!(json["recorded_at"], "2025-03-01T08:00:00.250Z");
        assert_eq!(json["actor"], "staff-1");
        assert_eq!(json["correlation_id"], "corr-1");
        assert_eq!(json["causation_id"], "cause-1");
        assert_eq!(json["traceparent"], TRACEPARENT);
        assert_eq!(json["service"], "residents");
        assert_eq!(
            (json["xid"].as_u64(), json["position"].as_u64()),
            (Some(7), Some(1))
        );
        assert!(json.get("payload_base64").is_none());

        let payload = &json["payload"];
        assert_eq!(payload["resident_id"], "r-1");
        assert_eq!(payload["household_id"], "h-1");
        assert_eq!(payload["residence_type"], "RESIDENCE_TYPE_FLOATING");
        assert_eq!(payload["sex"], "SEX_FEMALE");
        assert_eq!(payload["birth_year"], 1990);
        assert_eq!(payload["guardian_resident_id"], "", "defaults are included");
        // The personal data is there only as base64 of the sealed bytes ...
        let personal = payload["personal"].as_object().unwrap();
        let mut keys: Vec<&str> = personal.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["ciphertext", "key_id", "nonce"]);
        let sealed = event.personal.as_ref().unwrap();
        assert_eq!(personal["key_id"], "r-1");
        assert_eq!(personal["nonce"], B64.encode(&sealed.nonce));
        assert_eq!(personal["ciphertext"], B64.encode(&sealed.ciphertext));
        // ... which opens only with the subject's key, destroyed on erasure.
        let ciphertext = B64
            .decode(personal["ciphertext"].as_str().unwrap())
            .unwrap();
        let nonce = B64.decode(personal["nonce"].as_str().unwrap()).unwrap();
        let opened = crypto::open(&key, b"r-1", &nonce, &ciphertext).unwrap();
        assert_eq!(
            ResidentPersonal::decode(opened.as_slice()).unwrap().phone,
            "13800138000"
        );
        // Nothing personal in clear anywhere in the line.
        let text = json.to_string();
        for clear in ["Zhang", "350102199001011234", "13800138000", "1990-01-01"] {
            assert!(!text.contains(clear), "{clear} appears in clear: {text}");
        }
    }

    #[test]
    fn unknown_or_broken_payloads_are_given_as_base64() {
        let bytes = envelope(2, "gulou", "SomethingNew", vec![1, 2, 3]).encode_to_vec();
        let json = envelope_to_json("s", 1, &bytes).unwrap();
        assert_eq!(json["payload_base64"], "AQID");
        assert!(json.get("payload").is_none());
        assert!(json.get("payload_error").is_none());

        // Not a type name: never looked up outside the events package.
        let bytes = envelope(2, "gulou", "residents.v1.ResidentPersonal", vec![]).encode_to_vec();
        assert_eq!(
            envelope_to_json("s", 1, &bytes).unwrap()["payload_base64"],
            ""
        );

        // A known type whose bytes do not decode (a truncated length-delimited field).
        let bytes =
            envelope(3, "gulou", "ResidentRegistered", vec![0x0a, 0x05, b'r']).encode_to_vec();
        let json = envelope_to_json("s", 1, &bytes).unwrap();
        assert_eq!(json["payload_base64"], "CgVy");
        assert!(json["payload_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()));

        assert!(envelope_to_json("s", 1, b"\xff\xff\xff").is_err());
    }

    /// The schema itself carries no personal field in clear: a field named like one is
    /// a `Sealed` message. (Team and facility names are not personal.)
    #[test]
    fn no_event_has_a_clear_personal_field() {
        let pool = descriptor_pool().unwrap();
        let personal = [
            "person_name",
            "full_name",
            "resident_name",
            "id_number",
            "id_card",
            "phone",
            "mobile",
            "address",
            "birth_date",
            "birthday",
            "email",
        ];
        let mut events = 0;
        for message in pool.all_messages() {
            if message.package_name() != EVENTS_PACKAGE {
                continue;
            }
            events += 1;
            for field in message.fields() {
                if personal.contains(&field.name()) {
                    let sealed = field
                        .kind()
                        .as_message()
                        .is_some_and(|m| m.full_name() == "civitas.events.v1.Sealed");
                    assert!(
                        sealed,
                        "{}.{} is personal data in clear",
                        message.full_name(),
                        field.name()
                    );
                }
            }
        }
        assert!(events > 40, "the events package has {events} messages");
    }
}
