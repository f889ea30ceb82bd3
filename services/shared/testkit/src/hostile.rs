//! Hostile input for fuzzing decoders and servers: any message of the civitas descriptor
//! set filled with random and extreme values — timestamps in year 262143 and beyond,
//! integer extremes, unknown enum numbers, control characters, megabyte strings,
//! ten-thousand-element lists, nil, malformed and random UUIDs — plus raw and truncated
//! encodings. Everything comes from one seeded generator, so a failure replays from the
//! seed it printed.

use civitas_kernel::EventCodec;
use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Every civitas message, enum and service, from the proto crate's descriptor set.
pub fn descriptor_pool() -> DescriptorPool {
    DescriptorPool::decode(civitas_proto::FILE_DESCRIPTOR_SET)
        .expect("the proto crate's descriptor set decodes")
}

/// The events package: one message per event type, named like the type.
pub const EVENTS_PACKAGE: &str = "civitas.events.v1";

/// Every event payload message (`civitas.events.v1.<EventType>`), the envelope excepted.
pub fn event_messages(pool: &DescriptorPool) -> Vec<MessageDescriptor> {
    pool.all_messages()
        .filter(|m| m.package_name() == EVENTS_PACKAGE && m.name() != "Envelope")
        .filter(|m| m.parent_message().is_none())
        .collect()
}

/// How many cases a property test runs: `PROPTEST_CASES` when set (a longer run), else
/// `default` (CI's).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A codec check as [`check_codec`] makes one for an event type.
pub type CodecCheck = fn(&MessageDescriptor, &[u8]) -> Result<(), String>;

/// A service's property test of its stored-event codecs: one hostile payload from
/// `seed` for every event message, run through every check.
pub fn check_codecs(seed: u64, checks: &[CodecCheck]) -> Result<(), String> {
    let mut hostile = Hostile::new(seed);
    for desc in event_messages(&descriptor_pool()) {
        let payload = hostile.payload(&desc);
        for check in checks {
            check(&desc, &payload)?;
        }
    }
    Ok(())
}

/// Checks an aggregate's event codec on a payload claimed to be a `desc` (the message
/// of the event type of that name): decoding never panics; an event that decodes is of
/// that type and survives encode → decode unchanged; one that does not is refused
/// naming the type and, when the payload is a well-formed `desc`, the field to blame.
/// A type the codec does not own must be refused as unknown.
pub fn check_codec<E>(desc: &MessageDescriptor, payload: &[u8]) -> Result<(), String>
where
    E: EventCodec + PartialEq + std::fmt::Debug,
{
    let event_type = desc.name();
    match E::decode(event_type, 1, payload) {
        Ok(event) => {
            if event.event_type() != event_type {
                return Err(format!("{event_type} decoded as {}", event.event_type()));
            }
            match E::decode(event_type, 1, &event.encode()) {
                Ok(again) if again == event => Ok(()),
                other => Err(format!(
                    "{event_type}: {event:?} re-encoded decodes as {other:?}"
                )),
            }
        }
        Err(e) if e.event_type != event_type || e.schema_version != 1 => Err(format!(
            "{event_type} refused as {} v{}",
            e.event_type, e.schema_version
        )),
        Err(e) if e.reason.starts_with("unknown ") && e.reason.ends_with(event_type) => Ok(()),
        Err(e) => match DynamicMessage::decode(desc.clone(), payload) {
            // Not the type's message: the protobuf error is the reason.
            Err(_) => Ok(()),
            Ok(_) if names_a_field(desc, &e.reason) => Ok(()),
            Ok(message) => Err(format!(
                "{event_type} refused without naming a field of it: {:?} (payload {message})",
                e.reason
            )),
        },
    }
}

/// Whether `reason` is a validation error (`invalid <field>: …` or `missing <field>`)
/// naming a field of `desc` or of a message inside it.
fn names_a_field(desc: &MessageDescriptor, reason: &str) -> bool {
    let Some(field) = reason
        .strip_prefix("invalid ")
        .or_else(|| reason.strip_prefix("missing "))
        .and_then(|rest| rest.split([':', ' ']).next())
    else {
        return false;
    };
    let mut stack = vec![desc.clone()];
    let mut seen = Vec::new();
    while let Some(message) = stack.pop() {
        if seen.contains(&message) {
            continue;
        }
        for f in message.fields() {
            if f.name() == field || field.ends_with(&format!(".{}", f.name())) {
                return true;
            }
            if let Kind::Message(inner) = f.kind() {
                stack.push(inner);
            }
        }
        seen.push(message);
    }
    false
}

