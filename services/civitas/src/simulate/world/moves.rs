//! Who leaves and who comes: residents moving out, households and relatives moving in
//! from outside the district, and babies born to residents.
//!
//! The moves of a year come from a random stream of their own (seed × community ×
//! year), for the run's year and the one before, whatever the months simulated: a
//! resident moves out on the same day in every run, so the months after it leave them
//! out (no activity, visit or move names a resident who left), and every move keeps its
//! idempotency key. A month sends the moves dated in it up to `as_of`; move-ins and
//! births only while the residents service still takes their day (within a year).

use super::people::{birth, id_number, name, phone, LOCAL_REGION, OTHER_REGIONS, ROADS, SURNAMES};
use super::*;

/// A move: its key (stable across runs), its day, and what happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveSpec {
    pub key: String,
    pub on: NaiveDate,
    pub kind: MoveKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveKind {
    /// A resident (index into the community's residents) leaves. The service records
    /// the move-out on the day the command arrives.
    Out {
        resident: usize,
        reason: MoveOutReason,
        note: String,
    },
    /// People from outside the district move into a new or an existing household.
    In {
        household: HouseholdRef,
        newcomers: Vec<Newcomer>,
    },
    /// A baby born to a resident (index), who is the baby's guardian, into the
    /// mother's household (index).
    Birth {
        mother: usize,
        household: usize,
        baby: Newcomer,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdRef {
    /// Index into the community's households.
    Existing(usize),
    New(Household),
}

/// A person registered by a move-in or a birth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newcomer {
    pub name: String,
    /// Empty for a newborn who has no ID number yet.
    pub id_number: String,
    /// Empty for a child.
    pub phone: String,
    pub birth: NaiveDate,
    pub male: bool,
    pub residence: ResidenceType,
    /// For a child moving in: the index, among the same move's newcomers, of the parent
    /// who is their guardian (registered before them).
    pub guardian: Option<usize>,
}

/// How far back (days) a move-in or birth is sent: the residents service takes days
/// within a year (366 days) of its today, and a run may end a day later than it began.
pub const RECENT_DAYS: i64 = 360;

/// Whether a person of this ID number is a man (the sequence's parity).
fn is_male(id: &str) -> bool {
    id.as_bytes()
        .get(16)
        .is_some_and(|d| (d.wrapping_sub(b'0')) % 2 == 1)
}

fn fresh_id(
    r: &mut StdRng,
    seen: &mut BTreeSet<String>,
    region: &str,
    born: NaiveDate,
    male: bool,
) -> String {
    loop {
        let id = id_number(region, born, r.gen_range(0..1000), male);
        if seen.insert(id.clone()) {
            return id;
        }
    }
}

fn day_of(r: &mut StdRng, year: i32) -> NaiveDate {
    let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    };
    NaiveDate::from_yo_opt(year, r.gen_range(1..=days)).unwrap_or(NaiveDate::MIN)
}

