use super::super::residents::Fact as ResidentFact;
use super::super::{apply as apply_any, Fact as Any, Views};
use super::*;
use civitas_proto::codes::{CareCategory, ResidenceType};

const DAY: &str = "2026-11-28";

fn visit(resident: &str, on: &str, referral: bool) -> Any {
    Any::Care(Fact::VisitRecorded {
        resident_id: resident.into(),
        visited_on: on.into(),
        referral_opened: referral,
    })
}

fn living_alone(resident: &str) -> [Any; 2] {
    [
        Any::Residents(ResidentFact::ResidentRegistered {
            resident_id: resident.into(),
            household_id: "h".into(),
            residence_type: Some(ResidenceType::Permanent),
            arrival: None,
            arrived_on: String::new(),
        }),
        Any::Residents(ResidentFact::CareCategoryAssigned {
            resident_id: resident.into(),
            category: Some(CareCategory::LivingAlone),
        }),
    ]
}

fn run(facts: &[Any]) -> (Views, Deltas) {
    let mut views = Views::default();
    let mut deltas = Deltas::new();
    for f in facts {
        apply_any(f, "c1", DAY, &mut views, &mut deltas);
    }
    (views, deltas)
}

fn persons(views: &Views) -> Vec<(String, String, String)> {
    views
        .persons
        .values()
        .flatten()
        .map(|p| (p.element.clone(), p.day.clone(), p.person.clone()))
        .collect()
}

#[test]
fn a_visit_counts_on_its_day_for_the_person_and_each_register() {
    let mut facts = living_alone("r1").to_vec();
    facts.push(visit("r1", "2026-11-20", true));
    facts.push(visit("r1", "2026-11-25", false));
    let (views, deltas) = run(&facts);
    let visits: i64 = deltas
        .iter()
        .filter(|((e, _, _), _)| *e == "care.visits")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(visits, 2);
    assert_eq!(
        deltas[&("care.visits", "c1".into(), "2026-11-20".into())],
        1
    );
    assert_eq!(
        deltas[&("care.referrals_opened", "c1".into(), "2026-11-20".into())],
        1
    );
    let counted = persons(&views);
    assert!(counted.contains(&("care.visited".into(), "2026-11-20".into(), "r1".into())));
    assert!(counted.contains(&(
        "care.visited.living_alone".into(),
        "2026-11-25".into(),
        "r1".into()
    )));
    assert_eq!(counted.len(), 4, "{counted:?}");
    let row = views.residents["r1"].as_ref().unwrap();
    assert_eq!(row.last_visited, "2026-11-25");
    // A visit recorded late for an earlier day keeps the latest.
    let (views, _) = run(&[facts, vec![visit("r1", "2026-11-01", false)]].concat());
    assert_eq!(
        views.residents["r1"].as_ref().unwrap().last_visited,
        "2026-11-25"
    );
}

#[test]
fn a_visit_to_an_unseen_resident_counts_the_visit_only() {
    let (views, deltas) = run(&[visit("r9", "", false)]);
    assert_eq!(deltas[&("care.visits", "c1".into(), DAY.into())], 1);
    assert_eq!(
        persons(&views),
        [("care.visited".into(), DAY.into(), "r9".into())]
    );
    assert_eq!(views.residents["r9"], None);
}
