//! `civitas.eventlog.v1.EventLogService` over the stores of the services a process
//! runs: every event in the store's gap-safe order, then live ones — the way to
//! backfill, rebuild and heal without NATS — and the heads of the streams changed after
//! a checkpoint ([`crate::heads`]), for the projection's reconcile. `civitas serve
//! <service>` holds one log; `civitas up` holds all four on one port, and a request
//! names the one it wants (`service`). Scoped by token: a caller receives only events
//! of org units it may read (a service token of role admin reads all).
//!
//! A live subscription outlives the request deadline and the concurrency limit, so it
//! is bounded here instead: a few per caller ([`Subscriptions`]), idle polling that
//! backs off (an append in this process wakes it at once), and an end when the server
//! shuts down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use civitas_platform::auth::{caller, Caller};
use civitas_platform::org::OrgTree;
use civitas_proto::convert::envelope_of;
use civitas_proto::eventlog::v1::event_log_service_server::{
    EventLogService, EventLogServiceServer,
};
use civitas_proto::eventlog::v1::{
    ListStreamHeadsRequest, ListStreamHeadsResponse, ReadStreamRequest, ReadStreamResponse,
    SubscribeRequest, SubscribeResponse,
};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::heads::{heads_after, page_size};

mod subscriptions;

pub use subscriptions::Subscriptions;

/// Events per read from the store while streaming.
const PAGE: usize = 500;
/// The first wait of an idle subscription before it looks again for events appended by
/// other processes (appends in this process wake it at once).
const IDLE_POLL_FIRST: Duration = Duration::from_millis(100);
/// The longest such wait: idle waits double up to it.
const IDLE_POLL_MAX: Duration = Duration::from_secs(1);

/// The event logs of the services one process runs, by service name.
#[derive(Clone)]
pub struct EventLog {
    logs: Arc<BTreeMap<String, Arc<dyn EventStore>>>,
    tree: OrgTree,
    subscriptions: Subscriptions,
    shutdown: CancellationToken,
    /// Where the relay of each log keeps its checkpoint (distributed mode).
    relay: Option<PgPool>,
}

impl EventLog {
    /// The log of one service.
    pub fn new(service: &str, store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self::of(std::iter::once((service.to_owned(), store)), tree)
    }

    /// The logs of several services, served under their names.
    pub fn of(
        logs: impl IntoIterator<Item = (String, Arc<dyn EventStore>)>,
        tree: OrgTree,
    ) -> Self {
        Self {
            logs: Arc::new(logs.into_iter().collect()),
            tree,
            subscriptions: Subscriptions::new(
                civitas_platform::grpc::ServerLimits::default().max_subscriptions_per_caller,
            ),
            shutdown: CancellationToken::new(),
            relay: None,
        }
    }

    /// At most `max` open subscriptions per caller (token subject).
    pub fn with_max_subscriptions(mut self, max: usize) -> Self {
        self.subscriptions = Subscriptions::new(max);
        self
    }

    /// Ends every subscription when `shutdown` is cancelled, so a server can stop
    /// while clients still follow the log.
    pub fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Reads the relay checkpoints in `pool`, so heads say which events the relay has
    /// not published yet.
    pub fn with_relay(mut self, pool: PgPool) -> Self {
        self.relay = Some(pool);
        self
    }

    /// The log a request asks for: the named one, or the only one when it names none.
    fn log(&self, requested: &str) -> Result<(String, Arc<dyn EventStore>), Status> {
        let known = || self.logs.keys().cloned().collect::<Vec<_>>().join(", ");
        match requested.trim() {
            "" if self.logs.len() == 1 => {
                let (name, store) = self.logs.iter().next().expect("one log");
                Ok((name.clone(), store.clone()))
            }
            "" => Err(civitas_platform::error::invalid_argument(
                "service",
                format!("is required: this server holds the logs of {}", known()),
            )),
            name => self
                .logs
                .get(name)
                .map(|store| (name.to_owned(), store.clone()))
                .ok_or_else(|| {
                    civitas_platform::error::invalid_argument(
                        "service",
                        format!("must be one of {}", known()),
                    )
                }),
        }
    }

    fn visible(&self, caller: &Caller, event: &RecordedEvent) -> bool {
        caller
            .authorize_read(&event.org.community, &self.tree)
            .is_ok()
    }

