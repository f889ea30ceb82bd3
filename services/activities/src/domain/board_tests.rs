//! Given/when/then tests of the `PublicityBoard` decider.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn id() -> BoardId {
    BoardId::from_uuid(Uuid::from_u128(5))
}

fn location() -> Location {
    Location::parse("location", "3 幢东侧").unwrap()
}

fn day(d: u32) -> PastDate {
    let date = NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
    PastDate::parse("updated_on", date, date).unwrap()
}

fn registered() -> BoardEvent {
    BoardEvent::PublicityBoardRegistered {
        board_id: id(),
        community: "xingfu".into(),
        location: location(),
    }
}

fn title() -> Option<Topic> {
    Some(Topic::parse("topic", "垃圾分类").unwrap())
}

fn update(d: u32) -> BoardCommand {
    BoardCommand::RecordBoardUpdate {
        topic: BoardTopic::HealthEducation,
        title: title(),
        updated_on: day(d),
    }
}

fn updated(d: u32) -> BoardEvent {
    BoardEvent::PublicityBoardUpdated {
        board_id: id(),
        topic: Some(BoardTopic::HealthEducation),
        title: title(),
        updated_on: day(d),
    }
}

#[test]
fn registers_and_records_updates() {
    given::<PublicityBoard>([])
        .when(BoardCommand::RegisterPublicityBoard {
            board_id: id(),
            community: "xingfu".into(),
            location: location(),
        })
        .then([registered()]);
    given::<PublicityBoard>([registered()])
        .when(update(3))
        .then([updated(3)]);
}

#[test]
fn refusals_name_the_board() {
    given::<PublicityBoard>([registered()])
        .when(BoardCommand::RegisterPublicityBoard {
            board_id: id(),
            community: "xingfu".into(),
            location: location(),
        })
        .then_error(BoardError::AlreadyRegistered);
    given::<PublicityBoard>([])
        .when(update(3))
        .then_error(BoardError::NotRegistered);
    assert_eq!(BoardError::NotRegistered.field(), Some("board_id"));
}

#[test]
fn state_keeps_the_latest_update() {
    let state = PublicityBoard::fold(&[registered(), updated(9), updated(4)]);
    assert_eq!(state.updates, 2);
    assert_eq!(state.last_updated_on, Some(day(9)));
    assert_eq!(state.community, "xingfu");
    assert_eq!(registered().event_type(), "PublicityBoardRegistered");
    assert_eq!(updated(1).event_type(), "PublicityBoardUpdated");
}

#[test]
fn an_update_carries_its_topic_and_the_title_is_optional() {
    for topic in BoardTopic::ALL {
        given::<PublicityBoard>([registered()])
            .when(BoardCommand::RecordBoardUpdate {
                topic: *topic,
                title: None,
                updated_on: day(2),
            })
            .then([BoardEvent::PublicityBoardUpdated {
                board_id: id(),
                topic: Some(*topic),
                title: None,
                updated_on: day(2),
            }]);
    }
    // An update written before topic codes (no code, the topic as free text) still
    // folds, and counts like any other.
    let before_codes = BoardEvent::PublicityBoardUpdated {
        board_id: id(),
        topic: None,
        title: title(),
        updated_on: day(1),
    };
    let state = PublicityBoard::fold(&[registered(), before_codes, updated(3)]);
    assert_eq!(state.updates, 2);
    assert_eq!(state.last_updated_on, Some(day(3)));
    assert_eq!(BoardTopic::CurrentAffairs.code(), "current_affairs");
    assert_eq!(BoardTopic::HealthEducation.code(), "health_education");
}
