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
    AddItem {
        /// The caller's community, from the token scope.
        community: String,
        year: PlanYear,
        item: PlannedItem,
    },
    /// Publishes the current draft version.
    Publish,
    /// Opens the next version of a published plan as a draft.
    Amend { reason: Reason },
}

/// What happened to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanEvent {
    /// An item was added to draft `version`.
    ItemAdded {
        community: String,
        year: PlanYear,
        version: u32,
        item: PlannedItem,
    },
    /// Draft `version` was published with `item_count` items in all.
    Published {
        community: String,
        year: PlanYear,
        version: u32,
        item_count: u32,
        target_total: u32,
    },
    /// Draft `version` was opened to amend the published plan.
    Amended {
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
            PlanEvent::ItemAdded { .. } => "PlannedItemAdded",
            PlanEvent::Published { .. } => "AnnualPlanPublished",
            PlanEvent::Amended { .. } => "AnnualPlanAmended",
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
            PlanCommand::AddItem {
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
                Ok(vec![PlanEvent::ItemAdded {
                    community,
                    year,
                    version: state.version.max(1),
                    item,
                }])
            }
            PlanCommand::Publish => {
                let year = state.year.ok_or(PlanError::NoPlan)?;
                let version = state.version;
                if state.published {
                    return Err(PlanError::AlreadyPublished { version });
                }
                if state.items_in_current_version() == 0 {
                    return Err(PlanError::NothingToPublish { version });
                }
                Ok(vec![PlanEvent::Published {
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
            PlanCommand::Amend { reason } => {
                let year = state.year.ok_or(PlanError::NoPlan)?;
                if !state.published {
                    return Err(PlanError::NotPublished {
                        version: state.version,
                    });
                }
                Ok(vec![PlanEvent::Amended {
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
            PlanEvent::ItemAdded {
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
            PlanEvent::Published { version, .. } => {
                state.version = *version;
                state.published = true;
                state.published_version = *version;
            }
            PlanEvent::Amended {
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
mod tests {
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn year() -> PlanYear {
        PlanYear::parse("year", 2026).unwrap()
    }

    fn item(n: u128, target: u32) -> PlannedItem {
        PlannedItem {
            item_id: PlannedItemId::from_uuid(Uuid::from_u128(n)),
            month: Month::parse("month", 3).unwrap(),
            category: ActivityCategory::FilmScreening,
            title: Title::parse("title", "周末电影").unwrap(),
            target: TargetParticipants::parse("target_participants", target).unwrap(),
        }
    }

    fn add(n: u128) -> PlanCommand {
        PlanCommand::AddItem {
            community: "xingfu".into(),
            year: year(),
            item: item(n, 40),
        }
    }

    fn added(n: u128, version: u32) -> PlanEvent {
        PlanEvent::ItemAdded {
            community: "xingfu".into(),
            year: year(),
            version,
            item: item(n, 40),
        }
    }

    fn published(version: u32, item_count: u32) -> PlanEvent {
        PlanEvent::Published {
            community: "xingfu".into(),
            year: year(),
            version,
            item_count,
            target_total: 40 * item_count,
        }
    }

    fn reason() -> Reason {
        Reason::parse("reason", "add a Double Ninth visit").unwrap()
    }

    fn amended(version: u32) -> PlanEvent {
        PlanEvent::Amended {
            community: "xingfu".into(),
            year: year(),
            version,
            reason: reason(),
        }
    }

    #[test]
    fn the_first_item_opens_version_one() {
        given::<AnnualPlan>([]).when(add(1)).then([added(1, 1)]);
        given::<AnnualPlan>([added(1, 1)])
            .when(add(2))
            .then([added(2, 1)]);
    }

    #[test]
    fn publishing_counts_every_item_and_target() {
        given::<AnnualPlan>([added(1, 1), added(2, 1)])
            .when(PlanCommand::Publish)
            .then([published(1, 2)]);
    }

    #[test]
    fn a_published_version_takes_no_items() {
        given::<AnnualPlan>([added(1, 1), published(1, 1)])
            .when(add(2))
            .then_error(PlanError::VersionPublished { version: 1 });
    }

    #[test]
    fn amending_opens_the_next_version_for_items() {
        given::<AnnualPlan>([added(1, 1), published(1, 1)])
            .when(PlanCommand::Amend { reason: reason() })
            .then([amended(2)]);
        given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
            .when(add(2))
            .then([added(2, 2)]);
        given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2), added(2, 2)])
            .when(PlanCommand::Publish)
            .then([published(2, 2)]);
    }

    #[test]
    fn refusals() {
        given::<AnnualPlan>([])
            .when(PlanCommand::Publish)
            .then_error(PlanError::NoPlan);
        given::<AnnualPlan>([])
            .when(PlanCommand::Amend { reason: reason() })
            .then_error(PlanError::NoPlan);
        given::<AnnualPlan>([added(1, 1), published(1, 1)])
            .when(PlanCommand::Publish)
            .then_error(PlanError::AlreadyPublished { version: 1 });
        given::<AnnualPlan>([added(1, 1)])
            .when(PlanCommand::Amend { reason: reason() })
            .then_error(PlanError::NotPublished { version: 1 });
        given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
            .when(PlanCommand::Amend { reason: reason() })
            .then_error(PlanError::NotPublished { version: 2 });
        given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
            .when(PlanCommand::Publish)
            .then_error(PlanError::NothingToPublish { version: 2 });
        given::<AnnualPlan>([added(1, 1)])
            .when(add(1))
            .then_error(PlanError::DuplicateItem);
    }

    #[test]
    fn errors_name_their_fields() {
        assert_eq!(PlanError::NoPlan.field(), Some("year"));
        assert_eq!(PlanError::DuplicateItem.field(), Some("item_id"));
        assert_eq!(PlanError::NothingToPublish { version: 2 }.field(), None);
        assert_eq!(
            PlanError::VersionPublished { version: 1 }.to_string(),
            "plan version 1 is published: amend the plan to change it"
        );
    }

    #[test]
    fn state_tracks_versions_and_items() {
        let state = AnnualPlan::fold(&[added(1, 1), published(1, 1), amended(2), added(2, 2)]);
        assert_eq!(state.community, "xingfu");
        assert_eq!(state.year, Some(year()));
        assert_eq!((state.version, state.published_version), (2, 1));
        assert!(!state.published);
        assert!(state.has_item(item(1, 40).item_id));
        assert!(!state.has_item(item(3, 40).item_id));
        assert_eq!(
            state
                .items
                .iter()
                .map(|e| e.added_in_version)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(state.amendment_reason, Some(reason()));
        assert!(!PlanState::default().exists());
        assert_eq!(plan_stream_id("xingfu", year()), "annualplan-xingfu-2026");
        assert_eq!(added(1, 1).event_type(), "PlannedItemAdded");
        assert_eq!(published(1, 1).event_type(), "AnnualPlanPublished");
        assert_eq!(amended(2).event_type(), "AnnualPlanAmended");
    }
}
