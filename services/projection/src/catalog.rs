//! The catalog of data elements the projection derives from events: each element's
//! code, name and aggregation type, in the DHIS2 sense.
//!
//! Every element is a constant here, and the rules name the constant, so a misspelt
//! element cannot compile. The per-category elements are reached through the category
//! codes of `civitas_proto::codes` ([`care_element`], [`held_element`], …): the write
//! services define the categories, this catalog only names their counts.
//!
//! Values are stored as per-day deltas; the aggregation decides how a period's value
//! is read from them (see [`Aggregation`]).

use std::fmt;

use civitas_proto::codes::{
    ActivityCategory, CareCategory, IncidentCategory, ResidenceType, Severity,
};
use civitas_proto::events::v1 as pb;

/// How a period's value is computed from an element's per-day deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// A flow: the sum of the deltas within the period.
    Sum,
    /// A stock: the value at the end of the period, i.e. the sum of every delta up to
    /// and including the period's last day.
    Last,
    /// Unique persons (pseudonymous ids) within the period: a unit's value is the
    /// number of distinct persons across its communities, not the sum of theirs. Kept
    /// as person rows (`kpi_persons`), not deltas.
    Distinct,
}

impl Aggregation {
    /// The DHIS2 name, as served in `KpiValue.aggregation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "SUM",
            Aggregation::Last => "LAST",
            Aggregation::Distinct => "DISTINCT",
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

const fn distinct(code: &'static str, name: &'static str) -> DataElement {
    DataElement {
        code,
        name,
        aggregation: Aggregation::Distinct,
    }
}

const fn stock(code: &'static str, name: &'static str) -> DataElement {
    DataElement {
        code,
        name,
        aggregation: Aggregation::Last,
    }
}

/// Defines one constant per element and [`ELEMENTS`], listing them in the order given.
macro_rules! catalog {
    ($($const:ident = $kind:ident($code:literal, $name:literal),)+) => {
        $(
            #[doc = concat!("`", $code, "`: ", $name, ".")]
            pub const $const: DataElement = $kind($code, $name);
        )+

        /// Every data element, in display order.
        pub const ELEMENTS: &[DataElement] = &[$($const,)+];
    };
}

catalog! {
    // residents
    HOUSEHOLDS = stock("households", "Households"),
    RESIDENTS = stock("residents", "Residents"),
    RESIDENTS_PERMANENT = stock("residents.permanent", "Permanent residents"),
    RESIDENTS_FLOATING = stock("residents.floating", "Floating residents"),
    CARE_LIVING_ALONE = stock("residents.care.living_alone", "Residents living alone"),
    CARE_EMPTY_NEST = stock("residents.care.empty_nest", "Empty-nest elderly"),
    CARE_OVER_80_WITHOUT_PENSION = stock(
        "residents.care.over_80_without_pension",
        "Residents over 80 without pension"
    ),
    CARE_DISABLED = stock("residents.care.disabled", "Disabled residents"),
    CARE_ENTITLED_FAMILY = stock(
        "residents.care.entitled_family",
        "Entitled and military families"
    ),
    CARE_HOUSEHOLD_IN_DIFFICULTY = stock(
        "residents.care.household_in_difficulty",
        "Residents of households in difficulty"
    ),
    CARE_MINOR = stock("residents.care.minor", "Minors"),
    // population movements (counted on the day they happened)
    BIRTHS = flow("population.births", "Births"),
    BIRTHS_PERMANENT = flow("population.births.permanent", "Births to permanent residents"),
    BIRTHS_FLOATING = flow("population.births.floating", "Births to floating residents"),
    MOVED_IN = flow("population.moved_in", "Residents moved in from outside the district"),
    MOVED_OUT = flow("population.moved_out", "Residents moved out"),
    TRANSFERRED_IN = flow(
        "population.transferred_in",
        "Residents transferred in from another community"
    ),
    TRANSFERRED_OUT = flow(
        "population.transferred_out",
        "Residents transferred out to another community"
    ),
    FLOATING_VERIFIED = flow(
        "population.floating_verified",
        "Floating residence and certificate checks"
    ),
    FLOATING_CHECKED = distinct(
        "population.floating_checked",
        "Floating residents checked (unique)"
    ),
    // care visits (counted on the day of the visit)
    CARE_CAMPAIGNS = flow("care.campaigns", "Care campaigns launched"),
    CARE_VISITS = flow("care.visits", "Care visits"),
    CARE_VISITED = distinct("care.visited", "Residents visited (unique)"),
    VISITED_LIVING_ALONE = distinct(
        "care.visited.living_alone",
        "Residents living alone visited (unique)"
    ),
    VISITED_EMPTY_NEST = distinct("care.visited.empty_nest", "Empty-nest elderly visited (unique)"),
    VISITED_OVER_80_WITHOUT_PENSION = distinct(
        "care.visited.over_80_without_pension",
        "Residents over 80 without pension visited (unique)"
    ),
    VISITED_DISABLED = distinct("care.visited.disabled", "Disabled residents visited (unique)"),
    VISITED_ENTITLED_FAMILY = distinct(
        "care.visited.entitled_family",
        "Entitled and military families' members visited (unique)"
    ),
    VISITED_HOUSEHOLD_IN_DIFFICULTY = distinct(
        "care.visited.household_in_difficulty",
        "Residents of households in difficulty visited (unique)"
    ),
    VISITED_MINOR = distinct("care.visited.minor", "Minors visited (unique)"),
    CARE_REFERRALS_OPENED = flow("care.referrals_opened", "Referrals opened by visits"),
    CARE_REFERRALS_CLOSED = flow("care.referrals_closed", "Referrals closed"),
    // re-employment help
    EMPLOYMENT_JOB_SEEKERS = stock("employment.job_seekers", "Job seekers with an open case"),
    EMPLOYMENT_TRAININGS = flow("employment.trainings", "Job trainings attended"),
    EMPLOYMENT_REFERRALS = flow("employment.referrals", "Job referrals made"),
    EMPLOYMENT_HELPED = distinct(
        "employment.helped",
        "Job seekers helped with training or a referral (unique)"
    ),
    EMPLOYMENT_PLACEMENTS = flow("employment.placements", "Job seekers re-employed"),
    // activities
    ACTIVITIES_HELD = flow("activities.held", "Activities held"),
    HELD_CITIZEN_SCHOOL_CLASS = flow(
        "activities.held.citizen_school_class",
        "Citizen-school classes held"
    ),
    HELD_FILM_SCREENING = flow("activities.held.film_screening", "Film screenings held"),
    HELD_PERFORMANCE = flow("activities.held.performance", "Performances held"),
    HELD_EXHIBITION = flow("activities.held.exhibition", "Exhibitions held"),
    HELD_PUBLICITY = flow("activities.held.publicity", "Publicity campaigns held"),
    HELD_MINORS_EDUCATION = flow(
        "activities.held.minors_education",
        "Minors' education activities held"
    ),
    HELD_PARTY_BUILDING = flow("activities.held.party_building", "Party-building activities held"),
    HELD_ENVIRONMENT = flow("activities.held.environment", "Environment activities held"),
    HELD_ELDERLY_CARE = flow("activities.held.elderly_care", "Elderly-care activities held"),
    HELD_OTHER = flow("activities.held.other", "Other activities held"),
    ACTIVITIES_ATTENDANCE = flow("activities.attendance", "Activity attendance"),
    ACTIVITIES_REGISTERED_AT_CLOSE = flow(
        "activities.registered_at_close",
        "Registrations at close (show-up denominator)"
    ),
    ACTIVITIES_REGISTERED_ATTENDED = flow(
        "activities.registered_attended",
        "Registered participants who attended (show-up numerator)"
    ),
    ACTIVITIES_CANCELLED = flow("activities.cancelled", "Activities cancelled"),
    ACTIVITIES_FILM_SCREENINGS = flow("activities.film_screenings", "Film screenings"),
    ACTIVITIES_MINORS_REACHED = flow(
        "activities.minors_reached",
        "Minors reached by education activities"
    ),
    ACTIVITIES_PARTICIPANTS = distinct(
        "activities.participants",
        "Residents who attended an activity (unique)"
    ),
    PLAN_ITEMS_PUBLISHED = stock("plan.items_published", "Published annual plan items"),
    PLAN_ITEMS_DUE = flow("plan.items_due", "Planned items due (in their month)"),
    PLAN_TARGET_PARTICIPANTS = flow(
        "plan.target_participants",
        "Target participants of the planned items due"
    ),
    PLAN_ITEMS_DELIVERED = distinct(
        "plan.items_delivered",
        "Planned items delivered in their month (unique)"
    ),
    PLAN_DELIVERED_ATTENDANCE = flow(
        "plan.delivered_attendance",
        "Attendance of activities delivering planned items"
    ),
    PUBLICITY_BOARD_UPDATES = flow("publicity.board_updates", "Publicity board updates"),
    BOARD_UPDATES_CURRENT_AFFAIRS = flow(
        "publicity.board_updates.current_affairs",
        "Publicity board updates on current affairs"
    ),
    BOARD_UPDATES_POLITICS = flow(
        "publicity.board_updates.politics",
        "Publicity board updates on politics"
    ),
    BOARD_UPDATES_ECONOMY = flow(
        "publicity.board_updates.economy",
        "Publicity board updates on the economy"
    ),
    BOARD_UPDATES_SCIENCE = flow(
        "publicity.board_updates.science",
        "Publicity board updates on popular science"
    ),
    BOARD_UPDATES_HEALTH_EDUCATION = flow(
        "publicity.board_updates.health_education",
        "Publicity board updates on health education"
    ),
    BOARD_UPDATES_OTHER = flow(
        "publicity.board_updates.other",
        "Publicity board updates on other topics"
    ),
    FACILITIES_AREA_M2 = stock("facilities.area_m2", "Facility floor area (m²)"),
    FACILITIES_STATION_AREA_M2 = stock(
        "facilities.station_area_m2",
        "Service station floor area (m²)"
    ),
    PUBLICITY_BOARDS = stock("publicity.boards", "Publicity boards"),
    STATION_SERVICES = flow("station.services", "Services delivered by the service station"),
    STATION_RESIDENTS_SERVED = distinct(
        "station.residents_served",
        "Residents served by the service station (unique)"
    ),
    GOOD_DEEDS_RECORDED = flow("good_deeds.recorded", "Good deeds recorded"),
    CONTESTS_HELD = flow("contests.held", "Contests held"),
    CAMPAIGN_MILESTONES = stock(
        "campaign.milestones",
        "Creation campaign milestones reached"
    ),
    CAMPAIGN_ATTENDEES = flow(
        "campaign.attendees",
        "Attendees of the creation campaign's meetings"
    ),
    CONTESTS_ENTRANTS = flow("contests.entrants", "Contest entrants"),
    CONTESTS_PRIZES = flow("contests.prizes", "Contest prizes awarded"),
    CONTESTS_LEARNING_FAMILIES = flow(
        "contests.learning_families",
        "Learning families awarded"
    ),
    COBUILDING_UNITS = stock("cobuilding.units", "Co-building units"),
    COBUILDING_AGREEMENTS = stock(
        "cobuilding.agreements",
        "Co-building units that signed an agreement"
    ),
    COBUILDING_CONTRIBUTIONS = flow("cobuilding.contributions", "Co-building contributions"),
    COBUILDING_FUNDS_YUAN = flow("cobuilding.funds_yuan", "Co-building funds given (yuan)"),
    COBUILDING_VOLUNTEERS = flow(
        "cobuilding.volunteers",
        "Volunteers lent by co-building units"
    ),
    GOOD_DEEDS_PUBLISHED = stock(
        "good_deeds.published",
        "Good deeds published on the community page"
    ),
    // the community's fund ledger (counted on the day received or spent)
    FUNDING_RECEIVED = flow("funding.received", "Funds received (yuan)"),
    RECEIVED_GOVERNMENT = flow(
        "funding.received.government",
        "Funds received from the government (yuan)"
    ),
    RECEIVED_CO_BUILDING_UNITS = flow(
        "funding.received.co_building_units",
        "Funds received from co-building units (yuan)"
    ),
    RECEIVED_RESIDENT_DONATIONS = flow(
        "funding.received.resident_donations",
        "Funds received as residents' donations (yuan)"
    ),
    RECEIVED_OTHER = flow("funding.received.other", "Funds received from other sources (yuan)"),
    FUNDING_SPENT = flow("funding.spent", "Funds spent (yuan)"),
    SPENT_GOVERNMENT = flow("funding.spent.government", "Government funds spent (yuan)"),
    SPENT_CO_BUILDING_UNITS = flow(
        "funding.spent.co_building_units",
        "Co-building units' funds spent (yuan)"
    ),
    SPENT_RESIDENT_DONATIONS = flow(
        "funding.spent.resident_donations",
        "Residents' donations spent (yuan)"
    ),
    SPENT_OTHER = flow("funding.spent.other", "Funds of other sources spent (yuan)"),
    FUNDING_BALANCE = stock("funding.balance", "Funds balance (yuan)"),
    // monthly reporting (counted in the month reported on)
    REPORTING_EXPECTED = flow("reporting.reports_expected", "Monthly reports expected"),
    REPORTING_DUE = flow("reporting.reports_due", "Monthly reports past their deadline"),
    REPORTING_RECEIVED = flow("reporting.reports_received", "Monthly reports received"),
    REPORTING_ON_TIME = flow(
        "reporting.reports_on_time",
        "Monthly reports received by the 5th of the next month"
    ),
    REPORTING_APPROVED = flow(
        "reporting.reports_approved",
        "Monthly reports approved by the district"
    ),
    // volunteering
    VOLUNTEERS_REGISTERED = stock("volunteers.registered", "Registered volunteers"),
    VOLUNTEERS_VERIFIED = flow("volunteers.verified", "Volunteers verified"),
    VOLUNTEERING_APPROVED_MINUTES = flow(
        "volunteering.approved_minutes",
        "Approved volunteer minutes"
    ),
    VOLUNTEERING_APPROVALS = flow("volunteering.approvals", "Service records approved"),
    VOLUNTEERING_APPROVALS_WITHIN_7_DAYS = flow(
        "volunteering.approvals_within_7_days",
        "Service records approved within 7 days"
    ),
    VOLUNTEERS_SERVING = distinct(
        "volunteering.volunteers_serving",
        "Volunteers with approved hours (unique)"
    ),
    STARS_0 = stock("volunteers.stars.0", "Volunteers without a star"),
    STARS_1 = stock("volunteers.stars.1", "One-star volunteers"),
    STARS_2 = stock("volunteers.stars.2", "Two-star volunteers"),
    STARS_3 = stock("volunteers.stars.3", "Three-star volunteers"),
    STARS_4 = stock("volunteers.stars.4", "Four-star volunteers"),
    STARS_5 = stock("volunteers.stars.5", "Five-star volunteers"),
    // safety
    INCIDENTS_REPORTED = flow("incidents.reported", "Incidents reported"),
    REPORTED_THEFT = flow("incidents.reported.theft", "Thefts reported"),
    REPORTED_FIRE = flow("incidents.reported.fire", "Fires reported"),
    REPORTED_CASUALTY = flow("incidents.reported.casualty", "Casualties reported"),
    REPORTED_DISPUTE = flow("incidents.reported.dispute", "Disputes reported"),
    REPORTED_DRUGS = flow("incidents.reported.drugs", "Drug incidents reported"),
    REPORTED_GAMBLING = flow("incidents.reported.gambling", "Gambling incidents reported"),
    REPORTED_PORNOGRAPHY = flow("incidents.reported.pornography", "Pornography incidents reported"),
    REPORTED_PUBLIC_ORDER = flow(
        "incidents.reported.public_order",
        "Public-order incidents reported"
    ),
    REPORTED_HAZARD = flow("incidents.reported.hazard", "Hazards reported"),
    REPORTED_OTHER = flow("incidents.reported.other", "Other incidents reported"),
    SEVERITY_MINOR = flow("incidents.severity.minor", "Minor incidents reported"),
    SEVERITY_SERIOUS = flow("incidents.severity.serious", "Serious incidents reported"),
    SEVERITY_MAJOR = flow("incidents.severity.major", "Major incidents reported"),
    INCIDENTS_MAJOR = flow("incidents.major", "Major incidents (alert)"),
    INCIDENTS_RESOLVED = flow("incidents.resolved", "Incidents resolved"),
    INCIDENTS_RESOLVED_WITHIN_48H = flow(
        "incidents.resolved_within_48h",
        "Incidents resolved within 48 hours"
    ),
    PATROLS_COMPLETED = flow("patrols.completed", "Patrols completed"),
    PATROLS_MINUTES = flow("patrols.minutes", "Patrol minutes"),
    PATROLS_PARTICIPANTS = flow("patrols.participants", "Patrol participants"),
    INSPECTIONS_PASSED = flow("inspections.passed", "Inspections passed"),
    INSPECTIONS_FAILED = flow("inspections.failed", "Inspections failed"),
    RECTIFICATIONS_ORDERED = flow("rectifications.ordered", "Rectifications ordered"),
    RECTIFICATIONS_VERIFIED = flow("rectifications.verified", "Rectifications verified"),
    RECTIFICATIONS_VERIFIED_ON_TIME = flow(
        "rectifications.verified_on_time",
        "Rectifications verified on time"
    ),
    RECTIFICATIONS_OPEN = stock("rectifications.open", "Open rectifications"),
}

/// Resolutions within this many hours of the report count as on time
/// ([`INCIDENTS_RESOLVED_WITHIN_48H`]); the catalog file's thresholds must agree.
pub const INCIDENT_RESOLUTION_HOURS: u32 = 48;

/// Approvals within this many days of submission count as timely
/// ([`VOLUNTEERING_APPROVALS_WITHIN_7_DAYS`]); the catalog file's thresholds must agree.
pub const HOUR_APPROVAL_DAYS: u32 = 7;

/// Residents of a residence type: `residents.<type>`.
pub const fn residence_element(residence_type: ResidenceType) -> &'static DataElement {
    match residence_type {
        ResidenceType::Permanent => &RESIDENTS_PERMANENT,
        ResidenceType::Floating => &RESIDENTS_FLOATING,
    }
}

