//! Care visits (慰问): the `CareCampaign` aggregate (a campaign of visits to the
//! residents of some care registers, over a period; `carecampaign-<uuid>`) and the
//! `CareVisit` aggregate (one visit to one resident, and the referral it may open;
//! `carevisit-<uuid>`).
//!
//! A visit's note is sealed with the visited resident's data key, like every staff
//! note about a person, so erasing the resident shreds it. What the shell knows about
//! the resident and the campaign arrives in the command as facts.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use civitas_kernel::{text_value, uuid_id, Decider};

pub use civitas_proto::codes::{CareNeed, CareSupport, ReferralOutcome};

use super::values::{CareCategory, ResidentId, Sealed, ValidationError};

uuid_id!(
    /// A care campaign's id; its stream is `carecampaign-<uuid>`.
    CampaignId,
    "carecampaign"
);
uuid_id!(
    /// A care visit's id, also its referral's; its stream is `carevisit-<uuid>`.
    VisitId,
    "carevisit"
);
uuid_id!(
    /// A volunteer's id, as the volunteering service issues it.
    VolunteerId,
    "volunteer"
);

text_value!(
    /// A campaign's name, e.g. "2027 春节慰问"; never a person's.
    CampaignName,
    max = 100
);

/// The longest campaign, in days, both ends included.
pub const MAX_CAMPAIGN_DAYS: i64 = 366;

/// A campaign's days, `starts_on..=ends_on`, at most [`MAX_CAMPAIGN_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignPeriod {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl CampaignPeriod {
    /// Refuses an end before the start or a period over a year, naming `ends_on`.
    pub fn parse(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<Self, ValidationError> {
        let days = (ends_on - starts_on).num_days();
        if days < 0 {
            return Err(ValidationError::new(
                "ends_on",
                "must not be before starts_on",
            ));
        }
        if days >= MAX_CAMPAIGN_DAYS {
            return Err(ValidationError::new(
                "ends_on",
                "a campaign lasts at most a year",
            ));
        }
        Ok(Self { starts_on, ends_on })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.starts_on..=self.ends_on).contains(&day)
    }
}

/// The care registers a campaign targets: at least one, each once.
pub fn campaign_categories(
    categories: Vec<CareCategory>,
) -> Result<BTreeSet<CareCategory>, ValidationError> {
    let n = categories.len();
    let set: BTreeSet<CareCategory> = categories.into_iter().collect();
    match (set.len(), n) {
        (0, _) => Err(ValidationError::new(
            "categories",
            "name at least one care register",
        )),
        (unique, n) if unique != n => Err(ValidationError::new(
            "categories",
            "must not repeat a care register",
        )),
        _ => Ok(set),
    }
}

// ------------------------------------------------------------------ campaign

/// The care campaign decider.
pub struct CareCampaign;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignCommand {
    Launch {
        campaign_id: CampaignId,
        community: String,
        name: CampaignName,
        period: CampaignPeriod,
        categories: BTreeSet<CareCategory>,
    },
    Close {
        today: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignEvent {
    Launched {
        campaign_id: CampaignId,
        community: String,
        name: CampaignName,
        period: CampaignPeriod,
        categories: BTreeSet<CareCategory>,
    },
    Closed {
        campaign_id: CampaignId,
        closed_on: NaiveDate,
    },
}

impl CampaignEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            CampaignEvent::Launched { .. } => "CareCampaignLaunched",
            CampaignEvent::Closed { .. } => "CareCampaignClosed",
        }
    }
}

/// A campaign as its events leave it; `Default` is one never launched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignState {
    pub campaign_id: Option<CampaignId>,
    pub community: String,
    pub period: Option<CampaignPeriod>,
    pub categories: BTreeSet<CareCategory>,
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("care campaign is already launched")]
    AlreadyLaunched,
    #[error("care campaign not found")]
    NotLaunched,
    #[error("care campaign is closed")]
    Closed,
}

impl Decider for CareCampaign {
    type State = CampaignState;
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Error = CampaignError;

    fn decide(
        state: &CampaignState,
        command: CampaignCommand,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        match command {
            CampaignCommand::Launch {
                campaign_id,
                community,
                name,
                period,
                categories,
            } => {
                if state.campaign_id.is_some() {
                    return Err(CampaignError::AlreadyLaunched);
                }
                Ok(vec![CampaignEvent::Launched {
                    campaign_id,
                    community,
                    name,
                    period,
                    categories,
                }])
            }
            CampaignCommand::Close { today } => {
                let campaign_id = state.campaign_id.ok_or(CampaignError::NotLaunched)?;
                if state.closed {
                    return Err(CampaignError::Closed);
                }
                Ok(vec![CampaignEvent::Closed {
                    campaign_id,
                    closed_on: today,
                }])
            }
        }
    }

    fn evolve(mut state: CampaignState, event: &CampaignEvent) -> CampaignState {
        match event {
            CampaignEvent::Launched {
                campaign_id,
                community,
                period,
                categories,
                ..
            } => {
                state.campaign_id = Some(*campaign_id);
                state.community.clone_from(community);
                state.period = Some(*period);
                state.categories.clone_from(categories);
            }
            CampaignEvent::Closed { .. } => state.closed = true,
        }
        state
    }
}

