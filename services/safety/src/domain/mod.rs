//! The pure domain of the safety service: validated values and the `Incident`,
//! `Patrol`, `Inspection` and `Rectification` deciders. Nothing here touches IO, a clock
//! or randomness — "now", "today", ids and facts about other streams arrive inside
//! commands — so every rule is a plain function tested given/when/then.
//!
//! No personal data lives here: places are grids, buildings and short descriptions,
//! teams are unit names and the people on a patrol are a count.

pub mod incident;
pub mod inspection;
pub mod patrol;
pub mod rectification;
pub mod values;

pub use incident::{
    is_alert, Incident, IncidentCommand, IncidentError, IncidentEvent, IncidentReport,
    IncidentState, IncidentStatus,
};
pub use inspection::{
    Inspection, InspectionCommand, InspectionError, InspectionEvent, InspectionRecord,
    InspectionState,
};
pub use patrol::{
    Patrol, PatrolCommand, PatrolError, PatrolEvent, PatrolOutcome, PatrolPlan, PatrolState,
};
pub use rectification::{
    InspectionFacts, RecordedInspection, Rectification, RectificationCommand, RectificationError,
    RectificationEvent, RectificationOrder, RectificationState, RectificationSubject,
};
pub use values::{
    parse_hazards, Assignee, Building, EscalationTarget, Grid, Grids, Hazard, IncidentCategory,
    IncidentId, InspectionId, InspectionTarget, InspectionType, Location, Minutes, OccurredAt,
    Participants, PatrolId, Reason, RectificationId, Resolution, Route, Score, Severity,
    ValidationError,
};