/// Births to residents of a residence type: `population.births.<type>`.
pub const fn birth_element(residence_type: ResidenceType) -> &'static DataElement {
    match residence_type {
        ResidenceType::Permanent => &BIRTHS_PERMANENT,
        ResidenceType::Floating => &BIRTHS_FLOATING,
    }
}

/// Residents on a care register: `residents.care.<category>`.
pub const fn care_element(category: CareCategory) -> &'static DataElement {
    match category {
        CareCategory::LivingAlone => &CARE_LIVING_ALONE,
        CareCategory::EmptyNest => &CARE_EMPTY_NEST,
        CareCategory::Over80WithoutPension => &CARE_OVER_80_WITHOUT_PENSION,
        CareCategory::Disabled => &CARE_DISABLED,
        CareCategory::EntitledFamily => &CARE_ENTITLED_FAMILY,
        CareCategory::HouseholdInDifficulty => &CARE_HOUSEHOLD_IN_DIFFICULTY,
        CareCategory::Minor => &CARE_MINOR,
    }
}

/// Residents on a care register visited (unique): `care.visited.<category>`.
pub const fn visited_element(category: CareCategory) -> &'static DataElement {
    match category {
        CareCategory::LivingAlone => &VISITED_LIVING_ALONE,
        CareCategory::EmptyNest => &VISITED_EMPTY_NEST,
        CareCategory::Over80WithoutPension => &VISITED_OVER_80_WITHOUT_PENSION,
        CareCategory::Disabled => &VISITED_DISABLED,
        CareCategory::EntitledFamily => &VISITED_ENTITLED_FAMILY,
        CareCategory::HouseholdInDifficulty => &VISITED_HOUSEHOLD_IN_DIFFICULTY,
        CareCategory::Minor => &VISITED_MINOR,
    }
}

