//! Round trips of every event through its protobuf payload, and the refusals that
//! name a missing or wrong field.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use civitas_kernel::EventCodec;
use civitas_proto::convert::{date_to_pb, timestamp};
use civitas_proto::events::v1 as pb;
use prost::Message;
use uuid::Uuid;

use crate::domain::{
    Assignee, Building, EscalationTarget, Grid, Grids, Hazard, IncidentCategory, IncidentEvent,
    IncidentId, IncidentReport, InspectionEvent, InspectionId, InspectionRecord, InspectionTarget,
    InspectionType, Location, Minutes, Participants, PatrolEvent, PatrolId, Reason,
    RectificationEvent, RectificationId, RectificationOrder, Resolution, Route, Score, Severity,
};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).unwrap() + chrono::Duration::nanoseconds(5)
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn round_trip<E: EventCodec + PartialEq + std::fmt::Debug>(events: Vec<E>) {
    for e in events {
        let back = E::decode(e.event_type(), 1, &e.encode()).expect("decode");
        assert_eq!(back, e);
    }
}

#[test]
fn every_incident_event_round_trips() {
    let id = IncidentId::from_uuid(Uuid::now_v7());
    round_trip(vec![
        IncidentEvent::Reported(IncidentReport {
            incident_id: id,
            category: IncidentCategory::Fire,
            severity: Severity::Serious,
            grid: Grid::parse("grid", "G-03").unwrap(),
            building: None,
            location: Location::parse("location", "kitchen of the canteen").unwrap(),
            occurred_at: at(8),
            reported_at: at(9),
            alert: true,
        }),
        IncidentEvent::Reported(IncidentReport {
            incident_id: id,
            category: IncidentCategory::PublicOrder,
            severity: Severity::Minor,
            grid: Grid::parse("grid", "G-03").unwrap(),
            building: Some(Building::parse("building", "5栋").unwrap()),
            location: Location::parse("location", "square").unwrap(),
            occurred_at: at(8),
            reported_at: at(9),
            alert: false,
        }),
        IncidentEvent::Dispatched {
            incident_id: id,
            assignee: Assignee::parse("assignee", "property security").unwrap(),
        },
        IncidentEvent::Resolved {
            incident_id: id,
            resolution: Resolution::parse("resolution", "put out").unwrap(),
            reported_at: at(9),
            resolved_at: at(10),
            category: IncidentCategory::Fire,
            severity: Severity::Serious,
        },
        IncidentEvent::Closed { incident_id: id },
        IncidentEvent::Escalated {
            incident_id: id,
            target: EscalationTarget::Street,
            reason: Reason::parse("reason", "needs the fire brigade").unwrap(),
            severity: Severity::Major,
        },
    ]);
}

#[test]
fn patrol_inspection_and_rectification_events_round_trip() {
    let grids = Grids::parse("grids", &["G1", "G2"]).unwrap();
    let patrol_id = PatrolId::from_uuid(Uuid::now_v7());
    round_trip(vec![
        PatrolEvent::Scheduled {
            patrol_id,
            route: Route::parse("route", "north loop").unwrap(),
            planned_start: at(19),
            planned_grids: grids.clone(),
        },
        PatrolEvent::Completed {
            patrol_id,
            participants: Participants::parse("participants", 4).unwrap(),
            minutes: Minutes::parse("minutes", 75).unwrap(),
            grids_covered: grids,
            planned_grid_count: 3,
        },
    ]);
    let inspection_id = InspectionId::from_uuid(Uuid::now_v7());
    round_trip(vec![InspectionEvent::Recorded(InspectionRecord {
        inspection_id,
        inspection_type: InspectionType::DoorFrontDuties,
        target: InspectionTarget::parse("target", "noodle shop front").unwrap(),
        score: Score::parse("score", 55).unwrap(),
        passed: false,
        hazards: vec![Hazard::parse("hazards", "goods on pavement").unwrap()],
        inspected_on: day(28),
    })]);
    let rectification_id = RectificationId::from_uuid(Uuid::now_v7());
    round_trip(vec![
        RectificationEvent::Ordered(RectificationOrder {
            rectification_id,
            inspection: Some((inspection_id, InspectionType::DoorFrontDuties)),
            hazard: None,
            ordered_on: day(10),
            deadline: day(20),
        }),
        RectificationEvent::Ordered(RectificationOrder {
            rectification_id,
            inspection: None,
            hazard: Some(Hazard::parse("hazard", "loose railing").unwrap()),
            ordered_on: day(10),
            deadline: day(20),
        }),
        RectificationEvent::Verified {
            rectification_id,
            verified_on: day(21),
            deadline: day(20),
            on_time: false,
            inspection_id: Some(inspection_id),
        },
        RectificationEvent::Verified {
            rectification_id,
            verified_on: day(12),
            deadline: day(20),
            on_time: true,
            inspection_id: None,
        },
    ]);
}

