//! The KPI deltas (`kpi_facts`): per element, community and day, the sum of the
//! deltas the rules produced; a period's value is read back from them as in-period and
//! to-date totals.
//!
//! Beside them, kept by the same write, their month-end balances (`kpi_months`): per
//! element, community and month (`YYYY-MM`), the month's deltas (`in_month`) and the
//! running total of every delta up to the month's end (`to_end`). A pair has a row
//! for every month from the month of its first delta to the month of its last one,
//! gaps included, and `latest` marks that last row, so the balance at the end of any
//! month is one row: the month's, or the latest row if the pair stopped before it, or
//! nothing (0) if it started after. A total up to a day is then that balance for the
//! month before plus the month's day rows up to the day (or the month's balance minus
//! the day rows after it, whichever reads fewer days): a read costs a few rows per
//! element and community whatever the length of the history.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use sqlx::{AnyPool, Row};

use super::{placeholders, Conn, Fields, Value, COMMUNITIES_PER_QUERY};
use crate::error::ProjectionError;
use crate::rules::Deltas;

/// A calendar month, counted from January of year 0; `YYYY-MM` in `kpi_months`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Month(i64);

impl Month {
    /// The month of a `YYYY-MM-DD` day or of a `YYYY-MM` month.
    fn parse(text: &str) -> Result<Month, ProjectionError> {
        let mut parts = text.splitn(3, '-');
        let (year, month) = (parts.next(), parts.next());
        let parsed = year
            .zip(month)
            .and_then(|(y, m)| Some((y.parse::<i64>().ok()?, m.parse::<i64>().ok()?)));
        match parsed {
            Some((y, m)) if (1..=12).contains(&m) && y >= 0 => Ok(Month(y * 12 + m - 1)),
            _ => Err(anyhow::anyhow!("{text:?} is not a day or month").into()),
        }
    }

    fn of(day: NaiveDate) -> Month {
        Month(i64::from(day.year()) * 12 + i64::from(day.month0()))
    }

    fn text(self) -> String {
        format!(
            "{:04}-{:02}",
            self.0.div_euclid(12),
            self.0.rem_euclid(12) + 1
        )
    }

    fn prev(self) -> Month {
        Month(self.0 - 1)
    }

    fn next(self) -> Month {
        Month(self.0 + 1)
    }
}

/// One `kpi_months` row's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Balance {
    in_month: i64,
    to_end: i64,
    latest: bool,
}

/// The `kpi_months` rows of one element and community to write when `added` (per
/// month, the sums of new deltas, at least one) goes onto `stored`: the pair's rows
/// from the month before its first new month on, and its latest row (all of them on
/// a fresh table, none for a new pair). Returns the rows that are new or change.
fn month_rows(
    stored: &BTreeMap<Month, Balance>,
    added: &BTreeMap<Month, i64>,
) -> Vec<(Month, Balance)> {
    let (Some((&first, _)), Some((&last, _))) = (added.first_key_value(), added.last_key_value())
    else {
        return Vec::new();
    };
    let latest = stored.iter().find(|(_, b)| b.latest).map(|(m, b)| (*m, *b));
    // From where rows change, and the balance before that.
    let (from, mut to_end) = match latest {
        None => (first, 0),
        // The pair stopped before: the months in between carry its balance.
        Some((month, b)) if month < first.prev() => (month.next(), b.to_end),
        // Otherwise the month before is stored, or the pair starts later.
        Some(_) => (first, stored.get(&first.prev()).map_or(0, |b| b.to_end)),
    };
    let end = latest.map_or(last, |(month, _)| month.max(last));
    let mut rows = Vec::new();
    if let Some((month, b)) = latest.filter(|(month, _)| *month < from) {
        rows.push((month, Balance { latest: false, ..b }));
    }
    let mut month = from;
    while month <= end {
        let before = stored.get(&month);
        let in_month = before.map_or(0, |b| b.in_month) + added.get(&month).copied().unwrap_or(0);
        to_end += in_month;
        let row = Balance {
            in_month,
            to_end,
            latest: month == end,
        };
        if before != Some(&row) {
            rows.push((month, row));
        }
        month = month.next();
    }
    rows
}

