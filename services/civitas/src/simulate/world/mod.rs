//! The generated district: households and residents of every simulated community and
//! what happens to them month by month. A pure function of the seed, the communities,
//! the months and the day the simulation runs as of (`as_of`, the district's today):
//! the same inputs always give the same world, so the commands sent (and their
//! idempotency keys) are the same on every run.
//!
//! Each community has its own random stream (seed × community code), and each of its
//! months another (seed × community × month), so adding a community or a month leaves
//! the others as they were. The people do not depend on the months at all.
//!
//! - `people`: households, residents and volunteers, with their names and ID numbers;
//! - `life`: the annual plans and what happens in each month;
//! - `civic`: publicity boards, good deeds, volunteer teams and the fund ledger;
//! - `moves`: residents moving out, newcomers moving in, births.
//!
//! Dates stay where the services accept them: instants (activities, incidents, patrols)
//! before `as_of`, days (visits, hours) up to `as_of`; whatever would fall later in the
//! current month is left out, to happen on a later run.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use civitas_proto::events::v1::{
    ActivityCategory, BoardTopic, CareCategory, CareNeed, CareSupport, FacilityType, FundSource,
    IncidentCategory, IncidentSeverity, InspectionType, MoveOutReason, ReferralOutcome,
    ResidenceType, VolunteerServiceCategory,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

mod civic;
mod life;
mod moves;
mod people;

pub use civic::{
    BoardUpdateSpec, DeedSpec, FacilitySpec, FundEntry, FundKind, TeamSpec, DEED_REVIEW_DAYS,
};
pub use moves::{HouseholdRef, MoveKind, MoveSpec, Newcomer, RECENT_DAYS};
use people::community;
pub use people::{check_character, id_number};

/// A community has one annual plan a year, whatever the seed of the life simulated in
/// it: plans come from this seed, and are sent under keys without the run's seed.
pub const PLAN_SEED: u64 = 0;

/// Households registered in each simulated community.
pub const HOUSEHOLDS_PER_COMMUNITY: usize = 30;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// `YYYYMM`, as monthly reports and KPI periods name it.
    pub fn label(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    pub fn prev(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                year: self.year,
                month: m - 1,
            },
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn days(self) -> u32 {
        let next = match self.month {
            12 => NaiveDate::from_ymd_opt(self.year + 1, 1, 1),
            m => NaiveDate::from_ymd_opt(self.year, m + 1, 1),
        };
        next.map_or(28, |n| {
            u32::try_from((n - self.first_day()).num_days()).unwrap_or(28)
        })
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day() + Duration::days(i64::from(self.days()) - 1)
    }

    pub fn day(self, day: u32) -> NaiveDate {
        self.first_day() + Duration::days(i64::from(day.clamp(1, self.days())) - 1)
    }
}

/// The last `months` months up to and including the month of `as_of`, oldest first.
pub fn months_up_to(as_of: NaiveDate, months: u32) -> Vec<Month> {
    let mut out = Vec::new();
    let mut month = Month::of(as_of);
    for _ in 0..months {
        out.push(month);
        month = month.prev();
    }
    out.reverse();
    out
}

/// A community as the org tree names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityInfo {
    pub code: String,
    pub name: String,
    pub street: String,
}

/// The whole generated district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct World {
    pub seed: u64,
    pub as_of: NaiveDate,
    pub months: Vec<Month>,
    pub communities: Vec<CommunityWorld>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityWorld {
    pub info: CommunityInfo,
    pub households: Vec<Household>,
    pub residents: Vec<Person>,
    /// Residents (indexes into `residents`) who volunteer.
    pub volunteers: Vec<usize>,
    /// Where the community's publicity boards stand.
    pub boards: Vec<String>,
    /// The community's service and activity places, with their floor areas.
    pub facilities: Vec<FacilitySpec>,
    /// Floating residents (indexes into `residents`) whose residence certificate staff
    /// check on the run's day, with the date it is valid until.
    pub floating_checks: Vec<(usize, NaiveDate)>,
    pub teams: Vec<TeamSpec>,
    pub plans: Vec<PlanYear>,
    pub months: Vec<MonthLife>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub address: String,
    pub grid: String,
    pub building: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub household: usize,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub birth: NaiveDate,
    pub residence: ResidenceType,
    /// An earlier resident of the same household (a parent of a minor).
    pub guardian: Option<usize>,
    pub care: Vec<CareCategory>,
}

/// A community's annual plan: items for every month of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanYear {
    pub year: i32,
    pub items: Vec<PlanItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    pub month: u32,
    pub category: ActivityCategory,
    pub title: String,
    pub target: u32,
}

