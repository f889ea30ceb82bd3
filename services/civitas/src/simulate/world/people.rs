//! The people of a simulated community: households, residents with valid ID numbers and
//! Chinese names, care registers, volunteers.

use super::life::{month_life, plan};
use super::*;
use super::{civic, moves};

/// The GB 11643 check character of the first 17 digits (ISO 7064 MOD 11-2).
pub fn check_character(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK[(sum % 11) as usize] as char
}

/// An 18-character resident ID number: region, birth date, a sequence whose last digit
/// is odd for men and even for women, and the check character.
pub fn id_number(region: &str, birth: NaiveDate, sequence: u32, male: bool) -> String {
    let mut seq = sequence % 1000;
    if (seq % 2 == 1) != male {
        seq = if seq == 999 { 998 } else { seq + 1 };
    }
    let body = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
    let check = check_character(&body);
    format!("{body}{check}")
}

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const MALE_NAMES: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "建国", "建华", "志强", "国平",
    "文博", "浩然", "子轩", "宇航", "俊杰", "德华", "永康", "海峰", "立新", "振华",
];
const FEMALE_NAMES: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玉兰", "淑珍", "丽华", "雪梅",
    "欣怡", "梓涵", "诗涵", "雨桐", "佳怡", "晓燕", "春梅", "美玲", "慧敏", "婷婷",
];
/// The community's own district (鼓楼区) and where floating residents come from.
pub(super) const LOCAL_REGION: &str = "320106";
pub(super) const OTHER_REGIONS: &[&str] = &[
    "340102", "410105", "510104", "430102", "360102", "320821", "371002", "420106",
];
pub(super) const ROADS: &[&str] = &[
    "华峰路",
    "中山路",
    "建设路",
    "人民路",
    "解放路",
    "和平街",
    "文昌巷",
    "桃源路",
];

pub(super) fn name(rng: &mut StdRng, surname: &str, male: bool) -> String {
    let given = if male { MALE_NAMES } else { FEMALE_NAMES };
    format!("{surname}{}", given.choose(rng).copied().unwrap_or("明"))
}

pub(super) fn birth(
    rng: &mut StdRng,
    reference_year: i32,
    min_age: i32,
    max_age: i32,
) -> NaiveDate {
    let year = reference_year - rng.gen_range(min_age..=max_age);
    let day = rng.gen_range(1..=365);
    NaiveDate::from_yo_opt(year, day).unwrap_or(NaiveDate::MIN)
}

pub(super) fn phone(rng: &mut StdRng) -> String {
    let second = rng.gen_range(3..=9);
    let rest: u64 = rng.gen_range(0..1_000_000_000);
    format!("1{second}{rest:09}")
}

/// Adds one person with a fresh ID number; its index.
struct People<'a> {
    rng: &'a mut StdRng,
    residents: Vec<Person>,
    seen: std::collections::BTreeSet<String>,
}

impl People<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        household: usize,
        surname: &str,
        male: bool,
        birth: NaiveDate,
        residence: ResidenceType,
        region: &str,
        guardian: Option<usize>,
        care: Vec<CareCategory>,
    ) -> usize {
        let name = name(self.rng, surname, male);
        let id = loop {
            let id = id_number(region, birth, self.rng.gen_range(0..1000), male);
            if self.seen.insert(id.clone()) {
                break id;
            }
        };
        let phone = phone(self.rng);
        self.residents.push(Person {
            household,
            name,
            id_number: id,
            phone,
            birth,
            residence,
            guardian,
            care,
        });
        self.residents.len() - 1
    }
}