/// Per element and community, the sums of `deltas` per month.
type MonthSums<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<Month, i64>>;

/// Writes `kpi_months` rows (`(element, community, month, balance)`), one statement.
async fn write_months(
    conn: &mut Conn<'_>,
    rows: &[(&str, &str, Month, Balance)],
) -> Result<(), ProjectionError> {
    let rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|(element, community, month, b)| {
            vec![
                Value::from(*element),
                Value::from(*community),
                month.text().into(),
                b.in_month.into(),
                b.to_end.into(),
                i64::from(b.latest).into(),
            ]
        })
        .collect();
    conn.insert_rows(
        "kpi_months (element, community, month, in_month, to_end, latest)",
        "ON CONFLICT (element, community, month) DO UPDATE SET in_month = excluded.in_month,
             to_end = excluded.to_end, latest = excluded.latest",
        &rows,
    )
    .await
}

/// Adds every delta to its element's value in its community on its day, in one
/// upsert (in key order), and to the month-end balances. Zero deltas are written too,
/// so which rows exist does not depend on how events were split into batches (a
/// rebuild is byte-identical).
pub async fn add_deltas(conn: &mut Conn<'_>, deltas: &Deltas) -> Result<(), ProjectionError> {
    let rows: Vec<Vec<Value>> = deltas
        .iter()
        .map(|((element, community, day), delta)| {
            vec![
                Value::from(*element),
                community.as_str().into(),
                day.as_str().into(),
                (*delta).into(),
            ]
        })
        .collect();
    conn.insert_rows(
        "kpi_facts (element, community, day, value)",
        "ON CONFLICT (element, community, day) DO UPDATE SET value = kpi_facts.value + excluded.value",
        &rows,
    )
    .await?;
    add_to_months(conn, deltas).await
}

/// Adds `deltas` to `kpi_months`: reads the rows of their pairs from the month before
/// each pair's first new month on (and the latest), one statement, and writes those
/// that change, one statement.
async fn add_to_months(conn: &mut Conn<'_>, deltas: &Deltas) -> Result<(), ProjectionError> {
    let mut added = MonthSums::new();
    for ((element, community, day), delta) in deltas {
        let month = Month::parse(day)?;
        *added
            .entry((*element, community.as_str()))
            .or_default()
            .entry(month)
            .or_default() += delta;
    }
    let keys: Vec<Vec<Value>> = added
        .iter()
        .filter_map(|((element, community), months)| {
            let (first, _) = months.first_key_value()?;
            Some(vec![
                Value::from(*element),
                Value::from(*community),
                first.prev().text().into(),
            ])
        })
        .collect();
    let found = conn
        .fetch_keyed(
            "element, community, month",
            "SELECT m.element, m.community, m.month, m.in_month, m.to_end, m.latest
             FROM kpi_months m JOIN keys k ON m.element = k.element AND m.community = k.community
             WHERE m.month >= k.month OR m.latest = 1",
            &keys,
        )
        .await?;
    let mut stored: BTreeMap<(String, String), BTreeMap<Month, Balance>> = BTreeMap::new();
    for row in &found {
        let balance = Balance {
            in_month: row.int(3)?,
            to_end: row.int(4)?,
            latest: row.int(5)? == 1,
        };
        stored
            .entry((row.text(0)?, row.text(1)?))
            .or_default()
            .insert(Month::parse(&row.text(2)?)?, balance);
    }
    let none = BTreeMap::new();
    let mut rows = Vec::new();
    for ((element, community), months) in &added {
        let key = ((*element).to_owned(), (*community).to_owned());
        let pair = stored.get(&key).unwrap_or(&none);
        for (month, balance) in month_rows(pair, months) {
            rows.push((*element, *community, month, balance));
        }
    }
    write_months(conn, &rows).await
}

