//! Connecting to NATS, making sure the events stream exists with our settings, and the
//! largest event the relay can publish there.
//!
//! Uses only JetStream API calls that both the 2.9 series (Debian's server) and current
//! 2.10+ servers answer: stream info/create/update and pull consumers with one filter
//! subject. Account queries (which fail on 2.9 with async-nats 0.51) are avoided.

use std::time::Duration;

use anyhow::Context as _;
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
        .retry_on_initial_connect();
    if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
        options = options.user_and_password(user.clone(), password.expose().to_owned());
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

/// Creates the stream, or updates it when its subjects, replicas or duplicate window
/// differ from the settings. Idempotent: safe for every process to call at startup.
pub async fn ensure_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> anyhow::Result<stream::Stream> {
    let wanted = stream::Config {
        name: settings.name.clone(),
        subjects: vec![settings.all_subjects()],
        storage: stream::StorageType::File,
        num_replicas: settings.replicas,
        duplicate_window: settings.duplicate_window,
        ..Default::default()
    };
    match js.get_stream(&settings.name).await {
        Ok(mut existing) => {
            let info = existing.info().await.context("failed to read the stream info")?;
            let current = &info.config;
            let same = current.subjects == wanted.subjects
                && current.num_replicas.max(1) == wanted.num_replicas.max(1)
                && current.duplicate_window == wanted.duplicate_window;
            if !same {
                let updated = stream::Config {
                    subjects: wanted.subjects.clone(),
                    num_replicas: wanted.num_replicas,
                    duplicate_window: wanted.duplicate_window,
                    ..current.clone()
                };
                js.update_stream(updated)
                    .await
                    .with_context(|| format!("failed to update stream {}", settings.name))?;
                tracing::info!(stream = %settings.name, "updated the events stream settings");
            }
            Ok(existing)
        }
        Err(e) if is_stream_not_found(&e) => {
            let created = js.create_stream(wanted).await.with_context(|| {
                format!("failed to create stream {} (is JetStream enabled on the server? start it with -js)", settings.name)
            })?;
            tracing::info!(stream = %settings.name, "created the events stream");
            Ok(created)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "failed to look up stream {}: is JetStream enabled on the NATS server (nats-server -js)?",
            settings.name
        ))),
    }
}

fn is_stream_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
        if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
}
