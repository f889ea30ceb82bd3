//! `civitas parked list|retry`: the admin's view of events the projection could not
//! apply (undecodable payload, unknown schema version, a gap no event log could fill).
//! They wait in the projection's `parked_events` table while everything else flows; a
//! retry after a fix (an upcaster, a restored event log) applies them.

use std::fmt::Write as _;

use anyhow::Context;
use civitas_projection::{ParkedEvent, Projection};
use uuid::Uuid;

/// Where the projection's tables are: a PostgreSQL URL and schema (distributed mode) or
/// the embedded data directory.
#[derive(Debug, Clone)]
pub enum Location {
    Postgres { url: String, schema: String },
    DataDir(std::path::PathBuf),
}

async fn open(location: &Location) -> anyhow::Result<Projection> {
    match location {
        Location::Postgres { url, schema } => {
            civitas_kernel::store::schema_name(schema)
                .map_err(|e| anyhow::anyhow!("invalid --schema: {e}"))?;
            Projection::open_in(url, Some(schema)).await
        }
        Location::DataDir(dir) => {
            let path = dir.join("projection.db");
            anyhow::ensure!(
                path.exists(),
                "no projection in {} (start `civitas up` there first)",
                dir.display()
            );
            Projection::open(&format!("sqlite://{}", path.display())).await
        }
    }
    .context("failed to open the projection")
}

/// One line per parked event, oldest first; a header line with the count.
pub fn render(parked: &[ParkedEvent]) -> String {
    let mut out = format!("{} parked event(s)\n", parked.len());
    for p in parked {
        let e = &p.event;
        let _ = writeln!(
            out,
            "{}  {}  {} v{}  {}  {}: {}",
            p.parked_at.format("%Y-%m-%dT%H:%M:%SZ"),
            e.event_id,
            e.stream_id,
            e.stream_version,
            if e.event_type.is_empty() {
                "(gap)"
            } else {
                &e.event_type
            },
            p.source,
            p.reason
        );
    }
    out
}

/// `civitas parked list`.
pub async fn list(location: &Location) -> anyhow::Result<String> {
    let projection = open(location).await?;
    Ok(render(&projection.parked().await?))
}

/// `civitas parked retry [--id …]`: every parked event, or the named ones.
pub async fn retry(location: &Location, ids: &[Uuid]) -> anyhow::Result<String> {
    let projection = open(location).await?;
    let outcome = projection
        .retry_parked((!ids.is_empty()).then_some(ids))
        .await?;
    Ok(format!(
        "applied {}, still parked {}\n{}",
        outcome.applied.len(),
        outcome.still_parked.len(),
        render(&outcome.still_parked)
    ))
}
