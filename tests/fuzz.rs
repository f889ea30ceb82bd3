//! Hostile input over the wire: every RPC that `civitas up` lists through reflection gets
//! requests built from the compiled descriptors with random and extreme values
//! (`civitas_testkit::hostile`), as staff, district and analyst callers, plus garbage and
//! oversize bodies. No answer may be INTERNAL or UNKNOWN (a panic or an unmapped error
//! behind the edge), none may hang, and the server must still answer health checks.
//!
//! CI sends a few hundred requests; `CIVITAS_FUZZ_CASES=20000` sends more, and
//! `CIVITAS_FUZZ_SEED=<seed>` replays a run (the same requests, up to the ids the
//! server makes and the clock).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Buf, BufMut};
use civitas_e2e::{reflected_services, RunningApp};
use civitas_platform::auth::Role;
use civitas_testkit::hostile::{descriptor_pool, Hostile};
use civitas_testkit::AuthChannel;
use prost::Message;
use prost_reflect::{DynamicMessage, MethodDescriptor, ReflectMessage, Value};
use rand::seq::SliceRandom;
use rand::Rng;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};

/// Requests in the CI run: enough for every RPC to get several, well under 30 s.
const DEFAULT_CASES: usize = 500;

/// Longest wait for one answer; a request still unanswered then is a finding.
const PATIENCE: Duration = Duration::from_secs(20);