    /// recorded_at of the oldest event of `service` its relay has not published.
    async fn relay_pending_since(
        &self,
        service: &str,
        store: &dyn EventStore,
    ) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
        let Some(pool) = &self.relay else {
            return Ok(None);
        };
        let published = crate::relay::load_checkpoint(pool, service).await?;
        let next = store.read_all(published, 1).await?;
        Ok(next.first().map(|e| e.recorded_at))
    }
}

civitas_platform::grpc_service_server!(EventLog, EventLogServiceServer);

#[tonic::async_trait]
impl EventLogService for EventLog {
    type SubscribeStream = ReceiverStream<Result<SubscribeResponse, Status>>;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let (service, store) = self.log(&req.service)?;
        let slot = self.subscriptions.open(&caller.subject)?;
        let (tx, rx) = mpsc::channel(PAGE);
        let log = self.clone();
        let after = Checkpoint {
            xid: req.after_xid,
            position: req.after_position,
        };
        tokio::spawn(async move {
            let _slot = slot;
            let follow = !req.stop_at_end;
            let streaming = log.stream(&caller, &service, &store, after, follow, &tx);
            tokio::select! {
                () = log.shutdown.cancelled() => {
                    let _ = tx.try_send(Err(Status::unavailable("the server is shutting down")));
                }
                () = streaming => {}
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn read_stream(
        &self,
        request: Request<ReadStreamRequest>,
    ) -> Result<Response<ReadStreamResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        if req.stream_id.is_empty() {
            return Err(civitas_platform::error::invalid_argument(
                "stream_id",
                "is required",
            ));
        }
        let (service, store) = self.log(&req.service)?;
        let events = store
            .read_stream(&req.stream_id)
            .await
            .map_err(|e| civitas_platform::error::internal(&e))?;
        if let Some(first) = events.first() {
            caller.authorize_read(&first.org.community, &self.tree)?;
        }
        let envelopes = events
            .iter()
            .filter(|e| e.stream_version > req.after_version)
            .map(|e| envelope_of(&service, e))
            .collect();
        Ok(Response::new(ReadStreamResponse { envelopes }))
    }

    async fn list_stream_heads(
        &self,
        request: Request<ListStreamHeadsRequest>,
    ) -> Result<Response<ListStreamHeadsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let (service, store) = self.log(&req.service)?;
        let after = Checkpoint {
            xid: req.after_xid,
            position: req.after_position,
        };
        let mut page = heads_after(store.as_ref(), after, page_size(req.max_events), |e| {
            self.visible(&caller, e)
        })
        .await
        .map_err(|e| civitas_platform::error::internal(&e))?;
        if page.at_end {
            page.relay_pending_since = self
                .relay_pending_since(&service, store.as_ref())
                .await
                .map_err(|e| civitas_platform::error::internal(&e))?;
        }
        Ok(Response::new(page.to_pb()))
    }
}

impl EventLog {
    /// Sends `store`'s visible events after `after` to `tx`, then (when `follow`) new
    /// ones as they commit, until the client goes away.
    async fn stream(
        &self,
        caller: &Caller,
        service: &str,
        store: &Arc<dyn EventStore>,
        mut after: Checkpoint,
        follow: bool,
        tx: &mpsc::Sender<Result<SubscribeResponse, Status>>,
    ) {
        let mut appended = store.appended();
        let mut signalled = true;
        let mut idle = IDLE_POLL_FIRST;
        loop {
            let events = match store.read_all(after, PAGE).await {
                Ok(events) => events,
                Err(e) => {
                    let _ = tx.send(Err(civitas_platform::error::internal(&e))).await;
                    return;
                }
            };
            if events.is_empty() {
                if !follow {
                    return;
                }
                tokio::select! {
                    () = tx.closed() => return,
                    changed = appended.changed(), if signalled => {
                        // A store without a signal any more is polled only.
                        signalled = changed.is_ok();
                        idle = IDLE_POLL_FIRST;
                    }
                    () = tokio::time::sleep(idle) => idle = (idle * 2).min(IDLE_POLL_MAX),
                }
                continue;
            }
            idle = IDLE_POLL_FIRST;
            for event in &events {
                after = event.checkpoint;
                if !self.visible(caller, event) {
                    continue;
                }
                let envelope = Some(envelope_of(service, event));
                if tx.send(Ok(SubscribeResponse { envelope })).await.is_err() {
                    return; // the client went away
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "eventlog_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "eventlog_subscribe_tests.rs"]
mod subscribe_tests;