#[test]
fn inspection_payload_carries_the_hazard_count() {
    let event = InspectionEvent::Recorded(InspectionRecord {
        inspection_id: InspectionId::from_uuid(Uuid::now_v7()),
        inspection_type: InspectionType::Pests,
        target: InspectionTarget::parse("target", "bin room").unwrap(),
        score: Score::parse("score", 30).unwrap(),
        passed: false,
        hazards: vec![
            Hazard::parse("hazards", "rats").unwrap(),
            Hazard::parse("hazards", "open bins").unwrap(),
        ],
        inspected_on: day(28),
    });
    let wire = pb::InspectionRecorded::decode(event.encode().as_slice()).unwrap();
    assert_eq!(wire.hazard_count, 2);
    assert_eq!(wire.inspection_type, pb::InspectionType::Pests as i32);
}

#[test]
fn bad_payloads_name_the_field() {
    let missing_time = pb::IncidentReported {
        incident_id: Uuid::now_v7().to_string(),
        category: pb::IncidentCategory::Theft as i32,
        severity: pb::IncidentSeverity::Minor as i32,
        grid: "G1".into(),
        location: "gate".into(),
        reported_at: Some(timestamp(at(9))),
        ..Default::default()
    }
    .encode_to_vec();
    let err = IncidentEvent::decode("IncidentReported", 1, &missing_time).unwrap_err();
    assert!(err.reason.contains("occurred_at"), "{err}");
    let unspecified = pb::IncidentEscalated {
        incident_id: Uuid::now_v7().to_string(),
        reason: "r".into(),
        severity: pb::IncidentSeverity::Major as i32,
        ..Default::default()
    }
    .encode_to_vec();
    let err = IncidentEvent::decode("IncidentEscalated", 1, &unspecified).unwrap_err();
    assert!(err.reason.contains("target"), "{err}");
    let neither = pb::RectificationOrdered {
        rectification_id: Uuid::now_v7().to_string(),
        ordered_on: Some(date_to_pb(day(1))),
        deadline: Some(date_to_pb(day(2))),
        ..Default::default()
    }
    .encode_to_vec();
    let err = RectificationEvent::decode("RectificationOrdered", 1, &neither).unwrap_err();
    assert!(err.reason.contains("hazard"), "{err}");
    let err = PatrolEvent::decode("PatrolCompleted", 1, &[0xff, 0xff]).unwrap_err();
    assert_eq!(err.event_type, "PatrolCompleted");
    let err = InspectionEvent::decode("Nonsense", 2, &[]).unwrap_err();
    assert!(err.reason.contains("unknown"), "{err}");
    assert_eq!(err.schema_version, 2);
}

#[test]
fn every_category_pairs_with_its_wire_value() {
    for c in IncidentCategory::ALL {
        assert_eq!(
            IncidentCategory::from_pb(c.to_pb() as i32, "category"),
            Ok(*c)
        );
    }
    for s in Severity::ALL {
        assert_eq!(Severity::from_pb(s.to_pb() as i32, "severity"), Ok(*s));
    }
    for t in EscalationTarget::ALL {
        assert_eq!(
            EscalationTarget::from_pb(t.to_pb() as i32, "target"),
            Ok(*t)
        );
    }
    for t in InspectionType::ALL {
        assert_eq!(
            InspectionType::from_pb(t.to_pb() as i32, "inspection_type"),
            Ok(*t)
        );
    }
    let err = Severity::from_pb(0, "severity").unwrap_err();
    assert_eq!(
        (err.field, err.message.as_str()),
        ("severity", "must be a known severity")
    );
    assert_eq!(
        IncidentCategory::from_pb(99, "category").unwrap_err().field,
        "category"
    );
}
