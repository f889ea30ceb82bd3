//! The generated world: valid ID numbers, determinism, nothing dated after the run, and
//! the civic flows and moves within the services' rules.

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
            assert!(m.board_updates.iter().all(|u| u.updated_on <= as_of));
            assert!(m.deeds.iter().all(|d| d.happened_on <= as_of));
            assert!(m.funds.iter().all(|e| e.on <= as_of));
            assert!(m.moves.iter().all(|mv| mv.on <= as_of));
            assert_eq!(m.report.is_some(), m.month != Month::of(as_of));
        }
    }
}

fn all_worlds() -> Vec<World> {
    // Several seeds and days: a whole year, a day early in a month, two full windows.
    [
        (3, 12, day(2026, 11, 3)),
        (7, 24, day(2026, 6, 30)),
        (11, 24, day(2027, 1, 1)),
        (2024, 12, day(2026, 2, 28)),
    ]
    .into_iter()
    .map(|(seed, months, as_of)| World::generate(seed, &communities(), months, as_of))
    .collect()
}

#[test]
fn board_updates_come_a_couple_a_month_with_their_topic() {
    for world in all_worlds() {
        for c in &world.communities {
            assert!((1..=2).contains(&c.boards.len()), "{:?}", c.boards);
            assert!(c.boards.iter().all(|b| b.chars().count() <= 100));
            for m in &c.months {
                if m.month != Month::of(world.as_of) {
                    assert!((2..=3).contains(&m.board_updates.len()), "{m:?}");
                }
                for u in &m.board_updates {
                    assert!(u.board < c.boards.len());
                    assert_ne!(u.topic, BoardTopic::Unspecified);
                    assert!(!u.title.is_empty() && u.title.chars().count() <= 100);
                    assert_eq!(Month::of(u.updated_on), m.month);
                    assert!(u.updated_on <= world.as_of);
                }
                assert!(m
                    .board_updates
                    .windows(2)
                    .all(|w| w[0].updated_on <= w[1].updated_on));
            }
        }
    }
}

/// The longest run of ASCII digits in `text`.
fn digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[test]
fn good_deeds_name_no_one_and_carry_no_numbers() {
    let mut published = 0;
    let mut retracted = 0;
    let mut recorded = 0;
    for world in all_worlds() {
        for c in &world.communities {
            let mut names: Vec<&str> = c.residents.iter().map(|p| p.name.as_str()).collect();
            for m in &c.months {
                for mv in &m.moves {
                    match &mv.kind {
                        MoveKind::In { newcomers, .. } => {
                            names.extend(newcomers.iter().map(|n| n.name.as_str()))
                        }
                        MoveKind::Birth { baby, .. } => names.push(&baby.name),
                        MoveKind::Out { .. } => {}
                    }
                }
            }
            for m in &c.months {
                for d in &m.deeds {
                    recorded += 1;
                    published += usize::from(d.publish);
                    retracted += usize::from(d.retract.is_some());
                    let text = format!("{}{}", d.title, d.story);
                    assert!(!d.title.is_empty() && d.title.chars().count() <= 100);
                    assert!(!d.story.is_empty() && d.story.chars().count() <= 500);
                    // No phone (11 digits) or ID number (18), nor any shorter number.
                    assert_eq!(digit_run(&text), 0, "{text}");
                    assert!(!text.contains('X') && !text.contains('x'), "{text}");
                    for name in &names {
                        assert!(!text.contains(name), "{name} in {text}");
                    }
                    assert_eq!(Month::of(d.happened_on), m.month);
                    assert!(d.happened_on <= world.as_of);
                    // Published only once reviewed; retracted only once published.
                    if d.publish {
                        assert!(d.happened_on + Duration::days(DEED_REVIEW_DAYS) <= world.as_of);
                    }
                    assert!(d.retract.is_none() || d.publish);
                }
            }
        }
    }
    assert!(recorded > 50, "{recorded} deeds");
    assert!(published * 10 >= recorded * 7, "{published} of {recorded}");
    assert!(
        retracted > 0 && retracted * 5 < published,
        "{retracted} retracted"
    );
}

