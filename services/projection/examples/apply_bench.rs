//! How fast the projection applies events into PostgreSQL, against what the same
//! database takes as plain multi-row inserts.
//!
//! ```text
//! cargo run --release -p civitas-projection --example apply_bench [-- EVENTS]
//! ```
//!
//! EVENTS (default 100000, or `APPLY_BENCH_EVENTS`) residents, activities,
//! volunteering and safety events of one district over a year are generated, then in
//! fresh PostgreSQL databases (`civitas_testkit::fresh_postgres_db`, `DATABASE_URL` to
//! use another server):
//!
//! - **baseline**: EVENTS rows into a scratch table, 1000-row `INSERT`s, one
//!   transaction each;
//! - **rebuild**: `Projection::apply_batch` of EVENTS events into empty read models,
//!   1000 events per batch;
//! - **catch-up**: the next EVENTS events of the same district, applied the same way on
//!   top of the read models the rebuild left.
//!
//! It prints events/s for each, the ratios, and a digest of every read-model table,
//! KPI fact, stream version and checkpoint, for comparing two builds' results.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use civitas_kernel::RecordedEvent;
use civitas_projection::Projection;
use civitas_proto::events::v1 as pb;
use common::areas::*;
use common::*;

/// Events per batch and rows per baseline statement.
const BATCH: usize = 1000;

const COMMUNITIES: &[&str] = &[
    "xingfu",
    "heping",
    "anle",
    "jianshe",
    "wenhua",
    "xinhua",
    "dongfeng",
    "hongqi",
    "chaoyang",
    "minzhu",
    "tuanjie",
    "guangming",
];

/// A small deterministic generator (xorshift64*), so every run sees the same events.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the generator remembers per community to produce follow-up events.
#[derive(Default)]
struct Community {
    households: Vec<String>,
    residents: Vec<String>,
    /// Open activities with their registration count.
    activities: Vec<(String, pb::ActivityCategory, u32)>,
    /// Volunteers with their approved minutes.
    volunteers: Vec<(String, u64)>,
    pending: Vec<(String, String, u32, String)>,
    incidents: Vec<(String, String)>,
    rectifications: Vec<(String, String)>,
}

