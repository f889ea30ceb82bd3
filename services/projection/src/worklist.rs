//! The Worklist gRPC service: the staff's daily lists (upcoming activities and their
//! attendance, hour approvals, volunteer hours, open incidents, overdue
//! rectifications, alerts, residents due for a care visit in [`care`]) read from the
//! projection's read models.
//!
//! Scoped like Insights: a request names an org unit (empty = the caller's own), the
//! caller must be allowed to read it, and only rows of communities within it are
//! returned. Rows hold ids, codes and counts, never personal data. Every list pages
//! (`civitas_platform::paging`): its order, ended by the row's id, is the cursor.

mod care;

use std::cmp::Reverse;

use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use civitas_platform::auth::Caller;
use civitas_platform::error::{invalid_argument, not_found};
use civitas_platform::org::OrgTree;

use crate::insights::readable_unit;
use civitas_platform::paging::page;
use civitas_proto::common::v1::Date;
use civitas_proto::convert::timestamp;
use civitas_proto::insights::v1::worklist_service_server::{
    WorklistService, WorklistServiceServer,
};
use civitas_proto::insights::v1::{
    Alert, GetActivityAttendanceRequest, GetActivityAttendanceResponse, ListAlertsRequest,
    ListAlertsResponse, ListOpenIncidentsRequest, ListOpenIncidentsResponse,
    ListOverdueRectificationsRequest, ListOverdueRectificationsResponse,
    ListPendingHourApprovalsRequest, ListPendingHourApprovalsResponse,
    ListResidentsDueForVisitRequest, ListResidentsDueForVisitResponse,
    ListUpcomingActivitiesRequest, ListUpcomingActivitiesResponse, ListVolunteerHoursRequest,
    ListVolunteerHoursResponse, OverdueRectification, PendingHourApproval, VolunteerHours,
    WorklistActivity, WorklistIncident,
};
use tonic::Status;

use crate::db::lists;
use crate::period::Period;
use crate::rules::{self, code_text, days_between, ActivityRow, IncidentRow};
use crate::Projection;

/// Serves [`WorklistService`] from a [`Projection`] and the org tree.
#[derive(Clone)]
pub struct Worklist {
    projection: Projection,
    tree: OrgTree,
}

impl Worklist {
    /// The service over `projection`, scoping along `tree`.
    pub fn new(projection: Projection, tree: OrgTree) -> Self {
        Self { projection, tree }
    }

    /// The communities the caller asks for with `org_unit`, once allowed to read it.
    fn communities(&self, caller: &Caller, org_unit: &str) -> Result<Vec<String>, Status> {
        let unit = readable_unit(&self.tree, caller, org_unit)?;
        Ok(self
            .tree
            .communities_under(&unit.code)
            .into_iter()
            .map(|u| u.code.clone())
            .collect())
    }
}

