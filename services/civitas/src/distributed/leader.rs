//! The projection's one writer: the instance holding the lease on its read-model
//! schema consumes the events stream and reconciles with the event logs; the others
//! serve queries and stand by.

use std::sync::Arc;
use std::time::Duration;

use civitas_projection::consumer::{run_consumer, ConsumerConfig, EventLogGapFiller};
use civitas_projection::reconcile::{run_reconcile, ReconcileConfig, SourceLog};
use civitas_projection::Projection;
use civitas_streams::Lease;
use tokio_util::sync::CancellationToken;

/// What the holder of the projection's lease runs: the consumer of the events stream
/// and the reconcile with the event logs.
pub(super) struct Leader {
    pub projection: Projection,
    pub js: async_nats::jetstream::Context,
    pub consumer: ConsumerConfig,
    pub gaps: Arc<EventLogGapFiller>,
    pub logs: Vec<Arc<dyn SourceLog>>,
    pub reconcile: ReconcileConfig,
}

impl Leader {
    /// Consumes and reconciles until `stop`.
    async fn run(&self, stop: &CancellationToken) {
        let consuming = run_consumer(
            self.projection.clone(),
            self.js.clone(),
            self.consumer.clone(),
            self.gaps.clone(),
            stop.clone(),
        );
        let reconciling = run_reconcile(
            self.projection.clone(),
            self.logs.clone(),
            self.reconcile,
            stop.clone(),
        );
        tokio::join!(consuming, reconciling);
    }
}

/// Runs `leader` while this instance holds the projection's lease; waits as a standby
/// otherwise, and goes back to waiting when the lease is lost.
pub(super) async fn consume_while_leader(
    pool: sqlx::PgPool,
    lease: String,
    leader: Leader,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let held = match Lease::acquire(&pool, &lease, &stop).await {
            Ok(Some(held)) => held,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "projection lease unavailable, retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
        };
        let leading = async {
            leader.run(&stop).await;
            anyhow::Ok(())
        };
        if let Err(e) = held.hold(leading).await {
            tracing::warn!(error = %format!("{e:#}"), "projection lease lost, standing by");
        }
    }
}