/// Failures known when this test was written, as (RPC or `*`, part of the answer's
/// message, what it is). They are reported with this note but still fail the test: a
/// known bug is not a passing one.
const KNOWN: &[(&str, &str, &str)] = &[
    // Both found when this test was written, both fixed since: the check-in window's
    // overflow (checked arithmetic) and an undecodable body answered INTERNAL (now
    // INVALID_ARGUMENT naming `request`, platform/src/guard.rs).
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_no_internal_or_unknown_answer() {
    let seed = env_number("CIVITAS_FUZZ_SEED").unwrap_or_else(rand::random);
    let cases = env_number("CIVITAS_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    eprintln!("fuzz: seed {seed}, {cases} requests (replay with CIVITAS_FUZZ_SEED={seed})");

    let app = RunningApp::start().await;
    let methods = reflected_methods(&app).await;
    let callers = callers(&app).await;
    let mut hostile = Hostile::new(seed);
    for code in ["gulou", "huafeng", "xingfu", "heping"] {
        hostile.learn(code);
    }

    let mut corpus = Corpus::default();
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    let mut findings = Vec::new();
    let started = std::time::Instant::now();
    let mut order: Vec<usize> = Vec::new();
    for case in 0..cases {
        // Every RPC once per round, in an order of the seed's choosing.
        if order.is_empty() {
            order = (0..methods.len()).collect();
            order.shuffle(hostile.rng());
        }
        let method = &methods[order.pop().unwrap_or(0)];
        let (caller, channel) = callers.choose(hostile.rng()).expect("callers");
        let (body, shown, sent) = request(&mut hostile, &corpus, method, case);
        let answer = call(channel.clone(), method, body).await;
        let code = match &answer {
            Ok(response) => {
                learn_ids(&mut hostile, method, response);
                corpus.keep(method, sent);
                "OK".to_owned()
            }
            Err(status) => format!("{:?}", status.code()),
        };
        *answers.entry(code).or_default() += 1;
        if let Err(status) = answer {
            if matches!(status.code(), Code::Internal | Code::Unknown) || is_hang(&status) {
                findings.push(Finding {
                    case,
                    rpc: rpc_name(method),
                    caller,
                    status,
                    request: shown,
                });
            }
        }
    }
    eprintln!(
        "fuzz: {cases} requests to {} RPCs in {:.1?}; answers {answers:?}",
        methods.len(),
        started.elapsed()
    );

    let healthy = health(&app).await;
    for f in &findings {
        eprintln!("{f}");
    }
    assert!(healthy, "the server stopped answering health checks");
    assert!(
        findings.is_empty(),
        "{} requests got INTERNAL, UNKNOWN or no answer (seed {seed}; details above): {:?}",
        findings.len(),
        findings
            .iter()
            .map(|f| format!("{} {:?}", f.rpc, f.status.code()))
            .collect::<std::collections::BTreeSet<_>>()
    );
    app.stop().await;
}

/// Requests that were answered OK, by method: the bases that mutation starts from.
#[derive(Default)]
struct Corpus(BTreeMap<String, Vec<DynamicMessage>>);

impl Corpus {
    const KEEP: usize = 16;

    fn keep(&mut self, method: &MethodDescriptor, sent: Option<DynamicMessage>) {
        if let Some(message) = sent {
            let kept = self.0.entry(rpc_name(method)).or_default();
            if kept.len() == Self::KEEP {
                kept.remove(0);
            }
            kept.push(message);
        }
    }

    fn base(&self, method: &MethodDescriptor, hostile: &mut Hostile) -> Option<DynamicMessage> {
        self.0
            .get(&rpc_name(method))?
            .choose(hostile.rng())
            .cloned()
    }
}

/// A request that got a forbidden answer.
struct Finding {
    case: usize,
    rpc: String,
    caller: &'static str,
    status: Status,
    request: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = KNOWN
            .iter()
            .find(|(rpc, message, _)| {
                (*rpc == "*" || *rpc == self.rpc) && self.status.message().contains(message)
            })
            .map(|(_, _, what)| format!(" [KNOWN: {what}]"))
            .unwrap_or_default();
        write!(
            f,
            "fuzz finding #{} {} as {}{known}: {:?} {:?}\n  request: {}",
            self.case,
            self.rpc,
            self.caller,
            self.status.code(),
            self.status.message(),
            self.request
        )
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a whole number")),
    )
}

/// Every method of every civitas service the application lists through reflection,
/// looked up in the proto crate's descriptors.
async fn reflected_methods(app: &RunningApp) -> Vec<MethodDescriptor> {
    let pool = descriptor_pool();
    let services: Vec<_> = reflected_services(app.channel().await)
        .await
        .into_iter()
        .filter(|name| name.starts_with("civitas."))
        .map(|name| {
            pool.get_service_by_name(&name)
                .unwrap_or_else(|| panic!("{name} is listed but not in the descriptor set"))
        })
        .collect();
    assert!(services.len() >= 7, "reflection lists {services:?}");
    let methods: Vec<_> = services.iter().flat_map(|s| s.methods()).collect();
    assert!(methods.len() > 50, "{} methods", methods.len());
    methods
}

/// The callers of the run, each as often as it appears: staff of a community most (only
/// they write, and writes make the state the deeper rules need), the district office,
/// an analyst, and now and then no token at all.
async fn callers(app: &RunningApp) -> Vec<(&'static str, AuthChannel)> {
    let mut callers = Vec::new();
    for (name, role, org, times) in [
        ("staff", Role::Staff, "xingfu", 4),
        ("district", Role::District, "gulou", 2),
        ("analyst", Role::Analyst, "gulou", 2),
    ] {
        let token = app.token(role, org);
        let channel = civitas_testkit::connect_with(&app.addr, Some(&token)).await;
        callers.extend(std::iter::repeat_n((name, channel), times));
    }
    callers.push((
        "nobody",
        civitas_testkit::connect_with(&app.addr, None).await,
    ));
    callers
}

/// The body of request number `case` for `method`, how to show it in a finding, and
/// the message it encodes (none for garbage).
fn request(
    hostile: &mut Hostile,
    corpus: &Corpus,
    method: &MethodDescriptor,
    case: usize,
) -> (Vec<u8>, String, Option<DynamicMessage>) {
    let kind = hostile.rng().gen_range(0..100);
    let message = match kind {
        // Not a protobuf message at all.
        0..=2 => {
            let bytes = hostile.bytes();
            let shown = format!("{} random bytes", bytes.len());
            return (bytes, shown, None);
        }
        // A message followed by an unknown 5 MiB field: over the 4 MiB limit.
        3 if case.is_multiple_of(2) => {
            let mut bytes = hostile.message(&method.input()).encode_to_vec();
            prost::encoding::bytes::encode(9_999, &vec![b'x'; 5 << 20], &mut bytes);
            return (
                bytes,
                "an oversize message (5 MiB unknown field)".to_owned(),
                None,
            );
        }
        // One hostile field in a request that was answered OK before.
        4..=39 => match corpus.base(method, hostile) {
            Some(base) => hostile.mutate(&base),
            None => hostile.message_with(&method.input(), 0.0),
        },
        // Hostile throughout, plausible but for a few fields, or plausible only (which
        // makes the state the other two need).
        _ => {
            let hostility = [1.0, 0.1, 0.0][kind % 3];
            hostile.message_with(&method.input(), hostility)
        }
    };
    (message.encode_to_vec(), show(&message), Some(message))
}

/// Sends one request and waits for its answer (for a server stream: its first message
/// or its end, whichever comes first).
async fn call(
    channel: AuthChannel,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name())
        .parse()
        .expect("a method path");
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(64 << 20);
    let exchange = async move {
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
        let request = tonic::Request::new(body);
        if method.is_server_streaming() {
            let mut stream = grpc
                .server_streaming(request, path, RawCodec)
                .await?
                .into_inner();
            match tokio::time::timeout(Duration::from_millis(300), stream.message()).await {
                Ok(message) => Ok(message?.unwrap_or_default()),
                // A live subscription with nothing to send yet: a good answer.
                Err(_) => Ok(Vec::new()),
            }
        } else {
            Ok(grpc.unary(request, path, RawCodec).await?.into_inner())
        }
    };
    tokio::time::timeout(PATIENCE, exchange)
        .await
        .unwrap_or_else(|_| Err(Status::deadline_exceeded(HANG)))
}

