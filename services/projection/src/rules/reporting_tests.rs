use super::super::{apply as apply_any, Fact as Any, Views};
use super::*;

const OCTOBER: &str = "2026-10-01";

fn submitted(submission: u32) -> Any {
    Any::Reporting(Fact::Submitted {
        month: OCTOBER.into(),
        submission,
    })
}

fn approved(level: ApprovalLevel) -> Any {
    Any::Reporting(Fact::Approved {
        month: OCTOBER.into(),
        level: Some(level),
    })
}

fn withdrawn() -> Any {
    Any::Reporting(Fact::Withdrawn {
        month: OCTOBER.into(),
    })
}

/// Applies (fact, day) pairs in community c1; the views and the non-zero deltas as
/// (element, day, value).
fn run(facts: &[(Any, &str)]) -> (Views, Vec<(String, String, i64)>) {
    let mut views = Views::default();
    let mut deltas = Deltas::new();
    for (fact, day) in facts {
        apply_any(fact, "c1", day, &mut views, &mut deltas);
    }
    let net = deltas
        .into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|((e, _, d), v)| (e.to_owned(), d, v))
        .collect();
    (views, net)
}

fn counted(element: &str, value: i64) -> (String, String, i64) {
    (element.to_owned(), OCTOBER.to_owned(), value)
}

#[test]
fn a_report_counts_once_in_the_month_it_reports_on() {
    let (views, deltas) = run(&[(submitted(1), "2026-11-05"), (submitted(2), "2026-11-20")]);
    assert_eq!(
        deltas,
        [
            counted("reporting.reports_on_time", 1),
            counted("reporting.reports_received", 1),
        ]
    );
    let row = views.reports["c1/2026-10"].clone().unwrap();
    assert_eq!(
        (
            row.month.as_str(),
            row.submitted_on.as_str(),
            row.on_time,
            row.submissions
        ),
        ("2026-10", "2026-11-05", true, 2)
    );
}

#[test]
fn a_report_after_the_fifth_is_received_but_late() {
    let (views, deltas) = run(&[(submitted(1), "2026-11-06")]);
    assert_eq!(deltas, [counted("reporting.reports_received", 1)]);
    assert!(!views.reports["c1/2026-10"].as_ref().unwrap().on_time);
    assert_eq!(
        on_time_until("2026-12-01"),
        NaiveDate::from_ymd_opt(2027, 1, 5)
    );
}

#[test]
fn the_district_approval_counts_until_it_is_withdrawn() {
    let street = [
        (submitted(1), "2026-11-02"),
        (approved(ApprovalLevel::Street), "2026-11-03"),
    ];
    let (views, deltas) = run(&street);
    assert_eq!(
        deltas.len(),
        2,
        "no approval counted at the street: {deltas:?}"
    );
    assert_eq!(
        views.reports["c1/2026-10"].as_ref().unwrap().approval,
        "street"
    );

    let mut district = street.to_vec();
    district.push((approved(ApprovalLevel::District), "2026-11-04"));
    let (_, deltas) = run(&district);
    assert!(deltas.contains(&counted("reporting.reports_approved", 1)));

    district.push((withdrawn(), "2026-11-10"));
    let (views, deltas) = run(&district);
    assert!(!deltas
        .iter()
        .any(|(e, ..)| e == "reporting.reports_approved"));
    assert_eq!(views.reports["c1/2026-10"].as_ref().unwrap().approval, "");
}

#[test]
fn approvals_of_unseen_reports_and_bad_months() {
    let (views, deltas) = run(&[(approved(ApprovalLevel::Street), "2026-11-03")]);
    assert!(deltas.is_empty());
    assert_eq!(views.reports["c1/2026-10"], None);
    assert!(first_day("2026-10").is_err());
    assert!(first_day("202613").is_err());
    assert_eq!(first_day("202610").unwrap(), OCTOBER);
}

#[test]
fn months_are_expected_once_ended_and_due_after_the_fifth() {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let period = |first, last| Period { first, last };
    let expected = |p: &Period, today| calendar_value(&REPORTING_EXPECTED, p, today).unwrap();
    let due = |p: &Period, today| calendar_value(&REPORTING_DUE, p, today).unwrap();
    let october = period(d(10, 1), d(10, 31));
    assert_eq!(
        expected(&october, d(10, 31)),
        0,
        "not ended on its last day"
    );
    assert_eq!(expected(&october, d(11, 1)), 1);
    assert_eq!(due(&october, d(11, 5)), 0, "the 5th is still on time");
    assert_eq!(due(&october, d(11, 6)), 1);
    let q4 = period(d(10, 1), d(12, 31));
    assert_eq!((expected(&q4, d(12, 3)), due(&q4, d(12, 3))), (2, 1));
    let week = period(d(11, 23), d(11, 29));
    assert_eq!(expected(&week, d(12, 20)), 0, "no whole month in a week");
    let year = period(d(1, 1), d(12, 31));
    assert_eq!(expected(&year, d(11, 30)), 10);
    assert_eq!(calendar_value(&REPORTING_RECEIVED, &year, d(11, 30)), None);
}
