//! What happens in a simulated community: its annual plans, and each month's
//! activities, care visits, volunteer hours, incidents, patrols, inspections and report
//! (the residents who have moved out by then take part in none of it).

use super::*;

const PLAN_TOPICS: &[(ActivityCategory, &str, &str)] = &[
    (
        ActivityCategory::CitizenSchoolClass,
        "市民学校讲座",
        "社区活动室",
    ),
    (ActivityCategory::FilmScreening, "露天电影放映", "社区广场"),
    (
        ActivityCategory::Performance,
        "家庭才艺展演",
        "社区文化中心",
    ),
    (ActivityCategory::Exhibition, "书画摄影展", "社区文化中心"),
    (ActivityCategory::Publicity, "文明创建宣传", "社区广场"),
    (
        ActivityCategory::MinorsEducation,
        "青少年道德讲堂",
        "社区四点半课堂",
    ),
    (
        ActivityCategory::PartyBuilding,
        "主题党日活动",
        "党群服务中心",
    ),
    (
        ActivityCategory::Environment,
        "清洁家园行动",
        "小区公共区域",
    ),
    (
        ActivityCategory::ElderlyCare,
        "敬老助老服务",
        "社区养老服务站",
    ),
];

fn topic(category: ActivityCategory) -> (&'static str, &'static str) {
    PLAN_TOPICS
        .iter()
        .find(|(c, ..)| *c == category)
        .map_or(("社区活动", "社区活动室"), |(_, t, v)| (*t, *v))
}

pub(super) fn plan(r: &mut StdRng, year: i32) -> PlanYear {
    let mut items = Vec::new();
    for month in 1..=12 {
        let mut topics: Vec<_> = PLAN_TOPICS.iter().collect();
        topics.shuffle(r);
        // Seasonal items: Double Ninth (敬老) in October, clean-up before Spring Festival.
        let first = match month {
            10 => ActivityCategory::ElderlyCare,
            1 | 2 => ActivityCategory::Environment,
            _ => topics[0].0,
        };
        let second = topics
            .iter()
            .map(|t| t.0)
            .find(|c| *c != first)
            .unwrap_or(ActivityCategory::Other);
        for category in [first, second] {
            let (title, _) = topic(category);
            items.push(PlanItem {
                month,
                category,
                title: format!("{month}月{title}"),
                target: r.gen_range(3..=8) * 5,
            });
        }
    }
    PlanYear { year, items }
}

fn local(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN))
}

/// The care campaign of a month, if the community runs one then.
fn campaign_of(month: Month) -> Option<(&'static str, Vec<CareCategory>)> {
    use CareCategory as C;
    match month.month {
        1 => Some((
            "春节走访慰问",
            vec![
                C::LivingAlone,
                C::EmptyNest,
                C::HouseholdInDifficulty,
                C::EntitledFamily,
            ],
        )),
        5 => Some(("助残日关爱行动", vec![C::Disabled])),
        7 => Some((
            "夏季送清凉",
            vec![C::LivingAlone, C::EmptyNest, C::Over80WithoutPension],
        )),
        9 => Some((
            "中秋慰问",
            vec![C::HouseholdInDifficulty, C::EntitledFamily, C::LivingAlone],
        )),
        10 => Some((
            "重阳敬老慰问",
            vec![C::EmptyNest, C::Over80WithoutPension, C::LivingAlone],
        )),
        12 => Some((
            "冬季送温暖",
            vec![C::LivingAlone, C::HouseholdInDifficulty, C::Minor],
        )),
        _ => None,
    }
}

