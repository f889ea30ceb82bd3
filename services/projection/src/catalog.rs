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

const fn flow(code: &'static str, name: &'static str) -> DataElement {
    DataElement {
        code,
        name,
        aggregation: Aggregation::Sum,
    }
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

/// Prefix of the per-category closed-activity counts: `activities.held.film_screening`, ….
pub const ACTIVITIES_HELD_BY_CATEGORY: &str = "activities.held.";
/// Prefix of the per-star-level volunteer counts: `volunteers.stars.0` … `.5`.
pub const VOLUNTEERS_BY_STARS: &str = "volunteers.stars.";
/// Prefix of the per-category incident counts: `incidents.reported.theft`, ….
pub const INCIDENTS_BY_CATEGORY: &str = "incidents.reported.";
/// Prefix of the per-severity incident counts: `incidents.severity.major`, ….
pub const INCIDENTS_BY_SEVERITY: &str = "incidents.severity.";

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
    // activities
    flow("activities.held", "Activities held"),
    flow(
        "activities.held.citizen_school_class",
        "Citizen-school classes held",
    ),
    flow("activities.held.film_screening", "Film screenings held"),
    flow("activities.held.performance", "Performances held"),
    flow("activities.held.exhibition", "Exhibitions held"),
    flow("activities.held.publicity", "Publicity campaigns held"),
    flow(
        "activities.held.minors_education",
        "Minors' education activities held",
    ),
    flow(
        "activities.held.party_building",
        "Party-building activities held",
    ),
    flow("activities.held.environment", "Environment activities held"),
    flow(
        "activities.held.elderly_care",
        "Elderly-care activities held",
    ),
    flow("activities.held.other", "Other activities held"),
    flow("activities.attendance", "Activity attendance"),
    flow(
        "activities.registered_at_close",
        "Registrations at close (show-up denominator)",
    ),
    flow(
        "activities.registered_attended",
        "Registered participants who attended (show-up numerator)",
    ),
    flow("activities.cancelled", "Activities cancelled"),
    flow("activities.film_screenings", "Film screenings"),
    flow(
        "activities.minors_reached",
        "Minors reached by education activities",
    ),
    stock("plan.items_published", "Published annual plan items"),
    flow("publicity.board_updates", "Publicity board updates"),
    stock("facilities.area_m2", "Facility floor area (m²)"),
    // volunteering
    stock("volunteers.registered", "Registered volunteers"),
    flow("volunteers.verified", "Volunteers verified"),
    flow(
        "volunteering.approved_minutes",
        "Approved volunteer minutes",
    ),
    flow("volunteering.approvals", "Service records approved"),
    flow(
        "volunteering.approvals_within_7_days",
        "Service records approved within 7 days",
    ),
    stock("volunteers.stars.0", "Volunteers without a star"),
    stock("volunteers.stars.1", "One-star volunteers"),
    stock("volunteers.stars.2", "Two-star volunteers"),
    stock("volunteers.stars.3", "Three-star volunteers"),
    stock("volunteers.stars.4", "Four-star volunteers"),
    stock("volunteers.stars.5", "Five-star volunteers"),
    // safety
    flow("incidents.reported", "Incidents reported"),
    flow("incidents.reported.theft", "Thefts reported"),
    flow("incidents.reported.fire", "Fires reported"),
    flow("incidents.reported.casualty", "Casualties reported"),
    flow("incidents.reported.dispute", "Disputes reported"),
    flow("incidents.reported.drugs", "Drug incidents reported"),
    flow("incidents.reported.gambling", "Gambling incidents reported"),
    flow(
        "incidents.reported.pornography",
        "Pornography incidents reported",
    ),
    flow(
        "incidents.reported.public_order",
        "Public-order incidents reported",
    ),
    flow("incidents.reported.hazard", "Hazards reported"),
    flow("incidents.reported.other", "Other incidents reported"),
    flow("incidents.severity.minor", "Minor incidents reported"),
    flow("incidents.severity.serious", "Serious incidents reported"),
    flow("incidents.severity.major", "Major incidents reported"),
    flow("incidents.major", "Major incidents (alert)"),
    flow("incidents.resolved", "Incidents resolved"),
    flow(
        "incidents.resolved_within_48h",
        "Incidents resolved within 48 hours",
    ),
    flow("patrols.completed", "Patrols completed"),
    flow("patrols.minutes", "Patrol minutes"),
    flow("patrols.participants", "Patrol participants"),
    flow("inspections.passed", "Inspections passed"),
    flow("inspections.failed", "Inspections failed"),
    flow("rectifications.ordered", "Rectifications ordered"),
    flow("rectifications.verified", "Rectifications verified"),
    flow(
        "rectifications.verified_on_time",
        "Rectifications verified on time",
    ),
    stock("rectifications.open", "Open rectifications"),
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
