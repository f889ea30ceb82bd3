//! Connecting to NATS, the events stream's two roles, and the largest event the relay
//! can publish there.
//!
//! The stream belongs to operations: [`ensure_stream`] (`civitas stream ensure`, as the
//! NATS user `operations`) creates it or brings its subjects, replicas and duplicate
//! window to the settings. A write service only uses it: [`open_stream`] takes the
//! stream as it is and says how it differs from the settings, and creates it only when
//! it is missing and the server lets this user (a development server without users).
//!
//! Uses only JetStream API calls that both the 2.9 series (Debian's server) and current
//! 2.10+ servers answer: stream info/create/update and pull consumers with one filter
//! subject. Account queries (which fail on 2.9 with async-nats 0.51) are avoided.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::context::{CreateStreamError, CreateStreamErrorKind};
use async_nats::jetstream::{self, stream};

use crate::subject::StreamSettings;

/// How to reach NATS.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NatsSettings {
    /// e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// User and password, when the server requires them.
    pub user: Option<String>,
    pub password: Option<civitas_platform::config::Secret>,
    pub stream: StreamSettings,
}

/// Connects to NATS, failing with a message that says what is missing.
pub async fn connect(settings: &NatsSettings) -> anyhow::Result<async_nats::Client> {
    let mut options = async_nats::ConnectOptions::new()
        .name("civitas")
        .connection_timeout(Duration::from_secs(5))
        .retry_on_initial_connect()
        .event_callback(|event| {
            // A request refused by permissions gets no reply, only this error: say it.
            if let async_nats::Event::ServerError(error) = event {
                tracing::warn!(%error, "the NATS server reported an error");
            }
            std::future::ready(())
        });
    if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
        options = options.user_and_password(user.clone(), password.expose().to_owned());
        // Replies to this user under its own prefix, so that a user's grant can be
        // `_INBOX.<user>.>` rather than every user's replies (deploy/nats/accounts.conf).
        let token = user.replace(['.', '*', '>', ' '], "_");
        options = options.custom_inbox_prefix(format!("_INBOX.{token}"));
    }
    // A cluster is given as a comma-separated list of seed URLs.
    let urls: Vec<&str> = settings
        .url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    let client = tokio::time::timeout(Duration::from_secs(10), options.connect(urls))
        .await
        .map_err(|_| anyhow::anyhow!("no NATS server answered at {} within 10s", settings.url))?
        .with_context(|| format!("failed to connect to NATS at {}", settings.url))?;
    Ok(client)
}

/// What the relay adds around an envelope the write shell measures: the NATS headers
/// (`Nats-Msg-Id`, `traceparent`: about 130 bytes) and the envelope's `service` field,
/// with room to spare for the timestamps' and positions' exact varints.
pub const RELAY_OVERHEAD_BYTES: usize = 1024;

/// The largest event envelope a write service may store so that its relay can publish
/// it: the server's `max_payload` (from its INFO, headers included) less
/// [`RELAY_OVERHEAD_BYTES`]. Give it to `Shell::with_max_event_bytes`.
///
/// Waits (at most 10 s) for the connection, since [`connect`] returns before the first
/// INFO arrives. Servers of one cluster are expected to share `max_payload`.
pub async fn max_event_bytes(client: &async_nats::Client) -> anyhow::Result<usize> {
    tokio::time::timeout(Duration::from_secs(10), client.flush())
        .await
        .map_err(|_| anyhow::anyhow!("no NATS server answered within 10s"))?
        .context("failed to reach NATS to read its max_payload")?;
    let max_payload = client
        .try_server_info()
        .map(|info| info.max_payload)
        .filter(|&bytes| bytes > 0)
        .context("the NATS server sent no max_payload")?;
    anyhow::ensure!(
        max_payload > RELAY_OVERHEAD_BYTES,
        "the NATS server's max_payload of {max_payload} bytes leaves no room for events"
    );
    Ok(max_payload - RELAY_OVERHEAD_BYTES)
}

/// Why the events stream could not be set up. [`StreamError::Unavailable`] is worth
/// retrying at startup ([`with_patience`]); the others are not.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The stream does not exist and this NATS user may not create it.
    #[error(
        "stream {0} does not exist and this NATS user may not create it: create it with \
         `civitas stream ensure` as the operations user"
    )]
    Missing(String),
    /// The server did not answer a change of the stream. That is how a refusal by
    /// permissions looks to a client: the server sends `-ERR 'Permissions Violation'`
    /// and no reply.
    #[error("no answer to the request to {action} stream {stream}: the NATS user needs the grant {subject}")]
    Refused {
        action: &'static str,
        stream: String,
        subject: String,
    },
    /// NATS is unreachable or JetStream not ready yet (a cluster that just became
    /// healthy answers 503 or "no suitable peers" for a moment), or anything else.
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// The stream configuration the settings ask for.
pub fn stream_config(settings: &StreamSettings) -> stream::Config {
    stream::Config {
        name: settings.name.clone(),
        subjects: vec![settings.all_subjects()],
        storage: stream::StorageType::File,
        num_replicas: settings.replicas,
        duplicate_window: settings.duplicate_window,
        ..Default::default()
    }
}

