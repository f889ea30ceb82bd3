//! The annual plan's events and read model.

use civitas_kernel::{DecodeError, EventCodec, OrgPath};
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{failure, org_to_pb, payload};
use crate::domain::{
    ActivityCategory, Month, PlanEvent, PlanState, PlanYear, PlannedItem, PlannedItemId, Reason,
    TargetParticipants, Title, ValidationError,
};

impl EventCodec for PlanEvent {
    fn event_type(&self) -> &'static str {
        PlanEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            PlanEvent::PlannedItemAdded {
                community,
                year,
                version,
                item,
            } => pb::PlannedItemAdded {
                community: community.clone(),
                year: year.get(),
                version: *version,
                item_id: item.item_id.to_string(),
                month: item.month.get(),
                category: item.category.to_pb() as i32,
                title: item.title.as_str().to_owned(),
                target_participants: item.target.get(),
            }
            .encode_to_vec(),
            PlanEvent::AnnualPlanPublished {
                community,
                year,
                version,
                item_count,
                target_total,
            } => pb::AnnualPlanPublished {
                community: community.clone(),
                year: year.get(),
                version: *version,
                item_count: *item_count,
                target_participants_total: *target_total,
            }
            .encode_to_vec(),
            PlanEvent::AnnualPlanAmended {
                community,
                year,
                version,
                reason,
            } => pb::AnnualPlanAmended {
                community: community.clone(),
                year: year.get(),
                version: *version,
                reason: reason.as_str().to_owned(),
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, bytes: &[u8]) -> Result<Self, DecodeError> {
        let fail = failure(event_type, schema_version);
        let v = |e: ValidationError| fail(e.to_string());
        let year = |y| PlanYear::parse("year", y).map_err(v);
        let event = match event_type {
            "PlannedItemAdded" => {
                let e: pb::PlannedItemAdded = payload(bytes, &fail)?;
                PlanEvent::PlannedItemAdded {
                    year: year(e.year)?,
                    version: e.version,
                    item: PlannedItem {
                        item_id: PlannedItemId::parse("item_id", &e.item_id).map_err(v)?,
                        month: Month::parse("month", e.month).map_err(v)?,
                        category: ActivityCategory::from_pb(e.category, "category").map_err(v)?,
                        title: Title::parse("title", &e.title).map_err(v)?,
                        target: TargetParticipants::parse(
                            "target_participants",
                            e.target_participants,
                        )
                        .map_err(v)?,
                    },
                    community: e.community,
                }
            }
            "AnnualPlanPublished" => {
                let e: pb::AnnualPlanPublished = payload(bytes, &fail)?;
                PlanEvent::AnnualPlanPublished {
                    year: year(e.year)?,
                    version: e.version,
                    item_count: e.item_count,
                    target_total: e.target_participants_total,
                    community: e.community,
                }
            }
            "AnnualPlanAmended" => {
                let e: pb::AnnualPlanAmended = payload(bytes, &fail)?;
                PlanEvent::AnnualPlanAmended {
                    year: year(e.year)?,
                    version: e.version,
                    reason: Reason::parse("reason", &e.reason).map_err(v)?,
                    community: e.community,
                }
            }
            other => return Err(fail(format!("unknown annual plan event {other}"))),
        };
        Ok(event)
    }
}

/// The read model of a plan: its state, the org it was written in and its stream version.
pub(crate) fn plan_to_pb(
    year: PlanYear,
    org: &OrgPath,
    state: PlanState,
    version: u64,
) -> api::AnnualPlan {
    api::AnnualPlan {
        org: Some(org_to_pb(org)),
        year: year.get(),
        plan_version: state.version,
        status: if state.published {
            api::PlanStatus::Published
        } else {
            api::PlanStatus::Draft
        } as i32,
        published_version: state.published_version,
        items: state
            .items
            .iter()
            .map(|e| api::PlannedItem {
                item_id: e.item.item_id.to_string(),
                month: e.item.month.get(),
                category: e.item.category.to_pb() as i32,
                title: e.item.title.to_string(),
                target_participants: e.item.target.get(),
                added_in_version: e.added_in_version,
            })
            .collect(),
        amendment_reason: state
            .amendment_reason
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        version,
    }
}
