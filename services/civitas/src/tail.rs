//! `civitas tail`: follows the events stream on NATS JetStream and prints one JSON
//! object per event, with the payload decoded dynamically from the compiled descriptor
//! set (`civitas_proto::FILE_DESCRIPTOR_SET`), so it also shows event types that this
//! binary's domain code does not know.
//!
//! It reads the way an analytics user may: an *ordered* consumer, i.e. an ephemeral,
//! memory-stored push consumer with no acks, flow control and idle heartbeats, created
//! with its name and filter in the API subject
//! (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`), delivering to an inbox under
//! the user's own prefix (`_INBOX.<user>` when a user is given). It never asks for
//! stream or account info, never acks and never creates a durable consumer, so it works
//! with the subscribe-only grants of `deploy/nats/accounts.conf`; the server removes
//! the consumer 30 s after the tail stops. A refusal the server reports (a permissions
//! violation) ends the tail with that message instead of a silent wait.
//!
//! When the ordered consumer must be recreated (missed heartbeats, a reconnect),
//! async-nats resumes after the last stream sequence received; before the first event it
//! restarts from the start of the stream, so a live tail may then print older events.

use std::fmt;
use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::push, consumer::DeliverPolicy};
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use civitas_proto::events::v1::Envelope;
use civitas_streams::StreamSettings;
use futures::StreamExt as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::{json, Value};

/// The protobuf package of every event payload.
pub const EVENTS_PACKAGE: &str = "civitas.events.v1";

/// What to follow and how to reach it.
#[derive(Clone)]
pub struct TailConfig {
    /// e.g. `nats://127.0.0.1:4222`.
    pub nats_url: String,
    /// Filter subject inside the stream, e.g. `civitas.evt.*.gulou.>` for one district.
    pub subject: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Deliver every stored event first (deliver policy All); otherwise only events
    /// published after the consumer exists (New).
    pub from_start: bool,
    /// Stop after this many events; follow forever when absent.
    pub limit: Option<usize>,
    /// The stream (its name is what matters here; default `CIVITAS_EVENTS`).
    pub stream: StreamSettings,
}

impl Default for TailConfig {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            subject: "civitas.evt.>".to_owned(),
            user: None,
            password: None,
            from_start: false,
            limit: None,
            stream: StreamSettings::default(),
        }
    }
}

impl fmt::Debug for TailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TailConfig")
            .field("nats_url", &self.nats_url)
            .field("subject", &self.subject)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from_start", &self.from_start)
            .field("limit", &self.limit)
            .field("stream", &self.stream.name)
            .finish()
    }
}

