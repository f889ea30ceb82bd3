//! The imperative shell of the residents service: authorize, parse, seal personal data,
//! load the facts a decision needs, decide, append. Handlers here take parsed requests
//! and the caller; `grpc.rs` only adapts them to tonic.

mod commands;
mod queries;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::AppendOutcome;
use civitas_kernel::{CommandContext, EventStore, Idempotency, Metadata, OrgPath};
use civitas_platform::auth::Caller;
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::{WriteOptions, WriteResult};
use sha2::{Digest, Sha256};

use crate::crypto::MasterKey;
use crate::error::ServiceError;
use crate::keystore::KeyStore;

/// Longest accepted idempotency key.
const MAX_IDEMPOTENCY_KEY: usize = 128;

/// The residents service: its event store, its key store and the org tree.
#[derive(Clone)]
pub struct Residents {
    store: Arc<dyn EventStore>,
    keys: KeyStore,
    master: Arc<MasterKey>,
    tree: OrgTree,
}

impl Residents {
    /// A service over an opened event store and key store.
    pub fn new(
        store: Arc<dyn EventStore>,
        keys: KeyStore,
        master: MasterKey,
        tree: OrgTree,
    ) -> Self {
        Self {
            store,
            keys,
            master: Arc::new(master),
            tree,
        }
    }

    /// The event store (for the event log and in-process tailers).
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The community a staff caller writes to, checked against the token and the tree:
    /// `requested` (from the body) may only repeat it.
    fn write_scope(&self, caller: &Caller, requested: &str) -> Result<OrgPath, ServiceError> {
        let community = caller.org_unit.as_str();
        caller.authorize_write(community)?;
        if !requested.is_empty() && requested != community {
            caller.authorize_write(requested)?;
        }
        self.tree
            .path_of(community)
            .ok_or_else(|| ServiceError::NotFound {
                what: "community",
                id: community.to_owned(),
            })
    }
}

/// What every write carries besides its content: who, why, which trace, and how to
/// make a retry harmless.
pub(crate) struct WriteMeta {
    pub context: CommandContext,
    pub now: DateTime<Utc>,
}

impl WriteMeta {
    /// Builds the command context. The idempotency key is scoped to the community and
    /// tied to a fingerprint of the whole request, so a key reused for another request
    /// is refused rather than answered with the wrong result.
    pub fn new(
        caller: &Caller,
        org: OrgPath,
        options: Option<&WriteOptions>,
        rpc: &str,
        request_bytes: &[u8],
    ) -> Result<Self, ServiceError> {
        let now = Utc::now();
        let options = options.cloned().unwrap_or_default();
        let idempotency = match options.idempotency_key.as_str() {
            "" => None,
            key if key.len() > MAX_IDEMPOTENCY_KEY || key.chars().any(char::is_control) => {
                return Err(crate::domain::ValidationError::new(
                    "options.idempotency_key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"),
                )
                .into())
            }
            key => Some(Idempotency {
                key: format!("{}/{key}", org.community),
                fingerprint: hex::encode(
                    Sha256::new()
                        .chain_update(rpc)
                        .chain_update(request_bytes)
                        .finalize(),
                ),
            }),
        };
        let causation_id = uuid::Uuid::now_v7().to_string();
        let context = CommandContext {
            metadata: Metadata {
                org,
                actor: caller.subject.clone(),
                correlation_id: causation_id.clone(),
                causation_id,
                traceparent: civitas_platform::telemetry::current_traceparent(),
            },
            idempotency,
            expected_version: options.expected_version,
            occurred_at: now,
        };
        Ok(Self { context, now })
    }

    /// Today in the district's time zone (UTC+8), for date rules.
    pub fn today(&self) -> NaiveDate {
        district_today(self.now)
    }
}

/// The district's calendar day for an instant (China Standard Time, UTC+8).
pub(crate) fn district_today(now: DateTime<Utc>) -> NaiveDate {
    const CST_SECONDS: i32 = 8 * 3600;
    let offset = chrono::FixedOffset::east_opt(CST_SECONDS).expect("UTC+8 is a valid offset");
    now.with_timezone(&offset).date_naive()
}

pub(crate) fn write_result(outcome: &AppendOutcome) -> WriteResult {
    WriteResult {
        stream_id: outcome.stream_id.clone(),
        version: outcome.version,
        replayed: outcome.replayed,
    }
}
