//! DISTINCT elements: a resident who attends activities in two communities of one
//! street is one participant at the street and at the district, and the indicators
//! over the element divide by that count. On both backends.

mod common;

use civitas_platform::auth::Role;
use civitas_platform::org::OrgTree;
use civitas_projection::Insights;
use civitas_proto::events::v1::ActivityCategory::FilmScreening;
use civitas_proto::events::v1::ResidenceType::Permanent;
use civitas_proto::insights::v1::{GetIndicatorsRequest, GetKpisRequest, OrgUnitIndicators};
use common::areas::*;
use common::*;

fn participation(unit: &OrgUnitIndicators) -> (f64, f64, Option<f64>) {
    let v = unit
        .values
        .iter()
        .find(|v| v.indicator == "activities.participation_rate")
        .expect("participation rate");
    (v.numerator, v.denominator, v.value)
}

async fn a_person_in_two_communities_counts_once_above_them(backend: Backend) {
    let mut log = Log::default();
    // Residents: r1 and r2 in xingfu, r3 in heping, r4 in chaoyang (another street).
    for (resident, community) in [
        ("r1", "xingfu"),
        ("r2", "xingfu"),
        ("r3", "heping"),
        ("r4", "chaoyang"),
    ] {
        log.push_in(
            community,
            "2026-11-02",
            resident_registered(resident, "h", Permanent),
        );
    }
    // r1 attends a film night in xingfu twice and one in heping; r3 and r4 one each;
    // a walk-in has no id and is not a person here.
    log.push_in(
        "xingfu",
        "2026-11-03",
        activity_scheduled("a1", FilmScreening, "2026-11-03T19:00:00+08:00"),
    );
    log.push_in("xingfu", "2026-11-03", participant_checked_in("a1", "r1"));
    log.push_in("xingfu", "2026-11-03", participant_checked_in("a1", ""));
    log.push_in(
        "xingfu",
        "2026-11-10",
        activity_scheduled("a2", FilmScreening, "2026-11-10T19:00:00+08:00"),
    );
    log.push_in("xingfu", "2026-11-10", participant_checked_in("a2", "r1"));
    log.push_in(
        "heping",
        "2026-11-12",
        activity_scheduled("a3", FilmScreening, "2026-11-12T19:00:00+08:00"),
    );
    log.push_in("heping", "2026-11-12", participant_checked_in("a3", "r1"));
    log.push_in("heping", "2026-11-12", participant_checked_in("a3", "r3"));
    log.push_in(
        "chaoyang",
        "2026-11-13",
        activity_scheduled("a4", FilmScreening, "2026-11-13T19:00:00+08:00"),
    );
    log.push_in("chaoyang", "2026-11-13", participant_checked_in("a4", "r4"));
    let db = applied(backend, "all", &log).await;
    let insights = Insights::new(db.projection.clone(), OrgTree::demo());
    let district = caller(Role::District, "gulou");

    let kpis = insights
        .get_kpis(
            &district,
            GetKpisRequest {
                org_unit: "huafeng".into(),
                period: "202611".into(),
            },
        )
        .await
        .unwrap();
    let street = kpis.org_unit.as_ref().unwrap();
    assert_eq!(value(street, "activities.participants"), 2.0, "r1 and r3");
    let child = |code: &str| kpis.children.iter().find(|c| c.code == code).unwrap();
    assert_eq!(value(child("xingfu"), "activities.participants"), 1.0);
    assert_eq!(value(child("heping"), "activities.participants"), 2.0);
    assert_eq!(
        value(street, "activities.attendance"),
        0.0,
        "no activity closed"
    );

    let indicators = insights
        .get_indicators(
            &district,
            GetIndicatorsRequest {
                org_unit: "gulou".into(),
                period: "202611".into(),
                indicators: vec!["activities.participation_rate".into()],
            },
        )
        .await
        .unwrap();
    // The district: r1, r3, r4 of four residents (not 1 + 2 + 1).
    assert_eq!(
        participation(indicators.org_unit.as_ref().unwrap()),
        (3.0, 4.0, Some(75.0))
    );
    let street = indicators
        .children
        .iter()
        .find(|c| c.code == "huafeng")
        .unwrap();
    assert_eq!(participation(street), (2.0, 3.0, Some(66.7)));

    // A week holds only some of the visits: counted within the period asked for.
    let week = insights
        .get_kpis(
            &district,
            GetKpisRequest {
                org_unit: "huafeng".into(),
                period: "20261112".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        value(week.org_unit.as_ref().unwrap(), "activities.participants"),
        2.0
    );
}

on_both_backends!(a_person_in_two_communities_counts_once_above_them);
