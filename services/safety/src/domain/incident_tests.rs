//! Given/when/then tests of the `Incident` decider: every transition and every refusal.

use chrono::{DateTime, TimeZone, Utc};
use civitas_kernel::aggregate::given;
use civitas_kernel::Decider;
use uuid::Uuid;

use super::*;
use crate::domain::values::{Assignee, Building, Grid, Location, OccurredAt, Reason, Resolution};

use EscalationTarget::{Police, Street};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).unwrap()
}

fn id() -> IncidentId {
    IncidentId::from_uuid(Uuid::from_u128(7))
}

/// The report every test files: a theft or whatever `category` says, at the east gate.
fn report_of(category: IncidentCategory, severity: Severity, alert: bool) -> IncidentReport {
    IncidentReport {
        incident_id: id(),
        category,
        severity,
        grid: Grid::parse("grid", "G-03").unwrap(),
        building: Some(Building::parse("building", "5栋").unwrap()),
        location: Location::parse("location", "east gate bike shed").unwrap(),
        occurred_at: at(8),
        reported_at: at(9),
        alert,
    }
}

fn report_as(category: IncidentCategory, severity: Severity) -> IncidentCommand {
    let report = report_of(category, severity, false);
    IncidentCommand::Report {
        incident_id: report.incident_id,
        category,
        severity,
        grid: report.grid,
        building: report.building,
        location: report.location,
        occurred_at: OccurredAt::parse("occurred_at", at(8), at(9)).unwrap(),
        now: at(9),
    }
}

fn reported_as(category: IncidentCategory, severity: Severity, alert: bool) -> IncidentEvent {
    IncidentEvent::Reported(report_of(category, severity, alert))
}

fn reported() -> IncidentEvent {
    reported_as(IncidentCategory::Theft, Severity::Minor, false)
}

fn assignee() -> Assignee {
    Assignee::parse("assignee", "patrol team 2").unwrap()
}

fn dispatch() -> IncidentCommand {
    IncidentCommand::Dispatch {
        assignee: assignee(),
    }
}

fn dispatched() -> IncidentEvent {
    IncidentEvent::Dispatched {
        incident_id: id(),
        assignee: assignee(),
    }
}

fn resolution() -> Resolution {
    Resolution::parse("resolution", "bike returned, lock fitted").unwrap()
}

fn resolve() -> IncidentCommand {
    IncidentCommand::Resolve {
        resolution: resolution(),
        now: at(15),
    }
}

fn resolved() -> IncidentEvent {
    IncidentEvent::Resolved {
        incident_id: id(),
        resolution: resolution(),
        reported_at: at(9),
        resolved_at: at(15),
        category: IncidentCategory::Theft,
        severity: Severity::Minor,
    }
}

fn closed() -> IncidentEvent {
    IncidentEvent::Closed { incident_id: id() }
}

fn escalate(target: EscalationTarget) -> IncidentCommand {
    IncidentCommand::Escalate {
        target,
        reason: Reason::parse("reason", "repeat offender").unwrap(),
    }
}

fn escalated(target: EscalationTarget) -> IncidentEvent {
    IncidentEvent::Escalated {
        incident_id: id(),
        target,
        reason: Reason::parse("reason", "repeat offender").unwrap(),
        severity: Severity::Minor,
    }
}

/// One of every command that acts on a reported incident.
fn commands_after_report() -> Vec<IncidentCommand> {
    vec![
        dispatch(),
        resolve(),
        IncidentCommand::Close,
        escalate(Police),
    ]
}

#[test]
fn reports_an_incident() {
    given::<Incident>([])
        .when(report_as(IncidentCategory::Theft, Severity::Minor))
        .then([reported()]);
}

#[test]
fn alerts_on_major_fire_and_casualty() {
    use IncidentCategory::*;
    for category in IncidentCategory::ALL.iter().copied() {
        for severity in Severity::ALL.iter().copied() {
            let expected = severity == Severity::Major || category == Fire || category == Casualty;
            assert_eq!(
                is_alert(category, severity),
                expected,
                "{category}/{severity}"
            );
            given::<Incident>([])
                .when(report_as(category, severity))
                .then([reported_as(category, severity, expected)]);
        }
    }
    assert!(is_alert(Fire, Severity::Minor));
    assert!(is_alert(Casualty, Severity::Minor));
    assert!(is_alert(Dispute, Severity::Major));
    assert!(!is_alert(Theft, Severity::Serious));
}

#[test]
fn refuses_to_report_twice() {
    given::<Incident>([reported()])
        .when(report_as(IncidentCategory::Theft, Severity::Minor))
        .then_error(IncidentError::AlreadyReported);
}

#[test]
fn nothing_happens_to_an_unreported_incident() {
    for command in commands_after_report() {
        given::<Incident>([])
            .when(command)
            .then_error(IncidentError::NotReported);
    }
}

