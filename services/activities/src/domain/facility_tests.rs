//! Given/when/then tests of the `Facility` decider.

use chrono::NaiveDate;
use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn id() -> FacilityId {
    FacilityId::from_uuid(Uuid::from_u128(6))
}

fn details() -> FacilityDetails {
    FacilityDetails {
        facility_type: FacilityType::ServiceStation,
        name: FacilityName::parse("name", "居家养老服务站").unwrap(),
        area: AreaSquareMeters::parse("area_square_meters", 200).unwrap(),
    }
}

fn register() -> FacilityCommand {
    FacilityCommand::RegisterFacility {
        facility_id: id(),
        community: "xingfu".into(),
        details: details(),
    }
}

fn registered() -> FacilityEvent {
    FacilityEvent::FacilityRegistered {
        facility_id: id(),
        community: "xingfu".into(),
        details: details(),
    }
}

fn day(d: u32) -> PastDate {
    let date = NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
    PastDate::parse("maintained_on", date, date).unwrap()
}

fn note() -> Note {
    Note::parse("note", "replaced the lights").unwrap()
}

#[test]
fn registers_and_records_maintenance() {
    given::<Facility>([]).when(register()).then([registered()]);
    given::<Facility>([registered()])
        .when(FacilityCommand::RecordFacilityMaintenance {
            maintained_on: day(2),
            note: note(),
        })
        .then([FacilityEvent::FacilityMaintained {
            facility_id: id(),
            maintained_on: day(2),
            note: note(),
        }]);
}

#[test]
fn refusals_name_the_facility() {
    given::<Facility>([registered()])
        .when(register())
        .then_error(FacilityError::AlreadyRegistered);
    given::<Facility>([])
        .when(FacilityCommand::RecordFacilityMaintenance {
            maintained_on: day(2),
            note: note(),
        })
        .then_error(FacilityError::NotRegistered);
    assert_eq!(FacilityError::NotRegistered.field(), Some("facility_id"));
}

#[test]
fn state_counts_maintenance() {
    let maintained = |d| FacilityEvent::FacilityMaintained {
        facility_id: id(),
        maintained_on: day(d),
        note: note(),
    };
    let state = Facility::fold(&[registered(), maintained(8), maintained(3)]);
    assert_eq!(state.maintenance_count, 2);
    assert_eq!(state.last_maintained_on, Some(day(8)));
    assert_eq!(state.details, Some(details()));
    assert_eq!(registered().event_type(), "FacilityRegistered");
    assert_eq!(maintained(1).event_type(), "FacilityMaintained");
}
