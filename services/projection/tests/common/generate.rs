//! A district's year of events, generated deterministically: residents, activities,
//! volunteering and safety events over twelve communities, each following up on what
//! came before (registrations on scheduled activities, approvals of submitted hours…).
//! The apply benchmark and the rebuild tests replay it.

use civitas_proto::events::v1 as pb;

use super::areas::*;
use super::*;

pub const COMMUNITIES: &[&str] = &[
    "xingfu",
    "heping",
    "anle",
    "jianshe",
    "wenhua",
    "xinhua",
    "dongfeng",
    "hongqi",
    "chaoyang",
    "minzhu",
    "tuanjie",
    "guangming",
];

/// A small deterministic generator (xorshift64*), so every run sees the same events.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the generator remembers per community to produce follow-up events.
#[derive(Default)]
struct Community {
    households: Vec<String>,
    residents: Vec<String>,
    /// Open activities with their registration count.
    activities: Vec<(String, pb::ActivityCategory, u32)>,
    /// Volunteers with their approved minutes.
    volunteers: Vec<(String, u64)>,
    pending: Vec<(String, String, u32, String)>,
    incidents: Vec<(String, String)>,
    rectifications: Vec<(String, String)>,
}

/// `events` events over 2026, in commit order.
pub fn generate(events: usize) -> Log {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut log = Log::default();
    let mut state: Vec<Community> = COMMUNITIES.iter().map(|_| Community::default()).collect();
    let start = day("2026-01-01");
    let mut next_id = 0u64;
    while log.events.len() < events {
        let i = log.events.len();
        let date = start + chrono::Duration::days((i * 365 / events) as i64);
        let on = date.format("%Y-%m-%d").to_string();
        let c = rng.below(COMMUNITIES.len());
        let (community, s) = (COMMUNITIES[c], &mut state[c]);
        next_id += 1;
        let id = format!("{community}-{next_id}");
        let draft = match rng.below(100) {
            0..=9 => {
                s.households.push(id.clone());
                household_registered(&id)
            }
            10..=27 if !s.households.is_empty() => {
                let household = rng.pick(&s.households).clone();
                let kind = *rng.pick(&[pb::ResidenceType::Permanent, pb::ResidenceType::Floating]);
                s.residents.push(id.clone());
                resident_registered(&id, &household, kind)
            }
            28..=35 if !s.residents.is_empty() => {
                let category = *rng.pick(&[
                    pb::CareCategory::LivingAlone,
                    pb::CareCategory::EmptyNest,
                    pb::CareCategory::Minor,
                    pb::CareCategory::Disabled,
                ]);
                let resident = rng.pick(&s.residents);
                care_category_assigned(resident, category)
            }
            36..=38 if !s.residents.is_empty() => {
                let resident = rng.pick(&s.residents);
                residence_type_changed(
                    resident,
                    pb::ResidenceType::Floating,
                    pb::ResidenceType::Permanent,
                )
            }
            39..=40 if !s.residents.is_empty() => {
                let at = rng.below(s.residents.len());
                resident_moved_out(&s.residents.swap_remove(at))
            }
            41..=45 => {
                let category = *rng.pick(&[
                    pb::ActivityCategory::FilmScreening,
                    pb::ActivityCategory::CitizenSchoolClass,
                    pb::ActivityCategory::MinorsEducation,
                    pb::ActivityCategory::Performance,
                ]);
                s.activities.push((id.clone(), category, 0));
                activity_scheduled(&id, category, &format!("{on}T02:00:00Z"))
            }
            46..=57 if !s.activities.is_empty() => {
                let at = rng.below(s.activities.len());
                let activity = &mut s.activities[at];
                activity.2 += 1;
                participant_registered(&activity.0, &id, activity.2)
            }
            58..=64 if !s.activities.is_empty() => {
                participant_checked_in(&rng.pick(&s.activities).0, &id)
            }
            65..=68 if !s.activities.is_empty() => {
                let at = rng.below(s.activities.len());
                let (activity, category, registered) = s.activities.swap_remove(at);
                activity_closed(&activity, category, registered, registered / 2, 3)
            }
            69..=71 => {
                s.volunteers.push((id.clone(), 0));
                volunteer_registered(&id)
            }
            72..=73 if !s.volunteers.is_empty() => volunteer_verified(&rng.pick(&s.volunteers).0),
            74..=77 if !s.volunteers.is_empty() => {
                let volunteer = rng.pick(&s.volunteers).0.clone();
                let minutes = 30 + 30 * rng.below(6) as u32;
                s.pending
                    .push((volunteer.clone(), id.clone(), minutes, on.clone()));
                hours_submitted(&volunteer, &id, minutes, &on)
            }
            78..=80 if !s.pending.is_empty() => {
                let at = rng.below(s.pending.len());
                let (volunteer, record, minutes, submitted_on) = s.pending.swap_remove(at);
                let total = match s.volunteers.iter_mut().find(|v| v.0 == volunteer) {
                    Some(v) => {
                        v.1 += u64::from(minutes);
                        v.1
                    }
                    None => u64::from(minutes),
                };
                hours_approved(&volunteer, &record, minutes, &submitted_on, &on, total)
            }
            81 if !s.volunteers.is_empty() => {
                let level = rng.below(5) as u32;
                star_level_changed(&rng.pick(&s.volunteers).0, level, level + 1)
            }
            82..=86 => {
                let reported_at = format!("{on}T03:00:00Z");
                s.incidents.push((id.clone(), reported_at.clone()));
                let category =
                    *rng.pick(&[pb::IncidentCategory::Dispute, pb::IncidentCategory::Theft]);
                let severity = *rng.pick(&[
                    pb::IncidentSeverity::Minor,
                    pb::IncidentSeverity::Serious,
                    pb::IncidentSeverity::Major,
                ]);
                incident_reported(&id, category, severity, &reported_at)
            }
            87..=88 if !s.incidents.is_empty() => incident_dispatched(&rng.pick(&s.incidents).0),
            89..=91 if !s.incidents.is_empty() => {
                let at = rng.below(s.incidents.len());
                let (incident, reported_at) = s.incidents.swap_remove(at);
                incident_resolved(&incident, &reported_at, &format!("{on}T09:00:00Z"))
            }
            92..=94 => {
                patrol_completed(&id, 2 + rng.below(5) as u32, 60 + 30 * rng.below(4) as u32)
            }
            95..=96 => inspection_recorded(&id, rng.below(4) > 0),
            97 => {
                let deadline = (date + chrono::Duration::days(14))
                    .format("%Y-%m-%d")
                    .to_string();
                s.rectifications.push((id.clone(), deadline.clone()));
                rectification_ordered(&id, &on, &deadline)
            }
            98 if !s.rectifications.is_empty() => {
                let at = rng.below(s.rectifications.len());
                let (rectification, deadline) = s.rectifications.swap_remove(at);
                rectification_verified(&rectification, &on, &deadline)
            }
            _ => publicity_board_updated(&format!("{community}-board"), &on),
        };
        log.push_in(community, &on, draft);
    }
    log
}