/// A stored RFC 3339 instant as a proto timestamp; `None` if empty or malformed. A
/// macro so this crate need not name `prost_types::Timestamp`.
macro_rules! stored_instant {
    ($text:expr) => {
        DateTime::parse_from_rfc3339($text)
            .ok()
            .map(|at| timestamp(at.with_timezone(&Utc)))
    };
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn proto_date(day: NaiveDate) -> Date {
    use chrono::Datelike;
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// A stored `YYYY-MM-DD` day as a proto date; `None` if empty or malformed.
fn stored_date(text: &str) -> Option<Date> {
    parse_day(text).map(proto_date)
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn activity(activity_id: String, row: &ActivityRow) -> WorklistActivity {
    WorklistActivity {
        activity_id,
        community: row.community.clone(),
        category: code_text(row.category),
        title: row.title.clone(),
        starts_at: stored_instant!(&row.starts_at),
        ends_at: stored_instant!(&row.ends_at),
        capacity: u32_of(row.capacity),
        registered: u32_of(row.registered),
        checked_in: u32_of(row.checked_in),
        status: row.status.clone(),
    }
}

fn incident(incident_id: String, row: &IncidentRow) -> WorklistIncident {
    WorklistIncident {
        incident_id,
        community: row.community.clone(),
        category: code_text(row.category),
        severity: code_text(row.severity),
        state: row.state.clone(),
        reported_at: stored_instant!(&row.reported_at),
        alert: row.alert,
    }
}

/// An RFC 3339 UTC text of an instant, as the read models store it.
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The RPCs, each checked against the caller's scope.
impl Worklist {
    /// The KPI catalog's thresholds (the upcoming window, the rectification grace).
    fn thresholds(&self) -> &crate::indicators::Thresholds {
        self.projection.catalog().thresholds()
    }

    /// Scheduled activities starting in the window (by default the next
    /// `upcoming_activities_window_days` of the KPI catalog's thresholds), earliest
    /// first.
    pub async fn list_upcoming_activities(
        &self,
        caller: &Caller,
        request: ListUpcomingActivitiesRequest,
    ) -> Result<ListUpcomingActivitiesResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let from = match request.from {
            None => Utc::now(),
            Some(t) => rules::instant(t.seconds, t.nanos)
                .ok_or_else(|| invalid_argument("from", "not a valid timestamp"))?,
        };
        let to = match request.to {
            None => from
                .checked_add_days(Days::new(
                    self.thresholds().upcoming_activities_window_days.into(),
                ))
                .ok_or_else(|| invalid_argument("from", "too far in the future"))?,
            Some(t) => rules::instant(t.seconds, t.nanos)
                .ok_or_else(|| invalid_argument("to", "not a valid timestamp"))?,
        };
        if to <= from {
            return Err(invalid_argument("to", "must be after from"));
        }
        let (from, to) = (instant_text(from), instant_text(to));
        let rows =
            lists::upcoming_activities(&self.projection.pool, &communities, &from, &to).await?;
        let page = page(
            rows,
            |(id, row)| (row.starts_at.clone(), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListUpcomingActivitiesResponse {
            activities: page
                .rows
                .into_iter()
                .map(|(id, row)| activity(id, &row))
                .collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// One activity with its walk-ins, registered attendees and show-up rate.
    pub async fn get_activity_attendance(
        &self,
        caller: &Caller,
        request: GetActivityAttendanceRequest,
    ) -> Result<GetActivityAttendanceResponse, Status> {
        let activity_id = request.activity_id;
        if activity_id.is_empty() {
            return Err(invalid_argument("activity_id", "must not be empty"));
        }
        let row = lists::activity(&self.projection.pool, &activity_id)
            .await?
            .ok_or_else(|| not_found("activity", &activity_id))?;
        caller.authorize_read(&row.community, &self.tree)?;
        let registered_attended = (row.checked_in - row.walk_ins).max(0);
        let show_up_rate = if row.registered > 0 {
            registered_attended as f64 / row.registered as f64
        } else {
            0.0
        };
        Ok(GetActivityAttendanceResponse {
            walk_ins: u32_of(row.walk_ins),
            registered_attended: u32_of(registered_attended),
            show_up_rate,
            activity: Some(activity(activity_id, &row)),
        })
    }

    /// Service records awaiting approval, earliest submission first.
    pub async fn list_pending_hour_approvals(
        &self,
        caller: &Caller,
        request: ListPendingHourApprovalsRequest,
    ) -> Result<ListPendingHourApprovalsResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let rows = lists::pending_approvals(&self.projection.pool, &communities).await?;
        let page = page(
            rows,
            |(id, row)| (row.submitted_on.clone(), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListPendingHourApprovalsResponse {
            next_page_token: page.next_page_token,
            approvals: page
                .rows
                .into_iter()
                .map(|(record_id, row)| PendingHourApproval {
                    service_date: stored_date(&row.service_date),
                    submitted_on: stored_date(&row.submitted_on),
                    volunteer_id: row.volunteer_id,
                    record_id,
                    community: row.community,
                    minutes: u32_of(row.minutes),
                })
                .collect(),
        })
    }

    /// Volunteers with their approved hours, most first.
    pub async fn list_volunteer_hours(
        &self,
        caller: &Caller,
        request: ListVolunteerHoursRequest,
    ) -> Result<ListVolunteerHoursResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let rows = lists::volunteers(&self.projection.pool, &communities).await?;
        let page = page(
            rows,
            |(id, row)| (Reverse(row.approved_minutes), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListVolunteerHoursResponse {
            next_page_token: page.next_page_token,
            volunteers: page
                .rows
                .into_iter()
                .map(|(volunteer_id, row)| VolunteerHours {
                    volunteer_id,
                    community: row.community,
                    status: row.status,
                    approved_minutes: u64::try_from(row.approved_minutes).unwrap_or(0),
                    approved_hours: row.approved_minutes.max(0) as f64 / 60.0,
                    star_level: u32_of(row.star_level),
                    pending_records: u32_of(row.pending),
                })
                .collect(),
        })
    }

    /// Incidents neither resolved nor closed, by state, then report time.
    pub async fn list_open_incidents(
        &self,
        caller: &Caller,
        request: ListOpenIncidentsRequest,
    ) -> Result<ListOpenIncidentsResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let rows = lists::open_incidents(&self.projection.pool, &communities).await?;
        let page = page(
            rows,
            |(id, row)| (row.state.clone(), row.reported_at.clone(), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListOpenIncidentsResponse {
            incidents: page
                .rows
                .into_iter()
                .map(|(id, row)| incident(id, &row))
                .collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// Open rectifications past their deadline on `as_of` (by default today in
    /// the district), most overdue first.
    pub async fn list_overdue_rectifications(
        &self,
        caller: &Caller,
        request: ListOverdueRectificationsRequest,
    ) -> Result<ListOverdueRectificationsResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let as_of = match request.as_of {
            None => rules::district_date(Utc::now()),
            Some(d) => u32::try_from(d.month)
                .ok()
                .zip(u32::try_from(d.day).ok())
                .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
                .ok_or_else(|| invalid_argument("as_of", "not a calendar date"))?,
        };
        let as_of_text = as_of.format("%Y-%m-%d").to_string();
        // Overdue once the deadline lies more than the grace days behind `as_of`.
        let grace = Days::new(self.thresholds().rectification_grace_days.into());
        let due_before = as_of
            .checked_sub_days(grace)
            .ok_or_else(|| invalid_argument("as_of", "too early in the calendar"))?
            .format("%Y-%m-%d")
            .to_string();
        let rows =
            lists::overdue_rectifications(&self.projection.pool, &communities, &due_before).await?;
        let page = page(
            rows,
            |(id, row)| (row.deadline.clone(), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListOverdueRectificationsResponse {
            next_page_token: page.next_page_token,
            rectifications: page
                .rows
                .into_iter()
                .map(|(rectification_id, row)| OverdueRectification {
                    days_overdue: u32_of(days_between(&row.deadline, &as_of_text).unwrap_or(0)),
                    ordered_on: stored_date(&row.ordered_on),
                    deadline: stored_date(&row.deadline),
                    rectification_id,
                    community: row.community,
                    state: row.state,
                })
                .collect(),
            as_of: Some(proto_date(as_of)),
        })
    }

    /// Alert incidents reported in the period, newest first.
    pub async fn list_alerts(
        &self,
        caller: &Caller,
        request: ListAlertsRequest,
    ) -> Result<ListAlertsResponse, Status> {
        let communities = self.communities(caller, &request.org_unit)?;
        let period = Period::parse(&request.period)
            .map_err(|e| invalid_argument("period", e.to_string()))?;
        let (indicator_alerts, visits_due) = if request.page_token.is_empty() {
            let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
            let indicators =
                crate::insights::indicator_alerts(&self.projection, &self.tree, unit, &period)
                    .await?;
            (indicators, self.visits_due(&communities).await?)
        } else {
            (Vec::new(), Vec::new())
        };
        let (first, last) = (
            period.first.format("%Y-%m-%d").to_string(),
            period.last.format("%Y-%m-%d").to_string(),
        );
        let rows = lists::alerts(&self.projection.pool, &communities, &first, &last).await?;
        let page = page(
            rows,
            |(id, row)| (Reverse(row.reported_at.clone()), id.clone()),
            request.page_size,
            &request.page_token,
        )?;
        Ok(ListAlertsResponse {
            next_page_token: page.next_page_token,
            alerts: page
                .rows
                .into_iter()
                .map(|(incident_id, row)| Alert {
                    reported_at: stored_instant!(&row.reported_at),
                    incident_id,
                    community: row.community,
                    category: code_text(row.category),
                    severity: code_text(row.severity),
                    state: row.state,
                })
                .collect(),
            indicator_alerts,
            visits_due,
        })
    }
}

civitas_platform::grpc_service! {
    Worklist as WorklistService, WorklistServiceServer {
        list_upcoming_activities(ListUpcomingActivitiesRequest) -> ListUpcomingActivitiesResponse;
        get_activity_attendance(GetActivityAttendanceRequest) -> GetActivityAttendanceResponse;
        list_pending_hour_approvals(ListPendingHourApprovalsRequest)
            -> ListPendingHourApprovalsResponse;
        list_volunteer_hours(ListVolunteerHoursRequest) -> ListVolunteerHoursResponse;
        list_open_incidents(ListOpenIncidentsRequest) -> ListOpenIncidentsResponse;
        list_overdue_rectifications(ListOverdueRectificationsRequest)
            -> ListOverdueRectificationsResponse;
        list_alerts(ListAlertsRequest) -> ListAlertsResponse;
        list_residents_due_for_visit(ListResidentsDueForVisitRequest)
            -> ListResidentsDueForVisitResponse;
    }
}
