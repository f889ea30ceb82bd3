//! What a simulation did: per command kind, how many commands were carried out now,
//! answered from an earlier run, refused because their key was used for other details,
//! or refused; and the summary `civitas simulate` prints.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;

/// What a command kind did: sent now, answered from an earlier run, refused because
/// the key was used for other details, or refused.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub created: u64,
    pub already_present: u64,
    pub differing: u64,
    pub refused: u64,
}

impl Count {
    pub(crate) fn add(&mut self, other: Count) {
        self.created += other.created;
        self.already_present += other.already_present;
        self.differing += other.differing;
        self.refused += other.refused;
    }

    pub fn sent(&self) -> u64 {
        self.created + self.already_present + self.differing + self.refused
    }
}

/// What a simulation did.
#[derive(Debug, Clone)]
pub struct SimulationReport {
    pub seed: u64,
    pub communities: Vec<String>,
    pub months: Vec<String>,
    pub as_of: NaiveDate,
    pub elapsed: Duration,
    /// Per command kind, e.g. `residents`, `activity check-ins`.
    pub counts: BTreeMap<&'static str, Count>,
    /// The first refusals, as `kind: what (status)`.
    pub refusals: Vec<String>,
    /// Events the projection had applied when the run ended.
    pub applied_events: Option<u64>,
}

impl SimulationReport {
    pub fn total(&self) -> Count {
        let mut total = Count::default();
        for count in self.counts.values() {
            total.add(*count);
        }
        total
    }

    /// Whether no command was refused.
    pub fn is_clean(&self) -> bool {
        self.total().refused == 0
    }
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        writeln!(
            f,
            "simulated {} communities × {} months ({} to {}, as of {}) with seed {}: {} commands in {:.1} s",
            self.communities.len(),
            self.months.len(),
            self.months.first().map_or("", String::as_str),
            self.months.last().map_or("", String::as_str),
            self.as_of,
            self.seed,
            total.sent(),
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "  {:<28} {:>8} {:>8} {:>9} {:>8}",
            "", "created", "already", "differing", "refused"
        )?;
        let mut row = |name: &str, c: &Count| {
            writeln!(
                f,
                "  {name:<28} {:>8} {:>8} {:>9} {:>8}",
                c.created, c.already_present, c.differing, c.refused
            )
        };
        for (kind, count) in &self.counts {
            row(kind, count)?;
        }
        row("total", &total)?;
        if let Some(applied) = self.applied_events {
            writeln!(f, "the projection has applied {applied} events")?;
        }
        if total.differing > 0 {
            writeln!(
                f,
                "{} commands were sent by an earlier run of seed {} with other details (another day); \
                 they and what depends on them were left as they are",
                total.differing, self.seed
            )?;
        }
        if !self.refusals.is_empty() {
            writeln!(f, "refused (first {}):", self.refusals.len())?;
            for refusal in &self.refusals {
                writeln!(f, "  {refusal}")?;
            }
        }
        Ok(())
    }
}