/// Activities of a category held (closed): `activities.held.<category>`.
pub const fn held_element(category: ActivityCategory) -> &'static DataElement {
    match category {
        ActivityCategory::CitizenSchoolClass => &HELD_CITIZEN_SCHOOL_CLASS,
        ActivityCategory::FilmScreening => &HELD_FILM_SCREENING,
        ActivityCategory::Performance => &HELD_PERFORMANCE,
        ActivityCategory::Exhibition => &HELD_EXHIBITION,
        ActivityCategory::Publicity => &HELD_PUBLICITY,
        ActivityCategory::MinorsEducation => &HELD_MINORS_EDUCATION,
        ActivityCategory::PartyBuilding => &HELD_PARTY_BUILDING,
        ActivityCategory::Environment => &HELD_ENVIRONMENT,
        ActivityCategory::ElderlyCare => &HELD_ELDERLY_CARE,
        ActivityCategory::Other => &HELD_OTHER,
    }
}

/// Publicity board updates on a topic: `publicity.board_updates.<topic>`. Updates
/// written before topic codes (UNSPECIFIED) and values this build does not know count
/// as `other`.
///
/// The topic and fund source codes are the activities service's own
/// (`civitas_activities::domain`), not yet in `civitas_proto::codes`: the projection
/// reads them from the wire enums, whose value names are the codes in upper case.
pub const fn board_topic_element(topic: pb::BoardTopic) -> &'static DataElement {
    match topic {
        pb::BoardTopic::CurrentAffairs => &BOARD_UPDATES_CURRENT_AFFAIRS,
        pb::BoardTopic::Politics => &BOARD_UPDATES_POLITICS,
        pb::BoardTopic::Economy => &BOARD_UPDATES_ECONOMY,
        pb::BoardTopic::Science => &BOARD_UPDATES_SCIENCE,
        pb::BoardTopic::HealthEducation => &BOARD_UPDATES_HEALTH_EDUCATION,
        pb::BoardTopic::Other | pb::BoardTopic::Unspecified => &BOARD_UPDATES_OTHER,
    }
}

