//! Server time of the district dashboard's pages at 300 communities with a year of KPI
//! facts: the fixture of `insights_bench` (`shared/fixture.rs`, included by both),
//! then the dashboard's router
//! called in process (no network) with a district token.
//!
//! ```text
//! cargo run --release -p civitas-projection --example dashboard_bench
//! ```
//!
//! A fresh PostgreSQL database (`civitas_testkit::fresh_postgres_db`, `DATABASE_URL`
//! for another server), schema `projection`; `kpi_facts` seeded for 2026 over one
//! district, 15 streets and 20 communities per street (`DASHBOARD_BENCH_ELEMENTS` per
//! community-day on average, default 15), `kpi_months` derived from them, `VACUUM
//! ANALYZE`. Then, after `DASHBOARD_BENCH_WARMUP` requests (default 5), it times
//! `DASHBOARD_BENCH_CALLS` requests (default 100) of each page and prints p50/p95/p99/max
//! in ms: the district overview (`/`, its 15 streets over the 300 communities) for a
//! month and the year, one street's page (20 communities), its CSV, and an indicator's
//! 12-month trend page.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use civitas_projection::dashboard::Dashboard;
use civitas_projection::Projection;
use tower::ServiceExt;

#[path = "shared/fixture.rs"]
mod fixture;
use fixture::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = env_or("DASHBOARD_BENCH_CALLS", 100);
    let warmup: usize = env_or("DASHBOARD_BENCH_WARMUP", 5);
    let per_day: f64 = env_or("DASHBOARD_BENCH_ELEMENTS", 15.0);

    let tree = OrgTree::parse(&org_toml())?;
    let db = civitas_testkit::fresh_postgres_db().await?;
    let projection = Projection::open_in(&db.url, Some(SCHEMA)).await?;
    let Seeded {
        pool,
        rows,
        residents,
        months,
        seeded,
        filled,
        vacuumed,
        street_rows,
    } = fixture::seeded(&db.url, &tree, per_day).await?;
    pool.close().await;
    let residents: i64 = residents.iter().map(|(_, n)| n).sum();
    println!(
        "{} communities (1 district, {STREETS} streets x {COMMUNITIES_PER_STREET}), {YEAR}: \
         {rows} kpi_facts rows ({street_rows} of them street rollups, {residents} residents \
         at the year's end), {months} kpi_months rows, seeded in {:.1} s",
        STREETS * COMMUNITIES_PER_STREET,
        seeded + filled + vacuumed
    );

    let keys = Arc::new(TokenKeys::new(b"dashboard-bench-secret-32-bytes!!"));
    let token = keys.issue("bench", Role::District, DISTRICT, Duration::from_secs(3600))?;
    let router = Dashboard::new(projection, tree, keys).router();
    let get = |uri: String| {
        let (router, token) = (router.clone(), token.clone());
        async move {
            let request = Request::get(&uri)
                .header(header::COOKIE, format!("civitas_session={token}"))
                .body(Body::empty())?;
            let response = router.oneshot(request).await?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "GET {uri}: {}",
                response.status()
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            anyhow::Ok(body.len())
        }
    };
    let pages = [
        ("overview / district 202611", format!("/?period={YEAR}11")),
        ("overview / district 2026", format!("/?period={YEAR}")),
        (
            "/unit/s01 street 202611",
            format!("/unit/s01?period={YEAR}11"),
        ),
        (
            "/unit/bench.csv 202611",
            format!("/unit/bench.csv?period={YEAR}11"),
        ),
        (
            "/indicator/… district 202611",
            format!("/indicator/activities.held_per_1000?unit=bench&period={YEAR}11"),
        ),
    ];
    println!("{calls} requests each after {warmup} warm-up, in process (router, no network), ms:");
    println!(
        "{:<32} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "", "p50", "p95", "p99", "max", "bytes"
    );
    for (name, uri) in pages {
        let bytes = get(uri.clone()).await?;
        let Stats { p50, p95, p99, max } = measure(warmup, calls, || get(uri.clone())).await?;
        println!("{name:<32} {p50:>8.1} {p95:>8.1} {p99:>8.1} {max:>8.1} {bytes:>9}");
    }
    Ok(())
}