/// The seconds of 262143-12-31T23:59:59Z, the last instant protobuf's largest
/// calendar (and chrono's) can name.
pub const YEAR_262143_SECONDS: i64 = 8_210_298_412_799;

/// A string of 1 MiB: a quarter of the default message limit.
const MIB: usize = 1 << 20;

/// How many bytes of strings, bytes and list elements one message may carry, so that
/// every message fits under the servers' 4 MiB limit (oversize is its own case).
const BUDGET: usize = 3 * MIB;

/// Nesting beyond this leaves message fields unset (the protos are not that deep).
const MAX_DEPTH: usize = 6;

/// The length of the longest repeated field a message gets.
pub const LONG_LIST: usize = 10_000;

const DAY: i64 = 86_400;

/// The current Unix time in seconds.
fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A small number as a value of a numeric kind.
fn number(kind: &Kind, n: u8) -> Value {
    match kind {
        Kind::Double => Value::F64(f64::from(n)),
        Kind::Float => Value::F32(f32::from(n)),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(i64::from(n)),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(u64::from(n)),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(u32::from(n)),
        _ => Value::I32(i32::from(n)),
    }
}

/// How one message is being filled.
struct Fill<'a> {
    /// The chance that a field gets a hostile rather than a plausible value.
    hostility: f64,
    /// Bytes of strings and elements left for the rest of the message.
    budget: &'a mut usize,
    /// Inside a long list: no big strings, no long lists.
    small: bool,
}

/// A seeded source of hostile values.
pub struct Hostile {
    rng: StdRng,
    /// Strings worth sending again: org codes, ids a server answered with.
    known: Vec<String>,
}

