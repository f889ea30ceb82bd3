//! Server time of the district dashboard's pages at 300 communities with a year of KPI
//! facts: the fixture of `insights_bench` (the same org tree, seed and generator,
//! copied here because an example cannot import another), then the dashboard's router
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

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Datelike, NaiveDate};
use civitas_platform::auth::{Role, TokenKeys};
use civitas_platform::org::OrgTree;
use civitas_projection::catalog::ELEMENTS;
use civitas_projection::dashboard::Dashboard;
use civitas_projection::{Aggregation, Projection};
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};
use tower::ServiceExt;

const DISTRICT: &str = "bench";
const STREETS: usize = 15;
const COMMUNITIES_PER_STREET: usize = 20;
const YEAR: i32 = 2026;
const SCHEMA: &str = "projection";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The org tree as TOML text: `bench` → `s01`…`s15` → `s01-c01`…`s15-c20`.
fn org_toml() -> String {
    let mut toml = format!("[district]\ncode = \"{DISTRICT}\"\nname = \"Bench district\"\n");
    for s in 1..=STREETS {
        let _ = write!(
            toml,
            "\n[[district.streets]]\ncode = \"s{s:02}\"\nname = \"Street {s}\"\n"
        );
        for c in 1..=COMMUNITIES_PER_STREET {
            let _ = write!(
                toml,
                "\n[[district.streets.communities]]\ncode = \"s{s:02}-c{c:02}\"\n\
                 name = \"Community {s}-{c}\"\nresidents_estimate = {}\n",
                3000 + 250 * ((s * 7 + c * 13) % 25)
            );
        }
    }
    toml
}

/// splitmix64, as in `insights_bench`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn opening(code: &str, residents: i64, rng: &mut Rng) -> i64 {
    match code {
        "residents" => residents,
        "households" => residents * 10 / 25,
        "residents.permanent" => residents * 8 / 10,
        "residents.floating" => residents * 2 / 10,
        "facilities.area_m2" => rng.range(400, 3000),
        "plan.items_published" => rng.range(5, 40),
        "volunteers.registered" => residents / 20,
        _ => rng.range(0, residents / 50),
    }
}

fn delta(code: &str, aggregation: Aggregation, rng: &mut Rng) -> i64 {
    match aggregation {
        Aggregation::Last => [-1, 1, 1, 1, 2, 3][rng.range(0, 5) as usize],
        Aggregation::Sum if code.ends_with("minutes") => rng.range(30, 600),
        Aggregation::Sum if code == "activities.attendance" => rng.range(5, 80),
        Aggregation::Sum => rng.range(1, 5),
        Aggregation::Distinct => 0,
    }
}

/// Fills `kpi_facts` for the year with one `COPY`; returns the rows written.
async fn seed(pool: &PgPool, tree: &OrgTree, per_day: f64) -> anyhow::Result<u64> {
    let p = (per_day / ELEMENTS.len() as f64).min(1.0);
    let first = NaiveDate::from_ymd_opt(YEAR, 1, 1).expect("a date");
    let days: Vec<String> = first
        .iter_days()
        .take_while(|d| d.year() == YEAR)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let mut rng = Rng(0x00C1_71A5);
    let mut copy = pool
        .copy_in_raw("COPY kpi_facts (element, community, day, value) FROM STDIN")
        .await?;
    for community in tree.communities_under(DISTRICT) {
        let residents = community.residents_estimate.unwrap_or(5000) as i64;
        let mut buf = String::with_capacity(days.len() * 64 * 48);
        for (i, day) in days.iter().enumerate() {
            for element in ELEMENTS {
                let stock = element.aggregation == Aggregation::Last;
                let mut value = if i == 0 && stock {
                    opening(element.code, residents, &mut rng)
                } else {
                    0
                };
                let moved = rng.chance(p);
                if moved {
                    value += delta(element.code, element.aggregation, &mut rng);
                }
                if moved || (i == 0 && stock) {
                    let _ = writeln!(buf, "{}\t{}\t{day}\t{value}", element.code, community.code);
                }
            }
        }
        copy.send(buf.into_bytes()).await?;
    }
    Ok(copy.finish().await?)
}

/// `kpi_months` from the seeded facts, as `insights_bench` derives them.
const FILL_MONTHS_SQL: &str = "INSERT INTO kpi_months (element, community, month, in_month, to_end, latest)
     WITH sums AS (
         SELECT element, community, to_date(left(day, 7) || '-01', 'YYYY-MM-DD') AS month,
                SUM(value) AS v
         FROM kpi_facts GROUP BY 1, 2, 3),
     spans AS (
         SELECT element, community, MIN(month) AS first, MAX(month) AS last
         FROM sums GROUP BY 1, 2),
     dense AS (
         SELECT s.element, s.community, m::date AS month, s.last
         FROM spans s, generate_series(s.first, s.last, interval '1 month') m)
     SELECT d.element, d.community, to_char(d.month, 'YYYY-MM'), COALESCE(x.v, 0)::bigint,
            (SUM(COALESCE(x.v, 0)) OVER (PARTITION BY d.element, d.community ORDER BY d.month))::bigint,
            CASE WHEN d.month = d.last THEN 1 ELSE 0 END
     FROM dense d LEFT JOIN sums x
         ON x.element = d.element AND x.community = d.community AND x.month = d.month";

/// Nearest-rank percentiles in ms.
fn percentiles(mut times: Vec<Duration>) -> [f64; 4] {
    times.sort();
    let at = |q: f64| {
        let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
        times[rank - 1].as_secs_f64() * 1000.0
    };
    [at(0.50), at(0.95), at(0.99), at(1.0)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let calls: usize = env_or("DASHBOARD_BENCH_CALLS", 100);
    let warmup: usize = env_or("DASHBOARD_BENCH_WARMUP", 5);
    let per_day: f64 = env_or("DASHBOARD_BENCH_ELEMENTS", 15.0);

    let tree = OrgTree::parse(&org_toml())?;
    let db = civitas_testkit::fresh_postgres_db().await?;
    let projection = Projection::open_in(&db.url, Some(SCHEMA)).await?;
    let search_path = format!("SET search_path TO {SCHEMA}");
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            let search_path = search_path.clone();
            Box::pin(async move {
                sqlx::query(&search_path).execute(conn).await?;
                Ok(())
            })
        })
        .connect(&db.url)
        .await?;
    let started = Instant::now();
    let rows = seed(&pool, &tree, per_day).await?;
    let months = sqlx::query(FILL_MONTHS_SQL)
        .execute(&pool)
        .await?
        .rows_affected();
    for table in ["kpi_facts", "kpi_months"] {
        sqlx::query(&format!("VACUUM ANALYZE {table}"))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    println!(
        "{} communities (1 district, {STREETS} streets x {COMMUNITIES_PER_STREET}), {YEAR}: \
         {rows} kpi_facts rows, {months} kpi_months rows, seeded in {:.1} s",
        STREETS * COMMUNITIES_PER_STREET,
        started.elapsed().as_secs_f64()
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
        let mut bytes = 0;
        for _ in 0..warmup {
            bytes = get(uri.clone()).await?;
        }
        let mut times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            std::hint::black_box(get(uri.clone()).await?);
            times.push(started.elapsed());
        }
        let [p50, p95, p99, max] = percentiles(times);
        println!("{name:<32} {p50:>8.1} {p95:>8.1} {p99:>8.1} {max:>8.1} {bytes:>9}");
    }
    Ok(())
}
