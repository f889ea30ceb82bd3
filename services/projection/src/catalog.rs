//! The catalog of data elements the projection derives from events: each element's
//! code, name and aggregation type, in the DHIS2 sense.
//!
//! Facts are stored as per-day deltas; the aggregation decides how a period's value
//! is read from them (see [`Aggregation`]).

use std::fmt;

/// How a period's value is computed from an element's per-day deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// A flow: the sum of the deltas within the period.
    Sum,
    /// A stock: the value at the end of the period, i.e. the sum of every delta up to
    /// and including the period's last day.
    Last,
}

impl Aggregation {
    /// The DHIS2 name, as served in `KpiValue.aggregation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "SUM",
            Aggregation::Last => "LAST",
        }
    }
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One data element of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataElement {
    /// Stable code, e.g. `residents.floating`.
    pub code: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    pub aggregation: Aggregation,
}

const fn stock(code: &'static str, name: &'static str) -> DataElement {
    DataElement {
        code,
        name,
        aggregation: Aggregation::Last,
    }
}

/// Households registered and not dissolved.
pub const HOUSEHOLDS: &str = "households";
/// Residents currently registered (not moved out, not erased).
pub const RESIDENTS: &str = "residents";
/// Prefix of the per-residence-type resident counts: `residents.permanent`, ….
pub const RESIDENTS_BY_TYPE: &str = "residents.";
/// Prefix of the per-care-category resident counts: `residents.care.minor`, ….
pub const RESIDENTS_BY_CARE: &str = "residents.care.";

/// Every data element, in display order.
pub const ELEMENTS: &[DataElement] = &[
    stock("households", "Households"),
    stock("residents", "Residents"),
    stock("residents.permanent", "Permanent residents"),
    stock("residents.floating", "Floating residents"),
    stock("residents.care.living_alone", "Residents living alone"),
    stock("residents.care.empty_nest", "Empty-nest elderly"),
    stock(
        "residents.care.over_80_without_pension",
        "Residents over 80 without pension",
    ),
    stock("residents.care.disabled", "Disabled residents"),
    stock(
        "residents.care.entitled_family",
        "Entitled and military families",
    ),
    stock(
        "residents.care.household_in_difficulty",
        "Residents of households in difficulty",
    ),
    stock("residents.care.minor", "Minors"),
];

/// The element with this code, if it is in the catalog.
pub fn element(code: &str) -> Option<&'static DataElement> {
    ELEMENTS.iter().find(|e| e.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_found() {
        for (i, e) in ELEMENTS.iter().enumerate() {
            assert_eq!(element(e.code), Some(e));
            assert!(
                ELEMENTS[i + 1..].iter().all(|o| o.code != e.code),
                "{} twice",
                e.code
            );
        }
        assert_eq!(
            element("residents.care.minor").map(|e| e.aggregation),
            Some(Aggregation::Last)
        );
        assert_eq!(element("nope"), None);
    }
}
