//! `GetScorecard` and `ListLeagueTable`: the plan's eight standards, scored from the
//! catalog's indicators ([`crate::indicators::scorecard`]) for one unit, or for every
//! community under a street or the district, ranked.

use civitas_platform::auth::Caller;
use civitas_platform::error::invalid_argument;
use civitas_platform::org::{OrgLevel, OrgUnit};
use civitas_proto::insights::v1 as pb;
use tonic::Status;

use super::indicators::{today, Asked};
use super::{readable_unit, Insights};
use crate::indicators::{league_table, Outcome, PerCommunity, Scope, Scorecard};
use crate::period::Period;

impl Insights {
    /// The scorecard of the unit the request names (the caller's own when empty).
    pub async fn get_scorecard(
        &self,
        caller: &Caller,
        request: pb::GetScorecardRequest,
    ) -> Result<pb::GetScorecardResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let period = Asked::parse(&request.period, today())?.range();
        let communities = self.communities(&unit.code);
        let values = self
            .projection
            .values_in(&self.tree, &[unit], &communities, period)
            .await?;
        let card = self.scorecard(unit, &communities, &period, &values);
        Ok(pb::GetScorecardResponse {
            scorecard: Some(card_pb(unit, card)),
            period: request.period,
        })
    }

    /// The communities under a street or the district, ranked on their scorecards.
    pub async fn list_league_table(
        &self,
        caller: &Caller,
        request: pb::ListLeagueTableRequest,
    ) -> Result<pb::ListLeagueTableResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        if unit.level == OrgLevel::Community {
            return Err(invalid_argument(
                "org_unit",
                "a league table ranks the communities of a street or of the district",
            ));
        }
        let period = Asked::parse(&request.period, today())?.range();
        let communities = self.tree.communities_under(&unit.code);
        let codes: Vec<String> = communities.iter().map(|c| c.code.clone()).collect();
        let values = self
            .projection
            .values_in(&self.tree, &communities, &codes, period)
            .await?;
        let cards = communities.iter().map(|community| {
            let own = [community.code.clone()];
            let card = self.scorecard(community, &own, &period, &values);
            (community.code.clone(), card)
        });
        let rows = league_table(cards)
            .into_iter()
            .filter_map(|row| {
                let community = self.tree.unit(&row.community)?;
                Some(pb::LeagueRow {
                    rank: row.rank,
                    scorecard: Some(card_pb(community, row.scorecard)),
                })
            })
            .collect();
        Ok(pb::ListLeagueTableResponse {
            rows,
            period: request.period,
        })
    }

    fn scorecard(
        &self,
        unit: &OrgUnit,
        communities: &[String],
        period: &Period,
        values: &PerCommunity,
    ) -> Scorecard {
        let catalog = self.projection.catalog();
        let scope = Scope {
            unit: &unit.code,
            level: unit.level,
            communities,
        };
        catalog.scorecard(&catalog.evaluate(&scope, period, values, None))
    }
}

fn card_pb(unit: &OrgUnit, card: Scorecard) -> pb::Scorecard {
    pb::Scorecard {
        org_unit: unit.code.clone(),
        name: unit.name.clone(),
        level: unit.level.to_string(),
        measurable: card.overall.measurable as u32,
        passed: card.overall.passed as u32,
        mean_score: card.overall.mean_score,
        standards: card
            .standards
            .into_iter()
            .map(|standard| {
                let mut score = pb::StandardScore {
                    number: u32::from(standard.number),
                    name_zh: standard.name_zh,
                    name_en: standard.name_en,
                    pass_mark: standard.pass_mark,
                    ..Default::default()
                };
                match standard.outcome {
                    Outcome::Measurable {
                        score: value,
                        passed,
                        parts,
                    } => {
                        score.measurable = true;
                        score.score = value;
                        score.passed = passed;
                        score.parts = parts
                            .into_iter()
                            .map(|part| pb::StandardPart {
                                has_value: part.value.is_some(),
                                indicator: part.indicator,
                                weight: part.weight,
                                achievement: part.percent,
                            })
                            .collect();
                    }
                    Outcome::NotMeasurable {
                        reason_zh,
                        reason_en,
                    } => {
                        score.reason_zh = reason_zh;
                        score.reason_en = reason_en;
                    }
                }
                score
            })
            .collect(),
    }
}