/// Fills `kpi_months` from `kpi_facts` (the table new, the facts already there).
pub(super) async fn fill_months(conn: &mut Conn<'_>) -> Result<(), ProjectionError> {
    let found = conn
        .fetch(
            "SELECT element, community, SUBSTR(day, 1, 7), CAST(SUM(value) AS BIGINT)
             FROM kpi_facts GROUP BY element, community, SUBSTR(day, 1, 7)",
            &[],
        )
        .await?;
    let mut sums: BTreeMap<(String, String), BTreeMap<Month, i64>> = BTreeMap::new();
    for row in &found {
        sums.entry((row.text(0)?, row.text(1)?))
            .or_default()
            .insert(Month::parse(&row.text(2)?)?, row.int(3)?);
    }
    let none = BTreeMap::new();
    let mut rows = Vec::new();
    for ((element, community), months) in &sums {
        for (month, balance) in month_rows(&none, months) {
            rows.push((element.as_str(), community.as_str(), month, balance));
        }
    }
    write_months(conn, &rows).await
}

/// [`add_deltas`] of one delta.
#[cfg(test)]
async fn add_delta(
    conn: &mut sqlx::AnyConnection,
    element: &'static str,
    community: &str,
    day: &str,
    delta: i64,
) -> Result<(), ProjectionError> {
    let key = (element, community.to_owned(), day.to_owned());
    add_deltas(&mut Conn::Any(conn), &Deltas::from([(key, delta)])).await
}

/// One element's sums for one community: the deltas within a period and up to its end.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub in_period: i64,
    pub to_date: i64,
}

/// Per community and element, the sums of deltas with `first <= day <= last`
/// (`in_period`) and with `day <= last` (`to_date`); days are `YYYY-MM-DD`: one
/// window of [`window_totals`].
#[cfg(test)]
pub async fn totals(
    pool: &AnyPool,
    communities: &[String],
    first: &str,
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Totals>>, ProjectionError> {
    let windows = window_totals(pool, communities, &[first], last).await?;
    Ok(windows
        .into_iter()
        .map(|(community, elements)| {
            let elements = elements
                .into_iter()
                .map(|(element, w)| {
                    let totals = Totals {
                        in_period: w.in_window[0],
                        to_date: w.to_date,
                    };
                    (element, totals)
                })
                .collect();
            (community, elements)
        })
        .collect())
}

/// One element's sums for one community over consecutive windows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows {
    /// Per window `starts[i] <= day < starts[i + 1]` (the last ending with `last`).
    pub in_window: Vec<i64>,
    /// Every delta with `day <= last`.
    pub to_date: i64,
}

/// What a term reads: a month-end balance or a month's own deltas (index into the
/// months read), or a range of day rows (index into the ranges read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Read {
    Balance(usize),
    InMonth(usize),
    Days(usize),
}

/// A sum of values read, each added or taken away (`(read, coefficient)`, no zeros).
type Terms = Vec<(Read, i64)>;

/// `a + sign * b`, like terms merged.
fn combine(a: &Terms, b: &Terms, sign: i64) -> Terms {
    let mut sum: BTreeMap<Read, i64> = a.iter().copied().collect();
    for (read, k) in b {
        *sum.entry(*read).or_default() += sign * k;
    }
    sum.into_iter().filter(|(_, k)| *k != 0).collect()
}

/// The keys of `map` in the order of their numbers.
fn in_order<K>(map: BTreeMap<K, usize>) -> Vec<K> {
    let mut read: Vec<(K, usize)> = map.into_iter().collect();
    read.sort_by_key(|(_, i)| *i);
    read.into_iter().map(|(key, _)| key).collect()
}

/// What a [`Plan`] reads, each once: months and ranges of days, numbered in the
/// order first needed.
#[derive(Default)]
struct Reads {
    months: BTreeMap<Month, usize>,
    ranges: BTreeMap<(String, String), usize>,
}

/// The first day of the month after `day`'s.
fn first_of_next(day: NaiveDate) -> Option<NaiveDate> {
    match day.month() {
        12 => NaiveDate::from_ymd_opt(day.year() + 1, 1, 1),
        m => NaiveDate::from_ymd_opt(day.year(), m + 1, 1),
    }
}

impl Reads {
    fn month(&mut self, month: Month) -> usize {
        let next = self.months.len();
        *self.months.entry(month).or_insert(next)
    }

    fn range(&mut self, first: NaiveDate, last: NaiveDate) -> usize {
        let text = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let next = self.ranges.len();
        *self.ranges.entry((text(first), text(last))).or_insert(next)
    }

