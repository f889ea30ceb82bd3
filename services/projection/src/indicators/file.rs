//! Reading `deploy/kpi/catalog.toml`: the serde structs of the file, and
//! [`Catalog::parse`], [`Catalog::load`] and [`Catalog::shipped`], which read it and
//! hand it to [`check`] so no unchecked catalog escapes.
//!
//! Enumerated fields (aggregation, rule, level, op, severity) are read as strings
//! here and parsed by the check, so a wrong one is reported with the entry it is in.
//! Unknown keys are refused (`deny_unknown_fields`): a misspelt optional key would
//! otherwise be silently ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::check::{self, Problem};
use super::model::Catalog;
use crate::catalog::ELEMENTS;

/// The shipped catalog file, compiled in.
pub const SHIPPED_TOML: &str = include_str!("../../../../deploy/kpi/catalog.toml");

/// Where the shipped catalog lives in the repository, for messages.
pub const SHIPPED_PATH: &str = "deploy/kpi/catalog.toml";

/// A catalog that cannot be read or is refused by the check.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{file}: {error}")]
    Read {
        file: String,
        #[source]
        error: std::io::Error,
    },
    /// Not TOML, or not the catalog's shape (a missing or unknown key, a wrong type).
    #[error("{file}: {error}")]
    Syntax {
        file: String,
        #[source]
        error: Box<toml::de::Error>,
    },
    /// Well-formed, but wrong: every problem found, each naming its entry.
    #[error("{file}: {}", Problems(.problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

impl CatalogError {
    /// The problems of an [`CatalogError::Invalid`] catalog; empty otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            CatalogError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl Catalog {
    /// Parses and checks catalog text; `source` names it in messages (a path). The
    /// elements must agree with [`crate::catalog::ELEMENTS`] both ways.
    pub fn parse(text: &str, source: &str) -> Result<Catalog, CatalogError> {
        let raw = RawCatalog::from_toml(text, source)?;
        check::check(raw, source, Some(ELEMENTS))
    }

    /// Reads, parses and checks the catalog at `path`.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| CatalogError::Read {
            file: source.clone(),
            error,
        })?;
        Catalog::parse(&text, &source)
    }

    /// The catalog compiled into the binary ([`SHIPPED_TOML`]). Parsed on every
    /// call: keep the result.
    pub fn shipped() -> Result<Catalog, CatalogError> {
        Catalog::parse(SHIPPED_TOML, SHIPPED_PATH)
    }

    /// What a server starts with: the catalog at `path`, its target overrides checked
    /// against the org tree it serves; or, when `None`, the shipped one, whose
    /// overrides name the demo district's units: those a district's own tree lacks are
    /// dropped (and logged), so `--org` alone still starts.
    pub fn configured(
        path: Option<&Path>,
        tree: &civitas_platform::org::OrgTree,
    ) -> Result<Catalog, CatalogError> {
        let catalog = match path {
            Some(path) => Catalog::load(path)?,
            None => {
                let mut shipped = Catalog::shipped()?;
                let dropped = shipped.drop_overrides_outside(tree);
                if !dropped.is_empty() {
                    tracing::info!(
                        units = %dropped.join(", "),
                        "the shipped KPI catalog's target overrides for units outside the org \
                         tree are not used (pass --kpi-catalog with your district's targets)"
                    );
                }
                shipped
            }
        };
        catalog.check_units(tree)?;
        Ok(catalog)
    }

    /// Removes target overrides for units that are not in `tree` at the target's
    /// level; the codes removed.
    fn drop_overrides_outside(&mut self, tree: &civitas_platform::org::OrgTree) -> Vec<String> {
        let mut dropped = Vec::new();
        for target in &mut self.targets {
            let level = target.level;
            target.units.retain(|code, _| {
                let keep = tree.unit(code).is_some_and(|u| u.level == level);
                if !keep {
                    dropped.push(code.clone());
                }
                keep
            });
        }
        dropped.sort();
        dropped.dedup();
        dropped
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCatalog {
    pub thresholds: Option<RawThresholds>,
    #[serde(default)]
    pub element: Vec<RawElement>,
    #[serde(default)]
    pub indicator: Vec<RawIndicator>,
    #[serde(default)]
    pub legend_set: Vec<RawLegendSet>,
    #[serde(default)]
    pub target: Vec<RawTarget>,
    #[serde(default)]
    pub alert: Vec<RawAlert>,
    #[serde(default)]
    pub standard: Vec<RawStandard>,
}

impl RawCatalog {
    pub(crate) fn from_toml(text: &str, source: &str) -> Result<RawCatalog, CatalogError> {
        toml::from_str(text).map_err(|error| CatalogError::Syntax {
            file: source.to_owned(),
            error: Box::new(error),
        })
    }
}

/// `[thresholds]`: every key is optional here so that the check names a missing one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThresholds {
    pub incident_resolution_hours: Option<i64>,
    pub hour_approval_days: Option<i64>,
    pub upcoming_activities_window_days: Option<i64>,
    pub rectification_grace_days: Option<i64>,
    pub care_visit_interval_days: Option<i64>,
}

/// `[[element]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawElement {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub aggregation: String,
    pub rule: String,
}

/// `[[indicator]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIndicator {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub numerator: String,
    pub denominator: String,
    pub factor: f64,
    pub decimals: u32,
    #[serde(default)]
    pub annualized: bool,
    pub higher_is_better: bool,
    pub legend: String,
    pub description: Option<String>,
}

