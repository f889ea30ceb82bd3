//! Where a resident lives now, as the volunteering service learns it from the residents
//! service's event log: a volunteer registered as a resident must live in the caller's
//! community.
//!
//! The choice: a read of the resident's own stream (`resident-<id>`) at the moment of
//! registration, not a local view fed by residents events. It is exact (a resident
//! registered a millisecond ago is found, a moved-out one is not), needs no second
//! copy of the register to keep in step, and reads only what every event log already
//! publishes: event types and the org path, never the sealed personal data. The cost is
//! that registering a resident volunteer needs the residents log to answer; when it does
//! not, the registration is refused `UNAVAILABLE` and nothing is written.
//!
//! In embedded mode the log is the residents store in the same process
//! ([`StoreResidence`]); in distributed mode it is the residents service's
//! `EventLogService.ReadStream`, called with a service token ([`RemoteResidence`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use civitas_kernel::{EventStore, RecordedEvent};
use civitas_platform::auth::BearerToken;
use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
use civitas_proto::eventlog::v1::ReadStreamRequest;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::domain::ResidentId;

/// The residents service's event log, as far as volunteering reads it.
#[async_trait]
pub trait Residence: Send + Sync {
    /// The community the resident lives in now: `None` when no such resident was
    /// registered, or they moved out or were erased.
    async fn community_of(&self, resident: ResidentId) -> Result<Option<String>, Unreachable>;
}

/// The residents log could not be read; the text says why (for the log, not the caller).
#[derive(Debug, thiserror::Error)]
#[error("the residents event log could not be read: {0}")]
pub struct Unreachable(pub String);

/// The residents event types this module reads: the residents service's published
/// contract (they are the last token of its NATS subjects).
const REGISTERED: &str = "ResidentRegistered";
/// Written by the receiving community of a transfer: the resident lives there now.
const TRANSFERRED_IN: &str = "ResidentTransferredIn";
const MOVED_OUT: &str = "ResidentMovedOut";
const ERASED: &str = "ResidentErased";

/// Folds a resident's stream into where they live now.
pub fn community_now(events: &[RecordedEvent]) -> Option<String> {
    events
        .iter()
        .fold(None, |now, event| match event.event_type.as_str() {
            REGISTERED | TRANSFERRED_IN => Some(event.org.community.clone()),
            MOVED_OUT | ERASED => None,
            _ => now,
        })
}

/// The residents store of this process (embedded mode).
pub struct StoreResidence {
    store: Arc<dyn EventStore>,
}

impl StoreResidence {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Residence for StoreResidence {
    async fn community_of(&self, resident: ResidentId) -> Result<Option<String>, Unreachable> {
        let events = self
            .store
            .read_stream(&resident.stream_id())
            .await
            .map_err(|e| Unreachable(e.to_string()))?;
        Ok(community_now(&events))
    }
}

type Client = EventLogServiceClient<InterceptedService<Channel, BearerToken>>;

/// The residents service's event log over gRPC (distributed mode).
pub struct RemoteResidence {
    client: Client,
}

impl RemoteResidence {
    /// The log at `url`, read with `token` (a service token of the district, which may
    /// read the event logs and nothing else); connects on first use.
    pub fn new(url: &str, token: BearerToken) -> anyhow::Result<Self> {
        let channel = Channel::from_shared(url.to_owned())
            .map_err(|e| anyhow::anyhow!("invalid residents event log url {url}: {e}"))?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(Self {
            client: EventLogServiceClient::with_interceptor(channel, token),
        })
    }
}

#[async_trait]
impl Residence for RemoteResidence {
    async fn community_of(&self, resident: ResidentId) -> Result<Option<String>, Unreachable> {
        let response = self
            .client
            .clone()
            .read_stream(ReadStreamRequest {
                stream_id: resident.stream_id(),
                after_version: 0,
                service: "residents".to_owned(),
            })
            .await
            .map_err(|status| Unreachable(format!("{}: {}", status.code(), status.message())))?;
        let events = response
            .into_inner()
            .envelopes
            .into_iter()
            .map(civitas_proto::convert::recorded_of)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Unreachable(format!("undecodable envelope: {e}")))?;
        Ok(community_now(&events))
    }
}

#[cfg(test)]
mod tests {
    use civitas_kernel::{Checkpoint, OrgPath};

    use super::*;

    fn event(event_type: &str, community: &str) -> RecordedEvent {
        RecordedEvent {
            event_id: uuid::Uuid::now_v7(),
            stream_id: "resident-0191f0a2-7b3c-7d4e-8f10-111213141516".to_owned(),
            stream_version: 1,
            event_type: event_type.to_owned(),
            schema_version: 1,
            org: OrgPath {
                community: community.to_owned(),
                ..OrgPath::default()
            },
            occurred_at: chrono::Utc::now(),
            recorded_at: chrono::Utc::now(),
            actor: String::new(),
            correlation_id: String::new(),
            causation_id: String::new(),
            traceparent: String::new(),
            payload: Vec::new(),
            checkpoint: Checkpoint::default(),
        }
    }

    #[test]
    fn a_resident_lives_where_registered_until_moved_out_or_erased() {
        assert_eq!(community_now(&[]), None);
        let registered = event(REGISTERED, "xingfu");
        assert_eq!(
            community_now(std::slice::from_ref(&registered)).as_deref(),
            Some("xingfu")
        );
        let care = event("CareCategoryAssigned", "xingfu");
        assert_eq!(
            community_now(&[registered.clone(), care.clone()]).as_deref(),
            Some("xingfu")
        );
        let moved = event(MOVED_OUT, "xingfu");
        assert_eq!(community_now(&[registered.clone(), moved.clone()]), None);
        assert_eq!(
            community_now(&[registered.clone(), event(ERASED, "xingfu")]),
            None
        );
        // Registered again elsewhere after moving out.
        let elsewhere = event(REGISTERED, "heping");
        assert_eq!(
            community_now(&[registered.clone(), moved, elsewhere]).as_deref(),
            Some("heping")
        );
        // Released by xingfu, accepted by heping: heping's from the accepting event on.
        let released = event("ResidentReleased", "xingfu");
        assert_eq!(
            community_now(&[registered.clone(), released.clone()]).as_deref(),
            Some("xingfu")
        );
        let accepted = event(TRANSFERRED_IN, "heping");
        assert_eq!(
            community_now(&[registered, released, accepted]).as_deref(),
            Some("heping")
        );
    }
}
