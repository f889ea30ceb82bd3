//! The pure domain of the volunteering service: validated values and the `Volunteer`,
//! `Team` and `Opportunity` deciders. Nothing here touches IO, a clock or randomness —
//! "today", instants, ids and facts about other streams arrive inside commands — so
//! every rule is a plain function tested given/when/then.
//!
//! People appear only as pseudonymous ids (volunteer, resident); external volunteers are
//! described by their organisation, never by name or phone.

pub mod opportunity;
pub mod team;
pub mod values;
pub mod volunteer;

pub use opportunity::{
    Assignment, Needs, Opportunity, OpportunityCommand, OpportunityError, OpportunityEvent,
    OpportunityState, TeamFacts,
};
pub use team::{Team, TeamCommand, TeamError, TeamEvent, TeamProfile, TeamState};
pub use values::{
    DonationId, Minutes, OpportunityId, Organisation, Purpose, Reason, RecordId, RedemptionId,
    ResidentId, RoleName, ServiceCategory, Spots, StarLevel, TeamId, TeamName, TimeWindow, Title,
    ValidationError, VolunteerId, VolunteerKind,
};
pub use volunteer::{
    Donation, Ineligible, RecordStatus, ServiceRecord, Volunteer, VolunteerCommand, VolunteerError,
    VolunteerEvent, VolunteerFacts, VolunteerState, TIME_BANK_CAP_MINUTES,
};

#[cfg(test)]
mod tests;
