//! Given/when/then tests of the `GoodDeed` decider.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn id() -> DeedId {
    DeedId::from_uuid(Uuid::from_u128(3))
}

fn day(d: u32) -> PastDate {
    let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    PastDate::parse("happened_on", date, date).unwrap()
}

fn recorded() -> DeedEvent {
    DeedEvent::GoodDeedRecorded {
        deed_id: id(),
        community: "xingfu".into(),
        title: Title::parse("title", "拾金不昧").unwrap(),
        story: Note::parse("story", "3 栋居民拾到钱包，交还失主。").unwrap(),
        happened_on: day(2),
    }
}

fn published(d: u32) -> DeedEvent {
    DeedEvent::GoodDeedPublished {
        deed_id: id(),
        published_on: day(d),
    }
}

fn reason() -> Reason {
    Reason::parse("reason", "当事人不愿公开").unwrap()
}

#[test]
fn a_deed_is_recorded_reviewed_and_published_once() {
    let DeedEvent::GoodDeedRecorded {
        deed_id,
        community,
        title,
        story,
        happened_on,
    } = recorded()
    else {
        unreachable!()
    };
    let record = DeedCommand::Record {
        deed_id,
        community,
        title,
        story,
        happened_on,
    };
    given::<GoodDeed>([])
        .when(record.clone())
        .then([recorded()]);
    given::<GoodDeed>([recorded()])
        .when(record)
        .then_error(DeedError::AlreadyRecorded);
    given::<GoodDeed>([])
        .when(DeedCommand::Publish {
            published_on: day(3),
        })
        .then_error(DeedError::NotRecorded);
    given::<GoodDeed>([recorded()])
        .when(DeedCommand::Publish {
            published_on: day(3),
        })
        .then([published(3)]);
    given::<GoodDeed>([recorded(), published(3)])
        .when(DeedCommand::Publish {
            published_on: day(4),
        })
        .then_error(DeedError::AlreadyPublished);
}

#[test]
fn only_a_published_deed_is_retracted_and_may_be_published_again() {
    given::<GoodDeed>([recorded()])
        .when(DeedCommand::Retract { reason: reason() })
        .then_error(DeedError::NotPublished);
    let retracted = DeedEvent::GoodDeedRetracted {
        deed_id: id(),
        reason: reason(),
    };
    given::<GoodDeed>([recorded(), published(3)])
        .when(DeedCommand::Retract { reason: reason() })
        .then([retracted.clone()]);
    given::<GoodDeed>([recorded(), published(3), retracted])
        .when(DeedCommand::Publish {
            published_on: day(5),
        })
        .then([published(5)]);
}
