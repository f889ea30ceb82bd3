//! `civitas.eventlog.v1.EventLogService` over the stores of the services a process
//! runs: every event in the store's gap-safe order, then live ones — the way to
//! backfill, rebuild and heal without NATS. `civitas serve <service>` holds one log;
//! `civitas up` holds all four on one port, and a request names the one it wants
//! (`service`). Scoped by token: a caller receives only events of org units it may
//! read (a service token of role admin reads all).

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
    ReadStreamRequest, ReadStreamResponse, SubscribeRequest, SubscribeResponse,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

/// Events per read from the store while streaming.
const PAGE: usize = 500;
/// How often a live subscription looks for new events without an append signal (other
/// processes append to the same PostgreSQL store).
const LIVE_POLL: Duration = Duration::from_millis(100);

/// The event logs of the services one process runs, by service name.
#[derive(Clone)]
pub struct EventLog {
    logs: Arc<BTreeMap<String, Arc<dyn EventStore>>>,
    tree: OrgTree,
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
        }
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
        let (tx, rx) = mpsc::channel(PAGE);
        let log = self.clone();
        let mut after = Checkpoint {
            xid: req.after_xid,
            position: req.after_position,
        };
        tokio::spawn(async move {
            let mut appended = store.appended();
            loop {
                let events = match store.read_all(after, PAGE).await {
                    Ok(events) => events,
                    Err(e) => {
                        let _ = tx.send(Err(civitas_platform::error::internal(&e))).await;
                        return;
                    }
                };
                if events.is_empty() {
                    if req.stop_at_end {
                        return;
                    }
                    tokio::select! {
                        () = tx.closed() => return,
                        _ = appended.changed() => {}
                        () = tokio::time::sleep(LIVE_POLL) => {}
                    }
                    continue;
                }
                for event in &events {
                    after = event.checkpoint;
                    if !log.visible(&caller, event) {
                        continue;
                    }
                    let envelope = envelope_of(&service, event);
                    if tx
                        .send(Ok(SubscribeResponse {
                            envelope: Some(envelope),
                        }))
                        .await
                        .is_err()
                    {
                        return; // the client went away
                    }
                }
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
}

#[cfg(test)]
#[path = "eventlog_tests.rs"]
mod tests;