/// The moves of the run's year and the year before, by day.
pub(super) fn schedule(seed: u64, c: &CommunityWorld, as_of: NaiveDate) -> Vec<MoveSpec> {
    let residents = &c.residents;
    let volunteers: BTreeSet<usize> = c.volunteers.iter().copied().collect();
    let guardians: BTreeSet<usize> = residents.iter().filter_map(|p| p.guardian).collect();
    let mut seen: BTreeSet<String> = residents.iter().map(|p| p.id_number.clone()).collect();
    // Who stays put: volunteers (their teams and hours go on) and guardians (a minor's
    // guardian must stay active); who has left already or had a baby in the span.
    let mut left: BTreeSet<usize> = BTreeSet::new();
    let mut mothers: BTreeSet<usize> = BTreeSet::new();
    let mut moves = Vec::new();
    for year in [as_of.year() - 1, as_of.year()] {
        let mut r = rng(seed, &["moves", &c.info.code, &year.to_string()]);
        let age = |i: usize, on: NaiveDate| on.year() - residents[i].birth.year();
        let movable = |i: usize, left: &BTreeSet<usize>, mothers: &BTreeSet<usize>| {
            !volunteers.contains(&i)
                && !guardians.contains(&i)
                && !left.contains(&i)
                && !mothers.contains(&i)
                && age(i, as_of) >= 18
        };

        // Now and then a household of renters whose lease ends.
        if r.gen_bool(0.5) {
            let renters: Vec<usize> = (0..c.households.len())
                .filter(|&h| {
                    let members: Vec<usize> = (0..residents.len())
                        .filter(|&i| residents[i].household == h)
                        .collect();
                    !members.is_empty()
                        && members.iter().all(|&i| {
                            residents[i].residence == ResidenceType::Floating
                                && movable(i, &left, &mothers)
                        })
                })
                .collect();
            if let Some(&h) = renters.choose(&mut r) {
                let on = day_of(&mut r, year);
                for i in (0..residents.len()).filter(|&i| residents[i].household == h) {
                    left.insert(i);
                    moves.push(MoveSpec {
                        key: format!("resident/{i}/move-out"),
                        on,
                        kind: MoveKind::Out {
                            resident: i,
                            reason: MoveOutReason::ResidenceEnded,
                            note: "租约到期，搬离本社区".to_owned(),
                        },
                    });
                }
            }
        }
        // One or two residents leave on their own.
        for _ in 0..r.gen_range(1..=2) {
            let candidates: Vec<usize> = (0..residents.len())
                .filter(|&i| movable(i, &left, &mothers))
                .collect();
            let Some(&i) = candidates.choose(&mut r) else {
                break;
            };
            let on = day_of(&mut r, year);
            let (reason, note) = match residents[i].residence {
                ResidenceType::Floating => (MoveOutReason::ResidenceEnded, "工作调动，返回原籍"),
                _ if age(i, on) >= 80 && r.gen_bool(0.5) => {
                    (MoveOutReason::Deceased, "因病去世，家属办理注销")
                }
                _ => (MoveOutReason::MovedOutOfDistrict, "购房迁往外区居住"),
            };
            left.insert(i);
            moves.push(MoveSpec {
                key: format!("resident/{i}/move-out"),
                on,
                kind: MoveKind::Out {
                    resident: i,
                    reason,
                    note: note.to_owned(),
                },
            });
        }

        // One to three move-ins from outside the district.
        for n in 0..r.gen_range(1..=3) {
            let on = day_of(&mut r, year);
            let reference = on.year();
            let roll = r.gen_range(0..100);
            let (household, newcomers) = if roll < 80 {
                // A new household: renters, or a young family.
                let road = ROADS.choose(&mut r).copied().unwrap_or("华峰路");
                let building = r.gen_range(1..=12);
                let unit = r.gen_range(1..=3);
                let room = r.gen_range(1..=6) * 100 + r.gen_range(1..=4);
                let household = Household {
                    address: format!(
                        "{}{road} {} 号 {building} 栋 {unit} 单元 {room}",
                        c.info.name,
                        r.gen_range(1..=80)
                    ),
                    grid: format!("G-{:02}", (building - 1) / 3 + 1),
                    building: format!("{building}栋"),
                };
                let mut newcomers = Vec::new();
                let region = OTHER_REGIONS.choose(&mut r).copied().unwrap_or("340102");
                if roll < 50 {
                    for k in 0..r.gen_range(1..=2) {
                        let male = r.gen_bool(0.55);
                        let surname = SURNAMES.choose(&mut r).copied().unwrap_or("张");
                        let born = birth(&mut r, reference, 20, 35);
                        let region = if k == 0 {
                            region
                        } else {
                            OTHER_REGIONS.choose(&mut r).copied().unwrap_or(region)
                        };
                        newcomers.push(Newcomer {
                            name: name(&mut r, surname, male),
                            id_number: fresh_id(&mut r, &mut seen, region, born, male),
                            phone: phone(&mut r),
                            birth: born,
                            male,
                            residence: ResidenceType::Floating,
                            guardian: None,
                        });
                    }
                } else {
                    let residence = if r.gen_bool(0.3) {
                        ResidenceType::Floating
                    } else {
                        ResidenceType::Permanent
                    };
                    let surname = SURNAMES.choose(&mut r).copied().unwrap_or("王");
                    for male in [true, false] {
                        let s = if male {
                            surname
                        } else {
                            SURNAMES.choose(&mut r).copied().unwrap_or("李")
                        };
                        let born = birth(&mut r, reference, 27, 40);
                        newcomers.push(Newcomer {
                            name: name(&mut r, s, male),
                            id_number: fresh_id(&mut r, &mut seen, region, born, male),
                            phone: phone(&mut r),
                            birth: born,
                            male,
                            residence,
                            guardian: None,
                        });
                    }
                    if r.gen_bool(0.6) {
                        let male = r.gen_bool(0.5);
                        let born = birth(&mut r, reference, 1, 10);
                        newcomers.push(Newcomer {
                            name: name(&mut r, surname, male),
                            id_number: fresh_id(&mut r, &mut seen, region, born, male),
                            phone: String::new(),
                            birth: born.min(on),
                            male,
                            residence,
                            guardian: Some(r.gen_range(0..2)),
                        });
                    }
                }
                (HouseholdRef::New(household), newcomers)
            } else {
                // A retired parent comes to live with a family of permanent residents.
                let families: Vec<usize> = (0..c.households.len())
                    .filter(|&h| {
                        let members: Vec<&Person> =
                            residents.iter().filter(|p| p.household == h).collect();
                        members.len() >= 2
                            && members.iter().any(|p| p.guardian.is_some())
                            && members
                                .iter()
                                .all(|p| p.residence == ResidenceType::Permanent)
                    })
                    .collect();
                let Some(&h) = families.choose(&mut r) else {
                    continue;
                };
                let male = r.gen_bool(0.4);
                let surname = SURNAMES.choose(&mut r).copied().unwrap_or("陈");
                let born = birth(&mut r, reference, 62, 80);
                let region = OTHER_REGIONS.choose(&mut r).copied().unwrap_or("320821");
                let newcomer = Newcomer {
                    name: name(&mut r, surname, male),
                    id_number: fresh_id(&mut r, &mut seen, region, born, male),
                    phone: phone(&mut r),
                    birth: born,
                    male,
                    residence: ResidenceType::Permanent,
                    guardian: None,
                };
                (HouseholdRef::Existing(h), vec![newcomer])
            };
            moves.push(MoveSpec {
                key: format!("{year}/move-in/{n}"),
                on,
                kind: MoveKind::In {
                    household,
                    newcomers,
                },
            });
        }

        // A birth or two, to mothers of families who stay.
        for n in 0..r.gen_range(0..=2) {
            let on = day_of(&mut r, year);
            let candidates: Vec<usize> = (0..residents.len())
                .filter(|&i| {
                    let p = &residents[i];
                    !is_male(&p.id_number)
                        && (22..=40).contains(&age(i, on))
                        && !left.contains(&i)
                        && !mothers.contains(&i)
                        && residents
                            .iter()
                            .any(|q| q.household == p.household && is_male(&q.id_number))
                })
                .collect();
            let Some(&mother) = candidates.choose(&mut r) else {
                break;
            };
            mothers.insert(mother);
            let m = &residents[mother];
            // The baby takes the surname of the household's first resident (the father
            // in the families `people` makes).
            let surname: String = residents
                .iter()
                .find(|q| q.household == m.household)
                .and_then(|q| q.name.chars().next())
                .map_or_else(|| "王".to_owned(), String::from);
            let male = r.gen_bool(0.5);
            let region = if m.residence == ResidenceType::Permanent {
                LOCAL_REGION
            } else {
                m.id_number.get(..6).unwrap_or(LOCAL_REGION)
            };
            // Most newborns are registered before they have an ID number.
            let id_number = if r.gen_bool(0.35) {
                fresh_id(&mut r, &mut seen, region, on, male)
            } else {
                String::new()
            };
            let baby = Newcomer {
                name: name(&mut r, &surname, male),
                id_number,
                phone: String::new(),
                birth: on,
                male,
                residence: m.residence,
                guardian: None,
            };
            moves.push(MoveSpec {
                key: format!("{year}/birth/{n}"),
                on,
                kind: MoveKind::Birth {
                    mother,
                    household: m.household,
                    baby,
                },
            });
        }
    }
    moves.sort_by(|a, b| a.on.cmp(&b.on).then_with(|| a.key.cmp(&b.key)));
    moves
}

/// The month each resident who leaves moves out in.
pub(super) fn departures(schedule: &[MoveSpec]) -> BTreeMap<usize, Month> {
    schedule
        .iter()
        .filter_map(|m| match m.kind {
            MoveKind::Out { resident, .. } => Some((resident, Month::of(m.on))),
            _ => None,
        })
        .collect()
}

/// The moves of `month` the run sends: dated up to `as_of`, and move-ins and births
/// recent enough for the residents service.
pub(super) fn of_month(schedule: &[MoveSpec], month: Month, as_of: NaiveDate) -> Vec<MoveSpec> {
    schedule
        .iter()
        .filter(|m| Month::of(m.on) == month && m.on <= as_of)
        .filter(|m| {
            matches!(m.kind, MoveKind::Out { .. }) || (as_of - m.on).num_days() <= RECENT_DAYS
        })
        .cloned()
        .collect()
}
