//! Stream heads: the last version of every stream changed after a checkpoint, read one
//! capped page at a time in a store's gap-safe order. `EventLogService.ListStreamHeads`
//! serves them, and the projection's reconcile compares them with its own versions, so
//! a stream whose last event never reached it is noticed without a later event.
//!
//! Paging from a checkpoint keeps the comparison incremental: a caller that keeps the
//! page's `next` reads only what changed since, whatever the size of the log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use civitas_kernel::{Checkpoint, EventStore, RecordedEvent, StoreError};
use civitas_proto::convert::{timestamp, timestamp_from_pb};
use civitas_proto::eventlog::v1::{ListStreamHeadsResponse, StreamHead};

/// Events one page reads when the request names no size.
pub const DEFAULT_PAGE: usize = 1000;
/// Most events one page reads, whatever the request asks.
pub const MAX_PAGE: usize = 10_000;

/// A stream's newest version in a page, and when that event was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub version: u64,
    pub recorded_at: DateTime<Utc>,
}

/// One page of heads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadsPage {
    /// Each stream with an event in the page, at its newest version in the page.
    pub heads: BTreeMap<String, Head>,
    /// Where the next page starts.
    pub next: Checkpoint,
    /// The page reached the end of the log.
    pub at_end: bool,
    /// recorded_at of the page's newest event.
    pub newest_event_at: Option<DateTime<Utc>>,
    /// recorded_at of the oldest event the relay has not published (distributed mode).
    pub relay_pending_since: Option<DateTime<Utc>>,
}

/// The page size a request asks for: `DEFAULT_PAGE` for 0, at most `MAX_PAGE`.
pub fn page_size(requested: u32) -> usize {
    match usize::try_from(requested).unwrap_or(MAX_PAGE) {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    }
}

/// The heads of the streams with an event after `after`, reading at most `max_events`
/// events; events `visible` refuses move the page on but name no head.
pub async fn heads_after(
    store: &dyn EventStore,
    after: Checkpoint,
    max_events: usize,
    visible: impl Fn(&RecordedEvent) -> bool,
) -> Result<HeadsPage, StoreError> {
    let events = store.read_all(after, max_events).await?;
    let mut page = HeadsPage {
        next: events.last().map_or(after, |e| e.checkpoint),
        at_end: events.len() < max_events,
        ..HeadsPage::default()
    };
    for event in events.iter().filter(|e| visible(e)) {
        let head = Head {
            version: event.stream_version,
            recorded_at: event.recorded_at,
        };
        page.heads
            .entry(event.stream_id.clone())
            .and_modify(|h| {
                if h.version < head.version {
                    *h = head;
                }
            })
            .or_insert(head);
        page.newest_event_at = page.newest_event_at.max(Some(event.recorded_at));
    }
    Ok(page)
}

impl HeadsPage {
    /// The wire answer.
    pub fn to_pb(&self) -> ListStreamHeadsResponse {
        ListStreamHeadsResponse {
            heads: self
                .heads
                .iter()
                .map(|(stream_id, head)| StreamHead {
                    stream_id: stream_id.clone(),
                    version: head.version,
                    recorded_at: Some(timestamp(head.recorded_at)),
                })
                .collect(),
            next_xid: self.next.xid,
            next_position: self.next.position,
            at_end: self.at_end,
            newest_event_at: self.newest_event_at.map(timestamp),
            relay_pending_since: self.relay_pending_since.map(timestamp),
        }
    }

    /// The page in a wire answer; an instant out of range reads as unknown.
    pub fn from_pb(response: ListStreamHeadsResponse) -> Self {
        let at = |ts: Option<_>| ts.and_then(|ts| timestamp_from_pb(Some(ts), "recorded_at").ok());
        HeadsPage {
            heads: response
                .heads
                .into_iter()
                .map(|h| {
                    let recorded_at = at(h.recorded_at).unwrap_or(DateTime::UNIX_EPOCH);
                    let head = Head {
                        version: h.version,
                        recorded_at,
                    };
                    (h.stream_id, head)
                })
                .collect(),
            next: Checkpoint {
                xid: response.next_xid,
                position: response.next_position,
            },
            at_end: response.at_end,
            newest_event_at: at(response.newest_event_at),
            relay_pending_since: at(response.relay_pending_since),
        }
    }
}
