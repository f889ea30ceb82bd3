//! The pure domain of the residents service: validated values and the `Household`,
//! `Resident`, `CareCampaign`, `CareVisit` and `JobSeeker` deciders. Nothing here touches IO, a clock or randomness — "today", ids and
//! facts about other streams arrive inside commands — so every rule is a plain function
//! tested given/when/then.
//!
//! Personal data (names, ID numbers, phones, addresses, exact birth dates) crosses this
//! layer only as [`values::Sealed`] ciphertext produced by the shell; events carry
//! pseudonymous ids, category codes and the birth year, so erasing a resident's key
//! (crypto-shredding) leaves every count correct.

pub mod care;
pub mod employment;
pub mod household;
pub mod resident;
pub mod values;

pub use care::{
    campaign_categories, CampaignCommand, CampaignError, CampaignEvent, CampaignFacts, CampaignId,
    CampaignName, CampaignPeriod, CampaignState, CareCampaign, CareNeed, CareSupport, CareVisit,
    ReferralOutcome, ResidentFacts, VisitCommand, VisitDetails, VisitError, VisitEvent, VisitId,
    VisitState, VolunteerId,
};
pub use employment::{
    CaseClosure, CaseId, Course, JobCommand, JobError, JobEvent, JobSeeker, JobSeekerKind, JobState,
};
pub use household::{Household, HouseholdCommand, HouseholdError, HouseholdEvent, HouseholdState};
pub use resident::{
    GuardianFacts, HouseholdFacts, RecordedNote, Resident, ResidentCommand, ResidentError,
    ResidentEvent, ResidentState,
};
pub use values::{
    Address, Arrival, BirthDate, Building, CareCategory, CareRevokeReason, Grid, HouseholdId,
    IdNumber, MoveOutReason, Note, PersonName, Phone, ResidenceType, ResidentId, Sealed, Sex,
    ValidationError,
};
