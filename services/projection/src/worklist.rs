//! The Worklist gRPC service: the staff's daily lists (upcoming activities and their
//! attendance, hour approvals, volunteer hours, open incidents, overdue
//! rectifications, alerts) read from the projection's read models.
//!
//! Scoped like Insights: a request names an org unit (empty = the caller's own), the
//! caller must be allowed to read it, and only rows of communities within it are
//! returned. Rows hold ids, codes and counts, never personal data.

use std::cmp::Reverse;

use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use civitas_platform::auth::caller;
use civitas_platform::error::{internal, invalid_argument, not_found};
use civitas_platform::org::OrgTree;
use civitas_proto::common::v1::Date;
use civitas_proto::convert::timestamp;
use civitas_proto::insights::v1::worklist_service_server::WorklistService;
use civitas_proto::insights::v1::{
    Alert, GetActivityAttendanceRequest, GetActivityAttendanceResponse, ListAlertsRequest,
    ListAlertsResponse, ListOpenIncidentsRequest, ListOpenIncidentsResponse,
    ListOverdueRectificationsRequest, ListOverdueRectificationsResponse,
    ListPendingHourApprovalsRequest, ListPendingHourApprovalsResponse,
    ListUpcomingActivitiesRequest, ListUpcomingActivitiesResponse, ListVolunteerHoursRequest,
    ListVolunteerHoursResponse, OverdueRectification, PendingHourApproval, VolunteerHours,
    WorklistActivity, WorklistIncident,
};
use tonic::{Request, Response, Status};

use crate::db::lists;
use crate::period::Period;
use crate::rules::{self, days_between, ActivityRow, IncidentRow};
use crate::{Projection, ProjectionError};

/// How far ahead ListUpcomingActivities looks when the request sets no end.
const DEFAULT_WINDOW_DAYS: u64 = 30;

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
    fn communities<T>(&self, request: &Request<T>, org_unit: &str) -> Result<Vec<String>, Status> {
        let caller = caller(request)?;
        let code = if org_unit.is_empty() {
            caller.org_unit.as_str()
        } else {
            org_unit
        };
        let unit = self
            .tree
            .unit(code)
            .ok_or_else(|| not_found("org unit", code))?;
        caller.authorize_read(&unit.code, &self.tree)?;
        Ok(self
            .tree
            .communities_under(&unit.code)
            .into_iter()
            .map(|u| u.code.clone())
            .collect())
    }
}

/// INTERNAL for the client; the whole error chain goes to the log.
fn unexpected(error: ProjectionError) -> Status {
    internal(&format!("{:#}", anyhow::Error::new(error)))
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
        category: row.category.clone(),
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
        category: row.category.clone(),
        severity: row.severity.clone(),
        state: row.state.clone(),
        reported_at: stored_instant!(&row.reported_at),
        alert: row.alert,
    }
}

