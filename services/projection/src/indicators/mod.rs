//! The KPI catalog as data, and indicator evaluation with DHIS2 semantics.
//!
//! `deploy/kpi/catalog.toml` describes the data elements (which must agree with the
//! constants of [`crate::catalog`], which the rules name), the indicators computed
//! from them, legend sets, yearly targets per org-unit level, alert rules and the
//! thresholds the rules use. This module reads and checks it ([`mod@file`], [`check`]),
//! parses indicator expressions ([`expr`]), evaluates indicators for an org unit and
//! period ([`eval`], [`assess`]), scores the 创建实施方案's eight standards from them
//! ([`mod@scorecard`]) and resolves DHIS2 relative periods ([`periods`]).
//!
//! The standards (`[[standard]]`, [`Catalog::standards`]) are data too: each names the
//! indicators it is scored from, with weights and a pass mark, or says it is not
//! measurable yet and why (the committee, re-employment help and family planning are
//! not recorded by any event; environment and illegal-building inspections are counted
//! only together with fire safety). A standard's score is the weighted mean of its
//! indicators' achievement of their targets, each capped at 100 %; indicators without a
//! value or target are left out and the weights renormalised ([`Scorecard`]).
//! [`league_table`] ranks communities by standards passed, then mean score.
//!
//! Everything here is pure: no database, no clock. The caller reads element values per
//! community for a period (and for the previous one, for trends) and hands them in:
//!
//! ```
//! use std::collections::BTreeMap;
//! use chrono::NaiveDate;
//! use civitas_platform::org::OrgLevel;
//! use civitas_projection::indicators::{Catalog, Outcome, RelativePeriod, Scope};
//!
//! let catalog = Catalog::shipped()?;
//! let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
//! let period = RelativePeriod::LastMonth.range(today).unwrap();
//! let values = BTreeMap::from([(
//!     "xingfu".to_owned(),
//!     BTreeMap::from([
//!         ("incidents.resolved".to_owned(), 10.0),
//!         ("incidents.resolved_within_48h".to_owned(), 7.0),
//!     ]),
//! )]);
//! let communities = ["xingfu".to_owned()];
//! let scope = Scope { unit: "xingfu", level: OrgLevel::Community, communities: &communities };
//! let result = catalog.evaluate(&scope, &period, &values, None);
//! let on_time = result.indicators.iter().find(|i| i.code == "safety.on_time_resolution_rate");
//! assert_eq!(on_time.and_then(|i| i.value), Some(70.0));
//! assert!(result.alerts.iter().any(|a| a.indicator == "safety.on_time_resolution_rate"));
//!
//! // The plan's standards for the same unit and period: (7) is scored from the safety
//! // indicators, (1), the committee, is not measurable yet.
//! let card = catalog.scorecard(&result);
//! assert_eq!(card.standards.len(), 8);
//! assert!(matches!(card.standards[6].outcome, Outcome::Measurable { .. }));
//! assert!(matches!(card.standards[0].outcome, Outcome::NotMeasurable { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! DISTINCT aggregation (unique persons across the tree) is a known gap: the file may
//! declare it, but the projection keeps no person-level facts, so no shipped element
//! uses it and evaluating one yields [`NoValue::Distinct`] rather than a sum.

pub mod assess;
pub mod check;
pub mod eval;
pub mod expr;
pub mod file;
pub mod model;
pub mod periods;
pub mod scorecard;

pub use assess::{achievement, trend, Achievement, Direction, FiredAlert, Trend};
pub use check::Problem;
pub use eval::{
    annualization_factor, round, unit_sums, Computed, IndicatorValue, NoValue, PerCommunity, Scope,
    UnitEvaluation,
};
pub use expr::{Expr, ExprError, Ref};
pub use file::{CatalogError, SHIPPED_PATH, SHIPPED_TOML};
pub use model::{
    Alert, AlertOp, Band, Catalog, Element, ElementAggregation, Indicator, LegendSet, Measure,
    ResolvedTarget, Rule, Severity, Standard, StandardIndicator, Target, Thresholds,
};
pub use periods::{FixedPeriod, PeriodType, RelativePeriod, RelativePeriodError};
pub use scorecard::{
    league_table, score_standards, LeagueRow, Outcome, Overall, Part, Scorecard, StandardScore,
    Uncounted,
};