impl Hostile {
    /// A generator that produces the same values for the same seed.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            known: Vec::new(),
        }
    }

    /// The generator's random source, for choices a caller makes itself.
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// Remembers a string to use again as a field value (an id a server answered with,
    /// an org code), so requests reach the rules behind "not found". Keeps the latest
    /// few hundred.
    pub fn learn(&mut self, value: impl Into<String>) {
        const KEEP: usize = 512;
        let value = value.into();
        if value.is_empty() || value.len() > 200 {
            return;
        }
        // Seen again, it becomes the latest.
        self.known.retain(|known| *known != value);
        if self.known.len() == KEEP {
            self.known.remove(0);
        }
        self.known.push(value);
    }

    /// A message of `desc` with hostile values in most fields.
    pub fn message(&mut self, desc: &MessageDescriptor) -> DynamicMessage {
        self.message_with(desc, 1.0)
    }

    /// A message whose fields are hostile with probability `hostility` and otherwise
    /// plausible (learned ids, the demo org's codes, real dates, known enum values, small
    /// numbers), so a request gets past "invalid" and "not found" to the rules that
    /// compute with the few hostile values it carries.
    pub fn message_with(&mut self, desc: &MessageDescriptor, hostility: f64) -> DynamicMessage {
        let mut budget = BUDGET;
        let mut fill = Fill {
            hostility,
            budget: &mut budget,
            small: false,
        };
        self.fill(desc, 0, &mut fill)
    }

    /// `message` with one field, at any depth, given a hostile value (or cleared): the
    /// way to reach a rule behind a request that passed every check.
    pub fn mutate(&mut self, message: &DynamicMessage) -> DynamicMessage {
        let mut message = message.clone();
        let mut target = &mut message;
        loop {
            let fields: Vec<_> = target.descriptor().fields().collect();
            let Some(field) = fields.choose(&mut self.rng).cloned() else {
                return message;
            };
            let descend = matches!(field.kind(), Kind::Message(ref m)
                if !matches!(m.full_name(), "google.protobuf.Timestamp" | "civitas.common.v1.Date"))
                && !field.is_list()
                && target.has_field(&field)
                && self.rng.gen_bool(0.5);
            if descend {
                match target.get_field_mut(&field) {
                    Value::Message(inner) => {
                        target = inner;
                        continue;
                    }
                    _ => return message,
                }
            }
            if self.rng.gen_bool(0.1) {
                target.clear_field(&field);
            } else {
                let mut budget = BUDGET;
                let mut fill = Fill {
                    hostility: 1.0,
                    budget: &mut budget,
                    small: false,
                };
                let value = if field.is_list() {
                    Value::List(self.list(&field.kind(), 1, &mut fill))
                } else {
                    self.value(&field.kind(), 1, &mut fill)
                };
                target.set_field(&field, value);
            }
            return message;
        }
    }

    /// Payload bytes claiming to be a `desc`: mostly the encoding of a message hostile
    /// throughout, in a few fields or none, else
    /// that encoding truncated or with a flipped byte, or random bytes.
    pub fn payload(&mut self, desc: &MessageDescriptor) -> Vec<u8> {
        let hostility = *[1.0, 0.1, 0.0].choose(&mut self.rng).unwrap_or(&1.0);
        let mut bytes = self.message_with(desc, hostility).encode_to_vec();
        match self.rng.gen_range(0..10) {
            0..=5 => bytes,
            6 if !bytes.is_empty() => {
                bytes.truncate(self.rng.gen_range(0..bytes.len()));
                bytes
            }
            7 if !bytes.is_empty() => {
                let at = self.rng.gen_range(0..bytes.len());
                bytes[at] ^= self.rng.gen::<u8>() | 1;
                bytes
            }
            _ => self.bytes(),
        }
    }

    /// Random bytes, empty up to a few hundred.
    pub fn bytes(&mut self) -> Vec<u8> {
        let len = self.rng.gen_range(0..=400);
        (0..len).map(|_| self.rng.gen()).collect()
    }

    fn fill(&mut self, desc: &MessageDescriptor, depth: usize, fill: &mut Fill) -> DynamicMessage {
        let hostile = self.rng.gen_bool(fill.hostility);
        match desc.full_name() {
            "google.protobuf.Timestamp" if hostile => return self.timestamp(desc),
            "google.protobuf.Timestamp" => return self.recent_timestamp(desc, false),
            "civitas.common.v1.Date" if hostile => return self.date(desc),
            "civitas.common.v1.Date" => return self.recent_date(desc),
            _ => {}
        }
        let mut message = DynamicMessage::new(desc.clone());
        if depth > MAX_DEPTH {
            return message;
        }
        for field in desc.fields() {
            let hostile = self.rng.gen_bool(fill.hostility);
            // Unset fields are proto3's most common hostile value: "required" left out.
            if hostile && self.rng.gen_bool(0.15) {
                continue;
            }
            let kind = field.kind();
            let value = if field.is_map() {
                continue;
            } else if let (false, false, Kind::Message(m)) = (hostile, field.is_list(), &kind) {
                let ends = ["end", "until", "due"]
                    .iter()
                    .any(|w| field.name().contains(w));
                Value::Message(match m.full_name() {
                    "google.protobuf.Timestamp" => self.recent_timestamp(m, ends),
                    _ => self.fill(m, depth + 1, fill),
                })
            } else if !hostile && !matches!(kind, Kind::Message(_)) {
                if field.is_list() {
                    let len = self.rng.gen_range(0..=3);
                    Value::List(
                        (0..len)
                            .map(|_| self.plausible(field.name(), &kind))
                            .collect(),
                    )
                } else {
                    self.plausible(field.name(), &kind)
                }
            } else if field.is_list() {
                Value::List(self.list(&kind, depth, fill))
            } else {
                self.value(&kind, depth, fill)
            };
            message.set_field(&field, value);
        }
        message
    }

    fn list(&mut self, kind: &Kind, depth: usize, fill: &mut Fill) -> Vec<Value> {
        let len = match self.rng.gen_range(0..20) {
            0..=5 => 0,
            6..=16 => self.rng.gen_range(1..=4),
            17 if !fill.small => 1_000,
            18 | 19 if !fill.small => LONG_LIST,
            _ => 2,
        };
        // Long lists hold small elements, or they would not fit any message.
        let was_small = fill.small;
        fill.small |= len > 4;
        let values = (0..len).map(|_| self.value(kind, depth, fill)).collect();
        fill.small = was_small;
        values
    }

    fn value(&mut self, kind: &Kind, depth: usize, fill: &mut Fill) -> Value {
        *fill.budget = fill.budget.saturating_sub(4);
        match kind {
            Kind::Double => Value::F64(self.float()),
            Kind::Float => Value::F32(self.float() as f32),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(self.i32()),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(self.i64()),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(self.u32()),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(self.u64()),
            Kind::Bool => Value::Bool(self.rng.gen()),
            Kind::String => Value::String(self.string(fill)),
            Kind::Bytes => Value::Bytes(self.string(fill).into_bytes().into()),
            Kind::Enum(e) => {
                let known: Vec<i32> = e.values().map(|v| v.number()).collect();
                Value::EnumNumber(match self.rng.gen_range(0..4) {
                    0 | 1 => *known.choose(&mut self.rng).unwrap_or(&0),
                    2 => *[0, -1, i32::MIN, i32::MAX, 1_000]
                        .choose(&mut self.rng)
                        .unwrap_or(&0),
                    _ => self.rng.gen_range(-3..50),
                })
            }
            Kind::Message(m) => Value::Message(self.fill(m, depth + 1, fill)),
        }
    }

    /// A value a well-behaved client could send in a field of this name and kind.
    fn plausible(&mut self, name: &str, kind: &Kind) -> Value {
        match kind {
            Kind::String => Value::String(self.plausible_text(name)),
            Kind::Bytes => Value::Bytes(self.plausible_text(name).into_bytes().into()),
            Kind::Bool => Value::Bool(self.rng.gen()),
            Kind::Enum(e) => {
                let known: Vec<i32> = e.values().map(|v| v.number()).filter(|n| *n != 0).collect();
                Value::EnumNumber(*known.choose(&mut self.rng).unwrap_or(&0))
            }
            _ => {
                let n = self.rng.gen_range(1..20);
                number(kind, n)
            }
        }
    }

    fn plausible_text(&mut self, name: &str) -> String {
        let pick = |rng: &mut StdRng, options: &[&str]| {
            options
                .choose(rng)
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        if name.contains("community") {
            pick(&mut self.rng, &["xingfu", "", "heping"])
        } else if name.contains("district") || name.contains("org") || name.ends_with("unit") {
            pick(&mut self.rng, &["gulou", "xingfu", "huafeng"])
        } else if name.contains("street") {
            "huafeng".to_owned()
        } else if name.contains("period") {
            pick(
                &mut self.rng,
                &["202611", "2026", "2026W48", "2026Q4", "20261128"],
            )
        } else if name.contains("id_number") {
            "11010519491231002X".to_owned()
        } else if name.contains("phone") {
            "13812345678".to_owned()
        } else if name == "service" {
            pick(
                &mut self.rng,
                &["residents", "activities", "volunteering", "safety"],
            )
        } else if name.contains("key") || (name.ends_with("id") && self.known.is_empty()) {
            self.uuid()
        } else if name.ends_with("id") && self.rng.gen_bool(0.3) {
            // Optional references (a planned item, a team) are mostly left out.
            String::new()
        } else if name.ends_with("id") || self.rng.gen_bool(0.3) {
            // The latest ids most often: they name what the last requests made.
            let recent = self.known.len().saturating_sub(8);
            let from = if self.rng.gen_bool(0.5) { recent } else { 0 };
            let known = self.known[from..].choose(&mut self.rng).cloned();
            known.unwrap_or_else(|| self.uuid())
        } else {
            pick(
                &mut self.rng,
                &["Hall 1", "xingfu", "note", "二号楼", "grid-3"],
            )
        }
    }

    /// An instant near now; `ends` ones (the field names say) after `starts` ones.
    fn recent_timestamp(&mut self, desc: &MessageDescriptor, ends: bool) -> DynamicMessage {
        let now = now_seconds();
        let mut ts = DynamicMessage::new(desc.clone());
        let offset = if ends {
            self.rng.gen_range(3 * DAY..=14 * DAY)
        } else {
            self.rng.gen_range(-DAY..=2 * DAY)
        };
        ts.set_field_by_name("seconds", Value::I64(now + offset));
        ts
    }

    fn recent_date(&mut self, desc: &MessageDescriptor) -> DynamicMessage {
        let (year, month, day) = *[(2026, 11, 28), (2026, 1, 5), (1980, 6, 15), (2025, 12, 31)]
            .choose(&mut self.rng)
            .unwrap_or(&(2026, 11, 28));
        let mut date = DynamicMessage::new(desc.clone());
        date.set_field_by_name("year", Value::I32(year));
        date.set_field_by_name("month", Value::I32(month));
        date.set_field_by_name("day", Value::I32(day));
        date
    }

    fn timestamp(&mut self, desc: &MessageDescriptor) -> DynamicMessage {
        let now = 1_795_000_000;
        // Extremes chrono still accepts weigh most: they pass the edge and reach the
        // arithmetic behind it.
        let seconds = *[
            now,
            0,
            -1,
            YEAR_262143_SECONDS,
            YEAR_262143_SECONDS,
            YEAR_262143_SECONDS - 3_600,
            YEAR_262143_SECONDS + 1,
            // -262143-01-01T00:00:00Z, the first instant.
            -8_334_632_851_200,
            -8_334_632_851_200,
            -8_334_632_851_201,
            // 9999-12-31T23:59:59Z and the first second after it.
            253_402_300_799,
            253_402_300_800,
            i64::MAX,
            i64::MIN,
            now + self.rng.gen_range(-100_000_000..100_000_000),
            self.rng.gen(),
        ]
        .choose(&mut self.rng)
        .unwrap_or(&now);
        let nanos = *[
            0,
            0,
            0,
            0,
            999_999_999,
            1_000_000_000,
            1_999_999_999,
            -1,
            i32::MAX,
            i32::MIN,
        ]
        .choose(&mut self.rng)
        .unwrap_or(&0);
        let mut ts = DynamicMessage::new(desc.clone());
        ts.set_field_by_name("seconds", Value::I64(seconds));
        ts.set_field_by_name("nanos", Value::I32(nanos));
        ts
    }

    fn date(&mut self, desc: &MessageDescriptor) -> DynamicMessage {
        let (year, month, day) = *[
            (2026, 11, 28),
            (2024, 2, 29),
            (2026, 2, 29),
            (262_143, 12, 31),
            (262_144, 1, 1),
            (-262_143, 1, 1),
            (9999, 12, 31),
            (0, 0, 0),
            (2026, 13, 1),
            (2026, 1, 32),
            (1899, 12, 31),
            (i32::MAX, i32::MAX, i32::MAX),
            (i32::MIN, -1, -1),
            (
                self.rng.gen_range(1900..2100),
                self.rng.gen_range(1..=12),
                self.rng.gen_range(1..=28),
            ),
        ]
        .choose(&mut self.rng)
        .unwrap_or(&(2026, 11, 28));
        let mut date = DynamicMessage::new(desc.clone());
        date.set_field_by_name("year", Value::I32(year));
        date.set_field_by_name("month", Value::I32(month));
        date.set_field_by_name("day", Value::I32(day));
        date
    }

    fn string(&mut self, fill: &mut Fill) -> String {
        let (budget, small) = (&mut *fill.budget, fill.small);
        let choice = self.rng.gen_range(0..24);
        let text = match choice {
            0 | 1 => String::new(),
            2..=4 => self.uuid(),
            5 => uuid::Uuid::nil().to_string(),
            6 => {
                let u = self.uuid();
                [
                    u.to_uppercase(),
                    format!("{{{u}}}"),
                    format!("urn:uuid:{u}"),
                    u.replace('-', ""),
                    format!(" {u}\t"),
                    u[..35].to_owned(),
                    format!("{u}0"),
                ]
                .choose(&mut self.rng)
                .cloned()
                .unwrap_or_default()
            }
            7..=10 if !self.known.is_empty() => self
                .known
                .choose(&mut self.rng)
                .cloned()
                .unwrap_or_default(),
            11 => "\u{0}\u{7}\u{1b}[2J\r\n\t\u{7f}\u{85}".to_owned(),
            12 => [
                "   ",
                "\u{3000}",
                "\u{feff}",
                "\u{200b}",
                "\u{202e}gnp.exe",
                "\r\n",
            ]
            .choose(&mut self.rng)
            .map(|s| s.to_string())
            .unwrap_or_default(),
            13 => [
                "-1",
                "0",
                "18446744073709551615",
                "99999999999999999999999",
                "NaN",
                "1e309",
                "20261128",
                "2026W53",
                "262143",
                "9999Q4",
                "2026-02-30",
                "13812345678",
                "0571-87654321",
                "11010519491231002X",
                "110105262143123100",
                "8h",
                "18446744073709551615d",
            ]
            .choose(&mut self.rng)
            .map(|s| s.to_string())
            .unwrap_or_default(),
            14 => [
                "'; DROP TABLE events; --",
                "%s%n%x%d",
                "../../../../etc/passwd",
                "civitas.evt.>",
                "*",
                "a.b.c",
                "{\"json\": true}",
                "<script>alert(1)</script>",
            ]
            .choose(&mut self.rng)
            .map(|s| s.to_string())
            .unwrap_or_default(),
            15 | 16 => {
                let chars = self.rng.gen_range(1..=60);
                self.unicode(chars)
            }
            // Just past the usual text limits (40, 50, 200 characters).
            17 => "名".repeat(*[41, 51, 201, 1001].choose(&mut self.rng).unwrap_or(&51)),
            18 if !small && *budget > MIB => "a".repeat(MIB),
            19 if !small && *budget > MIB => "二".repeat(MIB / 3),
            20 if !small && *budget > 64 << 10 => self.unicode(16 << 10),
            _ => {
                let chars = self.rng.gen_range(1..=12);
                self.unicode(chars)
            }
        };
        *budget = budget.saturating_sub(text.len());
        text
    }

    /// A random v4 uuid from the seeded generator (`Uuid::new_v4` would not replay).
    fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.gen())
            .into_uuid()
            .to_string()
    }

    fn i32(&mut self) -> i32 {
        match self.rng.gen_range(0..4) {
            0 => *[0, 1, -1, i32::MIN, i32::MAX, 262_143]
                .choose(&mut self.rng)
                .unwrap_or(&0),
            1 => self.rng.gen(),
            _ => self.rng.gen_range(-2..200),
        }
    }

    fn i64(&mut self) -> i64 {
        match self.rng.gen_range(0..4) {
            0 => *[0, 1, -1, i64::MIN, i64::MAX, YEAR_262143_SECONDS]
                .choose(&mut self.rng)
                .unwrap_or(&0),
            1 => self.rng.gen(),
            _ => self.rng.gen_range(-2..200),
        }
    }

    fn u32(&mut self) -> u32 {
        match self.rng.gen_range(0..4) {
            0 => *[0, 1, u32::MAX, u32::MAX / 2 + 1, 1_000_000]
                .choose(&mut self.rng)
                .unwrap_or(&0),
            1 => self.rng.gen(),
            _ => self.rng.gen_range(0..200),
        }
    }

    fn u64(&mut self) -> u64 {
        match self.rng.gen_range(0..4) {
            0 => *[0, 1, u64::MAX, i64::MAX as u64 + 1, u64::from(u32::MAX) + 1]
                .choose(&mut self.rng)
                .unwrap_or(&0),
            1 => self.rng.gen(),
            _ => self.rng.gen_range(0..200),
        }
    }

    fn float(&mut self) -> f64 {
        match self.rng.gen_range(0..3) {
            0 => *[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::MAX,
                f64::MIN_POSITIVE,
            ]
            .choose(&mut self.rng)
            .unwrap_or(&0.0),
            _ => self.rng.gen_range(-1e6..1e6),
        }
    }

    /// Random characters from every plane, control characters and surrogates' neighbours
    /// included.
    fn unicode(&mut self, chars: usize) -> String {
        (0..chars)
            .map(|_| match self.rng.gen_range(0..6) {
                0 => self.rng.gen_range(0u8..0x20) as char,
                1 => self.rng.gen_range('a'..='z'),
                2 => self.rng.gen_range('\u{4e00}'..='\u{9fff}'),
                3 => self.rng.gen_range('\u{1f300}'..='\u{1faff}'),
                4 => self.rng.gen_range('\u{d7f0}'..='\u{e0ff}'),
                _ => self.rng.gen::<char>(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_messages() {
        let pool = descriptor_pool();
        let events = event_messages(&pool);
        assert!(events.len() > 20, "{} event messages", events.len());
        let (mut a, mut b) = (Hostile::new(7), Hostile::new(7));
        for desc in &events {
            let (x, y) = (a.payload(desc), b.payload(desc));
            assert_eq!(x, y, "{}", desc.full_name());
            assert!(
                x.len() <= 4 * MIB,
                "{} is {} bytes",
                desc.full_name(),
                x.len()
            );
        }
    }

    #[test]
    fn messages_carry_extremes() {
        let pool = descriptor_pool();
        let desc = pool
            .get_message_by_name("civitas.events.v1.ActivityScheduled")
            .expect("ActivityScheduled");
        let mut hostile = Hostile::new(1);
        let starts: Vec<i64> = (0..400)
            .filter_map(|_| {
                let m = hostile.message(&desc);
                let ts = m.get_field_by_name("starts_at")?;
                ts.as_message()?.get_field_by_name("seconds")?.as_i64()
            })
            .collect();
        assert!(starts.contains(&YEAR_262143_SECONDS));
        assert!(starts.contains(&i64::MIN));
    }
}