/// `events` events over 2026, in commit order.
fn generate(events: usize) -> Log {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut log = Log::default();
    let mut state: Vec<Community> = COMMUNITIES.iter().map(|_| Community::default()).collect();
    let start = day("2026-01-01");
    let mut next_id = 0u64;
    while log.events.len() < events {
        let i = log.events.len();
        let date = start + chrono::Duration::days((i * 365 / events) as i64);
        let on = date.format("%Y-%m-%d").to_string();
        let c = rng.below(COMMUNITIES.len());
        let (community, s) = (COMMUNITIES[c], &mut state[c]);
        next_id += 1;
        let id = format!("{community}-{next_id}");
        let draft = match rng.below(100) {
            0..=9 => {
                s.households.push(id.clone());
                household_registered(&id)
            }
            10..=27 if !s.households.is_empty() => {
                let household = rng.pick(&s.households).clone();
                let kind = *rng.pick(&[pb::ResidenceType::Permanent, pb::ResidenceType::Floating]);
                s.residents.push(id.clone());
                resident_registered(&id, &household, kind)
            }
            28..=35 if !s.residents.is_empty() => {
                let category = *rng.pick(&[
                    pb::CareCategory::LivingAlone,
                    pb::CareCategory::EmptyNest,
                    pb::CareCategory::Minor,
                    pb::CareCategory::Disabled,
                ]);
                let resident = rng.pick(&s.residents);
                care_category_assigned(resident, category)
            }
            36..=38 if !s.residents.is_empty() => {
                let resident = rng.pick(&s.residents);
                residence_type_changed(
                    resident,
                    pb::ResidenceType::Floating,
                    pb::ResidenceType::Permanent,
                )
            }
            39..=40 if !s.residents.is_empty() => {
                let at = rng.below(s.residents.len());
                resident_moved_out(&s.residents.swap_remove(at))
            }
            41..=45 => {
                let category = *rng.pick(&[
                    pb::ActivityCategory::FilmScreening,
                    pb::ActivityCategory::CitizenSchoolClass,
                    pb::ActivityCategory::MinorsEducation,
                    pb::ActivityCategory::Performance,
                ]);
                s.activities.push((id.clone(), category, 0));
                activity_scheduled(&id, category, &format!("{on}T02:00:00Z"))
            }
            46..=57 if !s.activities.is_empty() => {
                let at = rng.below(s.activities.len());
                let activity = &mut s.activities[at];
                activity.2 += 1;
                participant_registered(&activity.0, &id, activity.2)
            }
            58..=64 if !s.activities.is_empty() => {
                participant_checked_in(&rng.pick(&s.activities).0, &id)
            }
            65..=68 if !s.activities.is_empty() => {
                let at = rng.below(s.activities.len());
                let (activity, category, registered) = s.activities.swap_remove(at);
                activity_closed(&activity, category, registered, registered / 2, 3)
            }
            69..=71 => {
                s.volunteers.push((id.clone(), 0));
                volunteer_registered(&id)
            }
            72..=73 if !s.volunteers.is_empty() => volunteer_verified(&rng.pick(&s.volunteers).0),
            74..=77 if !s.volunteers.is_empty() => {
                let volunteer = rng.pick(&s.volunteers).0.clone();
                let minutes = 30 + 30 * rng.below(6) as u32;
                s.pending
                    .push((volunteer.clone(), id.clone(), minutes, on.clone()));
                hours_submitted(&volunteer, &id, minutes, &on)
            }
            78..=80 if !s.pending.is_empty() => {
                let at = rng.below(s.pending.len());
                let (volunteer, record, minutes, submitted_on) = s.pending.swap_remove(at);
                let total = match s.volunteers.iter_mut().find(|v| v.0 == volunteer) {
                    Some(v) => {
                        v.1 += u64::from(minutes);
                        v.1
                    }
                    None => u64::from(minutes),
                };
                hours_approved(&volunteer, &record, minutes, &submitted_on, &on, total)
            }
            81 if !s.volunteers.is_empty() => {
                let level = rng.below(5) as u32;
                star_level_changed(&rng.pick(&s.volunteers).0, level, level + 1)
            }
            82..=86 => {
                let reported_at = format!("{on}T03:00:00Z");
                s.incidents.push((id.clone(), reported_at.clone()));
                let category =
                    *rng.pick(&[pb::IncidentCategory::Dispute, pb::IncidentCategory::Theft]);
                let severity = *rng.pick(&[
                    pb::IncidentSeverity::Minor,
                    pb::IncidentSeverity::Serious,
                    pb::IncidentSeverity::Major,
                ]);
                incident_reported(&id, category, severity, &reported_at)
            }
            87..=88 if !s.incidents.is_empty() => incident_dispatched(&rng.pick(&s.incidents).0),
            89..=91 if !s.incidents.is_empty() => {
                let at = rng.below(s.incidents.len());
                let (incident, reported_at) = s.incidents.swap_remove(at);
                incident_resolved(&incident, &reported_at, &format!("{on}T09:00:00Z"))
            }
            92..=94 => {
                patrol_completed(&id, 2 + rng.below(5) as u32, 60 + 30 * rng.below(4) as u32)
            }
            95..=96 => inspection_recorded(&id, rng.below(4) > 0),
            97 => {
                let deadline = (date + chrono::Duration::days(14))
                    .format("%Y-%m-%d")
                    .to_string();
                s.rectifications.push((id.clone(), deadline.clone()));
                rectification_ordered(&id, &on, &deadline)
            }
            98 if !s.rectifications.is_empty() => {
                let at = rng.below(s.rectifications.len());
                let (rectification, deadline) = s.rectifications.swap_remove(at);
                rectification_verified(&rectification, &on, &deadline)
            }
            _ => publicity_board_updated(&format!("{community}-board"), &on),
        };
        log.push_in(community, &on, draft);
    }
    log
}

/// Events (or rows) per second.
fn rate(n: usize, seconds: f64) -> f64 {
    n as f64 / seconds
}