/// Funds received from a source: `funding.received.<source>`; `None` for UNSPECIFIED,
/// which the ledger never writes.
pub const fn received_element(source: pb::FundSource) -> Option<&'static DataElement> {
    match source {
        pb::FundSource::Government => Some(&RECEIVED_GOVERNMENT),
        pb::FundSource::CoBuildingUnits => Some(&RECEIVED_CO_BUILDING_UNITS),
        pb::FundSource::ResidentDonations => Some(&RECEIVED_RESIDENT_DONATIONS),
        pb::FundSource::Other => Some(&RECEIVED_OTHER),
        pb::FundSource::Unspecified => None,
    }
}

/// Funds of a source spent: `funding.spent.<source>`; `None` for UNSPECIFIED.
pub const fn spent_element(source: pb::FundSource) -> Option<&'static DataElement> {
    match source {
        pb::FundSource::Government => Some(&SPENT_GOVERNMENT),
        pb::FundSource::CoBuildingUnits => Some(&SPENT_CO_BUILDING_UNITS),
        pb::FundSource::ResidentDonations => Some(&SPENT_RESIDENT_DONATIONS),
        pb::FundSource::Other => Some(&SPENT_OTHER),
        pb::FundSource::Unspecified => None,
    }
}

/// Incidents of a category reported: `incidents.reported.<category>`.
pub const fn reported_element(category: IncidentCategory) -> &'static DataElement {
    match category {
        IncidentCategory::Theft => &REPORTED_THEFT,
        IncidentCategory::Fire => &REPORTED_FIRE,
        IncidentCategory::Casualty => &REPORTED_CASUALTY,
        IncidentCategory::Dispute => &REPORTED_DISPUTE,
        IncidentCategory::Drugs => &REPORTED_DRUGS,
        IncidentCategory::Gambling => &REPORTED_GAMBLING,
        IncidentCategory::Pornography => &REPORTED_PORNOGRAPHY,
        IncidentCategory::PublicOrder => &REPORTED_PUBLIC_ORDER,
        IncidentCategory::Hazard => &REPORTED_HAZARD,
        IncidentCategory::Other => &REPORTED_OTHER,
    }
}

