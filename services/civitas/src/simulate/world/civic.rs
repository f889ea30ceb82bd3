//! The civic life of a simulated community beside its plan and its people: publicity
//! boards and their updates, good deeds on the community page, volunteer teams, and
//! the community's fund ledger.
//!
//! A month's board updates, deeds and ledger entries come from a random stream of
//! their own (seed × community × month × kind) that does not depend on the day the
//! simulation runs: the whole month is generated, then what lies after `as_of` is left
//! out. Entries are sorted by day, so what is left is a prefix: the same entry keeps its
//! index (and its idempotency key) on every run, and a later run adds the rest.

use super::*;

/// A publicity board update: which board, on what day, about what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardUpdateSpec {
    /// Index into the community's boards.
    pub board: usize,
    pub updated_on: NaiveDate,
    pub topic: BoardTopic,
    pub title: String,
}

/// A good deed: recorded, published once reviewed, now and then retracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeedSpec {
    pub title: String,
    /// Names no one: the community page shows it to anybody.
    pub story: String,
    pub happened_on: NaiveDate,
    /// Published on the community page (after a few days of review).
    pub publish: bool,
    /// Retracted after publication, with the reason.
    pub retract: Option<String>,
}

/// A volunteer team of the community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSpec {
    pub name: String,
    pub purpose: String,
    pub category: VolunteerServiceCategory,
    /// Indexes into the community's volunteers.
    pub members: Vec<usize>,
}

/// An entry of the community's fund ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundEntry {
    pub on: NaiveDate,
    pub source: FundSource,
    pub amount_yuan: u32,
    pub kind: FundKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundKind {
    Received { note: String },
    Spent { purpose: String, note: String },
}

/// How many days a good deed waits for review before it is published.
pub const DEED_REVIEW_DAYS: i64 = 3;

/// Where the community's boards stand: one or two of these.
const BOARD_PLACES: &[&str] = &[
    "党群服务中心门前宣传栏",
    "小区南大门宣传栏",
    "中心广场宣传长廊",
    "社区卫生服务站旁宣传栏",
    "老年活动中心宣传栏",
];

/// Board updates by topic; the titles say what the board shows.
const BOARD_TITLES: &[(BoardTopic, &str)] = &[
    (BoardTopic::CurrentAffairs, "社区新闻"),
    (BoardTopic::CurrentAffairs, "社区近期工作动态"),
    (BoardTopic::CurrentAffairs, "时事新闻摘编"),
    (BoardTopic::Politics, "党的创新理论学习专栏"),
    (BoardTopic::Politics, "社会主义核心价值观宣传"),
    (BoardTopic::Politics, "民法典进社区"),
    (BoardTopic::Politics, "居务公开与民主议事"),
    (BoardTopic::Economy, "就业创业扶持政策宣传"),
    (BoardTopic::Economy, "城乡居民医保缴费政策解读"),
    (BoardTopic::Economy, "消费维权知识"),
    (BoardTopic::Science, "垃圾分类宣传"),
    (BoardTopic::Science, "节约用水小常识"),
    (BoardTopic::Science, "消防安全知识科普"),
    (BoardTopic::Science, "防灾减灾知识科普"),
    (BoardTopic::HealthEducation, "老年人慢性病防治"),
    (BoardTopic::HealthEducation, "合理膳食与健康生活方式"),
    (BoardTopic::HealthEducation, "控烟宣传"),
    (BoardTopic::HealthEducation, "心理健康小贴士"),
    (BoardTopic::Other, "文明养犬倡议"),
    (BoardTopic::Other, "防诈骗提醒"),
    (BoardTopic::Other, "电动自行车安全充电提示"),
    (BoardTopic::Other, "邻里互助倡议"),
];

/// Seasonal board updates, in their month.
fn seasonal_board_title(month: u32) -> Option<(BoardTopic, &'static str)> {
    Some(match month {
        1 | 2 => (BoardTopic::Other, "春节安全出行与文明祝福"),
        3 => (BoardTopic::Other, "学雷锋志愿服务月"),
        4 => (BoardTopic::Politics, "全民国家安全教育日宣传"),
        5 => (BoardTopic::Science, "防灾减灾日宣传"),
        6 | 7 => (BoardTopic::HealthEducation, "夏季防暑降温与防溺水提示"),
        8 => (BoardTopic::HealthEducation, "夏季食品安全提示"),
        9 => (BoardTopic::CurrentAffairs, "迎国庆社区新闻"),
        10 => (BoardTopic::Other, "重阳节敬老爱老倡议"),
        11 => (BoardTopic::Science, "冬季消防安全知识"),
        12 => (BoardTopic::Politics, "宪法宣传周"),
        _ => return None,
    })
}