/// How the stream's configuration differs from `wanted` in what the settings decide
/// (subjects, replicas, duplicate window): one phrase each, empty when they agree.
pub fn differences(current: &stream::Config, wanted: &stream::Config) -> Vec<String> {
    let mut found = Vec::new();
    if current.subjects != wanted.subjects {
        found.push(format!(
            "subjects {:?} (settings: {:?})",
            current.subjects, wanted.subjects
        ));
    }
    // The server reports 0 replicas for a stream created without the field.
    if current.num_replicas.max(1) != wanted.num_replicas.max(1) {
        found.push(format!(
            "replicas {} (settings: {})",
            current.num_replicas.max(1),
            wanted.num_replicas.max(1)
        ));
    }
    if current.duplicate_window != wanted.duplicate_window {
        found.push(format!(
            "duplicate_window {:?} (settings: {:?})",
            current.duplicate_window, wanted.duplicate_window
        ));
    }
    found
}

/// Operations: creates the stream, or updates its subjects, replicas and duplicate
/// window when they differ from the settings (other fields are kept). Idempotent.
/// Needs the grants `$JS.API.STREAM.{INFO,CREATE,UPDATE}.<name>` (the NATS user
/// `operations` in `deploy/nats/accounts.conf`, or no users at all).
pub async fn ensure_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<stream::Stream, StreamError> {
    let wanted = stream_config(settings);
    let Some(existing) = look_up(js, settings).await? else {
        let created = js
            .create_stream(wanted)
            .await
            .map_err(|e| change_failed(e, "create", "CREATE", settings))?;
        tracing::info!(stream = %settings.name, "created the events stream");
        return Ok(created);
    };
    let current = &existing.cached_info().config;
    let changes = differences(current, &wanted);
    if !changes.is_empty() {
        let updated = stream::Config {
            subjects: wanted.subjects.clone(),
            num_replicas: wanted.num_replicas,
            duplicate_window: wanted.duplicate_window,
            ..current.clone()
        };
        js.update_stream(updated)
            .await
            .map_err(|e| change_failed(e, "update", "UPDATE", settings))?;
        tracing::info!(stream = %settings.name, was = %changes.join("; "), "updated the events stream settings");
    }
    Ok(existing)
}

/// A write service at startup: uses the stream as it is. When its configuration
/// differs from the settings, says so in one WARN and changes nothing (that is
/// [`ensure_stream`]'s job, as the operations user). When the stream is missing,
/// creates it if the server lets this user (a development server without users) and
/// fails with [`StreamError::Missing`] if not.
pub async fn open_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<stream::Stream, StreamError> {
    let wanted = stream_config(settings);
    let Some(existing) = look_up(js, settings).await? else {
        return match js.create_stream(wanted).await {
            Ok(created) => {
                tracing::info!(stream = %settings.name, "created the events stream");
                Ok(created)
            }
            Err(e) if e.kind() == CreateStreamErrorKind::TimedOut => {
                Err(StreamError::Missing(settings.name.clone()))
            }
            Err(e) => Err(change_failed(e, "create", "CREATE", settings)),
        };
    };
    let changes = differences(&existing.cached_info().config, &wanted);
    if !changes.is_empty() {
        tracing::warn!(
            stream = %settings.name,
            differences = %changes.join("; "),
            "the events stream differs from the settings; using it as it is (`civitas stream ensure` as the operations user changes it)"
        );
    }
    Ok(existing)
}

/// Runs `step` until it succeeds or fails for good, retrying
/// [`StreamError::Unavailable`] once a second for at most `patience`.
pub async fn with_patience<T, F, Fut>(patience: Duration, mut step: F) -> Result<T, StreamError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StreamError>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match step().await {
            Err(StreamError::Unavailable(e)) if tokio::time::Instant::now() < deadline => {
                tracing::warn!(error = %format!("{e:#}"), "events stream not ready, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            result => return result,
        }
    }
}

/// The stream, or `None` when the server says it does not exist.
async fn look_up(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<Option<stream::Stream>, StreamError> {
    match js.get_stream(&settings.name).await {
        Ok(existing) => Ok(Some(existing)),
        Err(e) if is_stream_not_found(&e) => Ok(None),
        Err(e) => Err(StreamError::Unavailable(anyhow::Error::new(e).context(format!(
            "failed to look up stream {}: is JetStream enabled on the NATS server (nats-server -js)?",
            settings.name
        )))),
    }
}

/// A failed create or update: a request without an answer was refused (see
/// [`StreamError::Refused`]); anything else may pass, e.g. a cluster still electing.
fn change_failed(
    e: CreateStreamError,
    action: &'static str,
    api: &str,
    settings: &StreamSettings,
) -> StreamError {
    if e.kind() == CreateStreamErrorKind::TimedOut {
        return StreamError::Refused {
            action,
            stream: settings.name.clone(),
            subject: format!("$JS.API.STREAM.{api}.{}", settings.name),
        };
    }
    StreamError::Unavailable(
        anyhow::Error::new(e).context(format!("failed to {action} stream {}", settings.name)),
    )
}

fn is_stream_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
        if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_setting_that_differs() {
        let settings = StreamSettings {
            replicas: 3,
            ..StreamSettings::default()
        };
        let wanted = stream_config(&settings);
        assert!(differences(&wanted, &wanted).is_empty());
        let as_created_by_default = stream::Config {
            num_replicas: 0,
            ..stream_config(&StreamSettings::default())
        };
        assert!(differences(
            &as_created_by_default,
            &stream_config(&StreamSettings::default())
        )
        .is_empty());

        let current = stream::Config {
            subjects: vec!["other.>".to_owned()],
            num_replicas: 1,
            duplicate_window: Duration::from_secs(60),
            ..wanted.clone()
        };
        assert_eq!(
            differences(&current, &wanted),
            [
                r#"subjects ["other.>"] (settings: ["civitas.evt.>"])"#,
                "replicas 1 (settings: 3)",
                "duplicate_window 60s (settings: 120s)",
            ]
        );
    }
}