/// The baseline: one row per event into a scratch table, 1000-row statements.
async fn baseline(url: &str, events: &[RecordedEvent]) -> anyhow::Result<f64> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    sqlx::query(
        "CREATE TABLE scratch (event_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL,
             community TEXT NOT NULL, day TEXT NOT NULL, version BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    for chunk in events.chunks(BATCH) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p = r * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        let sql = format!("INSERT INTO scratch VALUES {}", tuples.join(", "));
        let mut query = sqlx::query(&sql).persistent(false);
        for e in chunk {
            let day = e.occurred_at.format("%Y-%m-%d").to_string();
            query = query
                .bind(e.event_id.to_string())
                .bind(&e.stream_id)
                .bind(&e.org.community)
                .bind(day)
                .bind(e.stream_version as i64);
        }
        let mut tx = pool.begin().await?;
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    pool.close().await;
    Ok(seconds)
}

/// Applies `events` in 1000-event batches; returns the seconds it took.
async fn apply(projection: &Projection, events: &[RecordedEvent]) -> anyhow::Result<f64> {
    let started = Instant::now();
    for batch in events.chunks(BATCH) {
        projection.apply_batch("bench", batch, &NoGaps).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// A digest of every table a rebuild must reproduce, and its row count.
async fn digest(url: &str) -> (u64, usize) {
    let all = rows(
        url,
        &[
            KPI_ROWS,
            "SELECT resident_id || community || household_id || residence_type || care_categories || CAST(active AS TEXT) FROM resident_view ORDER BY resident_id",
            "SELECT activity_id || community || category || title || starts_at || ends_at || CAST(capacity AS TEXT) || CAST(registered AS TEXT) || CAST(checked_in AS TEXT) || CAST(walk_ins AS TEXT) || status FROM activity_view ORDER BY activity_id",
            "SELECT plan_key || community || CAST(year AS TEXT) || CAST(version AS TEXT) || CAST(item_count AS TEXT) FROM plan_view ORDER BY plan_key",
            "SELECT volunteer_id || community || status || CAST(approved_minutes AS TEXT) || CAST(star_level AS TEXT) || CAST(pending_records AS TEXT) FROM volunteer_view ORDER BY volunteer_id",
            "SELECT record_id || volunteer_id || community || CAST(minutes AS TEXT) || service_date || submitted_on FROM pending_approval_view ORDER BY record_id",
            "SELECT incident_id || community || category || severity || state || reported_at || reported_day || CAST(alert AS TEXT) FROM incident_view ORDER BY incident_id",
            "SELECT rectification_id || community || ordered_on || deadline || state FROM rectification_view ORDER BY rectification_id",
            "SELECT stream_id || '|' || CAST(version AS TEXT) FROM projection_stream_versions ORDER BY stream_id",
            "SELECT source || CAST(xid AS TEXT) || CAST(position AS TEXT) || CAST(applied AS TEXT) FROM projection_checkpoints ORDER BY source",
        ],
    )
    .await;
    let mut hasher = DefaultHasher::new();
    all.hash(&mut hasher);
    (hasher.finish(), all.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => std::env::var("APPLY_BENCH_EVENTS").map_or(Ok(100_000), |n| n.parse())?,
    };
    let log = generate(2 * events);
    let (rebuild, catch_up) = log.events.split_at(events);
    println!("{events} events per phase, batches of {BATCH}, PostgreSQL");

    let scratch = civitas_testkit::fresh_postgres_db().await?;
    let base = baseline(&scratch.url, rebuild).await?;
    println!(
        "baseline  {:>9.0} rows/s   ({base:.2} s)",
        rate(events, base)
    );

    let db = civitas_testkit::fresh_postgres_db().await?;
    let projection = Projection::open(&db.url).await?;
    let built = apply(&projection, rebuild).await?;
    let caught = apply(&projection, catch_up).await?;
    for (name, seconds) in [("rebuild", built), ("catch-up", caught)] {
        println!(
            "{name:<9} {:>9.0} events/s ({seconds:.2} s), {:.2} x baseline",
            rate(events, seconds),
            base / seconds
        );
    }
    let (hash, count) = digest(&db.url).await;
    println!("digest    {hash:016x} over {count} rows");
    Ok(())
}