/// What happens in one community in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthLife {
    pub month: Month,
    pub activities: Vec<ActivitySpec>,
    pub campaign: Option<CampaignSpec>,
    pub visits: Vec<VisitSpec>,
    pub hours: Vec<HoursSpec>,
    pub incidents: Vec<IncidentSpec>,
    pub patrols: Vec<PatrolSpec>,
    pub inspections: Vec<InspectionSpec>,
    /// The monthly report's narrative, for a month that has ended.
    pub report: Option<String>,
    pub board_updates: Vec<BoardUpdateSpec>,
    pub deeds: Vec<DeedSpec>,
    /// Fund ledger entries, by day.
    pub funds: Vec<FundEntry>,
    /// Moves out and in, and births, by day.
    pub moves: Vec<MoveSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivitySpec {
    /// Index into the items of the plan of the month's year.
    pub plan_item: Option<usize>,
    pub category: ActivityCategory,
    pub title: String,
    pub venue: String,
    pub timing: Timing,
    pub capacity: u32,
    /// Residents (indexes) who register.
    pub registrants: Vec<usize>,
    /// Of those, who checks in (only a live activity takes check-ins).
    pub attendees: Vec<usize>,
    pub walk_ins: u32,
    pub end: ActivityEnd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    /// Held on a past day: district local start and length in minutes.
    At { starts: NaiveDateTime, minutes: i64 },
    /// Held today, ending just before the simulation reaches it, so check-ins (which
    /// the service takes only around the activity's hours) can be recorded.
    Live,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityEnd {
    Close { report: String },
    Cancel { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSpec {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub categories: Vec<CareCategory>,
    /// Closed once its period is over.
    pub close: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSpec {
    pub resident: usize,
    pub visited_on: NaiveDate,
    pub in_campaign: bool,
    /// Index into the community's volunteers.
    pub volunteer: Option<usize>,
    pub support: Vec<CareSupport>,
    pub need: Option<CareNeed>,
    /// A referral opened for the need, and how it is closed (if it already is).
    pub referral: Option<Option<ReferralOutcome>>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursSpec {
    /// Index into the community's volunteers.
    pub volunteer: usize,
    pub record_id: uuid::Uuid,
    pub date: NaiveDate,
    pub minutes: u32,
    pub approve: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSpec {
    pub category: IncidentCategory,
    pub severity: IncidentSeverity,
    pub grid: String,
    pub building: String,
    pub location: String,
    /// District local time.
    pub occurred_at: NaiveDateTime,
    /// Dispatched to, and the resolution, once handled.
    pub handled: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatrolSpec {
    pub route: String,
    /// District local time.
    pub planned_start: NaiveDateTime,
    pub grids: Vec<String>,
    pub participants: u32,
    pub minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionSpec {
    pub kind: InspectionType,
    pub target: String,
    pub score: u32,
    pub passed: bool,
    pub hazards: Vec<String>,
    /// For a failed inspection: the rectification's deadline (days after the run's
    /// day) and whether it is verified already.
    pub rectify: Option<(i64, bool)>,
}

impl World {
    /// Generates the district for `seed`.
    pub fn generate(
        seed: u64,
        communities: &[CommunityInfo],
        months: u32,
        as_of: NaiveDate,
    ) -> World {
        let months = months_up_to(as_of, months);
        let communities = communities
            .iter()
            .map(|info| community(seed, info, &months, as_of))
            .collect();
        World {
            seed,
            as_of,
            months,
            communities,
        }
    }

    /// Commands the simulation sends for this world (approvals included).
    pub fn commands(&self) -> u64 {
        let mut n = 0usize;
        for c in &self.communities {
            n += c.households.len() + c.residents.len();
            n += c.residents.iter().map(|r| r.care.len()).sum::<usize>();
            n += c.volunteers.len() * 2;
            n += c.plans.iter().map(|p| p.items.len() + 1).sum::<usize>();
            n += c.boards.len() + c.facilities.len() + c.floating_checks.len();
            n += c.teams.iter().map(|t| 1 + t.members.len()).sum::<usize>();
            for m in &c.months {
                for a in &m.activities {
                    n += 2 + a.registrants.len();
                    if a.timing == Timing::Live {
                        n += a.attendees.len() + a.walk_ins as usize;
                    }
                }
                n += m.campaign.as_ref().map_or(0, |c| 1 + usize::from(c.close));
                for v in &m.visits {
                    n += 1 + usize::from(matches!(v.referral, Some(Some(_))));
                }
                n += m
                    .hours
                    .iter()
                    .map(|h| 1 + usize::from(h.approve))
                    .sum::<usize>();
                n += m
                    .incidents
                    .iter()
                    .map(|i| if i.handled.is_some() { 4 } else { 1 })
                    .sum::<usize>();
                n += m.patrols.len() * 2;
                for i in &m.inspections {
                    n += 1 + i.rectify.map_or(0, |(_, verify)| 1 + usize::from(verify));
                }
                n += if m.report.is_some() { 3 } else { 0 };
                n += m.board_updates.len() + m.funds.len();
                n += m
                    .deeds
                    .iter()
                    .map(|d| 1 + usize::from(d.publish) + usize::from(d.retract.is_some()))
                    .sum::<usize>();
                for mv in &m.moves {
                    n += match &mv.kind {
                        MoveKind::Out { .. } | MoveKind::Birth { .. } => 1,
                        MoveKind::In {
                            household,
                            newcomers,
                        } => {
                            usize::from(matches!(household, HouseholdRef::New(_))) + newcomers.len()
                        }
                    };
                }
            }
        }
        n as u64
    }
}

/// A 64-bit mix of the seed and labels (splitmix64 over FNV-1a): stable across
/// platforms and releases, unlike `std`'s hasher.
pub fn mix(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn rng(seed: u64, parts: &[&str]) -> StdRng {
    StdRng::seed_from_u64(mix(seed, parts))
}

#[cfg(test)]
mod tests;