const HANG: &str = "fuzz: no answer within the patience";

fn is_hang(status: &Status) -> bool {
    status.code() == Code::DeadlineExceeded && status.message() == HANG
}

/// Remembers the ids an answer names, so later requests can target what exists.
fn learn_ids(hostile: &mut Hostile, method: &MethodDescriptor, response: &[u8]) {
    let Ok(message) = DynamicMessage::decode(method.output(), response) else {
        return;
    };
    let mut stack = vec![message];
    while let Some(message) = stack.pop() {
        for (_, value) in message.fields() {
            let values = match value {
                Value::List(list) => list.iter().collect(),
                other => vec![other],
            };
            for value in values {
                match value {
                    Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => hostile.learn(s),
                    Value::Message(m) => stack.push(m.clone()),
                    _ => {}
                }
            }
        }
    }
}

/// The method as `package.Service/Method`.
fn rpc_name(method: &MethodDescriptor) -> String {
    format!("{}/{}", method.parent_service().full_name(), method.name())
}

/// A message in one line, long strings and lists cut short.
fn show(message: &DynamicMessage) -> String {
    let fields: Vec<String> = message
        .fields()
        .map(|(field, value)| format!("{}: {}", field.name(), show_value(value)))
        .collect();
    format!(
        "{} {{ {} }}",
        message.descriptor().name(),
        fields.join(", ")
    )
}

fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => {
            let head: String = s.chars().take(24).collect();
            format!("{head:?}… ({} chars)", s.chars().count())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::Message(m) => show(m),
        Value::List(list) if list.len() > 3 => {
            format!("[{}, … ({} elements)]", show_value(&list[0]), list.len())
        }
        Value::List(list) => {
            let items: Vec<String> = list.iter().map(show_value).collect();
            format!("[{}]", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// Whether the server still answers health checks, overall and for each service.
async fn health(app: &RunningApp) -> bool {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let mut client = HealthClient::new(app.channel().await);
    let check = client.check(HealthCheckRequest {
        service: String::new(),
    });
    match tokio::time::timeout(Duration::from_secs(10), check).await {
        Ok(Ok(answer)) => answer.into_inner().status == ServingStatus::Serving as i32,
        other => {
            eprintln!("fuzz: health check after the run: {other:?}");
            false
        }
    }
}

/// Request and response bodies as the bytes they are: the fuzzer encodes requests
/// itself, and garbage must reach the server as garbage.
#[derive(Clone, Copy)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}