/// Good deeds: a title and a story that name no one.
const DEEDS: &[(&str, &str)] = &[
    (
        "热心居民帮助独居老人买菜",
        "小区一位热心居民得知楼上独居老人腿脚不便，坚持每天帮老人买菜送上门，还常陪老人聊天解闷，邻里之间的温情让老人倍感温暖。",
    ),
    (
        "拾金不昧归还失主钱包",
        "一位居民在小区广场捡到一个装有现金和证件的钱包，第一时间交到社区居委会，经工作人员核实后物归原主。",
    ),
    (
        "退休居民义务清扫楼道",
        "一位退休居民多年来坚持义务清扫楼道、清理堆放的杂物，让整栋楼的邻居出入更加整洁舒心。",
    ),
    (
        "居民及时处置电动车冒烟险情",
        "一位居民发现车棚内一辆电动车冒烟，立即用灭火器处置并通知物业切断电源，避免了一起火灾的发生。",
    ),
    (
        "志愿者帮助走失老人回家",
        "巡逻志愿者在小区外发现一位迷路的老人，耐心安抚并联系社区工作人员，帮助老人安全回到家中。",
    ),
    (
        "退休教师义务辅导孩子功课",
        "一位退休教师利用周末时间在社区四点半课堂义务为孩子们辅导功课，深受家长们好评。",
    ),
    (
        "邻居住院 热心居民主动相助",
        "一户居民得知邻居突发疾病住院，主动帮忙照看家中孩子并送饭到医院，诠释了远亲不如近邻的情谊。",
    ),
    (
        "居民义务为邻里修理家电",
        "一位擅长电器维修的居民经常上门为邻居义务修理电视、洗衣机等家电，从不收取费用。",
    ),
    (
        "居民捐赠图书充实社区书屋",
        "一位居民将家中闲置的上百本图书捐赠给社区书屋，丰富了社区居民特别是孩子们的课余阅读。",
    ),
    (
        "热心居民劝导文明养犬",
        "一位居民经常在遛狗高峰时段主动提醒邻居牵绳遛狗、及时清理宠物粪便，小区环境明显改善。",
    ),
    (
        "年轻租户帮助老人学用智能手机",
        "一位年轻租户利用下班时间，手把手教楼里的老人使用智能手机挂号、视频通话，帮老人跨越数字鸿沟。",
    ),
    (
        "居民合力救助受伤流浪猫",
        "几位居民发现一只受伤的流浪猫，自发凑钱送医救治，并联系爱心人士帮助它找到了新家。",
    ),
];

/// Deeds of a season, in their months.
fn seasonal_deed(month: u32) -> Option<(&'static str, &'static str)> {
    Some(match month {
        12 | 1 | 2 => (
            "雪后居民自发扫雪除冰",
            "大雪过后，多位居民早早起床清扫小区主干道和楼门口的积雪，撒盐除冰，方便大家安全出行。",
        ),
        6..=8 => (
            "暴雨夜居民合力疏通积水",
            "暴雨夜里，几位居民自发清理小区下水道口的落叶杂物，及时排除路面积水，保障了邻里出行安全。",
        ),
        _ => return None,
    })
}

const RETRACT_REASONS: &[&str] = &[
    "当事人希望不公开宣传，撤下展示",
    "经核实事迹细节有出入，暂时撤下",
];

/// Volunteer teams a community forms: name, purpose, category.
const TEAMS: &[(&str, &str, VolunteerServiceCategory)] = &[
    (
        "平安巡逻队",
        "协助社区开展夜间治安巡逻，排查消防和治安隐患",
        VolunteerServiceCategory::Other,
    ),
    (
        "助老服务队",
        "定期走访空巢、独居老人，提供陪伴聊天、代购代办等帮助",
        VolunteerServiceCategory::EmptyNestCare,
    ),
    (
        "环保志愿队",
        "开展垃圾分类引导、楼道和公共区域清洁",
        VolunteerServiceCategory::StairwellCleaning,
    ),
    (
        "便民维修队",
        "为居民义务维修小家电、电脑和水电小故障",
        VolunteerServiceCategory::Repair,
    ),
    (
        "四点半课堂辅导队",
        "放学后为社区儿童辅导作业、开展阅读活动",
        VolunteerServiceCategory::Tutoring,
    ),
];

/// A service or activity place and its floor area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilitySpec {
    pub kind: FacilityType,
    pub name: String,
    pub area_m2: u32,
}

/// The places a community may have besides its service station: kind, name, and the
/// range of floor areas.
const PLACES: [(FacilityType, &str, u32, u32); 4] = [
    (FacilityType::CitizenSchool, "市民学校教室", 60, 120),
    (FacilityType::MinorsVenue, "青少年活动室", 40, 100),
    (FacilityType::CulturalRoom, "文体活动室", 50, 150),
    (FacilityType::SportsGround, "健身广场", 200, 600),
];

