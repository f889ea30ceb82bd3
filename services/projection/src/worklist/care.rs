//! `ListResidentsDueForVisit` and the visit alerts of `ListAlerts`: residents on a
//! care register whose last visit (`resident_view.last_visited`, kept by
//! `rules/care.rs`) is older than the catalog's interval.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, Utc};
use civitas_platform::auth::Caller;
use civitas_platform::error::invalid_argument;
use civitas_platform::paging::page;
use civitas_proto::codes::CareCategory;
use civitas_proto::insights::v1::{
    ListResidentsDueForVisitRequest, ListResidentsDueForVisitResponse, ResidentDueForVisit,
    VisitsDue,
};
use tonic::Status;

use super::{proto_date, stored_date, Worklist};
use crate::db::lists;
use crate::rules;

/// The longest interval a request may ask for (ten years).
const MAX_DAYS: u32 = 3660;

impl Worklist {
    /// The first day a visit keeps a resident off the list on `today`.
    fn visited_since(&self, today: NaiveDate, days: u32) -> Result<String, Status> {
        let since = today
            .checked_sub_days(Days::new(days.into()))
            .ok_or_else(|| invalid_argument("days", "reaches before the calendar's start"))?;
        Ok(since.format("%Y-%m-%d").to_string())
    }

    /// Residents of the register due for a visit, never visited first.
    pub async fn list_residents_due_for_visit(
        &self,
        caller: &Caller,
        request: ListResidentsDueForVisitRequest,
    ) -> Result<ListResidentsDueForVisitResponse, Status> {
        caller.authorize_person_read()?;
        let communities = self.communities(caller, &request.org_unit)?;
        let category = match request.category {
            0 => CareCategory::LivingAlone,
            c => CareCategory::from_pb(c, "category")
                .map_err(|e| invalid_argument(e.field, e.message))?,
        };
        let days = match request.days {
            0 => self.thresholds().care_visit_interval_days,
            d if d > MAX_DAYS => {
                return Err(invalid_argument("days", format!("at most {MAX_DAYS}")));
            }
            d => d,
        };
        let today = rules::district_date(Utc::now());
        let since = self.visited_since(today, days)?;
        let rows =
            lists::due_for_visit(&self.projection.pool, &communities, category.code(), &since)
                .await?;
        let page = page(
            rows,
            |(id, row)| (row.last_visited.clone(), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListResidentsDueForVisitResponse {
            residents: page
                .rows
                .into_iter()
                .map(|(resident_id, row)| ResidentDueForVisit {
                    resident_id,
                    community: row.community,
                    last_visited: stored_date(&row.last_visited),
                })
                .collect(),
            as_of: Some(proto_date(today)),
            next_page_token: page.next_page_token,
        })
    }

    /// Per community of `communities`, how many residents living alone are due for a
    /// visit today (communities with none left out).
    pub(super) async fn visits_due(
        &self,
        communities: &[String],
    ) -> Result<Vec<VisitsDue>, Status> {
        let days = self.thresholds().care_visit_interval_days;
        let since = self.visited_since(rules::district_date(Utc::now()), days)?;
        let category = CareCategory::LivingAlone;
        let rows =
            lists::due_for_visit(&self.projection.pool, communities, category.code(), &since)
                .await?;
        let mut per_community: BTreeMap<String, u32> = BTreeMap::new();
        for (_, row) in rows {
            *per_community.entry(row.community).or_default() += 1;
        }
        Ok(communities
            .iter()
            .filter_map(|c| {
                per_community.get(c).map(|n| VisitsDue {
                    community: c.clone(),
                    category: category.code().to_owned(),
                    residents: *n,
                    days,
                })
            })
            .collect())
    }
}
