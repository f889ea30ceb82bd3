//! Round trips of every event through its protobuf payload, and named decode failures.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use civitas_kernel::EventCodec;
use civitas_proto::common::v1 as common;
use civitas_proto::convert::{date_from_pb, date_to_pb, timestamp, timestamp_from_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;
use uuid::Uuid;

use crate::domain::{
    ActivityCategory, ActivityEvent, ActivityId, ActivityPlan, AmountYuan, AreaSquareMeters,
    Attendee, BoardEvent, BoardId, BoardTopic, Capacity, CoBuildingUnitId, FacilityDetails,
    FacilityEvent, FacilityId, FacilityName, FacilityType, FundSource, LedgerEvent, LedgerNote,
    Location, Month, Note, PastDate, PlanEvent, PlanYear, PlannedItem, PlannedItemId, Purpose,
    Reason, Receipt, ResidentId, Spending, TargetParticipants, TimeWindow, Title, Topic,
    ValidationError, Venue,
};

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, hour, 0, 0).unwrap() + chrono::Duration::milliseconds(250)
}

fn day() -> PastDate {
    let d = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    PastDate::parse("day", d, d).unwrap()
}

fn round_trip<E: EventCodec + PartialEq + std::fmt::Debug>(events: Vec<E>) {
    for e in events {
        let back = E::decode(e.event_type(), 1, &e.encode()).expect("decode");
        assert_eq!(back, e);
    }
}

#[test]
fn every_plan_event_round_trips() {
    let year = PlanYear::parse("year", 2026).unwrap();
    round_trip(vec![
        PlanEvent::PlannedItemAdded {
            community: "xingfu".into(),
            year,
            version: 2,
            item: PlannedItem {
                item_id: PlannedItemId::from_uuid(Uuid::now_v7()),
                month: Month::parse("month", 10).unwrap(),
                category: ActivityCategory::ElderlyCare,
                title: Title::parse("title", "重阳节慰问").unwrap(),
                target: TargetParticipants::parse("target_participants", 60).unwrap(),
            },
        },
        PlanEvent::AnnualPlanPublished {
            community: "xingfu".into(),
            year,
            version: 2,
            item_count: 12,
            target_total: 600,
        },
        PlanEvent::AnnualPlanAmended {
            community: "xingfu".into(),
            year,
            version: 3,
            reason: Reason::parse("reason", "new film nights").unwrap(),
        },
    ]);
}

#[test]
fn every_activity_event_round_trips() {
    let a = ActivityId::from_uuid(Uuid::now_v7());
    let r = ResidentId::from_uuid(Uuid::now_v7());
    let details = ActivityPlan {
        category: ActivityCategory::CitizenSchoolClass,
        title: Title::parse("title", "防诈骗讲座").unwrap(),
        venue: Venue::parse("venue", "市民学校").unwrap(),
        window: TimeWindow::parse("ends_at", at(1), at(3)).unwrap(),
        capacity: Capacity::parse("capacity", 30).unwrap(),
        plan_year: PlanYear::parse("plan_year", 2026).unwrap(),
    };
    round_trip(vec![
        ActivityEvent::ActivityScheduled {
            activity_id: a,
            community: "heping".into(),
            details: details.clone(),
            planned_item: Some(PlannedItemId::from_uuid(Uuid::now_v7())),
        },
        ActivityEvent::ActivityScheduled {
            activity_id: a,
            community: "heping".into(),
            details,
            planned_item: None,
        },
        ActivityEvent::ParticipantRegistered {
            activity_id: a,
            resident_id: r,
            registered_count: 4,
        },
        ActivityEvent::RegistrationCancelled {
            activity_id: a,
            resident_id: r,
            registered_count: 3,
        },
        ActivityEvent::ParticipantCheckedIn {
            activity_id: a,
            attendee: Attendee::Registered(r),
            at: at(2),
        },
        ActivityEvent::ParticipantCheckedIn {
            activity_id: a,
            attendee: Attendee::WalkIn,
            at: at(2),
        },
        ActivityEvent::ActivityClosed {
            activity_id: a,
            category: ActivityCategory::CitizenSchoolClass,
            attendance: 5,
            registered: 4,
            registered_attended: 3,
            walk_ins: 2,
            report: Note::parse("report", "讲座顺利").unwrap(),
            closed_at: at(4),
        },
        ActivityEvent::ActivityCancelled {
            activity_id: a,
            category: ActivityCategory::Other,
            reason: Reason::parse("reason", "rain").unwrap(),
        },
    ]);
}