/// The community's places: its service station (the plan asks for over 200 m²; most
/// have it) and one or two more.
pub(super) fn facilities(seed: u64, info: &CommunityInfo) -> Vec<FacilitySpec> {
    let mut r = rng(seed, &["facilities", &info.code]);
    let mut out = vec![FacilitySpec {
        kind: FacilityType::ServiceStation,
        name: format!("{}党群服务站", info.name),
        area_m2: r.gen_range(150..=280),
    }];
    let count = r.gen_range(1..=2);
    for (kind, name, low, high) in PLACES.choose_multiple(&mut r, count) {
        out.push(FacilitySpec {
            kind: *kind,
            name: format!("{}{name}", info.name),
            area_m2: r.gen_range(*low..=*high),
        });
    }
    out
}

/// Most floating residents have their residence certificate checked on the run's day,
/// valid for six months to a year from it.
pub(super) fn floating_checks(
    seed: u64,
    info: &CommunityInfo,
    residents: &[Person],
    as_of: NaiveDate,
) -> Vec<(usize, NaiveDate)> {
    let mut r = rng(seed, &["floating", &info.code]);
    residents
        .iter()
        .enumerate()
        .filter(|(_, p)| p.residence == ResidenceType::Floating)
        .filter_map(|(i, _)| {
            let checked = r.gen_bool(0.85);
            let days = r.gen_range(180..=365);
            checked.then(|| (i, as_of + Duration::days(days)))
        })
        .collect()
}

/// The community's boards: one or two places.
pub(super) fn boards(seed: u64, info: &CommunityInfo) -> Vec<String> {
    let mut r = rng(seed, &["boards", &info.code]);
    let count = r.gen_range(1..=2);
    BOARD_PLACES
        .choose_multiple(&mut r, count)
        .map(|place| format!("{}{place}", info.name))
        .collect()
}

/// One to three teams, members drawn from the community's volunteers.
pub(super) fn teams(seed: u64, info: &CommunityInfo, volunteers: usize) -> Vec<TeamSpec> {
    if volunteers == 0 {
        return Vec::new();
    }
    let mut r = rng(seed, &["teams", &info.code]);
    let count = r.gen_range(1..=3).min(volunteers);
    // The patrol team first: every community has one.
    let mut kinds = vec![&TEAMS[0]];
    kinds.extend(TEAMS[1..].choose_multiple(&mut r, count - 1));
    kinds
        .into_iter()
        .map(|(name, purpose, category)| {
            let size = r.gen_range(3..=8).min(volunteers);
            let mut members: Vec<usize> = rand::seq::index::sample(&mut r, volunteers, size)
                .into_iter()
                .collect();
            members.sort_unstable();
            TeamSpec {
                name: format!("{}{name}", info.name),
                purpose: (*purpose).to_owned(),
                category: *category,
                members,
            }
        })
        .collect()
}

/// A month's board updates: two or three, one of them seasonal when the month has one.
pub(super) fn board_updates(
    seed: u64,
    info: &CommunityInfo,
    boards: usize,
    month: Month,
    as_of: NaiveDate,
) -> Vec<BoardUpdateSpec> {
    if boards == 0 {
        return Vec::new();
    }
    let mut r = rng(seed, &["board-updates", &info.code, &month.label()]);
    let count = r.gen_range(2..=3);
    let mut updates = Vec::with_capacity(count);
    for k in 0..count {
        let (topic, title) = match seasonal_board_title(month.month) {
            Some(seasonal) if k == 0 => seasonal,
            _ => *BOARD_TITLES.choose(&mut r).unwrap_or(&BOARD_TITLES[0]),
        };
        updates.push(BoardUpdateSpec {
            board: r.gen_range(0..boards),
            updated_on: month.day(r.gen_range(1..=month.days())),
            topic,
            title: title.to_owned(),
        });
    }
    updates.sort_by_key(|u| u.updated_on);
    updates.retain(|u| u.updated_on <= as_of);
    updates
}

