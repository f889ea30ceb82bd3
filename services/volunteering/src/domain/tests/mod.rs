//! Given/when/then tests of the deciders: every rule and every refusal.

mod opportunity;
mod team;
mod volunteer;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::values::{OpportunityId, Reason, TeamId, VolunteerId};
use super::volunteer::{Ineligible, VolunteerFacts};

const COMMUNITY: &str = "xingfu";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn today() -> NaiveDate {
    date(2026, 5, 10)
}

fn volunteer(n: u128) -> VolunteerId {
    VolunteerId::from_uuid(Uuid::from_u128(n))
}

fn me() -> VolunteerId {
    volunteer(1)
}

fn team_id() -> TeamId {
    TeamId::from_uuid(Uuid::from_u128(100))
}

fn opportunity_id() -> OpportunityId {
    OpportunityId::from_uuid(Uuid::from_u128(200))
}

fn reason(text: &str) -> Reason {
    Reason::parse("reason", text).unwrap()
}

/// Another volunteer in good standing in the same community.
fn facts(id: VolunteerId) -> VolunteerFacts {
    VolunteerFacts {
        volunteer_id: id,
        exists: true,
        active: true,
        community: COMMUNITY.into(),
        balance_minutes: 0,
    }
}