#[test]
fn teams_draw_their_members_from_the_volunteers() {
    for world in all_worlds() {
        for c in &world.communities {
            assert!((1..=3).contains(&c.teams.len()), "{:?}", c.teams);
            let mut names = std::collections::BTreeSet::new();
            for t in &c.teams {
                assert!(names.insert(t.name.clone()), "team {} twice", t.name);
                assert!(t.name.chars().count() <= 60 && t.purpose.chars().count() <= 300);
                assert_ne!(t.category, VolunteerServiceCategory::Unspecified);
                assert!(!t.members.is_empty());
                assert!(t.members.windows(2).all(|w| w[0] < w[1]), "{:?}", t.members);
                assert!(t.members.iter().all(|&v| v < c.volunteers.len()));
            }
        }
    }
}

#[test]
fn every_community_has_a_service_station_and_checks_its_floating_residents() {
    let mut checked = 0;
    for world in all_worlds() {
        for c in &world.communities {
            let station = &c.facilities[0];
            assert_eq!(station.kind, FacilityType::ServiceStation);
            assert!((2..=3).contains(&c.facilities.len()), "{:?}", c.facilities);
            assert!(c
                .facilities
                .iter()
                .all(|f| (1..=1_000_000).contains(&f.area_m2) && f.name.chars().count() <= 100));
            for &(i, valid_until) in &c.floating_checks {
                assert_eq!(c.residents[i].residence, ResidenceType::Floating);
                assert!(valid_until > world.as_of, "valid after the check");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "some floating residents are checked");
}

#[test]
fn the_fund_ledger_never_spends_above_a_balance() {
    let mut received = 0;
    let mut spent = 0;
    for world in all_worlds() {
        for c in &world.communities {
            // Whole run, in the order sent; and every month alone (a run whose window
            // starts there, on a ledger that holds nothing yet).
            let mut balances: BTreeMap<i32, i64> = BTreeMap::new();
            for m in &c.months {
                let mut own: BTreeMap<i32, i64> = BTreeMap::new();
                assert!(m.funds.windows(2).all(|w| w[0].on <= w[1].on));
                for e in &m.funds {
                    assert_eq!(Month::of(e.on), m.month);
                    assert!(e.on <= world.as_of);
                    assert!((1..=100_000_000).contains(&e.amount_yuan));
                    assert_ne!(e.source, FundSource::Unspecified);
                    let amount = i64::from(e.amount_yuan);
                    let key = e.source as i32;
                    match &e.kind {
                        FundKind::Received { note } => {
                            received += 1;
                            assert!(note.chars().count() <= 200);
                            *balances.entry(key).or_default() += amount;
                            *own.entry(key).or_default() += amount;
                        }
                        FundKind::Spent { purpose, note } => {
                            spent += 1;
                            assert!(!purpose.is_empty() && purpose.chars().count() <= 100);
                            assert!(note.chars().count() <= 200);
                            let balance = balances.entry(key).or_default();
                            *balance -= amount;
                            assert!(*balance >= 0, "{e:?} overspends");
                            let own = own.entry(key).or_default();
                            *own -= amount;
                            assert!(*own >= 0, "{e:?} overspends its month");
                        }
                    }
                }
            }
        }
    }
    assert!(
        received > 20 && spent > 20,
        "{received} received, {spent} spent"
    );
}

#[test]
fn moves_follow_the_registers_rules() {
    let (mut outs, mut ins, mut births) = (0, 0, 0);
    for world in all_worlds() {
        let as_of = world.as_of;
        for c in &world.communities {
            let mut ids: std::collections::BTreeSet<String> =
                c.residents.iter().map(|p| p.id_number.clone()).collect();
            let guardians: Vec<usize> = c.residents.iter().filter_map(|p| p.guardian).collect();
            let mut left: BTreeMap<usize, Month> = BTreeMap::new();
            let mut mothers = Vec::new();
            for m in &c.months {
                for mv in &m.moves {
                    assert_eq!(Month::of(mv.on), m.month);
                    assert!(mv.on <= as_of);
                    match &mv.kind {
                        MoveKind::Out { resident, .. } => {
                            outs += 1;
                            assert!(left.insert(*resident, m.month).is_none(), "{mv:?}");
                            assert!(!c.volunteers.contains(resident));
                            assert!(!guardians.contains(resident));
                        }
                        MoveKind::In {
                            household,
                            newcomers,
                        } => {
                            ins += newcomers.len();
                            assert!((as_of - mv.on).num_days() <= RECENT_DAYS);
                            if let HouseholdRef::Existing(h) = household {
                                assert!(*h < c.households.len());
                            }
                            assert!(!newcomers.is_empty());
                            for (j, n) in newcomers.iter().enumerate() {
                                assert_eq!(n.id_number.len(), 18);
                                assert_eq!(
                                    n.id_number.chars().last(),
                                    Some(check_character(&n.id_number[..17]))
                                );
                                assert_eq!(
                                    &n.id_number[6..14],
                                    n.birth.format("%Y%m%d").to_string()
                                );
                                assert!(ids.insert(n.id_number.clone()), "{}", n.id_number);
                                assert!(n.birth <= mv.on);
                                let minor = mv.on.year() - n.birth.year() < 15;
                                match n.guardian {
                                    Some(g) => assert!(g < j && newcomers[g].guardian.is_none()),
                                    None => assert!(!minor, "{n:?} needs a guardian"),
                                }
                            }
                        }
                        MoveKind::Birth {
                            mother,
                            household,
                            baby,
                        } => {
                            births += 1;
                            mothers.push(*mother);
                            assert!((as_of - mv.on).num_days() <= RECENT_DAYS);
                            assert_eq!(baby.birth, mv.on);
                            assert_eq!(c.residents[*mother].household, *household);
                            assert!(!left.contains_key(mother));
                            if !baby.id_number.is_empty() {
                                let id = &baby.id_number;
                                assert_eq!(&id[6..14], baby.birth.format("%Y%m%d").to_string());
                                assert_eq!(id.chars().last(), Some(check_character(&id[..17])));
                                assert_eq!((id.as_bytes()[16] - b'0') % 2 == 1, baby.male);
                                assert!(ids.insert(id.clone()));
                            }
                        }
                    }
                }
                // Who has left takes part in nothing of the later months.
                for (&gone, &month) in &left {
                    if month < m.month {
                        assert!(m.visits.iter().all(|v| v.resident != gone));
                        assert!(m.activities.iter().all(|a| !a.registrants.contains(&gone)));
                    }
                }
            }
            // A mother never leaves (she is her baby's guardian).
            assert!(mothers.iter().all(|m| !left.contains_key(m)));
        }
    }
    assert!(
        outs > 5 && ins > 5 && births > 2,
        "{outs} out, {ins} in, {births} births"
    );
}

#[test]
fn a_later_day_only_adds_to_what_an_earlier_one_sent() {
    // The same seed a week later: each month's civic entries and moves start with those
    // of the earlier run, so their keys (by index) name the same commands.
    let early = World::generate(5, &communities(), 12, day(2026, 11, 10));
    let late = World::generate(5, &communities(), 12, day(2026, 11, 17));
    assert_eq!(early.months, late.months);
    for (a, b) in early.communities.iter().zip(&late.communities) {
        assert_eq!(a.boards, b.boards);
        assert_eq!(a.teams, b.teams);
        for (m, n) in a.months.iter().zip(&b.months) {
            assert!(n.board_updates.starts_with(&m.board_updates));
            assert!(n.funds.starts_with(&m.funds));
            assert!(n.moves.starts_with(&m.moves));
            assert!(n.deeds.len() >= m.deeds.len());
            for (x, y) in m.deeds.iter().zip(&n.deeds) {
                assert_eq!(
                    (&x.title, &x.story, x.happened_on),
                    (&y.title, &y.story, y.happened_on)
                );
                assert!(y.publish || !x.publish);
            }
        }
    }
}
