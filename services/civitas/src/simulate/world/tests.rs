//! The generated world: valid ID numbers, determinism, nothing dated after the run.

use super::*;

fn communities() -> Vec<CommunityInfo> {
    [
        ("xingfu", "幸福社区", "huafeng"),
        ("heping", "和平社区", "huafeng"),
    ]
    .iter()
    .map(|(code, name, street)| CommunityInfo {
        code: (*code).into(),
        name: (*name).into(),
        street: (*street).into(),
    })
    .collect()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn check_character_follows_gb_11643() {
    // Examples from GB 11643-1999 and the tests of the residents service.
    assert_eq!(check_character("11010519491231002"), 'X');
    assert_eq!(check_character("44052419800101001"), '3');
    assert_eq!(check_character("32010619800517003"), '9');
    let id = id_number("110105", day(1949, 12, 31), 2, false);
    assert_eq!(id, "11010519491231002X");
    // The sequence's parity is the sex: odd for men.
    let man = id_number("320106", day(1980, 5, 17), 2, true);
    assert_eq!(&man[14..17], "003");
    assert_eq!(man.chars().last(), Some(check_character(&man[..17])));
}

#[test]
fn every_generated_id_number_is_valid_and_unique() {
    let world = World::generate(7, &communities(), 3, day(2026, 11, 30));
    let mut seen = std::collections::BTreeSet::new();
    for c in &world.communities {
        for p in &c.residents {
            let id = &p.id_number;
            assert_eq!(id.len(), 18, "{id}");
            assert_eq!(id.chars().last(), Some(check_character(&id[..17])), "{id}");
            assert_eq!(&id[6..14], p.birth.format("%Y%m%d").to_string());
            assert!(seen.insert(id.clone()), "duplicate {id}");
            if let Some(g) = p.guardian {
                assert!(g < c.residents.len() && c.residents[g].household == p.household);
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_world() {
    let as_of = day(2026, 11, 30);
    let a = World::generate(7, &communities(), 4, as_of);
    let b = World::generate(7, &communities(), 4, as_of);
    assert_eq!(a, b);
    assert_eq!(a.commands(), b.commands());
    let c = World::generate(8, &communities(), 4, as_of);
    assert_ne!(a.communities[0].residents, c.communities[0].residents);
    // A community's people do not depend on the months or the other communities.
    let one = World::generate(7, &communities()[..1], 1, as_of);
    assert_eq!(one.communities[0].residents, a.communities[0].residents);
    assert_eq!(
        one.communities[0].months.last(),
        a.communities[0].months.last()
    );
}

#[test]
fn nothing_is_dated_after_the_run() {
    let as_of = day(2026, 11, 3);
    let world = World::generate(11, &communities(), 12, as_of);
    assert_eq!(world.months.len(), 12);
    assert_eq!(world.months[0].label(), "202512");
    for c in &world.communities {
        for m in &c.months {
            for a in &m.activities {
                if let Timing::At { starts, .. } = a.timing {
                    assert!(starts.date() < as_of);
                }
            }
            assert!(m.visits.iter().all(|v| v.visited_on <= as_of));
            assert!(m.hours.iter().all(|h| h.date <= as_of));
            assert!(m.incidents.iter().all(|i| i.occurred_at.date() < as_of));
            assert!(m.patrols.iter().all(|p| p.planned_start.date() < as_of));
            assert_eq!(m.report.is_some(), m.month != Month::of(as_of));
        }
    }
}
