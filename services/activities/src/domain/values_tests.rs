//! The validated values: ranges, bounds and the fields they name.

use super::*;
use chrono::TimeZone;

#[test]
fn ids_name_their_streams() {
    let u = uuid::Uuid::from_u128(7);
    assert_eq!(
        ActivityId::from_uuid(u).stream_id(),
        format!("activity-{u}")
    );
    assert_eq!(
        BoardId::from_uuid(u).stream_id(),
        format!("publicityboard-{u}")
    );
    assert_eq!(
        FacilityId::from_uuid(u).stream_id(),
        format!("facility-{u}")
    );
    assert_eq!(
        ResidentId::parse("resident_id", "nope").unwrap_err(),
        ValidationError::new("resident_id", "must be a uuid")
    );
}

#[test]
fn bounded_numbers_name_the_field() {
    assert_eq!(Month::parse("month", 1).unwrap().get(), 1);
    assert_eq!(Month::parse("month", 12).unwrap().to_string(), "12");
    for bad in [0, 13, -1] {
        assert_eq!(
            Month::parse("month", bad).unwrap_err(),
            ValidationError::new("month", "must be between 1 and 12")
        );
    }
    assert!(PlanYear::parse("year", 2026).is_ok());
    assert_eq!(PlanYear::parse("year", 1999).unwrap_err().field, "year");
    assert!(PlanYear::parse("year", 2101).is_err());
    assert_eq!(
        Capacity::parse("capacity", 0).unwrap_err().field,
        "capacity"
    );
    assert_eq!(Capacity::parse("capacity", 1).unwrap().get(), 1);
    assert!(TargetParticipants::parse("target_participants", 0).is_err());
    assert!(AreaSquareMeters::parse("area_square_meters", 0).is_err());
    assert_eq!(
        AreaSquareMeters::parse("area_square_meters", 200)
            .unwrap()
            .get(),
        200
    );
    assert!(AreaSquareMeters::parse("area_square_meters", 1_000_001).is_err());
}

#[test]
fn time_windows_end_after_they_start() {
    let at = |h| Utc.with_ymd_and_hms(2026, 5, 1, h, 0, 0).unwrap();
    let w = TimeWindow::parse("ends_at", at(9), at(11)).unwrap();
    assert_eq!((w.starts_at(), w.ends_at()), (at(9), at(11)));
    for end in [at(9), at(8)] {
        assert_eq!(
            TimeWindow::parse("ends_at", at(9), end).unwrap_err(),
            ValidationError::new("ends_at", "must be after starts_at")
        );
    }
}

#[test]
fn past_dates_stop_at_today() {
    let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
    assert_eq!(
        PastDate::parse("updated_on", day(3), day(3))
            .unwrap()
            .date(),
        day(3)
    );
    assert!(PastDate::parse("updated_on", day(1), day(3)).is_ok());
    assert_eq!(
        PastDate::parse("updated_on", day(4), day(3)).unwrap_err(),
        ValidationError::new("updated_on", "must not be in the future")
    );
}

#[test]
fn texts_are_bounded() {
    assert_eq!(
        Title::parse("title", " 周末电影 ").unwrap().as_str(),
        "周末电影"
    );
    assert_eq!(
        Title::parse("title", &"片".repeat(101))
            .unwrap_err()
            .message,
        "must be at most 100 characters"
    );
    assert_eq!(Reason::parse("reason", " ").unwrap_err().field, "reason");
    assert!(Note::parse("report", &"a".repeat(500)).is_ok());
    assert!(Note::parse("report", &"a".repeat(501)).is_err());
    assert_eq!(
        OrgUnitCode::parse("community", &"a".repeat(101))
            .unwrap_err()
            .field,
        "community"
    );
}

#[test]
fn codes_are_unique() {
    let mut codes: Vec<_> = ActivityCategory::ALL.iter().map(|c| c.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 10);
    assert_eq!(FacilityType::ALL.len(), 6);
    assert_eq!(
        ActivityCategory::FilmScreening.to_string(),
        "film_screening"
    );
}
