use super::super::open;
use super::*;

/// `totals` separates deltas inside the period (flows, SUM) from everything up to its
/// end (stocks, LAST), and filters communities; on both backends.
#[tokio::test]
async fn totals_split_period_and_to_date_on_both_backends() {
    let dir = civitas_testkit::temp_dir();
    let pg = civitas_testkit::fresh_postgres_db()
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    for url in [
        format!("sqlite://{}/p.db?mode=rwc", dir.path().display()),
        pg.url.clone(),
    ] {
        let pool = open(&url, None).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        for (community, day, delta) in [
            ("a", "2026-10-31", 5),
            ("a", "2026-11-01", 2),
            ("a", "2026-11-30", -1),
            ("a", "2026-12-01", 7),
            ("b", "2026-11-15", 3),
        ] {
            add_delta(&mut conn, "flow", community, day, delta)
                .await
                .unwrap();
        }
        add_delta(&mut conn, "flow", "a", "2026-11-01", 1)
            .await
            .unwrap();
        drop(conn);

        let got = totals(&pool, &["a".into(), "c".into()], "2026-11-01", "2026-11-30")
            .await
            .unwrap();
        assert_eq!(
            got.len(),
            1,
            "{url}: only communities asked for and with deltas"
        );
        assert_eq!(
            got["a"]["flow"],
            Totals {
                in_period: 2,
                to_date: 7
            },
            "{url}"
        );
        // The same facts in three consecutive windows, read once.
        let starts = ["2026-10-01", "2026-11-01", "2026-12-01"];
        let got = window_totals(&pool, &["a".into(), "b".into()], &starts, "2026-12-31")
            .await
            .unwrap();
        assert_eq!(
            got["a"]["flow"],
            Windows {
                in_window: vec![5, 2, 7],
                to_date: 14
            },
            "{url}"
        );
        assert_eq!(got["b"]["flow"].in_window, [0, 3, 0], "{url}");
        pool.close().await;
    }
}

