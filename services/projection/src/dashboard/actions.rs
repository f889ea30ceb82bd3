//! The dashboard's writes. The projection owns no command: a form that writes sends
//! the command to the owning service over gRPC, with the session's own token as its
//! bearer, so validation, scope checks and idempotency are exactly the service's.

use std::time::Duration;

use civitas_proto::activities::v1 as api;
use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::Status;

/// How long a command from a form may take before the page says it failed.
const DEADLINE: Duration = Duration::from_secs(10);

/// The activities service, where monthly reports are approved.
#[derive(Clone)]
pub struct Activities {
    client: ActivitiesServiceClient<Channel>,
}

impl Activities {
    /// A client of the activities service at `url` (`http://host:port`), connecting on
    /// first use.
    pub fn connect_lazy(url: &str) -> anyhow::Result<Activities> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|err| anyhow::anyhow!("invalid activities service URL {url:?}: {err}"))?
            .connect_timeout(DEADLINE)
            .timeout(DEADLINE);
        Ok(Activities {
            client: ActivitiesServiceClient::new(endpoint.connect_lazy()),
        })
    }

    /// `ApproveMonthlyReport` as the holder of `bearer`.
    pub async fn approve_monthly_report(
        &self,
        bearer: &str,
        request: api::ApproveMonthlyReportRequest,
    ) -> Result<api::ApproveMonthlyReportResponse, Status> {
        let mut request = tonic::Request::new(request);
        request.set_timeout(DEADLINE);
        let value = MetadataValue::try_from(format!("Bearer {bearer}"))
            .map_err(|_| Status::unauthenticated("the session token is not a valid header"))?;
        request.metadata_mut().insert("authorization", value);
        let mut client = self.client.clone();
        client
            .approve_monthly_report(request)
            .await
            .map(tonic::Response::into_inner)
    }
}