#[test]
fn board_and_facility_events_round_trip() {
    let b = BoardId::from_uuid(Uuid::now_v7());
    round_trip(vec![
        BoardEvent::PublicityBoardRegistered {
            board_id: b,
            community: "minzhu".into(),
            location: Location::parse("location", "北门").unwrap(),
        },
        BoardEvent::PublicityBoardUpdated {
            board_id: b,
            topic: Some(BoardTopic::Science),
            title: Some(Topic::parse("topic", "文明养犬").unwrap()),
            updated_on: day(),
        },
        BoardEvent::PublicityBoardUpdated {
            board_id: b,
            topic: Some(BoardTopic::CurrentAffairs),
            title: None,
            updated_on: day(),
        },
    ]);
    // An update written before topic codes: free text, no code.
    let before_codes = pb::PublicityBoardUpdated {
        board_id: b.to_string(),
        topic: "文明养犬".into(),
        updated_on: Some(date_to_pb(day().date())),
        topic_code: 0,
    };
    assert_eq!(
        BoardEvent::decode("PublicityBoardUpdated", 1, &before_codes.encode_to_vec())
            .expect("an update written before topic codes"),
        BoardEvent::PublicityBoardUpdated {
            board_id: b,
            topic: None,
            title: Some(Topic::parse("topic", "文明养犬").unwrap()),
            updated_on: day(),
        }
    );
    let f = FacilityId::from_uuid(Uuid::now_v7());
    round_trip(vec![
        FacilityEvent::FacilityRegistered {
            facility_id: f,
            community: "jinxiu".into(),
            details: FacilityDetails {
                facility_type: FacilityType::SportsGround,
                name: FacilityName::parse("name", "健身广场").unwrap(),
                area: AreaSquareMeters::parse("area_square_meters", 800).unwrap(),
            },
        },
        FacilityEvent::FacilityMaintained {
            facility_id: f,
            maintained_on: day(),
            note: Note::parse("note", "repainted").unwrap(),
        },
    ]);
}

#[test]
fn fund_ledger_events_round_trip() {
    let yuan = |n| AmountYuan::parse("amount_yuan", n).unwrap();
    let note = LedgerNote::parse("note", "2026 年度").unwrap();
    round_trip(vec![
        LedgerEvent::FundsReceived {
            community: "xingfu".into(),
            receipt: Receipt {
                source: FundSource::CoBuildingUnits,
                amount: yuan(8_000),
                received_on: day(),
                note: Some(note.clone()),
                unit_id: Some(CoBuildingUnitId::from_uuid(Uuid::now_v7())),
            },
            source_balance: 8_000,
        },
        LedgerEvent::FundsReceived {
            community: "xingfu".into(),
            receipt: Receipt {
                source: FundSource::Government,
                amount: yuan(20_000),
                received_on: day(),
                note: None,
                unit_id: None,
            },
            source_balance: 20_000,
        },
        LedgerEvent::FundsSpent {
            community: "xingfu".into(),
            spending: Spending {
                source: FundSource::Government,
                amount: yuan(1_500),
                spent_on: day(),
                purpose: Purpose::parse("purpose", "宣传栏制作").unwrap(),
                note: Some(note),
            },
            source_balance: 18_500,
        },
    ]);
    let unspecified = pb::FundsSpent {
        source: 0,
        amount_yuan: 10,
        spent_on: Some(date_to_pb(day().date())),
        purpose: "x".into(),
        ..Default::default()
    };
    let err = LedgerEvent::decode("FundsSpent", 1, &unspecified.encode_to_vec())
        .expect_err("unspecified source");
    assert_eq!(err.reason, "invalid source: must be a known fund source");
    assert!(LedgerEvent::decode("Nope", 1, &[])
        .expect_err("unknown")
        .reason
        .contains("unknown"));
}

