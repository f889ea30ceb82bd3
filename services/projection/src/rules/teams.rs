//! Volunteer teams, from the volunteering service's `Team` streams: each team's row
//! ([`TeamRow`]) with its name, purpose, service category and member count, which the
//! community page shows. The members themselves (volunteer ids) are counted, never
//! kept. The write side adds a volunteer once and removes only a member, so the count
//! follows the events. Teams feed no data element (yet), and there is no event that
//! dissolves a team.

use civitas_proto::codes::ServiceCategory;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{Deltas, Views};

/// A volunteer team as the community page shows it: no team id (only the row's key),
/// no member ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeamRow {
    pub community: String,
    /// `YYYY-MM-DD`, the day it was formed.
    pub formed_on: String,
    pub name: String,
    pub purpose: String,
    /// `None` when unspecified.
    pub category: Option<ServiceCategory>,
    pub members: i64,
}

/// A team event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Formed {
        team_id: String,
        name: String,
        purpose: String,
        category: Option<ServiceCategory>,
    },
    MemberAdded {
        team_id: String,
    },
    MemberRemoved {
        team_id: String,
    },
}

/// Decodes a team event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "TeamFormed" => {
            let e = pb::TeamFormed::decode(p)?;
            Fact::Formed {
                category: ServiceCategory::from_wire(e.category),
                team_id: e.team_id,
                name: e.name,
                purpose: e.purpose,
            }
        }
        "TeamMemberAdded" => Fact::MemberAdded {
            team_id: pb::TeamMemberAdded::decode(p)?.team_id,
        },
        "TeamMemberRemoved" => Fact::MemberRemoved {
            team_id: pb::TeamMemberRemoved::decode(p)?.team_id,
        },
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Teams(fact)))
}

impl Fact {
    fn team_id(&self) -> &str {
        match self {
            Fact::Formed { team_id, .. }
            | Fact::MemberAdded { team_id }
            | Fact::MemberRemoved { team_id } => team_id,
        }
    }

    pub(super) fn need(&self, views: &mut Views) {
        views.teams.entry(self.team_id().to_owned()).or_default();
    }
}

/// Applies one fact that happened in `community` on `day`; members of a team never
/// seen formed change no row.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, _deltas: &mut Deltas) {
    let row = views.teams.entry(fact.team_id().to_owned()).or_default();
    match fact {
        Fact::Formed {
            name,
            purpose,
            category,
            ..
        } => {
            if row.is_some() {
                tracing::debug!(community, "team formed twice, kept as first formed");
                return;
            }
            *row = Some(TeamRow {
                community: community.to_owned(),
                formed_on: day.to_owned(),
                name: name.clone(),
                purpose: purpose.clone(),
                category: *category,
                members: 0,
            });
        }
        Fact::MemberAdded { .. } => {
            if let Some(row) = row {
                row.members += 1;
            }
        }
        Fact::MemberRemoved { .. } => {
            if let Some(row) = row {
                row.members = (row.members - 1).max(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, DAY};
    use super::super::Fact as Any;
    use super::*;

    fn formed(id: &str) -> Any {
        Any::Teams(Fact::Formed {
            team_id: id.into(),
            name: "Empty-nest visiting team".into(),
            purpose: "Weekly visits".into(),
            category: Some(ServiceCategory::EmptyNestCare),
        })
    }

    fn added(id: &str) -> Any {
        Any::Teams(Fact::MemberAdded { team_id: id.into() })
    }

    fn removed(id: &str) -> Any {
        Any::Teams(Fact::MemberRemoved { team_id: id.into() })
    }

    #[test]
    fn a_team_counts_its_members_as_they_join_and_leave() {
        let (views, net) = run(&[
            formed("t1"),
            added("t1"),
            added("t1"),
            added("t1"),
            removed("t1"),
        ]);
        assert_eq!(
            views.teams["t1"],
            Some(TeamRow {
                community: "c1".into(),
                formed_on: DAY.into(),
                name: "Empty-nest visiting team".into(),
                purpose: "Weekly visits".into(),
                category: Some(ServiceCategory::EmptyNestCare),
                members: 2,
            })
        );
        assert!(net.is_empty(), "teams feed no element: {net:?}");
    }

    #[test]
    fn members_of_an_unknown_team_change_nothing_and_a_count_stays_positive() {
        let (views, _) = run(&[added("t9"), removed("t9")]);
        assert_eq!(views.teams["t9"], None);
        let (views, _) = run(&[formed("t1"), removed("t1"), added("t1")]);
        assert_eq!(views.teams["t1"].as_ref().unwrap().members, 1);
        // Formed again (never, on the write side): the first stands.
        let (views, _) = run(&[formed("t1"), added("t1"), formed("t1")]);
        assert_eq!(views.teams["t1"].as_ref().unwrap().members, 1);
    }
}