pub(super) fn community(
    seed: u64,
    info: &CommunityInfo,
    months: &[Month],
    as_of: NaiveDate,
) -> CommunityWorld {
    let mut r = rng(seed, &["people", &info.code]);
    // Ages are counted from the year before the run's, so no one is born after it.
    let reference = as_of.year() - 1;
    let road = ROADS.choose(&mut r).copied().unwrap_or("华峰路");
    let mut households = Vec::new();
    let mut people = People {
        rng: &mut r,
        residents: Vec::new(),
        seen: Default::default(),
    };
    for h in 0..HOUSEHOLDS_PER_COMMUNITY {
        let building = people.rng.gen_range(1..=12);
        let unit = people.rng.gen_range(1..=3);
        let room = people.rng.gen_range(1..=6) * 100 + people.rng.gen_range(1..=4);
        let grid = format!("G-{:02}", (building - 1) / 3 + 1);
        households.push(Household {
            address: format!(
                "{}{road} {} 号 {building} 栋 {unit} 单元 {room}",
                info.name,
                people.rng.gen_range(1..=80)
            ),
            grid,
            building: format!("{building}栋"),
        });
        let surname = SURNAMES.choose(people.rng).copied().unwrap_or("王");
        let difficulty = people.rng.gen_bool(0.06);
        let extra = |p: &mut People<'_>| {
            let mut care = Vec::new();
            if difficulty {
                care.push(CareCategory::HouseholdInDifficulty);
            }
            if p.rng.gen_bool(0.03) {
                care.push(CareCategory::Disabled);
            }
            if p.rng.gen_bool(0.02) {
                care.push(CareCategory::EntitledFamily);
            }
            care
        };
        let kind = people.rng.gen_range(0..100);
        if kind < 15 {
            // An elderly person living alone.
            let male = people.rng.gen_bool(0.4);
            let born = birth(people.rng, reference, 68, 92);
            let mut care = vec![CareCategory::LivingAlone];
            if reference - born.year() >= 81 && people.rng.gen_bool(0.5) {
                care.push(CareCategory::Over80WithoutPension);
            }
            care.extend(extra(&mut people));
            people.add(
                h,
                surname,
                male,
                born,
                ResidenceType::Permanent,
                LOCAL_REGION,
                None,
                care,
            );
        } else if kind < 35 {
            // An elderly couple whose children live elsewhere.
            for male in [true, false] {
                let born = birth(people.rng, reference, 62, 85);
                let mut care = vec![CareCategory::EmptyNest];
                care.extend(extra(&mut people));
                let s = if male {
                    surname
                } else {
                    SURNAMES.choose(people.rng).copied().unwrap_or("李")
                };
                people.add(
                    h,
                    s,
                    male,
                    born,
                    ResidenceType::Permanent,
                    LOCAL_REGION,
                    None,
                    care,
                );
            }
        } else if kind < 80 {
            // A family: parents, children, sometimes a grandparent.
            let floating = people.rng.gen_bool(0.2);
            let (residence, region) = if floating {
                let region = OTHER_REGIONS
                    .choose(people.rng)
                    .copied()
                    .unwrap_or("340102");
                (ResidenceType::Floating, region)
            } else {
                (ResidenceType::Permanent, LOCAL_REGION)
            };
            let father_born = birth(people.rng, reference, 28, 52);
            let care = extra(&mut people);
            let father = people.add(h, surname, true, father_born, residence, region, None, care);
            let spouse = SURNAMES.choose(people.rng).copied().unwrap_or("李");
            let mother_born = birth(people.rng, reference, 26, 50);
            let care = extra(&mut people);
            let mother = people.add(h, spouse, false, mother_born, residence, region, None, care);
            let parent_age = (reference - mother_born.year()).min(reference - father_born.year());
            let children = people.rng.gen_range(0..=2);
            for _ in 0..children {
                let max_age = (parent_age - 22).clamp(0, 17);
                let born = birth(people.rng, reference, 0, max_age);
                let male = people.rng.gen_bool(0.5);
                let guardian = Some(if people.rng.gen_bool(0.5) {
                    mother
                } else {
                    father
                });
                let mut care = extra(&mut people);
                if reference - born.year() <= 15 && people.rng.gen_bool(0.15) {
                    care.push(CareCategory::Minor);
                }
                people.add(h, surname, male, born, residence, region, guardian, care);
            }
            if !floating && people.rng.gen_bool(0.25) {
                let born = birth(people.rng, reference, 66, 88);
                let male = people.rng.gen_bool(0.5);
                let care = extra(&mut people);
                people.add(h, surname, male, born, residence, region, None, care);
            }
        } else {
            // Young people renting: floating residents.
            let region = OTHER_REGIONS
                .choose(people.rng)
                .copied()
                .unwrap_or("410105");
            let count = people.rng.gen_range(1..=3);
            for i in 0..count {
                let s = if i == 0 {
                    surname
                } else {
                    SURNAMES.choose(people.rng).copied().unwrap_or("张")
                };
                let male = people.rng.gen_bool(0.55);
                let born = birth(people.rng, reference, 19, 35);
                let care = extra(&mut people);
                people.add(
                    h,
                    s,
                    male,
                    born,
                    ResidenceType::Floating,
                    region,
                    None,
                    care,
                );
            }
        }
    }
    let residents = people.residents;
    // Volunteers: some adults of working age and active retirees.
    let mut volunteers = Vec::new();
    for (i, p) in residents.iter().enumerate() {
        let age = reference - p.birth.year();
        let chance = match age {
            18..=59 => 0.12,
            60..=75 => 0.25,
            _ => 0.0,
        };
        if r.gen_bool(chance) {
            volunteers.push(i);
        }
    }
    if volunteers.is_empty() {
        if let Some(i) = residents
            .iter()
            .position(|p| (18..=75).contains(&(reference - p.birth.year())))
        {
            volunteers.push(i);
        }
    }
    let mut years: Vec<i32> = months.iter().map(|m| m.year).collect();
    years.dedup();
    let plans = years
        .iter()
        .map(|&year| {
            plan(
                &mut rng(PLAN_SEED, &["plan", &info.code, &year.to_string()]),
                year,
            )
        })
        .collect::<Vec<_>>();
    let boards = civic::boards(seed, info);
    let teams = civic::teams(seed, info, volunteers.len());
    let facilities = civic::facilities(seed, info);
    let floating_checks = civic::floating_checks(seed, info, &residents, as_of);
    let mut world = CommunityWorld {
        info: info.clone(),
        households,
        residents,
        volunteers,
        boards,
        facilities,
        floating_checks,
        teams,
        plans,
        months: Vec::new(),
    };
    let schedule = moves::schedule(seed, &world, as_of);
    let departures = moves::departures(&schedule);
    let current = Month::of(as_of);
    world.months = months
        .iter()
        .map(|&m| {
            // Who has left by the end of this month takes part in nothing any more.
            let gone: BTreeSet<usize> = departures
                .iter()
                .filter(|(_, left)| **left <= m)
                .map(|(&i, _)| i)
                .collect();
            let mut r = rng(seed, &["month", &info.code, &m.label()]);
            MonthLife {
                board_updates: civic::board_updates(seed, info, world.boards.len(), m, as_of),
                deeds: civic::deeds(seed, info, m, as_of),
                funds: civic::funds(seed, info, m, as_of),
                moves: moves::of_month(&schedule, m, as_of),
                ..month_life(&mut r, &world, m, m == current, as_of, &gone)
            }
        })
        .collect();
    world
}