/// A month's good deeds: none to three.
pub(super) fn deeds(
    seed: u64,
    info: &CommunityInfo,
    month: Month,
    as_of: NaiveDate,
) -> Vec<DeedSpec> {
    let mut r = rng(seed, &["deeds", &info.code, &month.label()]);
    let count = *[0, 1, 1, 2, 2, 3].choose(&mut r).unwrap_or(&1);
    let mut pool: Vec<(&str, &str)> = DEEDS.to_vec();
    pool.extend(seasonal_deed(month.month));
    let mut deeds: Vec<DeedSpec> = pool
        .choose_multiple(&mut r, count)
        .map(|(title, story)| {
            let happened_on = month.day(r.gen_range(1..=month.days()));
            let publish = r.gen_bool(0.85);
            let retract = (publish && r.gen_bool(0.08))
                .then(|| RETRACT_REASONS.choose(&mut r).copied().unwrap_or("撤下"));
            DeedSpec {
                title: (*title).to_owned(),
                story: (*story).to_owned(),
                happened_on,
                publish,
                retract: retract.map(str::to_owned),
            }
        })
        .collect();
    deeds.sort_by_key(|d| d.happened_on);
    deeds.retain(|d| d.happened_on <= as_of);
    // Reviewed (and, for a retraction, looked at again) only some days later.
    for d in &mut deeds {
        d.publish &= d.happened_on + Duration::days(DEED_REVIEW_DAYS) <= as_of;
        if !d.publish || d.happened_on + Duration::days(3 * DEED_REVIEW_DAYS) > as_of {
            d.retract = None;
        }
    }
    deeds
}

/// A receipt of the month and what it pays for in the same month.
struct Grant {
    source: FundSource,
    /// Thousands of yuan.
    thousands: std::ops::RangeInclusive<u32>,
    note: &'static str,
    spending: &'static [&'static str],
}

/// The month's receipts, by the calendar: quarterly government funds, donations at
/// the Spring Festival and in winter, co-building funds once in a while.
fn grants(month: u32, r: &mut StdRng) -> Vec<Grant> {
    let mut out = Vec::new();
    let government = |spending| Grant {
        source: FundSource::Government,
        thousands: 20..=50,
        note: "街道拨付社区公益服务资金",
        spending,
    };
    match month {
        1 => out.push(government(&["春节走访慰问物资", "社区文化活动物料"])),
        4 => out.push(government(&["文明创建宣传物料", "社区绿化补植"])),
        7 => out.push(government(&["夏季防暑降温用品", "四点半课堂教具"])),
        10 => out.push(government(&["重阳节敬老慰问品", "消防器材更新"])),
        _ => {}
    }
    if matches!(month, 1 | 12) && r.gen_bool(0.7) {
        out.push(Grant {
            source: FundSource::ResidentDonations,
            thousands: 2..=8,
            note: "居民爱心捐款",
            spending: &["困难家庭慰问金", "冬季送温暖物资"],
        });
    }
    if r.gen_bool(0.15) {
        out.push(Grant {
            source: FundSource::CoBuildingUnits,
            thousands: 5..=20,
            note: "辖区共建单位支持社区建设资金",
            spending: &["社区文体活动器材", "居民议事厅设施更新"],
        });
    }
    if r.gen_bool(0.04) {
        out.push(Grant {
            source: FundSource::Other,
            thousands: 1..=3,
            note: "社区闲置物品义卖所得",
            spending: &["社区书屋购书"],
        });
    }
    out
}

/// The month's ledger entries. Each month spends only from what it received itself,
/// after receiving it, so every run's entries (any window of months, the current one
/// cut at `as_of`) keep every source's balance at or above zero whatever the ledger
/// held before.
pub(super) fn funds(
    seed: u64,
    info: &CommunityInfo,
    month: Month,
    as_of: NaiveDate,
) -> Vec<FundEntry> {
    let mut r = rng(seed, &["funds", &info.code, &month.label()]);
    let mut entries = Vec::new();
    for grant in grants(month.month, &mut r) {
        let received = r.gen_range(grant.thousands.clone()) * 1_000;
        let day = r.gen_range(1..=10);
        entries.push(FundEntry {
            on: month.day(day),
            source: grant.source,
            amount_yuan: received,
            kind: FundKind::Received {
                note: grant.note.to_owned(),
            },
        });
        // Spent in hundreds of yuan, at most what is left, on later days.
        let mut left = received;
        for purpose in grant.spending {
            if left < 100 || !r.gen_bool(0.8) {
                continue;
            }
            let share = r.gen_range(20..=60);
            let amount = (left / 100 * share / 100).max(1) * 100;
            left -= amount;
            entries.push(FundEntry {
                on: month.day(r.gen_range(day + 1..=month.days())),
                source: grant.source,
                amount_yuan: amount,
                kind: FundKind::Spent {
                    purpose: (*purpose).to_owned(),
                    note: "按社区经费管理规定支出".to_owned(),
                },
            });
        }
    }
    // Receipts come first on their day (they always fall before their spending).
    entries.sort_by_key(|e| (e.on, matches!(e.kind, FundKind::Spent { .. })));
    entries.retain(|e| e.on <= as_of);
    entries
}