/// `[[legend_set]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLegendSet {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub band: Vec<RawBand>,
}

/// `[[legend_set.band]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBand {
    pub from: f64,
    pub to: Option<f64>,
    pub colour: String,
    pub label_zh: String,
    pub label_en: String,
}

/// `[[target]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub indicator: String,
    pub year: i32,
    pub level: String,
    pub value: f64,
    #[serde(default)]
    pub units: BTreeMap<String, f64>,
}

/// `[[alert]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlert {
    pub indicator: String,
    pub op: String,
    pub value: f64,
    pub severity: String,
    pub message_zh: String,
    pub message_en: String,
}

/// `[[standard]]`. `measurable` absent means measurable; the reasons are read even
/// where they do not belong so that the check can refuse them by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStandard {
    pub number: i64,
    pub name_zh: String,
    pub name_en: String,
    pub pass_mark: f64,
    pub measurable: Option<bool>,
    pub reason_zh: Option<String>,
    pub reason_en: Option<String>,
    #[serde(default)]
    pub indicator: Vec<RawStandardIndicator>,
}

/// `[[standard.indicator]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStandardIndicator {
    pub code: String,
    pub weight: f64,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::catalog::Aggregation;
    use crate::indicators::model::{ElementAggregation, Rule};

    fn shipped() -> Catalog {
        Catalog::shipped().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shipped_catalog_loads_and_agrees_with_the_code() {
        let catalog = shipped();
        assert_eq!(catalog.elements.len(), ELEMENTS.len());
        for e in ELEMENTS {
            let file = catalog
                .element(e.code)
                .unwrap_or_else(|| panic!("{}", e.code));
            let expected = match e.aggregation {
                Aggregation::Sum => ElementAggregation::Sum,
                Aggregation::Last => ElementAggregation::Last,
                Aggregation::Distinct => ElementAggregation::Distinct,
            };
            assert_eq!(file.aggregation, expected, "{}", e.code);
            assert_eq!(file.name_en, e.name, "{}", e.code);
            assert!(!file.name_zh.is_ascii(), "{}: name_zh in Chinese", e.code);
        }
        for e in &catalog.elements {
            assert!(crate::catalog::element(&e.code).is_some(), "{}", e.code);
        }
    }

    #[test]
    fn the_shipped_catalog_has_what_the_dashboards_need() {
        let catalog = shipped();
        assert!(catalog.indicators.len() >= 20);
        for i in &catalog.indicators {
            for level in [
                civitas_platform::org::OrgLevel::District,
                civitas_platform::org::OrgLevel::Street,
                civitas_platform::org::OrgLevel::Community,
            ] {
                assert!(
                    catalog.target(&i.code, 2026, level, "").is_some(),
                    "{}: no 2026 target at {level}",
                    i.code
                );
            }
            assert!(!i.name_zh.is_ascii(), "{}", i.code);
        }
        let alerted: BTreeSet<&str> = catalog
            .alerts
            .iter()
            .map(|a| a.indicator.as_str())
            .collect();
        assert!(alerted.contains("safety.on_time_resolution_rate"));
        assert!(alerted.contains("safety.major_incidents"));
        assert_eq!(catalog.thresholds.incident_resolution_hours, 48);
        assert_eq!(catalog.thresholds.hour_approval_days, 7);
        let demo = civitas_platform::org::OrgTree::demo();
        catalog.check_units(&demo).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The rule named for an element is the one whose area its code belongs to.
    #[test]
    fn shipped_elements_name_the_rule_of_their_area() {
        let rule_of = |code: &str| match code.split('.').next() {
            Some("households" | "residents" | "population" | "care" | "employment") => {
                Some(Rule::Residents)
            }
            Some(
                "activities" | "plan" | "publicity" | "facilities" | "good_deeds" | "cobuilding"
                | "station" | "contests" | "campaign" | "funding",
            ) => Some(Rule::Activities),
            Some("volunteers" | "volunteering") => Some(Rule::Volunteering),
            Some("incidents" | "patrols" | "inspections" | "rectifications") => Some(Rule::Safety),
            Some("reporting") => Some(Rule::Reporting),
            _ => None,
        };
        for e in &shipped().elements {
            assert_eq!(Some(e.rule), rule_of(&e.code), "{}", e.code);
        }
    }

    #[test]
    fn the_thresholds_agree_with_the_element_codes_that_embed_them() {
        let t = shipped().thresholds;
        let resolved = format!("incidents.resolved_within_{}h", t.incident_resolution_hours);
        let approved = format!(
            "volunteering.approvals_within_{}_days",
            t.hour_approval_days
        );
        assert!(crate::catalog::element(&resolved).is_some(), "{resolved}");
        assert!(crate::catalog::element(&approved).is_some(), "{approved}");
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.toml");
        std::fs::write(&path, SHIPPED_TOML).unwrap();
        assert_eq!(
            Catalog::load(&path).unwrap().indicators,
            shipped().indicators
        );

        let missing = dir.path().join("nope.toml");
        let err = Catalog::load(&missing).unwrap_err().to_string();
        assert!(err.starts_with(&missing.display().to_string()), "{err}");

        std::fs::write(&path, "[[element]]\ncode = 1\n").unwrap();
        let err = Catalog::load(&path).unwrap_err();
        assert!(matches!(err, CatalogError::Syntax { .. }), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = format!("{SHIPPED_TOML}\n[[alert]]\nindicator = \"x\"\nopp = \"<\"\n");
        let err = Catalog::parse(&text, "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown field `opp`"), "{err}");
    }
}
