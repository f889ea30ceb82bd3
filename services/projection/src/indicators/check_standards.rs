//! The check of the plan's standards (`[[standard]]`): a child of [`check`](super) so
//! it shares its [`Checker`].
//!
//! Refused, each naming the standard by number: a number outside 1–8, a number twice,
//! a number missing (once any standard is given), empty names, a pass mark outside
//! 0–100, unknown or repeated indicators, weights not above 0, `measurable = false`
//! with indicators or without both reasons, reasons on a measurable standard, and a
//! measurable standard without indicators.

use std::collections::BTreeSet;

use super::Checker;
use crate::indicators::file::RawStandard;
use crate::indicators::model::{Measure, Standard, StandardIndicator};

/// The plan numbers its standards 1 to this.
const STANDARDS: u8 = 8;

fn at(number: i64) -> String {
    format!("standard {number}")
}

impl Checker {
    /// The standards by number; `declared` are the file's indicator codes.
    pub(super) fn standards(
        &mut self,
        raw: Vec<RawStandard>,
        declared: &BTreeSet<String>,
    ) -> Vec<Standard> {
        let mut numbers = BTreeSet::new();
        let mut out = Vec::new();
        let any = !raw.is_empty();
        for s in raw {
            let at = at(s.number);
            let in_range = u8::try_from(s.number)
                .ok()
                .filter(|n| (1..=STANDARDS).contains(n));
            let number = match in_range {
                None => {
                    let msg = format!("number {} is not 1 to {STANDARDS}", s.number);
                    self.problem(at.clone(), msg);
                    None
                }
                Some(n) if !numbers.insert(n) => {
                    self.problem(at.clone(), format!("a second standard numbered {n}"));
                    None
                }
                Some(n) => Some(n),
            };
            self.non_empty(&at, &[("name_zh", &s.name_zh), ("name_en", &s.name_en)]);
            let pass_mark =
                self.finite(&at, "pass_mark", s.pass_mark) && (0.0..=100.0).contains(&s.pass_mark);
            if s.pass_mark.is_finite() && !pass_mark {
                let msg = format!("pass_mark {} is not between 0 and 100", s.pass_mark);
                self.problem(at.clone(), msg);
            }
            let measure = self.measure(&at, &s, declared);
            if let (Some(number), true, Some(measure)) = (number, pass_mark, measure) {
                out.push(Standard {
                    number,
                    name_zh: s.name_zh,
                    name_en: s.name_en,
                    pass_mark: s.pass_mark,
                    measure,
                });
            }
        }
        if any {
            for n in (1..=STANDARDS).filter(|n| !numbers.contains(n)) {
                let msg = format!("missing: the plan has standards 1 to {STANDARDS}");
                self.problem(at(i64::from(n)), msg);
            }
        }
        out.sort_by_key(|s| s.number);
        out
    }

    fn measure(
        &mut self,
        at: &str,
        s: &RawStandard,
        declared: &BTreeSet<String>,
    ) -> Option<Measure> {
        let reasons = [("reason_zh", &s.reason_zh), ("reason_en", &s.reason_en)];
        if s.measurable == Some(false) {
            if !s.indicator.is_empty() {
                let msg = "measurable = false, but it lists indicators";
                self.problem(at.to_owned(), msg);
            }
            let mut ok = s.indicator.is_empty();
            for (name, reason) in reasons {
                if reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    let msg =
                        format!("measurable = false needs {name}: what cannot be recorded yet");
                    self.problem(at.to_owned(), msg);
                    ok = false;
                }
            }
            let reason = |r: &Option<String>| r.clone().unwrap_or_default();
            return ok.then(|| Measure::NotMeasurable {
                reason_zh: reason(&s.reason_zh),
                reason_en: reason(&s.reason_en),
            });
        }
        for (name, reason) in reasons {
            if reason.is_some() {
                let msg = format!("{name} is only for measurable = false");
                self.problem(at.to_owned(), msg);
            }
        }
        if s.indicator.is_empty() {
            let msg = "no indicators: list some, or say measurable = false with the reason";
            self.problem(at.to_owned(), msg);
            return None;
        }
        let mut ok = true;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for i in &s.indicator {
            let mut problem = |message: String| {
                self.problem(at.to_owned(), format!("indicator {:?}: {message}", i.code));
                ok = false;
            };
            if !declared.contains(&i.code) {
                problem("unknown indicator".to_owned());
            }
            if !seen.insert(i.code.as_str()) {
                problem("listed twice".to_owned());
            }
            if !(i.weight.is_finite() && i.weight > 0.0) {
                problem(format!("weight {} is not a number above 0", i.weight));
            }
            out.push(StandardIndicator {
                code: i.code.clone(),
                weight: i.weight,
            });
        }
        ok.then_some(Measure::Indicators(out))
    }
}
