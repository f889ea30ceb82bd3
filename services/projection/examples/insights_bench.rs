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
//!   '2026-12-31' GROUP BY community, element` through a pool of its own — the
//!   aggregate a district's year needs, nothing else;
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
//! It prints p50/p95/p99/max in ms and each one's p50 and p99 as a multiple of the
//! baseline's. `INSIGHTS_BENCH_EXPLAIN=1` also prints `EXPLAIN (ANALYZE, BUFFERS)` of
//! the projection's balance query for the district's year (as `db::window_totals`
//! sends it) and of the baseline;
//! `INSIGHTS_BENCH_KEEP=1` keeps the database (it is dropped otherwise) and prints its
//! URL, to look further with `psql`.

use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::catalog::ELEMENTS;
use civitas_projection::{Aggregation, Insights, Projection};
use civitas_proto::insights::v1::{GetIndicatorsRequest, GetKpisRequest};
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};
use sqlx::Row;

const DISTRICT: &str = "bench";
const STREETS: usize = 15;
const COMMUNITIES_PER_STREET: usize = 20;
const YEAR: i32 = 2026;
/// The projection's PostgreSQL schema, as in distributed mode.
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

/// splitmix64: deterministic and dependency-free; the seeded data are the same each run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// A stock's level on the year's first day, in a community of `residents`.
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

/// One day's delta of an element that moved that day.
fn delta(code: &str, aggregation: Aggregation, rng: &mut Rng) -> i64 {
    match aggregation {
        // Mostly arrivals and registrations, a few departures.
        Aggregation::Last => [-1, 1, 1, 1, 2, 3][rng.range(0, 5) as usize],
        Aggregation::Sum if code.ends_with("minutes") => rng.range(30, 600),
        Aggregation::Sum if code == "activities.attendance" => rng.range(5, 80),
        Aggregation::Sum => rng.range(1, 5),
        // Persons, not deltas (kpi_persons): not seeded here.
        Aggregation::Distinct => 0,
    }
}

/// Fills `kpi_facts` for the year with one `COPY`; returns the rows written.
async fn seed(
    pool: &PgPool,
    tree: &OrgTree,
    per_day: f64,
) -> anyhow::Result<(u64, Vec<(String, i64)>)> {
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
    let mut residents_by_community = Vec::new();
    for community in tree.communities_under(DISTRICT) {
        let residents = community.residents_estimate.unwrap_or(5000) as i64;
        let mut residents_total = 0;
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
                    if element.code == "residents" {
                        residents_total += value;
                    }
                    let _ = writeln!(buf, "{}\t{}\t{day}\t{value}", element.code, community.code);
                }
            }
        }
        residents_by_community.push((community.code.clone(), residents_total));
        copy.send(buf.into_bytes()).await?;
    }
    Ok((copy.finish().await?, residents_by_community))
}

/// Latency percentiles of one measurement, in ms.
struct Stats {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Stats {
        times.sort();
        // Nearest rank.
        let at = |q: f64| {
            let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
            times[rank - 1].as_secs_f64() * 1000.0
        };
        Stats {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// Runs `call` `warmup` times untimed, then `calls` times timed one after the other.
async fn measure<F, Fut, T>(warmup: usize, calls: usize, mut call: F) -> anyhow::Result<Stats>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    for _ in 0..warmup {
        call().await?;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        std::hint::black_box(call().await?);
        times.push(started.elapsed());
    }
    Ok(Stats::of(times))
}

const BASELINE_SQL: &str = "SELECT community, element, CAST(SUM(value) AS BIGINT)
     FROM kpi_facts WHERE day <= $1 GROUP BY community, element";

/// The month-end balances of the seeded facts, as the apply path keeps them: per
/// element and community every month from its first delta's to its last's, the month's
/// sum, the running sum, `latest` on the last.
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
    let (rows, residents) = seed(&pool, &tree, per_day).await?;
    let seeded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let months = sqlx::query(FILL_MONTHS_SQL)
        .execute(&pool)
        .await?
        .rows_affected();
    let filled = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for table in ["kpi_facts", "kpi_months"] {
        sqlx::query(&format!("VACUUM ANALYZE {table}"))
            .execute(&pool)
            .await?;
    }
    let vacuumed = started.elapsed().as_secs_f64();
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
        "seeded    {rows} kpi_facts rows in {seeded:.1} s ({:.0} rows/s, COPY), \
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

    println!("{calls} calls each after {warmup} warm-up calls, in process (no gRPC), ms:");
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "", "p50", "p95", "p99", "max", "p50/base", "p99/base"
    );
    let base = measure(warmup, calls, || baseline(&pool, &last)).await?;
    let row = |name: &str, s: &Stats| {
        println!(
            "{name:<34} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.2}x {:>8.2}x",
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
            measure(warmup, calls, kpis_of(&portable, DISTRICT, &y)).await?,
        ),
        (
            format!("before: GetKpis district {m}"),
            measure(warmup, calls, kpis_of(&portable, DISTRICT, &m)).await?,
        ),
        (
            format!("before: GetKpis district {w}"),
            measure(warmup, calls, kpis_of(&portable, DISTRICT, &w)).await?,
        ),
        (
            format!("before: GetIndicators district {y}"),
            measure(warmup, calls, indicators_of(&portable, &y)).await?,
        ),
        (
            format!("before: GetIndicators district {m}"),
            measure(warmup, calls, indicators_of(&portable, &m)).await?,
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