pub(super) fn month_life(
    r: &mut StdRng,
    c: &CommunityWorld,
    month: Month,
    current: bool,
    as_of: NaiveDate,
    gone: &BTreeSet<usize>,
) -> MonthLife {
    // Instants must lie before today, days up to today.
    let last_instant_day = if current {
        as_of.day().saturating_sub(1)
    } else {
        month.days()
    };
    let last_day = if current { as_of.day() } else { month.days() };
    let day_before = |r: &mut StdRng, last: u32| -> Option<NaiveDate> {
        (last >= 1).then(|| month.day(r.gen_range(1..=last)))
    };
    let n = c.residents.len();
    let adults: Vec<usize> = (0..n)
        .filter(|&i| as_of.year() - c.residents[i].birth.year() >= 14 && !gone.contains(&i))
        .collect();

    // Activities: the plan's two items of the month, and now and then an extra one.
    let plan_index = c.plans.iter().position(|p| p.year == month.year);
    let mut activities = Vec::new();
    if let Some(p) = plan_index {
        let items: Vec<usize> = c.plans[p]
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.month == month.month)
            .map(|(i, _)| i)
            .collect();
        for (k, &item) in items.iter().enumerate() {
            let planned = &c.plans[p].items[item];
            let live = current && k + 1 == items.len();
            let timing = if live {
                Timing::Live
            } else {
                let Some(day) = day_before(r, last_instant_day) else {
                    continue;
                };
                let (hour, minutes) = match planned.category {
                    ActivityCategory::FilmScreening => (19, 120),
                    ActivityCategory::Environment => (8, 90),
                    _ => (*[9, 14, 15].choose(r).unwrap_or(&9), 90),
                };
                Timing::At {
                    starts: local(day, hour, 30),
                    minutes,
                }
            };
            let (_, venue) = topic(planned.category);
            let capacity = planned.target + 10;
            let want = r.gen_range(planned.target / 2..=planned.target) as usize;
            let mut registrants: Vec<usize> = adults
                .choose_multiple(r, want.min(adults.len()))
                .copied()
                .collect();
            registrants.sort_unstable();
            let attendees = registrants
                .iter()
                .copied()
                .filter(|_| r.gen_bool(0.8))
                .collect();
            let cancelled = !live && r.gen_bool(0.05);
            activities.push(ActivitySpec {
                plan_item: Some(item),
                category: planned.category,
                title: planned.title.clone(),
                venue: venue.to_owned(),
                timing,
                capacity,
                registrants,
                attendees,
                walk_ins: r.gen_range(0..=6),
                end: if cancelled {
                    ActivityEnd::Cancel {
                        reason: "天气原因，活动取消".to_owned(),
                    }
                } else {
                    ActivityEnd::Close {
                        report: format!("{}顺利开展，居民参与积极，活动秩序良好。", planned.title),
                    }
                },
            });
        }
    }

    // Care: a campaign in its season, visits to those on the care registers.
    let campaign = campaign_of(month).and_then(|(name, categories)| {
        let starts_on = month.first_day();
        let ends_on = month.last_day();
        (starts_on <= as_of).then(|| CampaignSpec {
            name: format!("{}年{name}", month.year),
            starts_on,
            ends_on,
            categories,
            close: ends_on < as_of,
        })
    });
    let mut visits = Vec::new();
    for (i, p) in c.residents.iter().enumerate() {
        if gone.contains(&i) {
            continue;
        }
        let in_campaign = campaign
            .as_ref()
            .is_some_and(|cp| p.care.iter().any(|cat| cp.categories.contains(cat)));
        let routine = p.care.contains(&CareCategory::LivingAlone) && r.gen_bool(0.7);
        let other = !p.care.is_empty() && r.gen_bool(0.15);
        if !(in_campaign || routine || other) {
            continue;
        }
        let Some(visited_on) = day_before(r, last_day) else {
            continue;
        };
        let mut support = vec![*[
            CareSupport::Companionship,
            CareSupport::Goods,
            CareSupport::HealthCheck,
        ]
        .choose(r)
        .unwrap_or(&CareSupport::Companionship)];
        if in_campaign {
            support.push(CareSupport::Goods);
            if r.gen_bool(0.3) {
                support.push(CareSupport::Cash);
            }
        }
        support.sort_unstable();
        support.dedup();
        let need = r.gen_bool(0.12).then(|| {
            *[
                CareNeed::Health,
                CareNeed::DailyCare,
                CareNeed::Housing,
                CareNeed::Financial,
            ]
            .choose(r)
            .unwrap_or(&CareNeed::Health)
        });
        let referral = need.filter(|_| r.gen_bool(0.6)).map(|_| {
            (!current).then(|| {
                *[
                    ReferralOutcome::Resolved,
                    ReferralOutcome::Resolved,
                    ReferralOutcome::ReferredElsewhere,
                ]
                .choose(r)
                .unwrap_or(&ReferralOutcome::Resolved)
            })
        });
        let volunteer = (!c.volunteers.is_empty() && r.gen_bool(0.4))
            .then(|| r.gen_range(0..c.volunteers.len()));
        let note = match need {
            Some(CareNeed::Health) => "血压偏高，建议复查",
            Some(CareNeed::DailyCare) => "行动不便，需要助餐服务",
            Some(CareNeed::Housing) => "屋顶渗水，需要维修",
            Some(CareNeed::Financial) => "生活困难，协助申请救助",
            _ => "身体状况良好",
        };
        visits.push(VisitSpec {
            resident: i,
            visited_on,
            in_campaign,
            volunteer,
            support,
            need,
            referral,
            note: note.to_owned(),
        });
    }
    visits.sort_by_key(|v| (v.visited_on, v.resident));

    // Volunteer hours: most volunteers serve once or twice a month.
    let mut hours = Vec::new();
    for v in 0..c.volunteers.len() {
        let times = r.gen_range(0..=2);
        for _ in 0..times {
            let Some(date) = day_before(r, last_day) else {
                continue;
            };
            let mut bytes = [0u8; 16];
            r.fill(&mut bytes);
            hours.push(HoursSpec {
                volunteer: v,
                record_id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
                date,
                minutes: r.gen_range(4..=16) * 15,
                // The last days' records wait for approval.
                approve: !current || date + Duration::days(3) <= as_of,
            });
        }
    }
    hours.sort_by_key(|h| (h.date, h.volunteer));

    // Safety: a few incidents, patrols and inspections.
    let grids: Vec<String> = {
        let mut g: Vec<String> = c.households.iter().map(|h| h.grid.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    let mut incidents = Vec::new();
    for _ in 0..r.gen_range(1..=4) {
        let Some(day) = day_before(r, last_instant_day) else {
            continue;
        };
        let (category, location, assignee, resolution) = *[
            (
                IncidentCategory::Dispute,
                "楼道",
                "网格员",
                "经调解双方达成一致",
            ),
            (
                IncidentCategory::Dispute,
                "小区停车场",
                "社区调解委员会",
                "调解后停车纠纷化解",
            ),
            (
                IncidentCategory::Hazard,
                "地下车库",
                "物业公司",
                "隐患已消除",
            ),
            (
                IncidentCategory::Theft,
                "自行车棚",
                "社区民警",
                "已报派出所立案处理",
            ),
            (
                IncidentCategory::PublicOrder,
                "小区广场",
                "社区巡防队",
                "劝导后秩序恢复",
            ),
            (
                IncidentCategory::Fire,
                "垃圾分类点",
                "微型消防站",
                "明火已扑灭，无人员伤亡",
            ),
        ]
        .choose(r)
        .unwrap_or(&(IncidentCategory::Other, "小区", "网格员", "已处理"));
        let severity = if r.gen_bool(0.15) {
            IncidentSeverity::Serious
        } else {
            IncidentSeverity::Minor
        };
        let building = c
            .households
            .choose(r)
            .map(|h| h.building.clone())
            .unwrap_or_default();
        let occurred_at = local(day, r.gen_range(7..=21), r.gen_range(0..60));
        let handled = (day + Duration::days(2) <= as_of)
            .then(|| (assignee.to_owned(), resolution.to_owned()));
        incidents.push(IncidentSpec {
            category,
            severity,
            grid: grids.choose(r).cloned().unwrap_or_else(|| "G-01".into()),
            building,
            location: location.to_owned(),
            occurred_at,
            handled,
        });
    }
    incidents.sort_by_key(|i| i.occurred_at);
    let mut patrols = Vec::new();
    for k in 0..r.gen_range(2..=4) {
        let Some(day) = day_before(r, last_instant_day) else {
            continue;
        };
        let take = r.gen_range(1..=grids.len().max(1));
        let mut planned: Vec<String> = grids.choose_multiple(r, take).cloned().collect();
        planned.sort();
        patrols.push(PatrolSpec {
            route: format!("{}夜间巡逻第{}线", c.info.name, k + 1),
            planned_start: local(day, 19, 0),
            grids: planned,
            participants: r.gen_range(2..=6),
            minutes: r.gen_range(4..=8) * 15,
        });
    }
    patrols.sort_by_key(|p| p.planned_start);
    let mut inspections = Vec::new();
    if last_instant_day >= 1 {
        for _ in 0..r.gen_range(1..=3) {
            let (kind, target, hazard) = *[
                (InspectionType::FireSafety, "沿街商铺", "灭火器过期"),
                (InspectionType::FireSafety, "电动车充电棚", "私拉电线充电"),
                (InspectionType::Sanitation, "小区垃圾分类点", "垃圾桶满溢"),
                (InspectionType::DoorFrontDuties, "沿街门店", "占道经营"),
                (InspectionType::Pests, "小区绿化带", "鼠迹明显"),
                (InspectionType::IllegalBuilding, "楼顶平台", "违章搭建棚屋"),
            ]
            .choose(r)
            .unwrap_or(&(InspectionType::Sanitation, "小区", "卫生死角"));
            let passed = r.gen_bool(0.75);
            let score = if passed {
                r.gen_range(80..=100)
            } else {
                r.gen_range(40..=79)
            };
            inspections.push(InspectionSpec {
                kind,
                target: target.to_owned(),
                score,
                passed,
                hazards: if passed {
                    Vec::new()
                } else {
                    vec![hazard.to_owned()]
                },
                rectify: (!passed).then(|| (r.gen_range(7..=30), !current)),
            });
        }
    }

    let report = (!current).then(|| {
        let held = activities
            .iter()
            .filter(|a| matches!(a.end, ActivityEnd::Close { .. }))
            .count();
        format!(
            "{}年{}月，{}开展文明创建活动{}场，走访慰问{}人次，处置各类事件{}起，开展巡逻{}次。",
            month.year,
            month.month,
            c.info.name,
            held,
            visits.len(),
            incidents.len(),
            patrols.len()
        )
    });
    MonthLife {
        month,
        activities,
        campaign,
        visits,
        hours,
        incidents,
        patrols,
        inspections,
        report,
        board_updates: Vec::new(),
        deeds: Vec::new(),
        funds: Vec::new(),
        moves: Vec::new(),
    }
}