    /// The deltas before day `p`: a month-end balance, plus or minus the day rows of
    /// the part of `p`'s month before it (or from it on), whichever is fewer days.
    fn total(&mut self, p: NaiveDate) -> Result<Terms, ProjectionError> {
        let this = Month::of(p);
        let first = p.with_day(1).context("a first of the month")?;
        let next_first = first_of_next(p).context("a next month")?;
        let before = (p - first).num_days();
        let after = (next_first - p).num_days();
        Ok(if before == 0 {
            vec![(Read::Balance(self.month(this.prev())), 1)]
        } else if before <= after {
            // The month before's balance and the days of this month before p.
            let last_before = p.pred_opt().context("a day before")?;
            vec![
                (Read::Balance(self.month(this.prev())), 1),
                (Read::Days(self.range(first, last_before)), 1),
            ]
        } else {
            // This month's balance without the days from p on.
            let month_end = next_first.pred_opt().context("a month's end")?;
            vec![
                (Read::Balance(self.month(this)), 1),
                (Read::Days(self.range(p, month_end)), -1),
            ]
        })
    }
}

/// How a read of consecutive windows is computed: which months (their end balances
/// and own deltas) and which ranges of day rows to read, and how each window follows
/// from them. A window of exactly one calendar month is the month's own deltas;
/// any other is the difference of two totals up to a day, and each such total a
/// month-end balance from `kpi_months` plus or minus the day rows of the part of a
/// month it ends inside. The result is linear in the values read, so it can be
/// computed from one pair's values or from the sums of many pairs'.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The months (`YYYY-MM`) read: per month its end balance (the first columns,
    /// see [`Plan::width`]) and its own deltas (the next ones).
    pub months: Vec<String>,
    /// The ranges of day rows (first and last day, inclusive) whose sums are read:
    /// the columns after the months'.
    pub ranges: Vec<(String, String)>,
    /// Per window, its terms.
    windows: Vec<Terms>,
    /// Everything up to the last day.
    to_date: Terms,
}

impl Plan {
    /// The plan for windows from `starts[i]` up to the next start (the last one up to
    /// and including `last`); `starts` ascend, days are `YYYY-MM-DD`.
    pub fn new(starts: &[&str], last: &str) -> Result<Plan, ProjectionError> {
        let day = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .with_context(|| format!("{text:?} is not a day"))
        };
        // Window i runs from points[i] up to the day before points[i + 1].
        let mut points = starts
            .iter()
            .map(|s| day(s))
            .collect::<Result<Vec<_>, _>>()?;
        points.push(
            day(last)?
                .succ_opt()
                .context("the last day has no next day")?,
        );
        let mut reads = Reads::default();
        let mut windows = Vec::with_capacity(starts.len());
        for pair in points.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let whole_month = from.day() == 1 && first_of_next(from) == Some(to);
            windows.push(match whole_month {
                true => vec![(Read::InMonth(reads.month(Month::of(from))), 1)],
                false => combine(&reads.total(to)?, &reads.total(from)?, -1),
            });
        }
        let to_date = reads.total(*points.last().context("a last day")?)?;
        Ok(Plan {
            months: in_order(reads.months)
                .into_iter()
                .map(Month::text)
                .collect(),
            ranges: in_order(reads.ranges),
            windows,
            to_date,
        })
    }

    /// Whether the balance at the end of month `i` counts in a window or the total.
    pub fn uses_balance(&self, i: usize) -> bool {
        self.uses(Read::Balance(i))
    }

    /// Whether the own deltas of month `i` count in a window or the total.
    pub fn uses_in_month(&self, i: usize) -> bool {
        self.uses(Read::InMonth(i))
    }

    fn uses(&self, read: Read) -> bool {
        let mut terms = self.windows.iter().flatten().chain(&self.to_date);
        terms.any(|(r, _)| *r == read)
    }

    /// Values read per pair: the months' balances, the months' own deltas, then the
    /// day sums.
    pub fn width(&self) -> usize {
        2 * self.months.len() + self.ranges.len()
    }

    /// The windows from `values` read ([`Plan::width`] of them: the balances at the
    /// end of [`Plan::months`], their own deltas, then the sums of [`Plan::ranges`]).
    pub fn windows(&self, values: &[i64]) -> Windows {
        let k = self.months.len();
        let sum = |terms: &Terms| -> i64 {
            terms
                .iter()
                .map(|(read, sign)| {
                    sign * match *read {
                        Read::Balance(i) => values[i],
                        Read::InMonth(i) => values[k + i],
                        Read::Days(i) => values[2 * k + i],
                    }
                })
                .sum()
        };
        Windows {
            in_window: self.windows.iter().map(sum).collect(),
            to_date: sum(&self.to_date),
        }
    }
}

