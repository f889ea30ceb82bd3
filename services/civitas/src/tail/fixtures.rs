//! Events for the tail's tests: envelopes around real payloads, personal data sealed.

use chrono::TimeZone as _;
use chrono::Utc;
use civitas_proto::common::v1::{Date, OrgPath};
use civitas_proto::events::v1::{Envelope, ResidenceType, ResidentRegistered, Sealed, Sex};
use civitas_proto::residents::v1::ResidentPersonal;
use civitas_residents::crypto;
use prost::Message as _;

/// The trace context every test envelope carries.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn org(district: &str) -> OrgPath {
    OrgPath {
        district: district.into(),
        street: "huafeng".into(),
        community: "xingfu".into(),
    }
}

/// An envelope numbered `n` in `district` around `payload`.
pub fn envelope(n: u64, district: &str, event_type: &str, payload: Vec<u8>) -> Envelope {
    let at = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    Envelope {
        event_id: format!("0195508a-0000-7000-8000-{n:012}"),
        stream_id: format!("resident-{n}"),
        stream_version: 1,
        event_type: event_type.into(),
        schema_version: 1,
        org: Some(org(district)),
        occurred_at: Some(civitas_proto::convert::timestamp(at)),
        recorded_at: Some(civitas_proto::convert::timestamp(
            at + chrono::Duration::milliseconds(250),
        )),
        actor: "staff-1".into(),
        correlation_id: format!("corr-{n}"),
        causation_id: format!("cause-{n}"),
        traceparent: TRACEPARENT.into(),
        payload,
        xid: 7,
        position: n,
        service: "residents".into(),
    }
}

/// A ResidentRegistered whose personal data is really sealed, and the key.
pub fn registered(resident_id: &str) -> (ResidentRegistered, crypto::DataKey) {
    let key = crypto::DataKey::generate();
    let personal = ResidentPersonal {
        name: "Zhang Sanfeng".into(),
        id_number: "350102199001011234".into(),
        phone: "13800138000".into(),
        birth_date: Some(Date {
            year: 1990,
            month: 1,
            day: 1,
        }),
    };
    let sealed = crypto::seal(&key, resident_id.as_bytes(), &personal.encode_to_vec());
    let event = ResidentRegistered {
        resident_id: resident_id.into(),
        household_id: "h-1".into(),
        residence_type: ResidenceType::Floating as i32,
        sex: Sex::Female as i32,
        birth_year: 1990,
        guardian_resident_id: String::new(),
        personal: Some(Sealed {
            key_id: resident_id.into(),
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
        }),
        ..Default::default()
    };
    (event, key)
}
