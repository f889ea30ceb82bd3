//! Re-employment cases' events.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::convert::{date_from_pb, date_to_pb};
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::Stored;
use crate::domain::{CaseClosure, CaseId, Course, JobEvent, JobSeekerKind, ResidentId};

impl EventCodec for JobEvent {
    fn event_type(&self) -> &'static str {
        JobEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        let day = |d: &chrono::NaiveDate| Some(date_to_pb(*d));
        match self {
            JobEvent::JobSeekerRegistered {
                case_id,
                resident_id,
                kind,
                registered_on,
            } => pb::JobSeekerRegistered {
                case_id: case_id.to_string(),
                resident_id: resident_id.to_string(),
                kind: kind.to_pb() as i32,
                registered_on: day(registered_on),
            }
            .encode_to_vec(),
            JobEvent::JobTrainingAttended {
                case_id,
                course,
                attended_on,
            } => pb::JobTrainingAttended {
                case_id: case_id.to_string(),
                course: course.as_str().to_owned(),
                attended_on: day(attended_on),
            }
            .encode_to_vec(),
            JobEvent::JobReferralMade {
                case_id,
                referred_on,
            } => pb::JobReferralMade {
                case_id: case_id.to_string(),
                referred_on: day(referred_on),
            }
            .encode_to_vec(),
            JobEvent::JobSeekerPlaced { case_id, placed_on } => pb::JobSeekerPlaced {
                case_id: case_id.to_string(),
                placed_on: day(placed_on),
            }
            .encode_to_vec(),
            JobEvent::JobSeekerCaseClosed {
                case_id,
                reason,
                closed_on,
            } => pb::JobSeekerCaseClosed {
                case_id: case_id.to_string(),
                reason: reason.to_pb() as i32,
                closed_on: day(closed_on),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        let stored = Stored {
            event_type,
            schema_version,
            payload,
        };
        let case = |raw: &str| stored.valid(CaseId::parse("case_id", raw));
        match event_type {
            "JobSeekerRegistered" => {
                let e: pb::JobSeekerRegistered = stored.message()?;
                Ok(JobEvent::JobSeekerRegistered {
                    case_id: case(&e.case_id)?,
                    resident_id: stored.valid(ResidentId::parse("resident_id", &e.resident_id))?,
                    kind: stored.valid(JobSeekerKind::from_pb(e.kind, "kind"))?,
                    registered_on: stored.valid(date_from_pb(e.registered_on, "registered_on"))?,
                })
            }
            "JobTrainingAttended" => {
                let e: pb::JobTrainingAttended = stored.message()?;
                Ok(JobEvent::JobTrainingAttended {
                    case_id: case(&e.case_id)?,
                    course: stored.valid(Course::parse("course", &e.course))?,
                    attended_on: stored.valid(date_from_pb(e.attended_on, "attended_on"))?,
                })
            }
            "JobReferralMade" => {
                let e: pb::JobReferralMade = stored.message()?;
                Ok(JobEvent::JobReferralMade {
                    case_id: case(&e.case_id)?,
                    referred_on: stored.valid(date_from_pb(e.referred_on, "referred_on"))?,
                })
            }
            "JobSeekerPlaced" => {
                let e: pb::JobSeekerPlaced = stored.message()?;
                Ok(JobEvent::JobSeekerPlaced {
                    case_id: case(&e.case_id)?,
                    placed_on: stored.valid(date_from_pb(e.placed_on, "placed_on"))?,
                })
            }
            "JobSeekerCaseClosed" => {
                let e: pb::JobSeekerCaseClosed = stored.message()?;
                Ok(JobEvent::JobSeekerCaseClosed {
                    case_id: case(&e.case_id)?,
                    reason: stored.valid(CaseClosure::from_pb(e.reason, "reason"))?,
                    closed_on: stored.valid(date_from_pb(e.closed_on, "closed_on"))?,
                })
            }
            other => Err(stored.fail(format!("unknown re-employment event {other}"))),
        }
    }
}