/// splitmix64, for deterministic random deltas.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ELEMENTS: [&str; 3] = ["e1", "e2", "e3"];
const COMMUNITIES: [&str; 3] = ["a", "b", "c"];

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Every `kpi_months` row as `element|community|month|in_month|to_end|latest`.
async fn month_table(pool: &AnyPool) -> Vec<String> {
    sqlx::query(
        "SELECT element || '|' || community || '|' || month || '|' || CAST(in_month AS TEXT)
             || '|' || CAST(to_end AS TEXT) || '|' || CAST(latest AS TEXT)
         FROM kpi_months ORDER BY element, community, month",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|row| row.get::<String, _>(0))
    .collect()
}

/// What `kpi_months` must hold for `facts`, computed directly: per pair, every
/// month from its first delta's to its last's, the month's sum, the running sum,
/// and the last one marked.
fn expected_months(facts: &[(&str, &str, NaiveDate, i64)]) -> Vec<String> {
    type Sums<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<(i32, u32), i64>>;
    let mut sums = Sums::new();
    for (element, community, day, delta) in facts {
        *sums
            .entry((element, community))
            .or_default()
            .entry((day.year(), day.month()))
            .or_default() += delta;
    }
    let mut out = Vec::new();
    for ((element, community), months) in sums {
        let (&first, _) = months.first_key_value().unwrap();
        let (&last, _) = months.last_key_value().unwrap();
        let (mut month, mut running) = (first, 0);
        loop {
            let in_month = months.get(&month).copied().unwrap_or(0);
            running += in_month;
            let latest = i64::from(month == last);
            out.push(format!(
                "{element}|{community}|{:04}-{:02}|{in_month}|{running}|{latest}",
                month.0, month.1
            ));
            if month == last {
                break;
            }
            month = match month.1 {
                12 => (month.0 + 1, 1),
                m => (month.0, m + 1),
            };
        }
    }
    out
}

/// `window_totals` computed directly from the facts, without pairs whose
/// windows and total are all zero.
fn expected_windows(
    facts: &[(&str, &str, NaiveDate, i64)],
    starts: &[NaiveDate],
    last: NaiveDate,
) -> BTreeMap<String, BTreeMap<String, Windows>> {
    let mut out: BTreeMap<String, BTreeMap<String, Windows>> = BTreeMap::new();
    for (element, community, day, delta) in facts {
        if *day > last {
            continue;
        }
        let w = out
            .entry((*community).to_owned())
            .or_default()
            .entry((*element).to_owned())
            .or_insert_with(|| Windows {
                in_window: vec![0; starts.len()],
                to_date: 0,
            });
        w.to_date += delta;
        if let Some(i) = starts.iter().rposition(|s| s <= day) {
            w.in_window[i] += delta;
        }
    }
    without_zeros(out)
}

fn without_zeros(
    windows: BTreeMap<String, BTreeMap<String, Windows>>,
) -> BTreeMap<String, BTreeMap<String, Windows>> {
    windows
        .into_iter()
        .map(|(community, elements)| {
            let elements: BTreeMap<String, Windows> = elements
                .into_iter()
                .filter(|(_, w)| w.to_date != 0 || w.in_window.iter().any(|v| *v != 0))
                .collect();
            (community, elements)
        })
        .filter(|(_, elements)| !elements.is_empty())
        .collect()
}

/// Random deltas in random batches — forward, backdated, with gaps of months,
/// zeros — through `add_deltas` (over `Any`, and natively on PostgreSQL every
/// other batch): `kpi_months` holds exactly the balances of the facts (also when
/// filled from them at once, as the migration does), and `window_totals` over
/// random consecutive windows (days, weeks across months, mid-month, whole months
/// and years, before and after the data) equals the sums of the day rows.
#[tokio::test]
async fn month_balances_and_windows_match_the_day_rows_on_both_backends() {
    use sqlx::Connection;
    let dir = civitas_testkit::temp_dir();
    let pg = civitas_testkit::fresh_postgres_db()
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let origin = date("2025-10-01");
    for url in [
        format!("sqlite://{}/m.db?mode=rwc", dir.path().display()),
        pg.url.clone(),
    ] {
        let postgres = url.starts_with("postgres");
        let pool = open(&url, None).await.unwrap();
        let mut native = match postgres {
            true => Some(sqlx::PgConnection::connect(&url).await.unwrap()),
            false => None,
        };
        let mut rng = Rng(0x5EED);
        let mut facts: Vec<(&str, &str, NaiveDate, i64)> = Vec::new();
        let communities: Vec<String> = ["a", "b", "c", "z"].map(String::from).to_vec();
        for batch in 0..60 {
            let mut deltas = Deltas::new();
            for _ in 0..1 + rng.below(12) {
                let element = ELEMENTS[rng.below(3)];
                let community = COMMUNITIES[rng.below(3)];
                // Mostly forward in time, sometimes far back or ahead.
                let around = (batch * 8) as i64;
                let offset = match rng.below(6) {
                    0 => rng.below(540) as i64,
                    _ => around + rng.below(30) as i64,
                };
                let day = origin + chrono::Duration::days(offset);
                let delta = rng.below(11) as i64 - 4;
                facts.push((element, community, day, delta));
                *deltas
                    .entry((element, community.to_owned(), text(day)))
                    .or_default() += delta;
            }
            match native.as_mut() {
                Some(pg) if batch % 2 == 1 => {
                    let mut tx = pg.begin().await.unwrap();
                    add_deltas(&mut Conn::Pg(&mut tx), &deltas).await.unwrap();
                    tx.commit().await.unwrap();
                }
                _ => {
                    let mut conn = pool.acquire().await.unwrap();
                    add_deltas(&mut Conn::Any(&mut conn), &deltas)
                        .await
                        .unwrap();
                }
            }

            if batch % 10 == 9 {
                let expected = expected_months(&facts);
                assert_eq!(month_table(&pool).await, expected, "{url} batch {batch}");
            }
            for _ in 0..4 {
                // 1 to 4 consecutive windows, each of a random kind.
                let mut at = origin + chrono::Duration::days(rng.below(600) as i64 - 40);
                let mut starts = Vec::new();
                for _ in 0..1 + rng.below(4) {
                    starts.push(at);
                    at = match rng.below(5) {
                        // A day.
                        0 => at + chrono::Duration::days(1),
                        // An ISO week, from its Monday.
                        1 => {
                            let monday = at
                                - chrono::Duration::days(i64::from(
                                    at.weekday().num_days_from_monday(),
                                ));
                            *starts.last_mut().unwrap() = monday;
                            monday + chrono::Duration::days(7)
                        }
                        // Whole months from the first.
                        2 => {
                            let first = at.with_day(1).unwrap();
                            *starts.last_mut().unwrap() = first;
                            first + chrono::Months::new(1 + rng.below(13) as u32)
                        }
                        // A year.
                        3 => {
                            let first = NaiveDate::from_ymd_opt(at.year(), 1, 1).unwrap();
                            *starts.last_mut().unwrap() = first;
                            first + chrono::Months::new(12)
                        }
                        // Any number of days.
                        _ => at + chrono::Duration::days(1 + rng.below(70) as i64),
                    };
                    if starts.len() > 1 && starts[starts.len() - 2] >= starts[starts.len() - 1] {
                        starts.pop();
                    }
                }
                let last = at.pred_opt().unwrap();
                let start_texts: Vec<String> = starts.iter().copied().map(text).collect();
                let start_refs: Vec<&str> = start_texts.iter().map(String::as_str).collect();
                let got = window_totals(&pool, &communities, &start_refs, &text(last))
                    .await
                    .unwrap();
                assert_eq!(
                    without_zeros(got),
                    expected_windows(&facts, &starts, last),
                    "{url} batch {batch}: starts {start_texts:?}, last {last}"
                );
            }
        }
        // Filled at once from the facts, as the migration does, the same rows.
        let before = month_table(&pool).await;
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("DELETE FROM kpi_months")
            .execute(&mut *conn)
            .await
            .unwrap();
        fill_months(&mut Conn::Any(&mut conn)).await.unwrap();
        drop(conn);
        assert_eq!(month_table(&pool).await, before, "{url}");
        pool.close().await;
    }
}