/// Each code of the service's own code enums is its wire value's name without the
/// enum's prefix, in lowercase: what the projection's element names derive from.
#[test]
fn own_codes_are_the_wire_names() {
    for t in BoardTopic::ALL {
        let wire = super::board::board_topic_to_pb(*t);
        let name = wire.as_str_name().strip_prefix("BOARD_TOPIC_").unwrap();
        assert_eq!(t.code(), name.to_lowercase());
        assert_eq!(
            super::board_topic_from_pb(wire as i32, "topic_code"),
            Ok(*t)
        );
    }
    for s in FundSource::ALL {
        let wire = super::funding::fund_source_to_pb(*s);
        let name = wire.as_str_name().strip_prefix("FUND_SOURCE_").unwrap();
        assert_eq!(s.code(), name.to_lowercase());
        assert_eq!(super::fund_source_from_pb(wire as i32, "source"), Ok(*s));
    }
    assert_eq!(
        super::board_topic_from_pb(0, "topic_code").unwrap_err(),
        ValidationError::new("topic_code", "must be a known board topic")
    );
}

#[test]
fn missing_and_bad_fields_are_named() {
    let missing_start = pb::ActivityScheduled {
        activity_id: Uuid::now_v7().to_string(),
        category: pb::ActivityCategory::FilmScreening as i32,
        ..Default::default()
    };
    let err = ActivityEvent::decode("ActivityScheduled", 1, &missing_start.encode_to_vec())
        .expect_err("missing starts_at");
    assert!(err.reason.contains("starts_at"), "{err}");
    let unspecified = pb::ActivityCancelled {
        activity_id: Uuid::now_v7().to_string(),
        category: 0,
        reason: "x".into(),
    };
    let err = ActivityEvent::decode("ActivityCancelled", 1, &unspecified.encode_to_vec())
        .expect_err("unspecified");
    assert!(err.reason.contains("category"), "{err}");
    let no_date = pb::FacilityMaintained {
        facility_id: Uuid::now_v7().to_string(),
        maintained_on: None,
        note: "n".into(),
    };
    let err = FacilityEvent::decode("FacilityMaintained", 1, &no_date.encode_to_vec())
        .expect_err("missing date");
    assert_eq!(err.reason, "invalid maintained_on: is required");
    let err = PlanEvent::decode("PlannedItemAdded", 1, &[0xff, 0xff]).expect_err("garbage");
    assert_eq!(err.event_type, "PlannedItemAdded");
    for result in [
        PlanEvent::decode("Nope", 1, &[]).map(|_| ()),
        ActivityEvent::decode("Nope", 1, &[]).map(|_| ()),
        BoardEvent::decode("Nope", 1, &[]).map(|_| ()),
        FacilityEvent::decode("Nope", 1, &[]).map(|_| ()),
    ] {
        assert!(result.expect_err("unknown").reason.contains("unknown"));
    }
}

#[test]
fn enums_dates_and_timestamps_convert_both_ways() {
    for c in ActivityCategory::ALL {
        assert_eq!(
            ActivityCategory::from_pb(c.to_pb() as i32, "category"),
            Ok(*c)
        );
    }
    for t in FacilityType::ALL {
        assert_eq!(
            FacilityType::from_pb(t.to_pb() as i32, "facility_type"),
            Ok(*t)
        );
    }
    assert_eq!(
        ActivityCategory::from_pb(0, "category").unwrap_err().field,
        "category"
    );
    assert_eq!(
        ActivityCategory::from_pb(99, "category").unwrap_err().field,
        "category"
    );
    assert_eq!(
        FacilityType::from_pb(0, "facility_type").unwrap_err().field,
        "facility_type"
    );
    let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    assert_eq!(date_from_pb(Some(date_to_pb(d)), "d"), Ok(d));
    let bad = common::Date {
        year: 2025,
        month: 2,
        day: 29,
    };
    assert_eq!(
        date_from_pb(Some(bad), "updated_on").unwrap_err(),
        ValidationError::new("updated_on", "is not a calendar date")
    );
    assert_eq!(
        timestamp_from_pb(Some(timestamp(at(5))), "starts_at"),
        Ok(at(5))
    );
    assert_eq!(
        timestamp_from_pb(None, "starts_at").unwrap_err(),
        ValidationError::new("starts_at", "is required")
    );
    let negative = prost_types::Timestamp {
        seconds: 0,
        nanos: -1,
    };
    assert_eq!(
        timestamp_from_pb(Some(negative), "ends_at")
            .unwrap_err()
            .field,
        "ends_at"
    );
}