/// Incidents of a severity reported: `incidents.severity.<severity>`.
pub const fn severity_element(severity: Severity) -> &'static DataElement {
    match severity {
        Severity::Minor => &SEVERITY_MINOR,
        Severity::Serious => &SEVERITY_SERIOUS,
        Severity::Major => &SEVERITY_MAJOR,
    }
}

/// Volunteers per star level, `volunteers.stars.0` to `.5`, indexed by level.
const STARS: [&DataElement; 6] = [&STARS_0, &STARS_1, &STARS_2, &STARS_3, &STARS_4, &STARS_5];

/// The highest star level with an element (1500 approved hours).
pub const MAX_STARS: i64 = STARS.len() as i64 - 1;

/// Volunteers at a star level: `volunteers.stars.<level>`, the level clamped to
/// `0..=`[`MAX_STARS`].
pub fn stars_element(level: i64) -> &'static DataElement {
    STARS[level.clamp(0, MAX_STARS) as usize]
}

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

    /// The elements of one category: each is `prefix` plus its code, one per code, and
    /// together they are every catalog element directly under `prefix`.
    fn derived(prefix: &str, elements: impl IntoIterator<Item = (String, &'static DataElement)>) {
        let mut codes = Vec::new();
        for (code, e) in elements {
            assert_eq!(e.code, format!("{prefix}{code}"));
            assert_eq!(element(e.code), Some(e));
            codes.push(e.code);
        }
        codes.sort_unstable();
        let count = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), count, "{prefix}: one element per code");
        let under_prefix = ELEMENTS
            .iter()
            .filter(|e| {
                e.code
                    .strip_prefix(prefix)
                    .is_some_and(|s| !s.contains('.'))
            })
            .count();
        assert_eq!(under_prefix, count, "{prefix}: no element without a code");
    }

    fn by_code<C: Copy + fmt::Display>(
        all: &[C],
        element_of: fn(C) -> &'static DataElement,
    ) -> Vec<(String, &'static DataElement)> {
        all.iter()
            .map(|c| (c.to_string(), element_of(*c)))
            .collect()
    }

    /// A wire enum value's code: its name without the enum's prefix, in lowercase.
    fn wire_code(name: &str, prefix: &str) -> String {
        name.strip_prefix(prefix).expect("prefixed").to_lowercase()
    }

    #[test]
    fn category_elements_derive_from_the_category_codes() {
        derived("residents.", by_code(ResidenceType::ALL, residence_element));
        derived("residents.care.", by_code(CareCategory::ALL, care_element));
        derived(
            "population.births.",
            by_code(ResidenceType::ALL, birth_element),
        );
        derived(
            "activities.held.",
            by_code(ActivityCategory::ALL, held_element),
        );
        derived(
            "incidents.reported.",
            by_code(IncidentCategory::ALL, reported_element),
        );
        derived(
            "incidents.severity.",
            by_code(Severity::ALL, severity_element),
        );
        derived(
            "volunteers.stars.",
            (0..=MAX_STARS).map(|level| (level.to_string(), stars_element(level))),
        );
        assert_eq!(stars_element(-1), &STARS_0);
        assert_eq!(stars_element(MAX_STARS + 1), &STARS_5);
    }

    /// The activities service's own codes (board topics, fund sources) are not in
    /// `civitas_proto::codes`: their elements derive from the wire enums' value names.
    #[test]
    fn own_code_elements_derive_from_the_wire_enums() {
        let board_topics: Vec<_> = (1..)
            .map_while(|v| pb::BoardTopic::try_from(v).ok())
            .map(|t| {
                (
                    wire_code(t.as_str_name(), "BOARD_TOPIC_"),
                    board_topic_element(t),
                )
            })
            .collect();
        assert_eq!(board_topics.len(), 6);
        derived("publicity.board_updates.", board_topics);
        assert_eq!(
            board_topic_element(pb::BoardTopic::Unspecified),
            &BOARD_UPDATES_OTHER
        );
        let sources: Vec<_> = (1..)
            .map_while(|v| pb::FundSource::try_from(v).ok())
            .collect();
        assert_eq!(sources.len(), 4);
        let source_code = |s: pb::FundSource| wire_code(s.as_str_name(), "FUND_SOURCE_");
        derived(
            "funding.received.",
            sources
                .iter()
                .map(|s| (source_code(*s), received_element(*s).expect("element"))),
        );
        derived(
            "funding.spent.",
            sources
                .iter()
                .map(|s| (source_code(*s), spent_element(*s).expect("element"))),
        );
        assert_eq!(received_element(pb::FundSource::Unspecified), None);
    }
}