/// Per community and element, for several consecutive periods, the deltas of each
/// window from `starts[i]` up to the next start (the last one up to and including
/// `last`), and everything up to `last`. `starts` ascend; days are `YYYY-MM-DD`.
///
/// The balances are read from `kpi_months` (one statement for all of them) and the
/// day rows from `kpi_facts` (one statement, only when a boundary falls inside a
/// month), as [`Plan`] says. Only pairs with a balance or day row read appear; a pair
/// may appear with zeros.
pub async fn window_totals(
    pool: &AnyPool,
    communities: &[String],
    starts: &[&str],
    last: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Windows>>, ProjectionError> {
    let plan = Plan::new(starts, last)?;
    let months_read = &plan.months;
    let ranges = &plan.ranges;

    // Per pair, the balances then the day ranges.
    let mut read: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    let width = plan.width();
    let columns = 2 * months_read.len();
    for chunk in communities.chunks(COMMUNITIES_PER_QUERY) {
        for (i, values) in read_balances(pool, chunk, months_read).await? {
            read.entry(i).or_insert_with(|| vec![0; width])[..columns].copy_from_slice(&values);
        }
        if !ranges.is_empty() {
            for (i, values) in read_days(pool, chunk, ranges).await? {
                read.entry(i).or_insert_with(|| vec![0; width])[columns..].copy_from_slice(&values);
            }
        }
    }

    let mut out: BTreeMap<String, BTreeMap<String, Windows>> = BTreeMap::new();
    for ((community, element), values) in read {
        out.entry(community)
            .or_default()
            .insert(element, plan.windows(&values));
    }
    Ok(out)
}

/// Per (community, element), some sums.
type PairSums = Vec<((String, String), Vec<i64>)>;

/// Per (community, element) of `communities`, the balance at the end of each of
/// `months` (`YYYY-MM`): the month's row, or the latest row if the pair's last
/// delta came before, or 0 if its first came after; then each month's own deltas
/// (its row's, else 0). The rows are read as they are (at most one per month and
/// pair, and the latest) and resolved here: cheaper than grouping them in SQL.
async fn read_balances(
    pool: &AnyPool,
    communities: &[String],
    months: &[String],
) -> Result<PairSums, ProjectionError> {
    let k = months.len();
    // $1..$k the months, $k+1 the last of them, then the communities.
    let sql = format!(
        "SELECT community, element, month, to_end, latest, in_month
         FROM kpi_months
         WHERE community IN ({}) AND (month IN ({}) OR (latest = 1 AND month < ${}))",
        placeholders(k + 2, communities.len()),
        placeholders(1, k),
        k + 1
    );
    let newest = months.iter().max().cloned().unwrap_or_default();
    let mut query = sqlx::query(&sql);
    for month in months {
        query = query.bind(month.as_str());
    }
    query = query.bind(newest);
    for community in communities {
        query = query.bind(community.as_str());
    }
    /// A pair's rows read: at the months asked for, and its latest.
    struct Found {
        exact: Vec<Option<(i64, i64)>>,
        latest: Option<(String, i64)>,
    }
    let mut pairs: std::collections::HashMap<(String, String), Found> =
        std::collections::HashMap::new();
    for row in query.fetch_all(pool).await? {
        let month: String = row.try_get(2)?;
        let to_end: i64 = row.try_get(3)?;
        let latest: i64 = row.try_get(4)?;
        let in_month: i64 = row.try_get(5)?;
        let read = pairs
            .entry((row.try_get(0)?, row.try_get(1)?))
            .or_insert_with(|| Found {
                exact: vec![None; k],
                latest: None,
            });
        if let Some(i) = months.iter().position(|m| *m == month) {
            read.exact[i] = Some((to_end, in_month));
        }
        if latest == 1 {
            read.latest = Some((month, to_end));
        }
    }
    Ok(pairs
        .into_iter()
        .map(|(pair, read)| {
            let balances =
                months
                    .iter()
                    .zip(&read.exact)
                    .map(|(month, exact)| match (exact, &read.latest) {
                        (Some((to_end, _)), _) => *to_end,
                        (None, Some((latest, to_end))) if latest < month => *to_end,
                        _ => 0,
                    });
            let own = read
                .exact
                .iter()
                .map(|e| e.map_or(0, |(_, in_month)| in_month));
            (pair, balances.chain(own).collect())
        })
        .collect())
}

/// Ranges of day rows read by one statement, bound from placeholder `first` on (see
/// [`DayRanges::binds`]): the condition a row must meet, and per range the condition
/// for summing it.
pub(crate) struct DayRanges<'a> {
    ranges: &'a [(String, String)],
    first: usize,
}