/// Follows the stream and writes one JSON line per event to `out` (flushed after each
/// line), until `limit` events were written, or forever. A message that is not an
/// envelope is printed as `{"subject", "stream_sequence", "error", "message_base64"}`
/// and counted too, so one bad message cannot stop the tail.
pub async fn run(config: &TailConfig, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    if config.limit == Some(0) {
        return Ok(());
    }
    // Fail before connecting if the descriptor set is unusable.
    descriptor_pool()?;
    let (client, mut refusals) = connect(config).await?;
    let js = jetstream::new(client.clone());
    let consumer_config = push::OrderedConfig {
        name: Some(consumer_name()),
        deliver_subject: client.new_inbox(),
        filter_subject: config.subject.clone(),
        deliver_policy: if config.from_start {
            DeliverPolicy::All
        } else {
            DeliverPolicy::New
        },
        ..Default::default()
    };
    let failed = || {
        format!(
            "failed to create a consumer on stream {} for {} (does the stream exist, does the \
             subject lie inside it, and may this NATS user read it? analysts may only read \
             their districts, e.g. civitas.evt.*.gulou.>)",
            config.stream.name, config.subject
        )
    };
    // The only requests in flight are this one's: a refusal the server reports now (a
    // denied create subject or reply inbox) is its answer, without waiting for a timeout.
    let consumer = tokio::select! {
        created = js.create_consumer_on_stream(consumer_config, &config.stream.name) => {
            created.with_context(failed)?
        }
        Ok(()) = refusals.changed() => {
            let refused = refusals.borrow_and_update().clone().unwrap_or_default();
            return Err(anyhow::anyhow!("the NATS server refused: {refused}").context(failed()));
        }
    };
    refusals.mark_unchanged();
    let mut messages = consumer
        .messages()
        .await
        .context("failed to subscribe to the consumer's deliveries")?;
    let mut written = 0usize;
    loop {
        let message = tokio::select! {
            message = messages.next() => message,
            // A refused subscription (e.g. an inbox outside the user's grant) would
            // otherwise wait forever for deliveries that never come.
            Ok(()) = refusals.changed() => {
                let refused = refusals.borrow_and_update().clone().unwrap_or_default();
                if refused.to_lowercase().contains("subscription") {
                    anyhow::bail!("the NATS server refused a subscription: {refused}");
                }
                continue;
            }
        };
        let Some(message) = message else { break };
        let message = message.context("the ordered consumer failed")?;
        let sequence = message
            .info()
            .map(|info| info.stream_sequence)
            .map_err(|e| anyhow::anyhow!("a delivery without JetStream metadata: {e}"))?;
        let subject = message.subject.as_str();
        let line = match envelope_to_json(subject, sequence, &message.payload) {
            Ok(mut value) => {
                // The envelope carries the trace context; fall back to the header.
                let header = message
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("traceparent"))
                    .map(|v| v.as_str().to_owned());
                if let (Some(header), Some(field)) = (header, value.get_mut("traceparent")) {
                    if field.as_str().is_none_or(str::is_empty) {
                        *field = Value::String(header);
                    }
                }
                value
            }
            Err(e) => json!({
                "subject": subject,
                "stream_sequence": sequence,
                "error": format!("{e:#}"),
                "message_base64": base64::engine::general_purpose::STANDARD.encode(&message.payload),
            }),
        };
        writeln!(out, "{line}").context("failed to write the output")?;
        out.flush().context("failed to write the output")?;
        written += 1;
        if config.limit.is_some_and(|limit| written >= limit) {
            return Ok(());
        }
    }
    anyhow::bail!("the NATS subscription ended after {written} events")
}

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

/// The last error the server reported on the connection (e.g. a permissions violation).
type Refusals = tokio::sync::watch::Receiver<Option<String>>;

async fn connect(config: &TailConfig) -> anyhow::Result<(async_nats::Client, Refusals)> {
    let (refused, refusals) = tokio::sync::watch::channel(None);
    let mut options = async_nats::ConnectOptions::new()
        .name("civitas-tail")
        .connection_timeout(Duration::from_secs(5))
        .event_callback(move |event| {
            if let async_nats::Event::ServerError(async_nats::ServerError::Other(error)) = event {
                refused.send_replace(Some(error));
            }
            std::future::ready(())
        });
    // An empty value (e.g. an empty environment variable) counts as absent.
    let user = config.user.as_deref().filter(|u| !u.is_empty());
    let password = config.password.as_deref().filter(|p| !p.is_empty());
    match (user, password) {
        (Some(user), password) => {
            options =
                options.user_and_password(user.to_owned(), password.unwrap_or_default().to_owned());
        }
        (None, Some(_)) => anyhow::bail!("a NATS password was given without a user"),
        (None, None) => {}
    }
    // Replies and deliveries go to the user's own inbox prefix, the only inboxes an
    // analyst may subscribe to (deploy/nats/accounts.conf).
    if let Some(user) = user {
        options = options.custom_inbox_prefix(format!("_INBOX.{}", token(user)));
    }
    let client = tokio::time::timeout(Duration::from_secs(10), options.connect(&config.nats_url))
        .await
        .map_err(|_| anyhow::anyhow!("no NATS server answered at {} within 10s", config.nats_url))?
        .with_context(|| format!("failed to connect to NATS at {}", config.nats_url))?;
    Ok((client, refusals))
}

/// A fresh consumer name: `tail_<16 hex digits>` (never an existing platform consumer).
fn consumer_name() -> String {
    format!("tail_{:016x}", rand::random::<u64>())
}

