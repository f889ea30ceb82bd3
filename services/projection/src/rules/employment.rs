//! Re-employment help, from the residents service's `JobSeeker` streams (one case per
//! resident): `employment.job_seekers` is the stock of open cases, `trainings`,
//! `referrals` and `placements` are flows, and `employment.helped` counts each case
//! once (DISTINCT) on the days it got training or a referral.

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, Deltas, Views};
use crate::catalog::{
    EMPLOYMENT_HELPED, EMPLOYMENT_JOB_SEEKERS, EMPLOYMENT_PLACEMENTS, EMPLOYMENT_REFERRALS,
    EMPLOYMENT_TRAININGS,
};

/// A re-employment event reduced to what the projection uses; `on` is the day the
/// payload names (`YYYY-MM-DD`), empty when it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Registered,
    Trained { case_id: String, on: String },
    Referred { case_id: String, on: String },
    Placed { on: String },
    Closed,
}

/// Decodes a re-employment event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "JobSeekerRegistered" => {
            pb::JobSeekerRegistered::decode(p)?;
            Fact::Registered
        }
        "JobTrainingAttended" => {
            let e = pb::JobTrainingAttended::decode(p)?;
            Fact::Trained {
                on: date_text(e.attended_on.as_ref()),
                case_id: e.case_id,
            }
        }
        "JobReferralMade" => {
            let e = pb::JobReferralMade::decode(p)?;
            Fact::Referred {
                on: date_text(e.referred_on.as_ref()),
                case_id: e.case_id,
            }
        }
        "JobSeekerPlaced" => Fact::Placed {
            on: date_text(pb::JobSeekerPlaced::decode(p)?.placed_on.as_ref()),
        },
        "JobSeekerCaseClosed" => {
            pb::JobSeekerCaseClosed::decode(p)?;
            Fact::Closed
        }
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Employment(fact)))
}

/// Applies one fact that happened in `community` on `day` (the envelope's; help and
/// placements count on the day they name).
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let named = |on: &str| {
        if on.is_empty() {
            day.to_owned()
        } else {
            on.to_owned()
        }
    };
    match fact {
        Fact::Registered => add(deltas, &EMPLOYMENT_JOB_SEEKERS, community, day, 1),
        Fact::Closed => add(deltas, &EMPLOYMENT_JOB_SEEKERS, community, day, -1),
        Fact::Placed { on } => {
            add(deltas, &EMPLOYMENT_JOB_SEEKERS, community, day, -1);
            add(deltas, &EMPLOYMENT_PLACEMENTS, community, &named(on), 1);
        }
        Fact::Trained { case_id, on } | Fact::Referred { case_id, on } => {
            let on = named(on);
            let element = match fact {
                Fact::Trained { .. } => &EMPLOYMENT_TRAININGS,
                _ => &EMPLOYMENT_REFERRALS,
            };
            add(deltas, element, community, &on, 1);
            count_person(
                &mut views.persons,
                &EMPLOYMENT_HELPED,
                community,
                &on,
                case_id,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{pairs, run};
    use super::super::Fact as Any;
    use super::*;

    #[test]
    fn cases_open_get_help_and_close_by_placement() {
        let trained = |case: &str| {
            Any::Employment(Fact::Trained {
                case_id: case.into(),
                on: String::new(),
            })
        };
        let (views, net) = run(&[
            Any::Employment(Fact::Registered),
            Any::Employment(Fact::Registered),
            trained("k1"),
            trained("k1"),
            Any::Employment(Fact::Referred {
                case_id: "k1".into(),
                on: String::new(),
            }),
            Any::Employment(Fact::Placed { on: String::new() }),
            Any::Employment(Fact::Closed),
        ]);
        assert_eq!(
            net,
            pairs(&[
                ("employment.placements", 1),
                ("employment.referrals", 1),
                ("employment.trainings", 2),
            ]),
            "two opened, one placed, one closed: none open"
        );
        let helped: Vec<_> = views
            .persons
            .values()
            .flatten()
            .map(|p| &p.person)
            .collect();
        assert_eq!(helped, ["k1"], "helped once however often");
    }
}
