//! The fixture `insights_bench` and `dashboard_bench` share (each includes this file
//! with `#[path]`; an example cannot import another): the org tree of one district,
//! 15 streets and 20 communities per street, a deterministic year of KPI facts
//! written with one `COPY`, the month-end balances derived from them, and the timing
//! helpers.

use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use civitas_platform::org::OrgTree;
use civitas_projection::catalog::ELEMENTS;
use civitas_projection::Aggregation;
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};

pub const DISTRICT: &str = "bench";
pub const STREETS: usize = 15;
pub const COMMUNITIES_PER_STREET: usize = 20;
pub const YEAR: i32 = 2026;
/// The projection's PostgreSQL schema, as in distributed mode.
pub const SCHEMA: &str = "projection";

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The org tree as TOML text: `bench` → `s01`…`s15` → `s01-c01`…`s15-c20`.
pub fn org_toml() -> String {
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
pub struct Rng(u64);

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
pub fn opening(code: &str, residents: i64, rng: &mut Rng) -> i64 {
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
pub fn delta(code: &str, aggregation: Aggregation, rng: &mut Rng) -> i64 {
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
pub async fn seed(
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
pub struct Stats {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(mut times: Vec<Duration>) -> Stats {
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
pub async fn measure<F, Fut, T>(warmup: usize, calls: usize, mut call: F) -> anyhow::Result<Stats>
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

/// The month-end balances of the seeded facts, as the apply path keeps them: per
/// element and community every month from its first delta's to its last's, the month's
/// sum, the running sum, `latest` on the last.
pub const FILL_MONTHS_SQL: &str = "INSERT INTO kpi_months (element, community, month, in_month, to_end, latest)
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

/// Adds the street rollups the apply path keeps beside the facts (`street:<code>`
/// rows, `street_members`); returns the rows written. They go in day by day, as the
/// apply path creates a street's rows of a day on that day (in the order a hash
/// aggregate left them, a week of a street's rows sat on as many pages as rows).
async fn roll_up_streets(pool: &PgPool, tree: &OrgTree) -> anyhow::Result<u64> {
    let (mut streets, mut communities) = (Vec::new(), Vec::new());
    for street in tree.children(DISTRICT) {
        for community in tree.communities_under(&street.code) {
            streets.push(street.code.clone());
            communities.push(community.code.clone());
        }
    }
    sqlx::query(
        "INSERT INTO street_members (street, community, whole)
         SELECT s, c, 1 FROM UNNEST($1::text[], $2::text[]) AS m(s, c)",
    )
    .bind(&streets)
    .bind(&communities)
    .execute(pool)
    .await?;
    let rows = sqlx::query(
        "INSERT INTO kpi_facts (element, community, day, value)
         SELECT f.element, 'street:' || m.street, f.day, SUM(f.value)
         FROM kpi_facts f JOIN street_members m ON m.community = f.community
         GROUP BY 1, 2, 3 ORDER BY 3, 2",
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(rows)
}

/// The seeded database: a pool in the projection's schema and what was written.
pub struct Seeded {
    pub pool: PgPool,
    /// `kpi_facts` rows, and each community's residents at the end of the year.
    pub rows: u64,
    pub residents: Vec<(String, i64)>,
    /// Street rollup rows among them (`BENCH_STREET_ROLLUPS=0`: none).
    pub street_rows: u64,
    /// `kpi_months` rows derived from them.
    pub months: u64,
    /// Seconds spent seeding, deriving the balances, and in `VACUUM ANALYZE`.
    pub seeded: f64,
    pub filled: f64,
    pub vacuumed: f64,
}

/// Seeds the projection's schema of the database at `url` (migrated already): the
/// facts of `tree`'s communities, `per_day` elements per community-day on average,
/// then the balances, then `VACUUM ANALYZE`.
pub async fn seeded(url: &str, tree: &OrgTree, per_day: f64) -> anyhow::Result<Seeded> {
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
        .connect(url)
        .await?;
    let started = Instant::now();
    let (rows, residents) = seed(&pool, tree, per_day).await?;
    let street_rows = match env_or("BENCH_STREET_ROLLUPS", 1) {
        1 => roll_up_streets(&pool, tree).await?,
        _ => 0,
    };
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
    Ok(Seeded {
        pool,
        rows: rows + street_rows,
        street_rows,
        residents,
        months,
        seeded,
        filled,
        vacuumed: started.elapsed().as_secs_f64(),
    })
}
