//! The pure domain of the activities service: validated values and the `AnnualPlan`,
//! `Activity`, `PublicityBoard`, `Facility`, `MonthlyReport`, `FundLedger`, …
//! deciders. Nothing here touches IO, a clock or randomness — "now", "today", ids and facts about other streams (is a planned
//! item in the plan?) arrive inside commands — so every rule is a plain function tested
//! given/when/then.
//!
//! There is no personal data in this area: residents appear only as pseudonymous
//! [`ResidentId`]s, walk-ins only as a count.

pub mod activity;
pub mod board;
pub mod cobuilding;
pub mod contest;
pub mod deed;
pub mod facility;
pub mod funding;
pub mod milestone;
pub mod plan;
pub mod report;
pub mod station;
pub mod values;

pub use activity::{
    Activity, ActivityCommand, ActivityError, ActivityEvent, ActivityPlan, ActivityState,
    ActivityStatus, Attendee, PlannedItemFact, CHECKIN_MARGIN,
};
pub use board::{BoardCommand, BoardError, BoardEvent, BoardState, BoardTopic, PublicityBoard};
pub use cobuilding::{
    CoBuildingUnit, Contribution, ContributionKind, UnitCommand, UnitError, UnitEvent, UnitName,
    UnitState,
};
pub use contest::{Contest, ContestCommand, ContestError, ContestEvent, ContestKind, ContestState};
pub use deed::{DeedCommand, DeedError, DeedEvent, DeedState, GoodDeed};
pub use facility::{
    Facility, FacilityCommand, FacilityDetails, FacilityError, FacilityEvent, FacilityState,
};
pub use funding::{
    ledger_stream_id, AmountYuan, FundLedger, FundSource, LedgerCommand, LedgerError, LedgerEvent,
    LedgerNote, LedgerState, Purpose, Receipt, Spending,
};
pub use milestone::{
    campaign_stream_id, AttendeeGroup, CreationCampaign, Milestone, MilestoneCommand,
    MilestoneError, MilestoneEvent, MilestoneKind,
};
pub use plan::{
    plan_stream_id, AnnualPlan, PlanCommand, PlanEntry, PlanError, PlanEvent, PlanState,
    PlannedItem,
};
pub use report::{
    report_stream_id, ApprovalLevel, MonthlyReport, Narrative, ReportCommand, ReportError,
    ReportEvent, ReportMonth, ReportState,
};
pub use station::{
    ServiceDelivered, StationCommand, StationError, StationEvent, StationFacts, StationService,
    StationServiceKind,
};
pub use values::{
    ActivityCategory, ActivityId, AreaSquareMeters, BoardId, Capacity, CoBuildingUnitId, ContestId,
    DeedId, FacilityId, FacilityName, FacilityType, Location, Month, Note, OrgUnitCode, PastDate,
    PlanYear, PlannedItemId, Reason, ResidentId, StationServiceId, TargetParticipants, TimeWindow,
    Title, Topic, ValidationError, Venue,
};
