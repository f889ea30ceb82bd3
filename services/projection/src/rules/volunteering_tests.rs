use super::super::testing::{pairs, run};
use super::super::Fact as Any;
use super::*;

fn fact(f: Fact) -> Any {
    Any::Volunteering(f)
}

fn registered() -> Any {
    fact(Fact::VolunteerRegistered {
        volunteer_id: "v1".into(),
    })
}

fn submitted(record: &str, minutes: u32) -> Any {
    fact(Fact::HoursSubmitted {
        volunteer_id: "v1".into(),
        record_id: record.into(),
        minutes,
        service_date: "2026-11-20".into(),
        submitted_on: "2026-11-21".into(),
    })
}

fn approved(record: &str, minutes: u32, approved_on: &str, total: u64) -> Any {
    fact(Fact::HoursApproved {
        volunteer_id: "v1".into(),
        record_id: record.into(),
        minutes,
        submitted_on: "2026-11-21".into(),
        approved_on: approved_on.into(),
        approved_minutes_total: total,
    })
}

fn stars(to_level: u32) -> Any {
    fact(Fact::StarLevelChanged {
        volunteer_id: "v1".into(),
        to_level,
    })
}

#[test]
fn registration_counts_at_star_level_zero_and_verification_once() {
    let verified = || {
        fact(Fact::VolunteerVerified {
            volunteer_id: "v1".into(),
        })
    };
    let (views, net) = run(&[registered(), registered(), verified(), verified()]);
    assert_eq!(
        net,
        pairs(&[
            ("volunteers.registered", 1),
            ("volunteers.stars.0", 1),
            ("volunteers.verified", 1)
        ])
    );
    assert_eq!(views.volunteers["v1"].as_ref().unwrap().status, VERIFIED);
}

#[test]
fn approvals_count_minutes_and_timeliness_and_leave_the_pending_list() {
    let (views, net) = run(&[
        registered(),
        submitted("rec1", 120),
        submitted("rec2", 60),
        approved("rec1", 120, "2026-11-28", 120),
        approved("rec2", 60, "2026-11-29", 180),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("volunteers.registered", 1),
            ("volunteers.stars.0", 1),
            ("volunteering.approved_minutes", 180),
            ("volunteering.approvals", 2),
            ("volunteering.approvals_within_7_days", 1),
        ])
    );
    let row = views.volunteers["v1"].clone().unwrap();
    assert_eq!((row.approved_minutes, row.pending), (180, 0));
    assert_eq!(views.pending["rec1"], None);
}

#[test]
fn declines_and_reversals() {
    let (views, net) = run(&[
        registered(),
        submitted("rec1", 120),
        submitted("rec2", 30),
        fact(Fact::HoursDeclined {
            volunteer_id: "v1".into(),
            record_id: "rec2".into(),
        }),
        approved("rec1", 120, "2026-11-22", 120),
        fact(Fact::HoursReversed {
            volunteer_id: "v1".into(),
            minutes: 120,
            approved_minutes_total: 0,
        }),
    ]);
    assert_eq!(
        net,
        pairs(&[
            ("volunteers.registered", 1),
            ("volunteers.stars.0", 1),
            ("volunteering.approvals", 1),
            ("volunteering.approvals_within_7_days", 1),
        ]),
        "approved minutes net to zero after the reversal"
    );
    let row = views.volunteers["v1"].clone().unwrap();
    assert_eq!((row.approved_minutes, row.pending), (0, 0));

    let (views, _) = run(&[registered(), submitted("rec1", 45)]);
    assert_eq!(views.volunteers["v1"].as_ref().unwrap().pending, 1);
    let pending = views.pending["rec1"].clone().unwrap();
    assert_eq!(
        (
            pending.volunteer_id.as_str(),
            pending.minutes,
            pending.submitted_on.as_str()
        ),
        ("v1", 45, "2026-11-21")
    );
}

#[test]
fn star_levels_move_the_volunteer_and_deactivation_removes_them() {
    let (views, net) = run(&[registered(), stars(1), stars(2), stars(1)]);
    assert_eq!(
        net,
        pairs(&[("volunteers.registered", 1), ("volunteers.stars.1", 1)])
    );
    assert_eq!(views.volunteers["v1"].as_ref().unwrap().star_level, 1);

    let deactivated = fact(Fact::VolunteerDeactivated {
        volunteer_id: "v1".into(),
    });
    let (_, net) = run(&[
        registered(),
        stars(3),
        deactivated.clone(),
        stars(4),
        deactivated,
    ]);
    assert_eq!(net, vec![], "an inactive volunteer is in no stock");
}

#[test]
fn events_about_unknown_volunteers_change_no_stock() {
    let (views, net) = run(&[stars(2), submitted("rec1", 10)]);
    assert_eq!(net, vec![]);
    assert_eq!(views.volunteers["v1"], None);
}