// --------------------------------------------------------------------- visit

/// The care visit decider.
pub struct CareVisit;

/// The visited resident as the shell found them in the caller's community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentFacts {
    /// Registered here, not moved out, not erased.
    Active,
    /// Registered here but moved out or erased.
    Gone,
    /// No such resident in this community (or none at all).
    Unknown,
}

/// The campaign a visit names, as the shell found it in the caller's community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFacts {
    pub campaign_id: CampaignId,
    /// `None` when no campaign of that id was launched in this community.
    pub state: Option<CampaignState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitDetails {
    pub resident_id: ResidentId,
    pub visited_on: NaiveDate,
    pub campaign_id: Option<CampaignId>,
    pub volunteer_id: Option<VolunteerId>,
    pub support: BTreeSet<CareSupport>,
    pub need: Option<CareNeed>,
    pub referral_opened: bool,
    pub note: Option<Sealed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitCommand {
    Record {
        visit_id: VisitId,
        resident: ResidentFacts,
        campaign: Option<CampaignFacts>,
        details: VisitDetails,
    },
    CloseReferral {
        outcome: ReferralOutcome,
        today: NaiveDate,
        note: Option<Sealed>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitEvent {
    Recorded {
        visit_id: VisitId,
        details: VisitDetails,
    },
    ReferralClosed {
        visit_id: VisitId,
        resident_id: ResidentId,
        outcome: ReferralOutcome,
        closed_on: NaiveDate,
        note: Option<Sealed>,
    },
}

impl VisitEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            VisitEvent::Recorded { .. } => "CareVisitRecorded",
            VisitEvent::ReferralClosed { .. } => "ReferralClosed",
        }
    }
}

/// A visit as its events leave it; `Default` is one never recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitState {
    pub visit_id: Option<VisitId>,
    pub resident_id: Option<ResidentId>,
    pub referral_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    #[error("care visit is already recorded")]
    AlreadyRecorded,
    #[error("care visit not found")]
    NotRecorded,
    #[error("resident not found in this community")]
    ResidentNotFound,
    #[error("resident has moved out or been erased")]
    ResidentGone,
    #[error("care campaign not found in this community")]
    CampaignNotFound,
    #[error("care campaign is closed")]
    CampaignClosed,
    #[error("the visit's day is outside the campaign's period")]
    OutsideCampaign,
    #[error("a referral follows up a need: name the need found")]
    ReferralWithoutNeed,
    #[error("the visit has no open referral")]
    NoOpenReferral,
}

impl VisitError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        use VisitError::*;
        match self {
            ResidentNotFound | ResidentGone => Some("resident_id"),
            CampaignNotFound | CampaignClosed => Some("campaign_id"),
            OutsideCampaign => Some("visited_on"),
            ReferralWithoutNeed => Some("open_referral"),
            NoOpenReferral | AlreadyRecorded | NotRecorded => None,
        }
    }
}

impl Decider for CareVisit {
    type State = VisitState;
    type Command = VisitCommand;
    type Event = VisitEvent;
    type Error = VisitError;

    fn decide(state: &VisitState, command: VisitCommand) -> Result<Vec<VisitEvent>, VisitError> {
        match command {
            VisitCommand::Record {
                visit_id,
                resident,
                campaign,
                details,
            } => {
                if state.visit_id.is_some() {
                    return Err(VisitError::AlreadyRecorded);
                }
                match resident {
                    ResidentFacts::Active => {}
                    ResidentFacts::Gone => return Err(VisitError::ResidentGone),
                    ResidentFacts::Unknown => return Err(VisitError::ResidentNotFound),
                }
                if let Some(campaign) = campaign {
                    let found = campaign.state.ok_or(VisitError::CampaignNotFound)?;
                    if found.closed {
                        return Err(VisitError::CampaignClosed);
                    }
                    if !found.period.is_some_and(|p| p.contains(details.visited_on)) {
                        return Err(VisitError::OutsideCampaign);
                    }
                }
                if details.referral_opened && details.need.is_none() {
                    return Err(VisitError::ReferralWithoutNeed);
                }
                Ok(vec![VisitEvent::Recorded { visit_id, details }])
            }
            VisitCommand::CloseReferral {
                outcome,
                today,
                note,
            } => {
                let (Some(visit_id), Some(resident_id)) = (state.visit_id, state.resident_id)
                else {
                    return Err(VisitError::NotRecorded);
                };
                if !state.referral_open {
                    return Err(VisitError::NoOpenReferral);
                }
                Ok(vec![VisitEvent::ReferralClosed {
                    visit_id,
                    resident_id,
                    outcome,
                    closed_on: today,
                    note,
                }])
            }
        }
    }

    fn evolve(mut state: VisitState, event: &VisitEvent) -> VisitState {
        match event {
            VisitEvent::Recorded { visit_id, details } => {
                state.visit_id = Some(*visit_id);
                state.resident_id = Some(details.resident_id);
                state.referral_open = details.referral_opened;
            }
            VisitEvent::ReferralClosed { .. } => state.referral_open = false,
        }
        state
    }
}

#[cfg(test)]
#[path = "care_tests.rs"]
mod tests;