#[test]
fn the_full_line_reported_dispatched_resolved_closed() {
    given::<Incident>([reported()])
        .when(dispatch())
        .then([dispatched()]);
    given::<Incident>([reported(), dispatched()])
        .when(resolve())
        .then([resolved()]);
    given::<Incident>([reported(), dispatched(), resolved()])
        .when(IncidentCommand::Close)
        .then([closed()]);
}

#[test]
fn resolution_carries_the_report_facts() {
    let serious_fire = reported_as(IncidentCategory::Fire, Severity::Serious, true);
    let Ok(events) = given::<Incident>([serious_fire, dispatched()])
        .when(resolve())
        .result()
    else {
        panic!("resolve refused");
    };
    let [IncidentEvent::Resolved {
        reported_at,
        resolved_at,
        category,
        severity,
        ..
    }] = events.as_slice()
    else {
        panic!("expected one resolution: {events:?}");
    };
    assert_eq!((*reported_at, *resolved_at), (at(9), at(15)));
    assert_eq!(
        (*category, *severity),
        (IncidentCategory::Fire, Severity::Serious)
    );
}

#[test]
fn steps_cannot_be_skipped() {
    given::<Incident>([reported()])
        .when(resolve())
        .then_error(IncidentError::NotDispatched);
    given::<Incident>([reported()])
        .when(IncidentCommand::Close)
        .then_error(IncidentError::NotResolved);
    given::<Incident>([reported(), dispatched()])
        .when(IncidentCommand::Close)
        .then_error(IncidentError::NotResolved);
}

#[test]
fn steps_cannot_be_repeated_or_reversed() {
    given::<Incident>([reported(), dispatched()])
        .when(dispatch())
        .then_error(IncidentError::AlreadyDispatched);
    let done = [reported(), dispatched(), resolved()];
    given::<Incident>(done.clone())
        .when(dispatch())
        .then_error(IncidentError::AlreadyResolved);
    given::<Incident>(done.clone())
        .when(resolve())
        .then_error(IncidentError::AlreadyResolved);
    given::<Incident>(done)
        .when(escalate(Street))
        .then_error(IncidentError::AlreadyResolved);
}

#[test]
fn nothing_changes_after_closure() {
    for command in commands_after_report() {
        given::<Incident>([reported(), dispatched(), resolved(), closed()])
            .when(command)
            .then_error(IncidentError::Closed);
    }
}

#[test]
fn escalates_while_reported_or_dispatched() {
    given::<Incident>([reported()])
        .when(escalate(Police))
        .then([escalated(Police)]);
    given::<Incident>([reported(), dispatched()])
        .when(escalate(Street))
        .then([escalated(Street)]);
    given::<Incident>([reported(), escalated(Police)])
        .when(escalate(Street))
        .then([escalated(Street)]);
}

#[test]
fn refuses_to_escalate_twice_to_the_same_target() {
    let err = given::<Incident>([reported(), escalated(Police)])
        .when(escalate(Police))
        .result()
        .unwrap_err();
    assert_eq!(err, IncidentError::AlreadyEscalatedTo(Police));
    assert_eq!(err.field(), Some("target"));
    assert_eq!(
        err.to_string(),
        "incident is already escalated to the police"
    );
}

#[test]
fn an_escalated_incident_is_still_handled() {
    given::<Incident>([reported(), escalated(Police)])
        .when(dispatch())
        .then([dispatched()]);
    given::<Incident>([
        reported(),
        escalated(Police),
        dispatched(),
        escalated(Street),
    ])
    .when(resolve())
    .then([resolved()]);
}

#[test]
fn state_follows_the_events() {
    let events = [
        reported(),
        escalated(Police),
        dispatched(),
        resolved(),
        closed(),
    ];
    let state = Incident::fold(events.iter());
    assert_eq!(state.status, Some(IncidentStatus::Closed));
    let report = state.report.expect("reported");
    assert_eq!(report.incident_id, id());
    assert_eq!(report.location.as_str(), "east gate bike shed");
    assert!(!report.alert);
    assert_eq!(state.assignee, Some(assignee()));
    assert_eq!(state.resolution, Some(resolution()));
    assert_eq!(state.resolved_at, Some(at(15)));
    assert_eq!(state.escalated_to, [Police]);
    assert_eq!(Incident::fold([].iter()), IncidentState::default());
}

#[test]
fn event_names_and_error_fields() {
    let names: Vec<_> = [
        reported(),
        dispatched(),
        resolved(),
        closed(),
        escalated(Police),
    ]
    .iter()
    .map(|e| {
        assert_eq!(e.incident_id(), id());
        e.event_type()
    })
    .collect();
    assert_eq!(
        names,
        [
            "IncidentReported",
            "IncidentDispatched",
            "IncidentResolved",
            "IncidentClosed",
            "IncidentEscalated"
        ]
    );
    use IncidentError::*;
    for e in [
        AlreadyReported,
        NotReported,
        Closed,
        AlreadyDispatched,
        NotDispatched,
        AlreadyResolved,
        NotResolved,
    ] {
        assert_eq!(e.field(), None, "{e}");
    }
}
