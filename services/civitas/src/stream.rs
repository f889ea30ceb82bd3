//! `civitas stream ensure`: the operations path of the events stream. It creates
//! `CIVITAS_EVENTS`, or brings its subjects, replicas and duplicate window to the
//! settings, as a NATS user allowed to (`operations` in `deploy/nats/accounts.conf`).
//! Write services only use the stream (`civitas_streams::open_stream`): their NATS
//! users may not change it.

use std::time::Duration;

use anyhow::Context as _;
use civitas_streams::NatsSettings;
use serde::{Deserialize, Serialize};

/// How long a cluster that just became healthy may answer "not ready" (503, no
/// suitable peers) before `ensure` gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// Configuration of `civitas stream` (defaults → `--config` TOML → `CIVITAS_*` env →
/// flags): the `nats` section of `civitas serve`'s, read from the same variables
/// (`CIVITAS_NATS__URL`, `CIVITAS_NATS__USER`, `CIVITAS_NATS__PASSWORD`,
/// `CIVITAS_NATS__STREAM__REPLICAS`, `CIVITAS_NATS__STREAM__DUPLICATE_WINDOW`, …).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    pub nats: NatsSettings,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            nats: NatsSettings {
                url: "nats://127.0.0.1:4222".to_owned(),
                ..NatsSettings::default()
            },
        }
    }
}

/// Creates or updates the stream and describes it as it now is, in one line.
pub async fn ensure(config: &StreamConfig) -> anyhow::Result<String> {
    let nats = &config.nats;
    anyhow::ensure!(
        nats.user.is_none() || nats.password.is_some(),
        "a NATS user without a password: set CIVITAS_NATS__PASSWORD"
    );
    let client = civitas_streams::connect(nats).await?;
    let js = async_nats::jetstream::new(client);
    let mut stream = civitas_streams::with_patience(PATIENCE, || {
        civitas_streams::ensure_stream(&js, &nats.stream)
    })
    .await?;
    let info = stream
        .info()
        .await
        .with_context(|| format!("failed to read stream {}", nats.stream.name))?;
    let config = &info.config;
    Ok(format!(
        "stream {}: subjects {}, {} replicas, duplicate window {}s, {} messages",
        config.name,
        config.subjects.join(" "),
        config.num_replicas.max(1),
        config.duplicate_window.as_secs(),
        info.state.messages
    ))
}
