//! Given/when/then tests of the `AnnualPlan` decider.

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
    PlanCommand::AddPlannedItem {
        community: "xingfu".into(),
        year: year(),
        item: item(n, 40),
    }
}

fn added(n: u128, version: u32) -> PlanEvent {
    PlanEvent::PlannedItemAdded {
        community: "xingfu".into(),
        year: year(),
        version,
        item: item(n, 40),
    }
}

fn published(version: u32, item_count: u32) -> PlanEvent {
    PlanEvent::AnnualPlanPublished {
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
    PlanEvent::AnnualPlanAmended {
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
        .when(PlanCommand::PublishAnnualPlan)
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
        .when(PlanCommand::AmendAnnualPlan { reason: reason() })
        .then([amended(2)]);
    given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
        .when(add(2))
        .then([added(2, 2)]);
    given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2), added(2, 2)])
        .when(PlanCommand::PublishAnnualPlan)
        .then([published(2, 2)]);
}

#[test]
fn refusals() {
    given::<AnnualPlan>([])
        .when(PlanCommand::PublishAnnualPlan)
        .then_error(PlanError::NoPlan);
    given::<AnnualPlan>([])
        .when(PlanCommand::AmendAnnualPlan { reason: reason() })
        .then_error(PlanError::NoPlan);
    given::<AnnualPlan>([added(1, 1), published(1, 1)])
        .when(PlanCommand::PublishAnnualPlan)
        .then_error(PlanError::AlreadyPublished { version: 1 });
    given::<AnnualPlan>([added(1, 1)])
        .when(PlanCommand::AmendAnnualPlan { reason: reason() })
        .then_error(PlanError::NotPublished { version: 1 });
    given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
        .when(PlanCommand::AmendAnnualPlan { reason: reason() })
        .then_error(PlanError::NotPublished { version: 2 });
    given::<AnnualPlan>([added(1, 1), published(1, 1), amended(2)])
        .when(PlanCommand::PublishAnnualPlan)
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
    assert_eq!(
        [
            added(1, 3).version(),
            published(4, 1).version(),
            amended(5).version()
        ],
        [3, 4, 5]
    );
    assert_eq!(published(1, 1).event_type(), "AnnualPlanPublished");
    assert_eq!(amended(2).event_type(), "AnnualPlanAmended");
}
