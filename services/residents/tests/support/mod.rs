//! What the residents gRPC tests share: a served app over SQLite stores in a temporary
//! directory, clients by role, a household with one resident, and status checks.

#![allow(dead_code)]

use std::sync::Arc;

use civitas_kernel::store::SqliteEventStore;
use civitas_platform::app::WriteApp;
use civitas_platform::auth::Role;
use civitas_platform::org::OrgTree;
use civitas_platform::write::Shell;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1::ResidenceType;
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use civitas_residents::crypto::MasterKey;
use civitas_residents::keystore::KeyStore;
use civitas_testkit::{AuthChannel, TestServer};
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub type Client = ResidentsServiceClient<AuthChannel>;

/// A served residents app over stores in a temporary directory.
pub struct Running {
    pub server: TestServer,
    /// The event store behind the server, to read what was written.
    pub store: Arc<SqliteEventStore>,
    master: MasterKey,
    _dir: tempfile::TempDir,
}

impl Running {
    pub async fn start() -> Self {
        Self::start_in(civitas_testkit::temp_dir(), MasterKey::generate()).await
    }

    /// The app served again over the same stores (a restarted process).
    pub async fn restart(self) -> Self {
        let Running {
            server,
            _dir,
            master,
            ..
        } = self;
        drop(server);
        Self::start_in(_dir, master).await
    }

    /// The SQLite file of the event and key stores.
    pub fn database(&self) -> std::path::PathBuf {
        self._dir.path().join("residents.db")
    }

    async fn start_in(dir: tempfile::TempDir, master: MasterKey) -> Self {
        let path = dir.path().join("residents.db");
        let store = SqliteEventStore::open(&path)
            .await
            .expect("open the event store");
        let keys = KeyStore::open(&format!("sqlite://{}?mode=rwc", path.display()), None)
            .await
            .expect("open the key store");
        let store = Arc::new(store);
        let shell = Shell::new(store.clone(), OrgTree::demo());
        let app = civitas_residents::app(shell, keys, master.clone());
        assert_eq!(app.name(), civitas_residents::NAME);
        let server =
            TestServer::start(|services, limits, auth| app.add_to(services, limits, auth)).await;
        Self {
            server,
            store,
            master,
            _dir: dir,
        }
    }

    pub async fn staff(&self, community: &str) -> Client {
        ResidentsServiceClient::new(self.server.channel_as(Role::Staff, community).await)
    }

    /// A household and one adult resident (ID number [`ID_NUMBER`]) in `client`'s
    /// community: their ids.
    pub async fn resident(&self, client: &mut Client) -> (String, String) {
        let household = new_household(client).await;
        let resident = register(client, &household, ID_NUMBER)
            .await
            .expect("resident");
        (household, resident)
    }
}

/// The ID number [`Running::resident`] registers.
pub const ID_NUMBER: &str = "11010519491231002X";

/// A new household in `client`'s community: its id.
pub async fn new_household(client: &mut Client) -> String {
    client
        .register_household(household(None))
        .await
        .expect("household")
        .into_inner()
        .household_id
}

/// Registers an adult permanent resident with `id_number` into `household_id`.
pub async fn register(
    client: &mut Client,
    household_id: &str,
    id_number: &str,
) -> Result<String, Status> {
    let response = client
        .register_resident(api::RegisterResidentRequest {
            household_id: household_id.to_owned(),
            name: "王秀英".into(),
            id_number: id_number.to_owned(),
            residence_type: ResidenceType::Permanent as i32,
            ..Default::default()
        })
        .await?;
    Ok(response.into_inner().resident_id)
}

pub fn household(options: Option<WriteOptions>) -> api::RegisterHouseholdRequest {
    api::RegisterHouseholdRequest {
        options,
        address: "华峰路 12 号 3 栋 501".into(),
        grid: "G-01".into(),
        building: "3栋".into(),
        ..Default::default()
    }
}

/// Options that make a write retryable under `key`.
pub fn retry_key(key: &str) -> Option<WriteOptions> {
    Some(WriteOptions {
        idempotency_key: key.into(),
        expected_version: None,
    })
}

/// INVALID_ARGUMENT whose BadRequest names exactly `field`.
pub fn assert_invalid(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = status
        .get_details_bad_request()
        .expect("a BadRequest detail");
    let fields: Vec<&str> = bad
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, [field], "{status:?}");
}

/// FAILED_PRECONDITION whose PreconditionFailure blames exactly `field`.
pub fn assert_rule(status: &Status, field: &str) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let failure = status
        .get_details_precondition_failure()
        .expect("a PreconditionFailure detail");
    let subjects: Vec<&str> = failure
        .violations
        .iter()
        .map(|v| v.subject.as_str())
        .collect();
    assert_eq!(subjects, [field], "{status:?}");
}
