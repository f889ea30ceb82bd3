//! How fast the district read path answers at 300 communities with a year of KPI facts,
//! against the plain aggregate it needs run as one SQL statement on the same table.
//!
//! ```text
//! cargo run --release -p civitas-projection --example insights_bench
//! ```
//!
//! In a fresh PostgreSQL database (`civitas_testkit::fresh_postgres_db`, `DATABASE_URL`
//! to use another server) the projection is opened in the schema `projection` and its
//! `kpi_facts` seeded for 2026 over an org tree of one district, 15 streets and 20
//! communities per street: per community and day a random subset of the catalog's
//! elements (`INSIGHTS_BENCH_ELEMENTS` per community-day on average, default 15) with
//! small deltas — stocks (residents, volunteers…) open the year with their level and
//! then move by mostly positive increments, flows count a few a day (minutes by the
//! hour). The rows go in with one `COPY`; the month-end balances (`kpi_months`, which
//! the apply path keeps beside the facts) are then derived from them in one SQL
//! statement, the rows the apply path would have left; then `VACUUM ANALYZE` as
//! autovacuum would leave the tables. The program prints the rows, the seconds and the
//! tables' sizes.
//!
//! Then, in process (server time, no gRPC), as a district-role caller, after
//! `INSIGHTS_BENCH_WARMUP` calls (default 10) it times `INSIGHTS_BENCH_CALLS` calls
//! (default 200) of each of:
//!
//! - **baseline**: `SELECT community, element, SUM(value) FROM kpi_facts WHERE day <=
//!   '2026-12-31' GROUP BY community, element` (communities only) through a pool of its
//!   own — the aggregate a district's year needs without rollups, nothing else;
//! - `GetKpis` for the district over 2026, over 202611 and over the ISO week 2026W49
//!   (Monday 30 November to Sunday 6 December: the day rows of both months' edges),
//!   and for one street over 2026;
//! - `GetIndicators` (every indicator) for the district over 2026 and over 202611;
//! - `Projection::values` for the district over 2026, 202611 and 2026W49: the
//!   per-community KPI read alone (`db::window_totals` and the approved-month check),
//!   without what the RPCs add around it.
//!
//! The RPCs are also timed through `Projection::with_portable_reads` (`before:`
//! lines): the per-community path over `sqlx::Any` that SQLite takes, which
//! PostgreSQL took before the native reader summed per unit in SQL; the program first
//! checks that both paths answer every timed request identically.
//!
//! The same six RPCs are then timed through gRPC (`grpc:` lines): the projection's
//! Insights server as the binary mounts it (auth interceptor, limits, the platform's
//! server assembly) on 127.0.0.1, called by a generated client with a district token
//! over one HTTP/2 connection, so encoding and the loopback are in the figure; the
//! program first checks that gRPC answers what the in-process call does.
//!
//! It prints p50/p95/p99/max in ms and each one's p50 and p99 as a multiple of the
//! baseline's. `INSIGHTS_BENCH_EXPLAIN=1` also prints `EXPLAIN (ANALYZE, BUFFERS)` of
//! the projection's balance query for the district's year (as `db::window_totals`
//! sends it) and of the baseline;
//! `INSIGHTS_BENCH_KEEP=1` keeps the database (it is dropped otherwise) and prints its
//! URL, to look further with `psql`.

use std::fmt::Write as _;

use chrono::NaiveDate;
use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::catalog::ELEMENTS;
use civitas_projection::{Insights, Projection};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::{GetIndicatorsRequest, GetKpisRequest};
use civitas_testkit::{AuthChannel, TestServer};
use sqlx::postgres::PgPool;
use sqlx::Row;

#[path = "shared/fixture.rs"]
mod fixture;
use fixture::*;

const BASELINE_SQL: &str = "SELECT community, element, CAST(SUM(value) AS BIGINT)
     FROM kpi_facts WHERE day <= $1 AND community NOT LIKE 'street:%'
     GROUP BY community, element";

