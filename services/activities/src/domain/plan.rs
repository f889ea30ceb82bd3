//! The `AnnualPlan` aggregate: a community's calendar of planned items for one year.
//!
//! Versions make amendments auditable: items are added to a draft version, the draft is
//! published, and a published plan changes only by opening the next version as a draft
//! with a reason. Items carry over from version to version, so the plan as published is
//! every item added up to that version.

use civitas_kernel::Decider;

use super::values::{
    ActivityCategory, Month, PlanYear, PlannedItemId, Reason, TargetParticipants, Title,
};

/// The annual plan decider.
pub struct AnnualPlan;

/// The stream of a community's plan for a year: one plan per community and year.
pub fn plan_stream_id(community: &str, year: PlanYear) -> String {
    format!("annualplan-{community}-{year}")
}

/// One item of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub item_id: PlannedItemId,
    pub month: Month,
    pub category: ActivityCategory,
    pub title: Title,
    pub target: TargetParticipants,
}

/// What can be asked of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanCommand {
    /// Adds an item to the draft version; the first item creates version 1.
    AddPlannedItem {
        /// The caller's community, from the token scope.
        community: String,
        year: PlanYear,
        item: PlannedItem,
    },
    /// Publishes the current draft version.
    PublishAnnualPlan,
    /// Opens the next version of a published plan as a draft.
    AmendAnnualPlan { reason: Reason },
}

/// What happened to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanEvent {
    /// An item was added to draft `version`.
    PlannedItemAdded {
        community: String,
        year: PlanYear,
        version: u32,
        item: PlannedItem,
    },
    /// Draft `version` was published with `item_count` items in all.
    AnnualPlanPublished {
        community: String,
        year: PlanYear,
        version: u32,
        item_count: u32,
        target_total: u32,
    },
    /// Draft `version` was opened to amend the published plan.
    AnnualPlanAmended {
        community: String,
        year: PlanYear,
        version: u32,
        reason: Reason,
    },
}

impl PlanEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            PlanEvent::PlannedItemAdded { .. } => "PlannedItemAdded",
            PlanEvent::AnnualPlanPublished { .. } => "AnnualPlanPublished",
            PlanEvent::AnnualPlanAmended { .. } => "AnnualPlanAmended",
        }
    }

    /// The plan version the event belongs to.
    pub fn version(&self) -> u32 {
        match self {
            PlanEvent::PlannedItemAdded { version, .. }
            | PlanEvent::AnnualPlanPublished { version, .. }
            | PlanEvent::AnnualPlanAmended { version, .. } => *version,
        }
    }
}

/// A planned item and the version it was added in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    pub item: PlannedItem,
    pub added_in_version: u32,
}

/// A plan as its events leave it; `Default` is a plan never started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanState {
    /// Empty until the first item.
    pub community: String,
    pub year: Option<PlanYear>,
    /// The current version; 0 before the first item.
    pub version: u32,
    /// Whether the current version is published.
    pub published: bool,
    /// The latest published version; 0 if never published.
    pub published_version: u32,
    pub items: Vec<PlanEntry>,
    pub amendment_reason: Option<Reason>,
}

impl PlanState {
    /// Whether the plan has been started.
    pub fn exists(&self) -> bool {
        self.version > 0
    }

    /// Whether `item_id` is one of the plan's items (any version).
    pub fn has_item(&self, item_id: PlannedItemId) -> bool {
        self.items.iter().any(|e| e.item.item_id == item_id)
    }

    fn items_in_current_version(&self) -> usize {
        self.items
            .iter()
            .filter(|e| e.added_in_version == self.version)
            .count()
    }
}

/// A refused plan command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("there is no plan for this year yet")]
    NoPlan,
    #[error("plan version {version} is published: amend the plan to change it")]
    VersionPublished { version: u32 },
    #[error("plan version {version} is already published")]
    AlreadyPublished { version: u32 },
    #[error("plan version {version} has no new items to publish")]
    NothingToPublish { version: u32 },
    #[error("plan version {version} is still a draft: add items to it instead")]
    NotPublished { version: u32 },
    #[error("planned item is already in the plan")]
    DuplicateItem,
}

impl PlanError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PlanError::NoPlan => Some("year"),
            PlanError::DuplicateItem => Some("item_id"),
            PlanError::VersionPublished { .. }
            | PlanError::AlreadyPublished { .. }
            | PlanError::NothingToPublish { .. }
            | PlanError::NotPublished { .. } => None,
        }
    }
}

impl Decider for AnnualPlan {
    type State = PlanState;
    type Command = PlanCommand;
    type Event = PlanEvent;
    type Error = PlanError;

    fn decide(state: &PlanState, command: PlanCommand) -> Result<Vec<PlanEvent>, PlanError> {
        match command {
            PlanCommand::AddPlannedItem {
                community,
                year,
                item,
            } => {
                if state.exists() && state.published {
                    return Err(PlanError::VersionPublished {
                        version: state.version,
                    });
                }
                if state.has_item(item.item_id) {
                    return Err(PlanError::DuplicateItem);
                }
                Ok(vec![PlanEvent::PlannedItemAdded {
                    community,
                    year,
                    version: state.version.max(1),
                    item,
                }])
            }
            PlanCommand::PublishAnnualPlan => {
                let year = state.year.ok_or(PlanError::NoPlan)?;
                let version = state.version;
                if state.published {
                    return Err(PlanError::AlreadyPublished { version });
                }
                if state.items_in_current_version() == 0 {
                    return Err(PlanError::NothingToPublish { version });
                }
                Ok(vec![PlanEvent::AnnualPlanPublished {
                    community: state.community.clone(),
                    year,
                    version,
                    item_count: u32::try_from(state.items.len()).unwrap_or(u32::MAX),
                    target_total: state
                        .items
                        .iter()
                        .map(|e| e.item.target.get())
                        .fold(0u32, u32::saturating_add),
                }])
            }
            PlanCommand::AmendAnnualPlan { reason } => {
                let year = state.year.ok_or(PlanError::NoPlan)?;
                if !state.published {
                    return Err(PlanError::NotPublished {
                        version: state.version,
                    });
                }
                Ok(vec![PlanEvent::AnnualPlanAmended {
                    community: state.community.clone(),
                    year,
                    version: state.version + 1,
                    reason,
                }])
            }
        }
    }

    fn evolve(mut state: PlanState, event: &PlanEvent) -> PlanState {
        match event {
            PlanEvent::PlannedItemAdded {
                community,
                year,
                version,
                item,
            } => {
                state.community.clone_from(community);
                state.year = Some(*year);
                state.version = *version;
                state.items.push(PlanEntry {
                    item: item.clone(),
                    added_in_version: *version,
                });
            }
            PlanEvent::AnnualPlanPublished { version, .. } => {
                state.version = *version;
                state.published = true;
                state.published_version = *version;
            }
            PlanEvent::AnnualPlanAmended {
                version, reason, ..
            } => {
                state.version = *version;
                state.published = false;
                state.amendment_reason = Some(reason.clone());
            }
        }
        state
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