/// A subject token made of `value` (user names go into the inbox prefix).
fn token(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '.' | '*' | '>' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    use async_nats::HeaderMap;
    use base64::engine::general_purpose::STANDARD as B64;
    use chrono::TimeZone as _;
    use civitas_proto::common::v1::{Date, OrgPath};
    use civitas_proto::events::v1::{
        ActivityCategory, ActivityScheduled, ResidenceType, ResidentRegistered, Sealed, Sex,
    };
    use civitas_proto::residents::v1::ResidentPersonal;
    use civitas_residents::crypto;

    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// Every step of a NATS test is bounded by this.
    const BOUND: Duration = Duration::from_secs(30);

    fn org(district: &str) -> OrgPath {
        OrgPath {
            district: district.into(),
            street: "huafeng".into(),
            community: "xingfu".into(),
        }
    }

    fn envelope(n: u64, district: &str, event_type: &str, payload: Vec<u8>) -> Envelope {
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
    fn registered(resident_id: &str) -> (ResidentRegistered, crypto::DataKey) {
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
        };
        (event, key)
    }

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

    fn publish_headers(event: &Envelope) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.event_id.as_str());
        // The relay sends the command's trace context as a header too.
        headers.insert("traceparent", TRACEPARENT);
        headers
    }

    async fn publish(
        js: &jetstream::Context,
        stream: &StreamSettings,
        service: &str,
        event: &Envelope,
    ) {
        let org = event.org.clone().unwrap();
        let org = civitas_kernel::OrgPath {
            district: org.district,
            street: org.street,
            community: org.community,
        };
        let subject = stream.subject(service, &org, &event.event_type);
        let ack = js
            .publish_with_headers(
                subject,
                publish_headers(event),
                event.encode_to_vec().into(),
            )
            .await
            .unwrap();
        tokio::time::timeout(BOUND, ack).await.unwrap().unwrap();
    }

    async fn tail(config: TailConfig) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        tokio::time::timeout(BOUND, run(&config, &mut out))
            .await
            .map_err(|_| anyhow::anyhow!("tail did not finish within {BOUND:?}"))??;
        Ok(lines(&out))
    }

    fn lines(out: &[u8]) -> Vec<Value> {
        std::str::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_prints_the_stored_events_from_the_start() {
        let server = civitas_testkit::NatsServer::start().unwrap();
        let unique = format!("{:08x}", rand::random::<u32>());
        let stream = StreamSettings {
            name: format!("TAIL_TEST_{unique}"),
            subject_prefix: format!("tailtest{unique}.evt"),
            ..StreamSettings::default()
        };
        let client = async_nats::connect(&server.url).await.unwrap();
        let js = jetstream::new(client);
        tokio::time::timeout(BOUND, civitas_streams::ensure_stream(&js, &stream))
            .await
            .unwrap()
            .unwrap();

        let (resident, _key) = registered("r-1");
        let first = envelope(1, "gulou", "ResidentRegistered", resident.encode_to_vec());
        let scheduled = ActivityScheduled {
            activity_id: "a-1".into(),
            community: "xingfu".into(),
            category: ActivityCategory::FilmScreening as i32,
            title: "World film night".into(),
            capacity: 40,
            ..Default::default()
        };
        let mut second = envelope(2, "gulou", "ActivityScheduled", scheduled.encode_to_vec());
        second.service = "activities".into();
        second.traceparent = String::new(); // taken from the header instead
        publish(&js, &stream, "residents", &first).await;
        publish(&js, &stream, "activities", &second).await;
        // A re-sent event (same Nats-Msg-Id) is dropped by JetStream.
        publish(&js, &stream, "residents", &first).await;

        let got = tail(TailConfig {
            nats_url: server.url.clone(),
            subject: stream.all_subjects(),
            from_start: true,
            limit: Some(2),
            stream: stream.clone(),
            ..TailConfig::default()
        })
        .await
        .unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        let prefix = &stream.subject_prefix;
        assert_eq!(
            got[0]["subject"],
            format!("{prefix}.residents.gulou.huafeng.xingfu.ResidentRegistered")
        );
        assert_eq!(got[0]["stream_sequence"], 1);
        assert_eq!(got[0]["event_id"], first.event_id);
        assert_eq!(got[0]["service"], "residents");
        assert_eq!(
            got[0]["payload"]["residence_type"],
            "RESIDENCE_TYPE_FLOATING"
        );
        assert!(got[0]["payload"]["personal"]["ciphertext"].is_string());
        assert_eq!(
            got[1]["subject"],
            format!("{prefix}.activities.gulou.huafeng.xingfu.ActivityScheduled")
        );
        assert_eq!(got[1]["stream_sequence"], 2);
        assert_eq!(got[1]["event_type"], "ActivityScheduled");
        assert_eq!(got[1]["service"], "activities");
        assert_eq!(got[1]["traceparent"], TRACEPARENT);
        assert_eq!(
            got[1]["payload"]["category"],
            "ACTIVITY_CATEGORY_FILM_SCREENING"
        );
        assert_eq!(got[1]["payload"]["capacity"], 40);
        assert_eq!(got[1]["payload"]["title"], "World film night");
        // Exactly what envelope_to_json makes of the published bytes.
        let expected = envelope_to_json(
            got[0]["subject"].as_str().unwrap(),
            1,
            &first.encode_to_vec(),
        );
        assert_eq!(got[0], expected.unwrap());

        // A subject outside the stream is refused, in bounded time.
        let err = tail(TailConfig {
            nats_url: server.url.clone(),
            subject: "elsewhere.>".into(),
            from_start: true,
            limit: Some(1),
            stream,
            ..TailConfig::default()
        })
        .await
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("failed to create a consumer"),
            "{err:#}"
        );
    }

    /// A nats-server started with a config file, killed when dropped.
    struct ConfiguredServer {
        child: Child,
        url: String,
        _dir: tempfile::TempDir,
    }

    impl ConfiguredServer {
        fn start(conf: impl Fn(u16, &Path) -> String) -> ConfiguredServer {
            let binary =
                std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
            let dir = tempfile::tempdir().unwrap();
            let port = civitas_testkit::free_port().unwrap();
            let path = dir.path().join("nats.conf");
            std::fs::write(&path, conf(port, &dir.path().join("js"))).unwrap();
            let child = Command::new(&binary)
                .arg("-c")
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("this test needs {binary} (or NATS_SERVER_BIN): {e}"));
            let mut server = ConfiguredServer {
                child,
                url: format!("nats://127.0.0.1:{port}"),
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Ok(Some(status)) = server.child.try_wait() {
                    panic!("{binary} exited at start with {status}");
                }
                assert!(
                    Instant::now() < deadline,
                    "{binary} did not listen within 10s"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            server
        }
    }

    impl Drop for ConfiguredServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The analyst's grants as in deploy/nats/accounts.conf, plus an admin user, and a
    /// user with the same grants under another name (so its inbox is not granted).
    fn analyst_conf(port: u16, store: &Path) -> String {
        let grants = r#"{
          publish: {
            allow: [
              "$JS.API.CONSUMER.CREATE.CIVITAS_EVENTS.*.civitas.evt.*.gulou.>"
              "$JS.FC.CIVITAS_EVENTS.>"
            ]
            deny: [
              "civitas.>"
              "$JS.API.CONSUMER.CREATE.CIVITAS_EVENTS.projection.>"
              "$JS.FC.CIVITAS_EVENTS.projection.>"
            ]
          }
          subscribe: {
            allow: ["civitas.evt.*.gulou.>", "_INBOX.analyst_gulou.>"]
          }
        }"#;
        format!(
            r#"
listen: "127.0.0.1:{port}"
jetstream {{ store_dir: "{store}" }}
accounts {{
  CIVITAS {{
    jetstream: enabled
    users: [
      {{ user: admin, password: admin }}
      {{ user: analyst_gulou, password: secret, permissions: {grants} }}
      {{ user: analyst_renamed, password: secret, permissions: {grants} }}
    ]
  }}
}}
"#,
            store = store.display()
        )
    }

    /// With the subscribe-only analyst grants: from the start, only the district's
    /// events; live (deliver New), only what comes after; outside the district, refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_works_with_the_analyst_grants() {
        let server = ConfiguredServer::start(analyst_conf);
        let admin =
            async_nats::ConnectOptions::with_user_and_password("admin".into(), "admin".into())
                .retry_on_initial_connect()
                .connect(&server.url);
        let admin = tokio::time::timeout(BOUND, admin).await.unwrap().unwrap();
        let js = jetstream::new(admin);
        let stream = StreamSettings::default();
        let mut events_stream =
            tokio::time::timeout(BOUND, civitas_streams::ensure_stream(&js, &stream))
                .await
                .unwrap()
                .unwrap();
        let (a, _) = registered("r-1");
        let (b, _) = registered("r-2");
        let (c, _) = registered("r-3");
        let gulou_1 = envelope(1, "gulou", "ResidentRegistered", a.encode_to_vec());
        let taijiang = envelope(2, "taijiang", "ResidentRegistered", b.encode_to_vec());
        let gulou_2 = envelope(3, "gulou", "ResidentRegistered", c.encode_to_vec());
        for event in [&gulou_1, &taijiang, &gulou_2] {
            publish(&js, &stream, "residents", event).await;
        }
        let analyst = TailConfig {
            nats_url: server.url.clone(),
            subject: "civitas.evt.*.gulou.>".into(),
            user: Some("analyst_gulou".into()),
            password: Some("secret".into()),
            from_start: true,
            limit: Some(2),
            ..TailConfig::default()
        };

        let got = tail(analyst.clone()).await.unwrap();
        let ids: Vec<&str> = got
            .iter()
            .map(|v| v["event_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [gulou_1.event_id.as_str(), gulou_2.event_id.as_str()]);
        assert_eq!(got[1]["stream_sequence"], 3);

        // Live: nothing stored is delivered, the next gulou event is.
        let before = consumer_count(&mut events_stream).await;
        let live = TailConfig {
            from_start: false,
            limit: Some(1),
            ..analyst.clone()
        };
        let follower = tokio::spawn(async move {
            let mut out = Vec::new();
            run(&live, &mut out).await.map(|()| out)
        });
        let deadline = Instant::now() + BOUND;
        while consumer_count(&mut events_stream).await <= before {
            assert!(
                Instant::now() < deadline,
                "the live tail created no consumer"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (d, _) = registered("r-4");
        let gulou_3 = envelope(4, "gulou", "ResidentRegistered", d.encode_to_vec());
        let (e, _) = registered("r-5");
        let taijiang_2 = envelope(5, "taijiang", "ResidentRegistered", e.encode_to_vec());
        publish(&js, &stream, "residents", &taijiang_2).await;
        publish(&js, &stream, "residents", &gulou_3).await;
        let out = tokio::time::timeout(BOUND, follower)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let got = lines(&out);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["event_id"], gulou_3.event_id);
        assert_eq!(got[0]["stream_sequence"], 5);

        // Another district, or the whole tree, is refused, saying why.
        for subject in ["civitas.evt.*.taijiang.>", "civitas.evt.>"] {
            let err = tail(TailConfig {
                subject: subject.into(),
                ..analyst.clone()
            })
            .await
            .unwrap_err();
            let err = format!("{err:#}");
            assert!(err.contains("failed to create a consumer"), "{err}");
            assert!(
                err.to_lowercase()
                    .contains("permissions violation for publish"),
                "{err}"
            );
        }
        // So is a user whose own inbox prefix is not granted.
        let err = tail(TailConfig {
            user: Some("analyst_renamed".into()),
            ..analyst.clone()
        })
        .await
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.to_lowercase()
                .contains("permissions violation for subscription"),
            "{err}"
        );
    }

    async fn consumer_count(stream: &mut jetstream::stream::Stream) -> usize {
        tokio::time::timeout(BOUND, stream.info())
            .await
            .unwrap()
            .unwrap()
            .state
            .consumer_count
    }
}
