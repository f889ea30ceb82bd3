//! The embedded tailer: follows one event store in its gap-safe order and applies what
//! it reads, batch by batch, until shut down.

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::{Checkpoint, EventStore};
use tokio_util::sync::CancellationToken;

use crate::{GapFiller, Projection};

/// Events read per batch.
const BATCH: usize = 1000;
/// Fallback poll interval when no append notification arrives.
const POLL: Duration = Duration::from_millis(500);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Applies every event of `store` to `projection` under the checkpoint of `source`,
/// then waits for appends (or polls every 500 ms) until `shutdown` is cancelled.
///
/// Failures are logged and retried with exponential backoff; the checkpoint only moves
/// with a committed batch, so a retry resumes exactly where the last success ended.
pub async fn run_tailer(
    projection: Projection,
    source: impl Into<String>,
    store: Arc<dyn EventStore>,
    gap_filler: Arc<dyn GapFiller>,
    shutdown: CancellationToken,
) {
    let source = source.into();
    let mut appended = store.appended();
    let mut notifications = true;
    let mut position: Option<Checkpoint> = None;
    let mut backoff = MIN_BACKOFF;
    tracing::info!(source = %source, "projection tailer started");
    while !shutdown.is_cancelled() {
        // Mark the current append count seen before reading, so an append that lands
        // after the read wakes the wait below.
        appended.borrow_and_update();
        match step(
            &projection,
            &source,
            store.as_ref(),
            gap_filler.as_ref(),
            &mut position,
        )
        .await
        {
            Ok(0) => {
                backoff = MIN_BACKOFF;
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    changed = appended.changed(), if notifications => {
                        if changed.is_err() {
                            tracing::debug!(source = %source, "append notifications closed, polling");
                            notifications = false;
                        }
                    }
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            Ok(_) => backoff = MIN_BACKOFF,
            Err(error) => {
                position = None;
                tracing::warn!(source = %source, error = %format!("{error:#}"), retry_in_ms = backoff.as_millis() as u64, "projection batch failed");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    tracing::info!(source = %source, "projection tailer stopped");
}

/// Reads and applies one batch; returns how many events were read.
async fn step(
    projection: &Projection,
    source: &str,
    store: &dyn EventStore,
    gaps: &dyn GapFiller,
    position: &mut Option<Checkpoint>,
) -> anyhow::Result<usize> {
    let after = match *position {
        Some(at) => at,
        None => projection.checkpoint(source).await?,
    };
    let events = store.read_all(after, BATCH).await?;
    let Some(last) = events.last() else {
        *position = Some(after);
        return Ok(0);
    };
    let next = last.checkpoint;
    let stats = projection.apply_batch(source, &events, gaps).await?;
    tracing::debug!(
        source,
        read = events.len(),
        applied = stats.applied,
        "tailer batch applied"
    );
    *position = Some(next.max(after));
    Ok(events.len())
}
