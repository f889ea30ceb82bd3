//! A data key commits with its event, on both backends: concurrent registrations of
//! one ID number admit exactly one resident whose data opens, and an erasure whose
//! append fails leaves the resident readable.

use std::sync::Arc;
use std::time::Duration;

use civitas_kernel::store::{PostgresEventStore, SqliteEventStore};
use civitas_kernel::{Checkpoint, EventStore};
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
use civitas_testkit::{eventually, id_number, AuthChannel, FreshDb, TestServer};
use tonic::Code;

type Client = ResidentsServiceClient<AuthChannel>;

/// Rounds of the race, and registrations of one new ID number per round.
const ROUNDS: usize = 30;
const RACERS: usize = 12;

/// A served residents app and the event store behind it.
struct Running {
    server: TestServer,
    store: Arc<dyn EventStore>,
    _dir: tempfile::TempDir,
    _db: Option<FreshDb>,
}

impl Running {
    /// Event and key store in one SQLite file, as `civitas up` opens them.
    async fn sqlite() -> Self {
        let dir = civitas_testkit::temp_dir();
        let path = dir.path().join("residents.db");
        let store = SqliteEventStore::open(&path)
            .await
            .expect("open the event store");
        let keys = KeyStore::open(&format!("sqlite://{}?mode=rwc", path.display()), None)
            .await
            .expect("open the key store");
        Self::serve(Arc::new(store), keys, dir, None).await
    }

    /// Event and key store in one schema of a fresh database, as `civitas serve` does.
    async fn postgres() -> Self {
        let db = civitas_testkit::fresh_postgres_db()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let store = PostgresEventStore::connect(&db.url, "residents", 8)
            .await
            .expect("open the event store");
        let keys = KeyStore::open(&db.url, Some("residents"))
            .await
            .expect("open the key store");
        Self::serve(Arc::new(store), keys, civitas_testkit::temp_dir(), Some(db)).await
    }

    async fn serve(
        store: Arc<dyn EventStore>,
        keys: KeyStore,
        dir: tempfile::TempDir,
        db: Option<FreshDb>,
    ) -> Self {
        let shell = Shell::new(store.clone(), OrgTree::demo());
        let app = civitas_residents::app(shell, keys, MasterKey::generate());
        let server =
            TestServer::start(|services, limits, auth| app.add_to(services, limits, auth)).await;
        Self {
            server,
            store,
            _dir: dir,
            _db: db,
        }
    }

    async fn staff(&self) -> Client {
        ResidentsServiceClient::new(self.server.channel_as(Role::Staff, "xingfu").await)
    }

    /// How many residents the event store holds.
    async fn registered(&self) -> usize {
        let all = self
            .store
            .read_all(Checkpoint::default(), 100_000)
            .await
            .expect("read the store");
        all.iter()
            .filter(|e| e.event_type == "ResidentRegistered")
            .count()
    }
}

async fn household(client: &mut Client) -> String {
    client
        .register_household(api::RegisterHouseholdRequest {
            address: "华峰路 12 号 3 栋 501".into(),
            grid: "G-01".into(),
            building: "3栋".into(),
            ..Default::default()
        })
        .await
        .expect("household")
        .into_inner()
        .household_id
}

fn registration(household_id: &str, id_number: &str) -> api::RegisterResidentRequest {
    api::RegisterResidentRequest {
        household_id: household_id.to_owned(),
        name: "王秀英".into(),
        id_number: id_number.to_owned(),
        residence_type: ResidenceType::Permanent as i32,
        ..Default::default()
    }
}

/// The resident's ID number as `GetResident` opens it (`None` when it does not open).
async fn opened_id_number(client: &mut Client, resident_id: &str) -> Option<String> {
    let resident = client
        .get_resident(api::GetResidentRequest {
            resident_id: resident_id.to_owned(),
        })
        .await
        .expect("get resident")
        .into_inner()
        .resident
        .expect("resident");
    resident.personal.map(|p| p.id_number)
}

/// Each round, RACERS registrations of one new ID number start 0–4 ms apart.
async fn one_resident_per_id_number_however_registrations_race(running: Running) {
    let mut client = running.staff().await;
    let household_id = household(&mut client).await;
    let (mut winners, mut unreadable, mut wrong_refusals) = (0, 0, Vec::new());
    for round in 0..ROUNDS {
        let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
            + chrono::Duration::days(i64::try_from(round).unwrap() * 37);
        let id = id_number(&format!("110105{}123", birth.format("%Y%m%d")));
        let racers = (0..RACERS).map(|i| {
            let (mut client, request) = (client.clone(), registration(&household_id, &id));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i as u64 % 5)).await;
                client.register_resident(request).await
            })
        });
        let answers = futures_join(racers.collect()).await;
        for answer in answers {
            match answer {
                Ok(created) => {
                    winners += 1;
                    let resident_id = created.into_inner().resident_id;
                    if opened_id_number(&mut client, &resident_id).await.as_deref() != Some(&id) {
                        unreadable += 1;
                    }
                }
                Err(status) if status.code() == Code::AlreadyExists => {}
                Err(status) => wrong_refusals.push(status),
            }
        }
    }
    // PostgreSQL shows events below the oldest transaction still open on the server
    // (any database's), so the count may lag the answers for a moment.
    let registered = eventually!(async {
        let registered = running.registered().await;
        anyhow::ensure!(registered >= winners, "{registered} of {winners} readable");
        Ok(registered)
    });
    assert_eq!(
        (winners, registered, unreadable, wrong_refusals.len()),
        (ROUNDS, ROUNDS, 0, 0),
        "(registrations answered OK, residents in the store, residents whose data does not \
         open, answers neither OK nor ALREADY_EXISTS) after {ROUNDS} rounds of {RACERS} \
         concurrent registrations of one ID number; first wrong answer: {:?}",
        wrong_refusals.first()
    );
}

/// An erasure refused by the store (a stale expected version) destroys no key.
async fn an_erasure_that_does_not_commit_leaves_the_resident_readable(running: Running) {
    let mut client = running.staff().await;
    let household_id = household(&mut client).await;
    let id = id_number("11010519491231002");
    let resident_id = client
        .register_resident(registration(&household_id, &id))
        .await
        .expect("resident")
        .into_inner()
        .resident_id;
    let stale = client
        .erase_resident(api::EraseResidentRequest {
            resident_id: resident_id.clone(),
            options: Some(WriteOptions {
                idempotency_key: String::new(),
                expected_version: Some(7),
            }),
        })
        .await
        .expect_err("a stale expected version");
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    assert_eq!(
        opened_id_number(&mut client, &resident_id).await.as_deref(),
        Some(id.as_str()),
        "the resident's data must still open after an erasure that did not commit"
    );
    let again = client
        .register_resident(registration(&household_id, &id))
        .await
        .expect_err("the ID number is still the resident's");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    client
        .erase_resident(api::EraseResidentRequest {
            resident_id: resident_id.clone(),
            options: None,
        })
        .await
        .expect("erase");
    assert_eq!(opened_id_number(&mut client, &resident_id).await, None);
    client
        .register_resident(registration(&household_id, &id))
        .await
        .expect("an erased resident's ID number is free again");
}

/// Awaits every spawned task, in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario(super::Running::sqlite().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario(super::Running::postgres().await).await;
            })*
        }
    };
}

on_both_backends!(
    one_resident_per_id_number_however_registrations_race,
    an_erasure_that_does_not_commit_leaves_the_resident_readable,
);