/// An RFC 3339 UTC text of an instant, as the read models store it.
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tonic::async_trait]
impl WorklistService for Worklist {
    #[tracing::instrument(name = "list_upcoming_activities", skip_all)]
    async fn list_upcoming_activities(
        &self,
        request: Request<ListUpcomingActivitiesRequest>,
    ) -> Result<Response<ListUpcomingActivitiesResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let r = request.into_inner();
        let from = match r.from {
            None => Utc::now(),
            Some(t) => rules::instant(t.seconds, t.nanos)
                .ok_or_else(|| invalid_argument("from", "not a valid timestamp"))?,
        };
        let to = match r.to {
            None => from
                .checked_add_days(Days::new(DEFAULT_WINDOW_DAYS))
                .ok_or_else(|| invalid_argument("from", "too far in the future"))?,
            Some(t) => rules::instant(t.seconds, t.nanos)
                .ok_or_else(|| invalid_argument("to", "not a valid timestamp"))?,
        };
        if to <= from {
            return Err(invalid_argument("to", "must be after from"));
        }
        let (from, to) = (instant_text(from), instant_text(to));
        let mut rows = lists::upcoming_activities(&self.projection.pool, &communities, &from, &to)
            .await
            .map_err(unexpected)?;
        rows.sort_by(|a, b| (&a.1.starts_at, &a.0).cmp(&(&b.1.starts_at, &b.0)));
        Ok(Response::new(ListUpcomingActivitiesResponse {
            activities: rows
                .into_iter()
                .map(|(id, row)| activity(id, &row))
                .collect(),
        }))
    }

    #[tracing::instrument(name = "get_activity_attendance", skip_all)]
    async fn get_activity_attendance(
        &self,
        request: Request<GetActivityAttendanceRequest>,
    ) -> Result<Response<GetActivityAttendanceResponse>, Status> {
        let caller = caller(&request)?;
        let activity_id = request.into_inner().activity_id;
        if activity_id.is_empty() {
            return Err(invalid_argument("activity_id", "must not be empty"));
        }
        let row = lists::activity(&self.projection.pool, &activity_id)
            .await
            .map_err(unexpected)?
            .ok_or_else(|| not_found("activity", &activity_id))?;
        caller.authorize_read(&row.community, &self.tree)?;
        let registered_attended = (row.checked_in - row.walk_ins).max(0);
        let show_up_rate = if row.registered > 0 {
            registered_attended as f64 / row.registered as f64
        } else {
            0.0
        };
        Ok(Response::new(GetActivityAttendanceResponse {
            walk_ins: u32_of(row.walk_ins),
            registered_attended: u32_of(registered_attended),
            show_up_rate,
            activity: Some(activity(activity_id, &row)),
        }))
    }

    #[tracing::instrument(name = "list_pending_hour_approvals", skip_all)]
    async fn list_pending_hour_approvals(
        &self,
        request: Request<ListPendingHourApprovalsRequest>,
    ) -> Result<Response<ListPendingHourApprovalsResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let mut rows = lists::pending_approvals(&self.projection.pool, &communities)
            .await
            .map_err(unexpected)?;
        rows.sort_by(|a, b| (&a.1.submitted_on, &a.0).cmp(&(&b.1.submitted_on, &b.0)));
        Ok(Response::new(ListPendingHourApprovalsResponse {
            approvals: rows
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
        }))
    }

    #[tracing::instrument(name = "list_volunteer_hours", skip_all)]
    async fn list_volunteer_hours(
        &self,
        request: Request<ListVolunteerHoursRequest>,
    ) -> Result<Response<ListVolunteerHoursResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let mut rows = lists::volunteers(&self.projection.pool, &communities)
            .await
            .map_err(unexpected)?;
        rows.sort_by(|a, b| {
            (Reverse(a.1.approved_minutes), &a.0).cmp(&(Reverse(b.1.approved_minutes), &b.0))
        });
        Ok(Response::new(ListVolunteerHoursResponse {
            volunteers: rows
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
        }))
    }

    #[tracing::instrument(name = "list_open_incidents", skip_all)]
    async fn list_open_incidents(
        &self,
        request: Request<ListOpenIncidentsRequest>,
    ) -> Result<Response<ListOpenIncidentsResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let mut rows = lists::open_incidents(&self.projection.pool, &communities)
            .await
            .map_err(unexpected)?;
        rows.sort_by(|a, b| {
            (&a.1.state, &a.1.reported_at, &a.0).cmp(&(&b.1.state, &b.1.reported_at, &b.0))
        });
        Ok(Response::new(ListOpenIncidentsResponse {
            incidents: rows
                .into_iter()
                .map(|(id, row)| incident(id, &row))
                .collect(),
        }))
    }

    #[tracing::instrument(name = "list_overdue_rectifications", skip_all)]
    async fn list_overdue_rectifications(
        &self,
        request: Request<ListOverdueRectificationsRequest>,
    ) -> Result<Response<ListOverdueRectificationsResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let as_of = match request.into_inner().as_of {
            None => rules::district_date(Utc::now()),
            Some(d) => u32::try_from(d.month)
                .ok()
                .zip(u32::try_from(d.day).ok())
                .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
                .ok_or_else(|| invalid_argument("as_of", "not a calendar date"))?,
        };
        let as_of_text = as_of.format("%Y-%m-%d").to_string();
        let mut rows =
            lists::overdue_rectifications(&self.projection.pool, &communities, &as_of_text)
                .await
                .map_err(unexpected)?;
        rows.sort_by(|a, b| (&a.1.deadline, &a.0).cmp(&(&b.1.deadline, &b.0)));
        Ok(Response::new(ListOverdueRectificationsResponse {
            rectifications: rows
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
        }))
    }

    #[tracing::instrument(name = "list_alerts", skip_all)]
    async fn list_alerts(
        &self,
        request: Request<ListAlertsRequest>,
    ) -> Result<Response<ListAlertsResponse>, Status> {
        let communities = self.communities(&request, &request.get_ref().org_unit)?;
        let period = Period::parse(&request.get_ref().period)
            .map_err(|e| invalid_argument("period", e.to_string()))?;
        let (first, last) = (
            period.first.format("%Y-%m-%d").to_string(),
            period.last.format("%Y-%m-%d").to_string(),
        );
        let mut rows = lists::alerts(&self.projection.pool, &communities, &first, &last)
            .await
            .map_err(unexpected)?;
        rows.sort_by(|a, b| {
            (Reverse(&a.1.reported_at), &a.0).cmp(&(Reverse(&b.1.reported_at), &b.0))
        });
        Ok(Response::new(ListAlertsResponse {
            alerts: rows
                .into_iter()
                .map(|(incident_id, row)| Alert {
                    reported_at: stored_instant!(&row.reported_at),
                    incident_id,
                    community: row.community,
                    category: row.category,
                    severity: row.severity,
                    state: row.state,
                })
                .collect(),
        }))
    }
}