/// The baseline: the per-community, per-element sums of the year, nothing else.
async fn baseline(pool: &PgPool, last: &str) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(BASELINE_SQL).bind(last).fetch_all(pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the projection's balance query (the text of
/// `db::window_totals`' `read_balances`) for `communities` and a period of whole months
/// from the month after `before` to `end` (`YYYY-MM`), or of the baseline's when
/// `communities` is empty (up to `last`).
async fn explain(
    pool: &PgPool,
    communities: &[String],
    (before, end): (&str, &str),
    last: &str,
) -> anyhow::Result<String> {
    let placeholders: Vec<String> = (4..4 + communities.len())
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT community, element, month, to_end, latest
             FROM kpi_months
             WHERE community IN ({}) AND (month IN ($1, $2) OR (latest = 1 AND month < $3))",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(before).bind(end).bind(end);
    for community in communities {
        query = query.bind(community);
    }
    let mut out = String::new();
    let rows = match communities {
        [] => {
            sqlx::query(&format!("EXPLAIN (ANALYZE, BUFFERS) {BASELINE_SQL}"))
                .bind(last)
                .fetch_all(pool)
                .await?
        }
        _ => query.fetch_all(pool).await?,
    };
    for row in rows {
        let line: String = row.try_get(0)?;
        let _ = writeln!(out, "  {}", elide_list(&line));
    }
    Ok(out)
}

/// A plan line with a long `'{…}'` array literal shortened to its ends.
fn elide_list(line: &str) -> String {
    let (Some(open), Some(close)) = (line.find("'{"), line.find("}'")) else {
        return line.to_owned();
    };
    let items: Vec<&str> = line[open + 2..close].split(',').collect();
    if items.len() <= 3 {
        return line.to_owned();
    }
    format!(
        "{}'{{{},…,{} ({} items)}}'{}",
        &line[..open],
        items[0],
        items[items.len() - 1],
        items.len(),
        &line[close + 2..]
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = env_or("INSIGHTS_BENCH_CALLS", 200);
    let warmup: usize = env_or("INSIGHTS_BENCH_WARMUP", 10);
    // The per-community path is slow: `INSIGHTS_BENCH_BEFORE_CALLS` to time it fewer times.
    let before_calls: usize = env_or("INSIGHTS_BENCH_BEFORE_CALLS", calls);
    let per_day: f64 = env_or("INSIGHTS_BENCH_ELEMENTS", 15.0);

    let tree = OrgTree::parse(&org_toml())?;
    let communities: Vec<String> = tree
        .communities_under(DISTRICT)
        .into_iter()
        .map(|u| u.code.clone())
        .collect();
    let street = tree.children(DISTRICT)[0].code.clone();

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
    let mut sizes = Vec::new();
    for table in ["kpi_facts", "kpi_months"] {
        let row = sqlx::query(
            "SELECT pg_size_pretty(pg_relation_size($1::regclass)),
                    pg_size_pretty(pg_indexes_size($1::regclass)),
                    pg_size_pretty(pg_total_relation_size($1::regclass))",
        )
        .bind(table)
        .fetch_one(&pool)
        .await?;
        let (heap, indexes, total): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        sizes.push(format!("{table} {total} (table {heap}, indexes {indexes})"));
    }
    println!(
        "{} communities (1 district, {STREETS} streets x {COMMUNITIES_PER_STREET}), {YEAR}, \
         {per_day} of {} elements per community-day on average",
        communities.len(),
        ELEMENTS.len()
    );
    println!(
        "seeded    {rows} kpi_facts rows ({street_rows} of them street rollups, \
         BENCH_STREET_ROLLUPS=0 for none) in {seeded:.1} s ({:.0} rows/s, COPY), \
         {months} kpi_months rows from them in {filled:.1} s, VACUUM ANALYZE {vacuumed:.1} s",
        rows as f64 / seeded
    );
    println!("sizes     {}", sizes.join(", "));

    let insights = Insights::new(projection.clone(), tree.clone());
    // The same service reading per community through `sqlx::Any`, as before the
    // native reader (and as on SQLite): the previous path, measured in the same run.
    let portable = Insights::new(projection.clone().with_portable_reads(), tree.clone());
    let values = |first: &str, last: &str| {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a day");
        let (first, last) = (day(first), day(last));
        let (projection, communities) = (&projection, &communities);
        move || async move { Ok(projection.values(communities, first, last).await?) }
    };
    let caller = Caller {
        subject: "bench".into(),
        role: Role::District,
        org_unit: DISTRICT.into(),
    };
    let kpis_of = |insights: &Insights, org_unit: &str, period: &str| {
        let request = GetKpisRequest {
            org_unit: org_unit.into(),
            period: period.into(),
        };
        let (insights, caller) = (insights.clone(), &caller);
        move || {
            let (request, insights) = (request.clone(), insights.clone());
            async move { Ok(insights.get_kpis(caller, request).await?) }
        }
    };
    let kpis = |org_unit: &str, period: &str| kpis_of(&insights, org_unit, period);
    let indicators_of = |insights: &Insights, period: &str| {
        let request = GetIndicatorsRequest {
            org_unit: DISTRICT.into(),
            period: period.into(),
            indicators: vec![],
        };
        let (insights, caller) = (insights.clone(), &caller);
        move || {
            let (request, insights) = (request.clone(), insights.clone());
            async move { Ok(insights.get_indicators(caller, request).await?) }
        }
    };
    let indicators = |period: &str| indicators_of(&insights, period);

    // The same calls through the served Insights server, as a district user's client.
    let server = TestServer::start(|services, limits, auth| {
        projection.add_to(services, limits, auth, tree.clone())
    })
    .await;
    let client = InsightsServiceClient::new(server.channel_as(Role::District, DISTRICT).await);
    let grpc_kpis = |org_unit: &str, period: &str| {
        let request = GetKpisRequest {
            org_unit: org_unit.into(),
            period: period.into(),
        };
        let client: InsightsServiceClient<AuthChannel> = client.clone();
        move || {
            let (request, mut client) = (request.clone(), client.clone());
            async move { Ok(client.get_kpis(request).await?.into_inner()) }
        }
    };
    let grpc_indicators = |period: &str| {
        let request = GetIndicatorsRequest {
            org_unit: DISTRICT.into(),
            period: period.into(),
            indicators: vec![],
        };
        let client: InsightsServiceClient<AuthChannel> = client.clone();
        move || {
            let (request, mut client) = (request.clone(), client.clone());
            async move { Ok(client.get_indicators(request).await?.into_inner()) }
        }
    };

    // The read path and the baseline agree on what they read.
    let year = kpis(DISTRICT, &YEAR.to_string())().await?;
    let served = year
        .org_unit
        .as_ref()
        .and_then(|u| u.values.iter().find(|v| v.element == "residents"))
        .map_or(0.0, |v| v.value) as i64;
    let last = format!("{YEAR}-12-31");
    let summed: i64 = baseline(&pool, &last)
        .await?
        .iter()
        .filter(|(_, element, _)| element == "residents")
        .map(|(_, _, v)| v)
        .sum();
    let seeded_sum: i64 = residents.iter().map(|(_, v)| v).sum();
    anyhow::ensure!(
        served == summed && summed == seeded_sum,
        "district residents differ: GetKpis {served}, baseline {summed}, seeded {seeded_sum}"
    );
    println!(
        "check     district residents at the end of {YEAR}: {served} (GetKpis = baseline = seeded)"
    );
    // Both paths answer the same to every request timed below.
    for period in [YEAR.to_string(), format!("{YEAR}11"), format!("{YEAR}W49")] {
        let now = kpis(DISTRICT, &period)().await?;
        let before = kpis_of(&portable, DISTRICT, &period)().await?;
        anyhow::ensure!(now == before, "GetKpis {period}: the two paths differ");
        let now = indicators(&period)().await?;
        let before = indicators_of(&portable, &period)().await?;
        anyhow::ensure!(
            now == before,
            "GetIndicators {period}: the two paths differ"
        );
    }
    let now = kpis(&street, &YEAR.to_string())().await?;
    let before = kpis_of(&portable, &street, &YEAR.to_string())().await?;
    anyhow::ensure!(now == before, "GetKpis street: the two paths differ");
    println!(
        "check     GetKpis and GetIndicators: summed in SQL = per community (each period timed)"
    );
    for period in [YEAR.to_string(), format!("{YEAR}11"), format!("{YEAR}W49")] {
        let served = grpc_kpis(DISTRICT, &period)().await?;
        anyhow::ensure!(
            served == kpis(DISTRICT, &period)().await?,
            "GetKpis {period}: gRPC differs"
        );
        let served = grpc_indicators(&period)().await?;
        anyhow::ensure!(
            served == indicators(&period)().await?,
            "GetIndicators {period}: gRPC differs"
        );
    }
    println!("check     through gRPC = in process (each period timed)");

    println!(
        "{calls} calls each after {warmup} warm-up calls, in process unless marked grpc:, ms:"
    );
    println!(
        "{:<38} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "", "p50", "p95", "p99", "max", "p50/base", "p99/base"
    );
    let base = measure(warmup, calls, || baseline(&pool, &last)).await?;
    let row = |name: &str, s: &Stats| {
        println!(
            "{name:<38} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.2}x {:>8.2}x",
            s.p50,
            s.p95,
            s.p99,
            s.max,
            s.p50 / base.p50,
            s.p99 / base.p99
        )
    };
    row("baseline SQL, year, 300 comm.", &base);
    let y = YEAR.to_string();
    let m = format!("{YEAR}11");
    let w = format!("{YEAR}W49");
    let measured = [
        (
            format!("before: GetKpis district {y}"),
            measure(warmup, before_calls, kpis_of(&portable, DISTRICT, &y)).await?,
        ),
        (
            format!("before: GetKpis district {m}"),
            measure(warmup, before_calls, kpis_of(&portable, DISTRICT, &m)).await?,
        ),
        (
            format!("before: GetKpis district {w}"),
            measure(warmup, before_calls, kpis_of(&portable, DISTRICT, &w)).await?,
        ),
        (
            format!("before: GetIndicators district {y}"),
            measure(warmup, before_calls, indicators_of(&portable, &y)).await?,
        ),
        (
            format!("before: GetIndicators district {m}"),
            measure(warmup, before_calls, indicators_of(&portable, &m)).await?,
        ),
        (
            format!("GetKpis district {y}"),
            measure(warmup, calls, kpis(DISTRICT, &y)).await?,
        ),
        (
            format!("GetKpis district {m}"),
            measure(warmup, calls, kpis(DISTRICT, &m)).await?,
        ),
        (
            format!("GetKpis district {w}"),
            measure(warmup, calls, kpis(DISTRICT, &w)).await?,
        ),
        (
            format!("GetKpis street {y} (20 comm.)"),
            measure(warmup, calls, kpis(&street, &y)).await?,
        ),
        (
            format!("GetIndicators district {y}"),
            measure(warmup, calls, indicators(&y)).await?,
        ),
        (
            format!("GetIndicators district {m}"),
            measure(warmup, calls, indicators(&m)).await?,
        ),
        (
            format!("grpc: GetKpis district {y}"),
            measure(warmup, calls, grpc_kpis(DISTRICT, &y)).await?,
        ),
        (
            format!("grpc: GetKpis district {m}"),
            measure(warmup, calls, grpc_kpis(DISTRICT, &m)).await?,
        ),
        (
            format!("grpc: GetKpis district {w}"),
            measure(warmup, calls, grpc_kpis(DISTRICT, &w)).await?,
        ),
        (
            format!("grpc: GetKpis street {y}"),
            measure(warmup, calls, grpc_kpis(&street, &y)).await?,
        ),
        (
            format!("grpc: GetIndicators district {y}"),
            measure(warmup, calls, grpc_indicators(&y)).await?,
        ),
        (
            format!("grpc: GetIndicators district {m}"),
            measure(warmup, calls, grpc_indicators(&m)).await?,
        ),
        (
            format!("values district {y}"),
            measure(warmup, calls, values("2026-01-01", "2026-12-31")).await?,
        ),
        (
            format!("values district {m}"),
            measure(warmup, calls, values("2026-11-01", "2026-11-30")).await?,
        ),
        (
            format!("values district {w}"),
            measure(warmup, calls, values("2026-11-30", "2026-12-06")).await?,
        ),
    ];
    for (name, stats) in &measured {
        row(name, stats);
    }

    if std::env::var("INSIGHTS_BENCH_EXPLAIN").is_ok_and(|v| v == "1") {
        let months = (format!("{}-12", YEAR - 1), format!("{YEAR}-12"));
        let months = (months.0.as_str(), months.1.as_str());
        println!("EXPLAIN (ANALYZE, BUFFERS) of the balance query, district, {YEAR}:");
        print!("{}", explain(&pool, &communities, months, &last).await?);
        println!("EXPLAIN (ANALYZE, BUFFERS) of the baseline:");
        print!("{}", explain(&pool, &[], months, &last).await?);
    }
    pool.close().await;
    if std::env::var("INSIGHTS_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept      {} (schema {SCHEMA})", db.url);
        std::mem::forget(db);
    }
    Ok(())
}
