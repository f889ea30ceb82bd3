//! The committer: one task per store that takes every append queued while the previous
//! batch was being written and commits them together, on a connection of its own.
//!
//! The loop is: wait for one request, take whatever else is queued (up to
//! [`MAX_REQUESTS`] requests and [`MAX_EVENTS`] events), commit, answer, repeat. Each
//! request keeps its own answer: [`plan`](super::plan) decides them in arrival order,
//! [`batch`](super::batch) writes the accepted ones in one statement. When the server
//! refuses that statement (another process raced it on a stream or key, or one request
//! carries data it rejects) nothing was written, and the batch is redone one request
//! per transaction ([`single`]), so only the requests really in conflict are refused.
//! When the connection fails mid-write, every request of the batch gets the error.

use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, warn};

use super::super::{AppendError, AppendOutcome, AppendRequest, StoreError};
use super::{batch, single};

/// Appends waiting for the committer; senders wait when it is full.
const QUEUE: usize = 4_096;
/// A batch takes at most this many requests ...
const MAX_REQUESTS: usize = 256;
/// ... and this many events (a single larger request still goes alone).
const MAX_EVENTS: usize = 2_000;
/// When fewer requests are queued than the last batch held, the committer yields to
/// the runtime up to this many times so that the clients it just answered can queue
/// their next command and join. Without it, steady clients split into two halves that
/// alternate between batches, halving the events per WAL flush (measured: batches of
/// 4.8 instead of 8 at 8 clients). A yield costs microseconds; there is no timer.
const REJOIN_YIELDS: usize = 16;
/// A connection idle longer than this is pinged before use.
const IDLE_CHECK: Duration = Duration::from_secs(10);

/// One queued append and where its answer goes.
pub(super) struct Pending {
    pub(super) request: AppendRequest,
    pub(super) reply: oneshot::Sender<Result<AppendOutcome, AppendError>>,
}

/// Per-request results and whether anything was written.
pub(super) type Decided = (Vec<Result<AppendOutcome, AppendError>>, bool);

/// Why a batch did not commit.
#[derive(Debug, thiserror::Error)]
pub(super) enum BatchError {
    /// The server refused the statement: nothing was written, the requests may be retried.
    #[error("batch refused: {0}")]
    Refused(sqlx::Error),
    /// Another writer changed a stream or used a key between the read and the write:
    /// nothing was written, the requests may be retried.
    #[error("batch raced by another writer")]
    Raced,
    /// The connection or the data broke: the requests fail.
    #[error(transparent)]
    Broken(#[from] StoreError),
}

impl From<sqlx::Error> for BatchError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Database(_) => BatchError::Refused(e),
            other => BatchError::Broken(other.into()),
        }
    }
}

/// Opens the committer's connection and starts it; it stops once every returned sender
/// is dropped (the last clone of the store).
pub(super) async fn start(
    options: PgConnectOptions,
    pool: PgPool,
    appended: watch::Sender<u64>,
) -> Result<mpsc::Sender<Pending>, StoreError> {
    let committer = Committer {
        conn: Some(connect(&options).await?),
        last_used: Instant::now(),
        options,
        pool,
        appended,
    };
    let (sender, receiver) = mpsc::channel(QUEUE);
    tokio::spawn(committer.run(receiver));
    Ok(sender)
}

/// The committer keeps a connection of its own rather than taking one from the pool
/// per batch: the pool pings a connection on every checkout, a round trip per batch.
/// The pool serves the rare one-by-one fallback.
struct Committer {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
    last_used: Instant,
    pool: PgPool,
    appended: watch::Sender<u64>,
}

impl Committer {
    async fn run(mut self, mut receiver: mpsc::Receiver<Pending>) {
        let mut carried: Option<Pending> = None;
        let mut last_size = 0;
        loop {
            let first = match carried.take() {
                Some(pending) => pending,
                None => match receiver.recv().await {
                    Some(pending) => pending,
                    None => break,
                },
            };
            let mut events = first.request.events.len();
            let mut batch = vec![first];
            let mut yields = 0;
            while batch.len() < MAX_REQUESTS {
                let Ok(next) = receiver.try_recv() else {
                    if batch.len() < last_size && yields < REJOIN_YIELDS {
                        yields += 1;
                        tokio::task::yield_now().await;
                        continue;
                    }
                    break;
                };
                events += next.request.events.len();
                if events > MAX_EVENTS {
                    carried = Some(next);
                    break;
                }
                batch.push(next);
            }
            last_size = batch.len();
            self.commit(batch).await;
        }
        debug!("event store committer stopped");
    }

    /// Commits one batch and answers each of its requests.
    async fn commit(&mut self, batch: Vec<Pending>) {
        let requests: Vec<&AppendRequest> = batch.iter().map(|p| &p.request).collect();
        let outcome = self.commit_together(&requests).await;
        drop(requests);
        match outcome {
            Ok((results, wrote)) => {
                if wrote {
                    self.appended.send_modify(|n| *n += 1);
                }
                for (pending, result) in batch.into_iter().zip(results) {
                    let _ = pending.reply.send(result);
                }
            }
            Err(error @ (BatchError::Refused(_) | BatchError::Raced)) => {
                debug!(requests = batch.len(), %error, "group commit refused, appending one by one");
                for pending in batch {
                    let result = single::append(&self.pool, &pending.request).await;
                    if matches!(&result, Ok(outcome) if !outcome.replayed) {
                        self.appended.send_modify(|n| *n += 1);
                    }
                    let _ = pending.reply.send(result);
                }
            }
            Err(BatchError::Broken(error)) => {
                warn!(requests = batch.len(), %error, "group commit failed");
                for pending in batch {
                    let error = StoreError(anyhow::anyhow!("group commit failed: {:#}", error.0));
                    let _ = pending.reply.send(Err(error.into()));
                }
            }
        }
    }

    /// Decides and writes one batch, keeping the connection unless it broke.
    async fn commit_together(
        &mut self,
        requests: &[&AppendRequest],
    ) -> Result<Decided, BatchError> {
        let started = Instant::now();
        let mut conn = self.connection().await?;
        let decided = batch::commit(&mut conn, requests).await;
        if !matches!(decided, Err(BatchError::Broken(_))) {
            self.conn = Some(conn);
            self.last_used = Instant::now();
        }
        debug!(
            requests = requests.len(),
            elapsed_us = started.elapsed().as_micros(),
            "group commit"
        );
        decided
    }

    /// The connection, checked first when it has been idle for a while (the server may
    /// have closed it meanwhile; under load it is never idle), or a new one.
    async fn connection(&mut self) -> Result<PgConnection, StoreError> {
        if let Some(mut conn) = self.conn.take() {
            if self.last_used.elapsed() < IDLE_CHECK || conn.ping().await.is_ok() {
                return Ok(conn);
            }
            debug!("committer connection lost, reconnecting");
        }
        connect(&self.options).await
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, StoreError> {
    PgConnection::connect_with(options).await.map_err(|e| {
        StoreError(anyhow::Error::new(e).context("failed to open the committer connection"))
    })
}
