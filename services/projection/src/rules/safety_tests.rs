use super::super::testing::{pairs, run};
use super::super::Fact as Any;
use super::*;

use crate::catalog::{element, reported_element, severity_element};
use IncidentCategory::{Dispute, Fire, Theft};
use Severity::{Major, Minor, Serious};

fn fact(f: Fact) -> Any {
    Any::Safety(f)
}

fn reported(id: &str, category: IncidentCategory, severity: Severity, alert: bool) -> Any {
    fact(Fact::IncidentReported {
        incident_id: id.into(),
        category: Some(category),
        severity: Some(severity),
        reported_at: "2026-11-28T02:00:00Z".into(),
        alert,
    })
}

fn resolved(id: &str, hours: i64) -> Any {
    fact(Fact::IncidentResolved {
        incident_id: id.into(),
        seconds_to_resolve: Some(hours * 3600),
    })
}

#[test]
fn reports_count_by_category_and_severity_and_major_ones_alert() {
    let (views, net) = run(&[
        reported("i1", Theft, Minor, false),
        reported("i2", Fire, Major, true),
        reported("i2", Fire, Major, true),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("incidents.reported", 2),
            ("incidents.reported.theft", 1),
            ("incidents.reported.fire", 1),
            ("incidents.severity.minor", 1),
            ("incidents.severity.major", 1),
            ("incidents.major", 1),
        ])
    );
    let i2 = views.incidents["i2"].clone().unwrap();
    assert!(i2.alert && i2.open());
    assert_eq!(
        (i2.state.as_str(), i2.reported_day.as_str()),
        (REPORTED, "2026-11-28")
    );
}

#[test]
fn escalation_to_major_counts_once_and_raises_an_alert() {
    let escalate = || {
        fact(Fact::IncidentEscalated {
            incident_id: "i1".into(),
            severity: Some(Major),
        })
    };
    let (views, net) = run(&[
        reported("i1", Dispute, Serious, false),
        escalate(),
        escalate(),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("incidents.reported", 1),
            ("incidents.reported.dispute", 1),
            ("incidents.severity.serious", 1),
            ("incidents.major", 1),
        ])
    );
    let row = views.incidents["i1"].clone().unwrap();
    assert!(row.alert);
    assert_eq!((row.severity, row.state.as_str()), (Some(Major), ESCALATED));
}

#[test]
fn resolution_within_48_hours_is_on_time_and_counted_once() {
    let (views, net) = run(&[
        reported("i1", Theft, Minor, false),
        reported("i2", Theft, Minor, false),
        fact(Fact::IncidentDispatched {
            incident_id: "i1".into(),
        }),
        resolved("i1", 48),
        resolved("i1", 48),
        resolved("i2", 49),
        fact(Fact::IncidentClosed {
            incident_id: "i2".into(),
        }),
    ]);
    let expected = pairs(&[
        ("incidents.reported", 2),
        ("incidents.reported.theft", 2),
        ("incidents.severity.minor", 2),
        ("incidents.resolved", 2),
        ("incidents.resolved_within_48h", 1),
    ]);
    assert_eq!(net, expected);
    assert_eq!(views.incidents["i1"].as_ref().unwrap().state, RESOLVED);
    assert_eq!(
        views.incidents["i2"].as_ref().unwrap().state,
        INCIDENT_CLOSED
    );
}

#[test]
fn patrols_and_inspections_are_flows() {
    let (_, net) = run(&[
        fact(Fact::PatrolCompleted {
            participants: 3,
            minutes: 60,
        }),
        fact(Fact::PatrolCompleted {
            participants: 2,
            minutes: 45,
        }),
        fact(Fact::InspectionRecorded { passed: true }),
        fact(Fact::InspectionRecorded { passed: false }),
        fact(Fact::InspectionRecorded { passed: false }),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("patrols.completed", 2),
            ("patrols.minutes", 105),
            ("patrols.participants", 5),
            ("inspections.passed", 1),
            ("inspections.failed", 2),
        ])
    );
}

#[test]
fn rectifications_stay_open_until_verified() {
    let ordered = |id: &str| {
        fact(Fact::RectificationOrdered {
            rectification_id: id.into(),
            ordered_on: "2026-11-20".into(),
            deadline: "2026-11-27".into(),
        })
    };
    let verified = |id: &str, on_time| {
        fact(Fact::RectificationVerified {
            rectification_id: id.into(),
            on_time,
        })
    };
    let (views, net) = run(&[
        ordered("r1"),
        ordered("r2"),
        ordered("r3"),
        verified("r1", true),
        verified("r1", true),
        verified("r2", false),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("rectifications.ordered", 3),
            ("rectifications.verified", 2),
            ("rectifications.verified_on_time", 1),
            ("rectifications.open", 1),
        ])
    );
    assert_eq!(views.rectifications["r3"].as_ref().unwrap().state, OPEN);
    assert_eq!(views.rectifications["r1"].as_ref().unwrap().state, VERIFIED);
}

#[test]
fn every_category_and_severity_on_the_wire_is_a_catalog_element() {
    for value in 1..=10 {
        let category = IncidentCategory::from_wire(value).expect("a known category");
        let reported = reported_element(category);
        assert_eq!(element(reported.code), Some(reported));
    }
    for value in 1..=3 {
        let severity = Severity::from_wire(value).expect("a known severity");
        assert_eq!(
            element(severity_element(severity).code),
            Some(severity_element(severity))
        );
    }
    assert_eq!(
        (IncidentCategory::from_wire(0), Severity::from_wire(0)),
        (None, None)
    );
}
