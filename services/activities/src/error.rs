//! The activities service's errors and their one mapping to gRPC statuses: the shared
//! write errors plus the deciders' refusals.

use civitas_platform::error as status;
use civitas_platform::write::WriteError;
use tonic::Status;

use crate::domain::{
    ActivityError, BoardError, ContestError, DeedError, FacilityError, LedgerError, MilestoneError,
    PlanError, ReportError, StationError, UnitError,
};

/// Everything an activities RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Write(WriteError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Activity(#[from] ActivityError),
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Facility(#[from] FacilityError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Deed(#[from] DeedError),
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Contest(#[from] ContestError),
    #[error(transparent)]
    Milestone(#[from] MilestoneError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

civitas_platform::service_error!(ServiceError);

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Write(e) => e.into(),
            // An aggregate that does not exist yet is a missing thing, not a broken rule.
            ServiceError::Plan(PlanError::NoPlan) => {
                status::not_found("annual plan", "for this year")
            }
            ServiceError::Plan(p) => status::rule(p.field(), p.to_string()),
            ServiceError::Activity(ActivityError::NotScheduled) => {
                status::not_found("activity", "in this community")
            }
            ServiceError::Activity(a) => status::rule(a.field(), a.to_string()),
            ServiceError::Board(BoardError::NotRegistered) => {
                status::not_found("publicity board", "in this community")
            }
            ServiceError::Board(b) => status::rule(b.field(), b.to_string()),
            ServiceError::Facility(FacilityError::NotRegistered) => {
                status::not_found("facility", "in this community")
            }
            ServiceError::Facility(f) => status::rule(f.field(), f.to_string()),
            ServiceError::Report(ReportError::NotSubmitted) => {
                status::not_found("monthly report", "for this community and month")
            }
            ServiceError::Report(r) => status::rule(r.field(), r.to_string()),
            ServiceError::Deed(DeedError::NotRecorded) => {
                status::not_found("good deed", "in this community")
            }
            ServiceError::Deed(d) => status::rule(d.field(), d.to_string()),
            ServiceError::Unit(UnitError::NotRegistered) => {
                status::not_found("co-building unit", "in this community")
            }
            ServiceError::Unit(u) => status::rule(u.field(), u.to_string()),
            ServiceError::Station(s) => status::rule(s.field(), s.to_string()),
            ServiceError::Contest(ContestError::NotRecorded) => {
                status::not_found("contest", "in this community")
            }
            ServiceError::Contest(c) => status::rule(c.field(), c.to_string()),
            ServiceError::Milestone(m) => status::rule(m.field(), m.to_string()),
            ServiceError::Ledger(l) => status::rule(l.field(), l.to_string()),
        }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
