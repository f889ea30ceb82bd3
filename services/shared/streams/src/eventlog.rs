//! `civitas.eventlog.v1.EventLogService` over a service's own store: every event in the
//! store's gap-safe order, then live ones — the way to backfill, rebuild and heal
//! without NATS. Scoped by token: a caller receives only events of org units it may
//! read (a service token of role admin reads all).

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::{Checkpoint, EventStore, RecordedEvent};
use civitas_platform::auth::{caller, AuthInterceptor, Caller};
use civitas_platform::grpc::ServerLimits;
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
use tonic::codegen::InterceptedService;
use tonic::{Request, Response, Status};

/// Events per read from the store while streaming.
const PAGE: usize = 500;
/// How often a live subscription looks for new events without an append signal (other
/// processes append to the same PostgreSQL store).
const LIVE_POLL: Duration = Duration::from_millis(100);

/// The event log of one service.
#[derive(Clone)]
pub struct EventLog {
    service: String,
    store: Arc<dyn EventStore>,
    tree: OrgTree,
}

impl EventLog {
    pub fn new(service: &str, store: Arc<dyn EventStore>, tree: OrgTree) -> Self {
        Self {
            service: service.to_owned(),
            store,
            tree,
        }
    }

    /// The gRPC server behind the auth interceptor, with message size limits.
    pub fn server(
        &self,
        limits: &ServerLimits,
        auth: AuthInterceptor,
    ) -> InterceptedService<EventLogServiceServer<EventLog>, AuthInterceptor> {
        let server = EventLogServiceServer::new(self.clone())
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        InterceptedService::new(server, auth)
    }

    fn visible(&self, caller: &Caller, event: &RecordedEvent) -> bool {
        caller
            .authorize_read(&event.org.community, &self.tree)
            .is_ok()
    }
}

#[tonic::async_trait]
impl EventLogService for EventLog {
    type SubscribeStream = ReceiverStream<Result<SubscribeResponse, Status>>;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let (tx, rx) = mpsc::channel(PAGE);
        let log = self.clone();
        let mut after = Checkpoint {
            xid: req.after_xid,
            position: req.after_position,
        };
        tokio::spawn(async move {
            let mut appended = log.store.appended();
            loop {
                let events = match log.store.read_all(after, PAGE).await {
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
                    let envelope = envelope_of(&log.service, event);
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
        let events = self
            .store
            .read_stream(&req.stream_id)
            .await
            .map_err(|e| civitas_platform::error::internal(&e))?;
        if let Some(first) = events.first() {
            caller.authorize_read(&first.org.community, &self.tree)?;
        }
        let envelopes = events
            .iter()
            .filter(|e| e.stream_version > req.after_version)
            .map(|e| envelope_of(&self.service, e))
            .collect();
        Ok(Response::new(ReadStreamResponse { envelopes }))
    }
}
