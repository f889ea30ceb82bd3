//! A donation is two appends: the donor's debit, then the recipient's credit. When the
//! second fails (a store error, a crash between the two), no time credits may be lost:
//! retrying the same request, even without an idempotency key, completes it.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use civitas_kernel::store::SqliteEventStore;
use civitas_kernel::{
    AppendError, AppendOutcome, AppendRequest, Checkpoint, EventStore, Idempotency, RecordedEvent,
    StoreError,
};
use civitas_platform::app::WriteApp;
use civitas_platform::auth::Role;
use civitas_platform::org::OrgTree;
use civitas_platform::write::Shell;
use civitas_proto::volunteering::v1 as api;
use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
use civitas_testkit::TestServer;
use support::*;

/// A store whose next credit (`TimeCreditsReceived`) append fails, once.
struct FailNextCredit {
    inner: SqliteEventStore,
    armed: AtomicBool,
}

#[async_trait]
impl EventStore for FailNextCredit {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let credit = request
            .events
            .iter()
            .any(|e| e.event_type == "TimeCreditsReceived");
        if credit && self.armed.swap(false, Ordering::SeqCst) {
            return Err(AppendError::Store(StoreError(anyhow::anyhow!(
                "injected: the disk is full"
            ))));
        }
        self.inner.append(request).await
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id).await
    }

    async fn read_all(
        &self,
        after: Checkpoint,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn idempotent_outcome(
        &self,
        idempotency: &Idempotency,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        self.inner.idempotent_outcome(idempotency).await
    }

    fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.appended()
    }
}

#[tokio::test]
async fn a_donation_whose_credit_failed_completes_on_retry_without_a_key() {
    let dir = civitas_testkit::temp_dir();
    let store = Arc::new(FailNextCredit {
        inner: SqliteEventStore::open(&dir.path().join("events.db"))
            .await
            .expect("open the store"),
        armed: AtomicBool::new(false),
    });
    let residents = Residents::new().await;
    let app = civitas_volunteering::app(
        Shell::new(store.clone(), OrgTree::demo()),
        residents.residence(),
    );
    let server =
        TestServer::start(|services, limits, auth| app.add_to(services, limits, auth)).await;
    let mut staff = VolunteeringServiceClient::new(server.channel_as(Role::Staff, "xingfu").await);

    let donor = register_resident(&residents, &mut staff, "xingfu").await;
    let recipient = register_resident(&residents, &mut staff, "xingfu").await;
    fill_time_bank(&mut staff, &donor, 600).await;
    let donation = api::DonateTimeCreditsRequest {
        options: None,
        volunteer_id: donor.clone(),
        donation_id: uuid(),
        to_volunteer_id: recipient.clone(),
        minutes: 200,
    };

    store.armed.store(true, Ordering::SeqCst);
    let err = staff
        .donate_time_credits(donation.clone())
        .await
        .expect_err("the credit fails");
    assert_eq!(err.code(), tonic::Code::Internal, "{err:?}");
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 400);
    assert_eq!(get(&mut staff, &recipient).await.balance_minutes, 0);

    let done = staff
        .donate_time_credits(donation.clone())
        .await
        .expect("the retry completes the donation")
        .into_inner();
    assert!(
        done.result.expect("debit").replayed,
        "the debit is not repeated"
    );
    assert!(!done.recipient_result.expect("credit").replayed);
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 400);
    assert_eq!(get(&mut staff, &recipient).await.balance_minutes, 200);

    // Once more: nothing changes.
    staff
        .donate_time_credits(donation)
        .await
        .expect("a second retry replays");
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 400);
    assert_eq!(get(&mut staff, &recipient).await.balance_minutes, 200);
}
