//! The residents service's errors and their one mapping to gRPC statuses.

use civitas_platform::error as status;
use civitas_platform::write::WriteError;
use tonic::Status;

use crate::domain::{CampaignError, HouseholdError, JobError, ResidentError, VisitError};
use crate::keystore::KeyStoreError;

/// Everything a residents RPC can fail with: the shared write failures, the deciders'
/// refusals and the one rule only the key store can see.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Write(WriteError),
    #[error(transparent)]
    Resident(#[from] ResidentError),
    #[error(transparent)]
    Household(#[from] HouseholdError),
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error(transparent)]
    Visit(#[from] VisitError),
    #[error(transparent)]
    Job(#[from] JobError),
    /// A resident of the caller's community, neither moved out nor erased, holds the
    /// ID number (by its lookup hash).
    #[error("is already registered in this community")]
    IdNumberTaken,
    /// A resident of another community holds the ID number; which one is not said.
    #[error(
        "is registered in another community; that community can release the person to move \
         here (ReleaseResident), then this one accepts (AcceptTransfer)"
    )]
    IdNumberElsewhere,
}

civitas_platform::service_error!(ServiceError);

impl From<KeyStoreError> for ServiceError {
    fn from(e: KeyStoreError) -> Self {
        ServiceError::Write(WriteError::Unexpected(
            anyhow::Error::new(e).context("key store failure"),
        ))
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Write(e) => e.into(),
            ServiceError::Resident(r) => match r {
                ResidentError::HouseholdNotFound => {
                    status::not_found("household", "in this community")
                }
                ResidentError::HouseholdInOtherCommunity => {
                    Status::permission_denied("the household belongs to another community")
                }
                ResidentError::NotReleasedHere => Status::permission_denied(
                    "the resident belongs to another community and is not released to this one",
                ),
                other => status::rule(other.field(), other.to_string()),
            },
            ServiceError::Job(JobError::NotRegistered) => {
                status::not_found("re-employment case", "for this resident")
            }
            ServiceError::Job(j) => status::rule(j.field(), j.to_string()),
            ServiceError::Household(h) => status::failed_precondition(h.to_string()),
            ServiceError::Campaign(CampaignError::NotLaunched) => {
                status::not_found("care campaign", "in this community")
            }
            ServiceError::Campaign(c) => status::rule(Some("campaign_id"), c.to_string()),
            ServiceError::Visit(v) => match v {
                VisitError::NotRecorded => status::not_found("care visit", "in this community"),
                VisitError::ResidentNotFound => status::not_found("resident", "in this community"),
                VisitError::CampaignNotFound => {
                    status::not_found("care campaign", "in this community")
                }
                other => status::rule(other.field(), other.to_string()),
            },
            taken @ ServiceError::IdNumberTaken => {
                status::already_exists_on("id_number", taken.to_string())
            }
            elsewhere @ ServiceError::IdNumberElsewhere => {
                status::failed_precondition_on("id_number", elsewhere.to_string())
            }
        }
    }
}
