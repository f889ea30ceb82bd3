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
//! violation) ends the tail with that message instead of a silent wait; a subject
//! outside the stream is refused before connecting (current servers would accept it).
//! Turning each delivery into a JSON line is `render`'s job.
//!
//! When the ordered consumer must be recreated (missed heartbeats, a reconnect),
//! async-nats resumes after the last stream sequence received; before the first event it
//! restarts from the start of the stream, so a live tail may then print older events.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::push, consumer::DeliverPolicy};
use base64::Engine as _;
use civitas_streams::StreamSettings;
use futures::StreamExt as _;
use serde_json::{json, Value};

mod render;

pub use render::{descriptor_pool, envelope_to_json, EVENTS_PACKAGE};

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
    /// The stream: its name (default `CIVITAS_EVENTS`) and subject prefix (default
    /// `civitas.evt`), which `subject` must lie under.
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
    // Fail before connecting if the descriptor set is unusable or the subject lies
    // outside the stream.
    descriptor_pool()?;
    check_subject(config)?;
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

/// Refuses a subject filter outside the stream's subjects (`<subject_prefix>.>`).
///
/// nats-server 2.9 refused such a consumer (error 10093, "consumer filter subject is not
/// a valid subset of the interest subjects"); 2.10 and later create it, and it never
/// delivers anything, so the tail would wait forever. The tail may not ask for stream
/// info (analysts hold no such grant), so it checks against the subjects that
/// `civitas_streams::ensure_stream` gives every civitas stream.
fn check_subject(config: &TailConfig) -> anyhow::Result<()> {
    let stream = &config.stream;
    anyhow::ensure!(
        subject_inside(&config.subject, &stream.subject_prefix),
        "subject {} lies outside stream {} ({}): give a subject such as {}.*.gulou.>",
        config.subject,
        stream.name,
        stream.all_subjects(),
        stream.subject_prefix
    );
    Ok(())
}

/// Whether every subject `filter` matches lies under `prefix`: the prefix's tokens
/// literally, then at least one token, none empty, `>` only last.
fn subject_inside(filter: &str, prefix: &str) -> bool {
    let mut tokens = filter.split('.');
    if !prefix.split('.').all(|p| tokens.next() == Some(p)) {
        return false;
    }
    let rest: Vec<&str> = tokens.collect();
    match rest.split_last() {
        Some((_, init)) => rest.iter().all(|t| !t.is_empty()) && !init.contains(&">"),
        None => false,
    }
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
mod fixtures;
#[cfg(test)]
mod tests;