impl<'a> DayRanges<'a> {
    pub(crate) fn new(ranges: &'a [(String, String)], first: usize) -> Self {
        DayRanges { ranges, first }
    }

    /// Whether `column` (a day) falls in range `i`.
    pub(crate) fn within(&self, column: &str, i: usize) -> String {
        let first = self.first + 2 + 2 * i;
        format!("({column} >= ${first} AND {column} <= ${})", first + 1)
    }

    /// Whether `column` falls in any range: first between the earliest first day and
    /// the latest last day, a bound an index on (community, day) seeks to. The ranges'
    /// `OR` alone it cannot use, and a street's rollup holds a year of day rows: a
    /// week's read of a district scanned all of them (264 ms instead of 20).
    pub(crate) fn any(&self, column: &str) -> String {
        let each: Vec<String> = (0..self.ranges.len())
            .map(|i| self.within(column, i))
            .collect();
        format!(
            "{column} >= ${} AND {column} <= ${} AND ({})",
            self.first,
            self.first + 1,
            each.join(" OR ")
        )
    }

    /// The values to bind from `first` on: the bounds, then each range's days.
    pub(crate) fn binds(&self) -> Vec<&'a str> {
        let earliest = self.ranges.iter().map(|(f, _)| f.as_str()).min();
        let latest = self.ranges.iter().map(|(_, l)| l.as_str()).max();
        let mut out = vec![earliest.unwrap_or(""), latest.unwrap_or("")];
        for (first, last) in self.ranges {
            out.extend([first.as_str(), last.as_str()]);
        }
        out
    }

    /// The placeholder after the ranges'.
    pub(crate) fn next(&self) -> usize {
        self.first + 2 + 2 * self.ranges.len()
    }
}

/// Per (community, element) of `communities`, the sum of the day rows in each of
/// `ranges` (first and last day, inclusive).
async fn read_days(
    pool: &AnyPool,
    communities: &[String],
    ranges: &[(String, String)],
) -> Result<PairSums, ProjectionError> {
    let r = ranges.len();
    // The ranges from $1, then the communities.
    let days = DayRanges::new(ranges, 1);
    let columns: Vec<String> = (0..r)
        .map(|i| {
            format!(
                "CAST(SUM(CASE WHEN {} THEN value ELSE 0 END) AS BIGINT)",
                days.within("day", i)
            )
        })
        .collect();
    let sql = format!(
        "SELECT community, element, {}
         FROM kpi_facts WHERE community IN ({}) AND {}
         GROUP BY community, element",
        columns.join(", "),
        placeholders(days.next(), communities.len()),
        days.any("day")
    );
    let mut query = sqlx::query(&sql);
    for day in days.binds() {
        query = query.bind(day);
    }
    for community in communities {
        query = query.bind(community.as_str());
    }
    read_sums(query.fetch_all(pool).await?, r)
}

/// Rows of `community, element` and `n` sums.
fn read_sums(rows: Vec<sqlx::any::AnyRow>, n: usize) -> Result<PairSums, ProjectionError> {
    rows.iter()
        .map(|row| {
            let sums = (0..n)
                .map(|i| row.try_get(2 + i))
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(((row.try_get(0)?, row.try_get(1)?), sums))
        })
        .collect()
}

#[cfg(test)]
#[path = "kpi_tests.rs"]
mod tests;
