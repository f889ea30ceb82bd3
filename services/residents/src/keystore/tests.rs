//! The key store on both backends: each lifecycle scenario runs on SQLite and on a
//! fresh PostgreSQL database, plus what only one backend can show.

use std::path::Path;
use std::sync::Arc;

use civitas_kernel::store::{PostgresEventStore, SqliteEventStore};
use civitas_kernel::{AppendError, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent};

use super::*;

/// A key store, the event store that writes its rows, a master key, and shorthands the
/// scenarios read well with.
struct Fixture {
    store: KeyStore,
    events: Arc<dyn EventStore>,
    master: MasterKey,
}

impl Fixture {
    /// Keys resident `id` of `household` with a new data key, returned on success.
    async fn add(
        &self,
        id: &str,
        household: &str,
        hash: Option<&str>,
    ) -> Result<DataKey, AppendError> {
        let subject = NewSubject {
            subject_id: id.to_owned(),
            kind: SubjectKind::Resident,
            community: "c-1".to_owned(),
            household_id: Some(household.to_owned()),
            id_hash: hash.map(str::to_owned),
        };
        self.key(subject).await
    }

    /// Appends an event that registers `subject` with a new data key.
    async fn key(&self, subject: NewSubject) -> Result<DataKey, AppendError> {
        let key = DataKey::generate();
        let created = KeyStore::created(&subject, &key, &self.master);
        self.append(ExpectedVersion::NoStream, created)
            .await
            .map(|_| key)
    }

    /// Appends an erasure event that destroys `id`'s key.
    async fn erase(&self, id: &str) {
        let erased = KeyStore::erased(id);
        self.append(ExpectedVersion::NoStream, erased)
            .await
            .expect("erase");
    }

    /// Appends one event, on a stream of its own, carrying `companion`.
    async fn append(
        &self,
        expected: ExpectedVersion,
        companion: Companion,
    ) -> Result<(), AppendError> {
        let request = AppendRequest {
            stream_id: format!("subject-{}", uuid::Uuid::now_v7()),
            expected,
            metadata: Metadata::default(),
            events: vec![NewEvent::new(
                "SubjectKeyed",
                1,
                chrono::Utc::now(),
                vec![1],
            )],
            idempotency: None,
            companions: vec![companion],
        };
        self.events.append(request).await.map(|_| ())
    }

    async fn state(&self, id: &str) -> KeyState {
        self.store.data_key(id, &self.master).await.unwrap()
    }

    async fn owner(&self, hash: &str) -> Option<String> {
        let holder = self.store.find_by_id_hash(hash).await.unwrap();
        holder.map(|h| h.subject_id)
    }

    async fn household(&self, household: &str) -> Vec<String> {
        self.store.residents_of_household(household).await.unwrap()
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Event and key store in one SQLite file, as `civitas up` opens them.
async fn sqlite_fixture(dir: &tempfile::TempDir) -> Fixture {
    let path = dir.path().join("residents.db");
    let events = SqliteEventStore::open(&path).await.unwrap();
    Fixture {
        store: KeyStore::open(&sqlite_url(&path), None).await.unwrap(),
        events: Arc::new(events),
        master: MasterKey::generate(),
    }
}

/// Event and key store in schema `residents` of `db`, as `civitas serve` opens them.
async fn postgres_fixture(db: &civitas_testkit::FreshDb) -> Fixture {
    let events = PostgresEventStore::connect(&db.url, "residents", 4)
        .await
        .unwrap();
    Fixture {
        store: KeyStore::open(&db.url, Some("residents")).await.unwrap(),
        events: Arc::new(events),
        master: MasterKey::generate(),
    }
}

async fn fresh_db() -> civitas_testkit::FreshDb {
    let db = civitas_testkit::fresh_postgres_db().await;
    db.unwrap_or_else(|e| panic!("{e:#}"))
}

fn is_taken(result: &Result<DataKey, AppendError>) -> bool {
    matches!(
        result,
        Err(AppendError::Taken {
            table: "subject_keys"
        })
    )
}

async fn created_key_unwraps_and_unknown_is_unknown(f: Fixture) {
    let key = f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    assert_eq!(f.state("r-1").await, KeyState::Active(key));
    assert_eq!(f.state("r-9").await, KeyState::Unknown);
    let other = f.store.data_key("r-1", &MasterKey::generate()).await;
    assert!(
        matches!(other, Err(KeyStoreError::UnreadableKey { subject_id, .. }) if subject_id == "r-1")
    );
}

async fn an_id_number_belongs_to_one_subject_until_erased(f: Fixture) {
    f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    let taken = f.add("r-2", "h-1", Some("hash-1")).await;
    assert!(is_taken(&taken), "{taken:?}");
    assert_eq!(f.state("r-2").await, KeyState::Unknown);
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-1"));

    f.erase("r-1").await;
    assert_eq!(f.owner("hash-1").await, None);
    f.add("r-2", "h-1", Some("hash-1")).await.unwrap();
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-2"));
}

async fn moving_out_frees_the_id_number_and_keeps_the_key(f: Fixture) {
    let key = f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    let holder = f.store.find_by_id_hash("hash-1").await.unwrap();
    let expected = IdHolder {
        subject_id: "r-1".to_owned(),
        community: "c-1".to_owned(),
    };
    assert_eq!(holder, Some(expected));
    f.append(ExpectedVersion::NoStream, KeyStore::moved_out("r-1"))
        .await
        .expect("move out");
    assert_eq!(f.owner("hash-1").await, None);
    assert_eq!(f.state("r-1").await, KeyState::Active(key));
    f.add("r-2", "h-2", Some("hash-1")).await.unwrap();
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-2"));
    assert_eq!(f.household("h-1").await, ["r-1"]);
}

async fn a_subject_id_is_keyed_once(f: Fixture) {
    let key = f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    for hash in [Some("hash-1"), Some("hash-2"), None] {
        let again = f.add("r-1", "h-1", hash).await;
        assert!(is_taken(&again), "{again:?}");
    }
    assert_eq!(f.state("r-1").await, KeyState::Active(key));
}

async fn erasure_destroys_the_key_but_keeps_the_subject(f: Fixture) {
    f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    f.erase("r-1").await;
    assert_eq!(f.state("r-1").await, KeyState::Erased);
    f.erase("r-9").await;
    assert_eq!(
        f.state("r-9").await,
        KeyState::Unknown,
        "erasing no key creates none"
    );
    assert_eq!(f.household("h-1").await, ["r-1"]);
    let row: (Option<String>, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT wrapped_key, id_hash, erased_at FROM subject_keys")
            .fetch_one(&f.store.table.pool)
            .await
            .unwrap();
    assert!(matches!(row, (None, None, Some(at)) if at > 0));
}

async fn household_lists_its_residents_in_creation_order(f: Fixture) {
    for id in ["r-c", "r-a", "r-b"] {
        f.add(id, "h-1", None).await.unwrap();
    }
    f.add("r-x", "h-2", None).await.unwrap();
    let household = NewSubject {
        subject_id: "h-1".to_owned(),
        kind: SubjectKind::Household,
        community: "c-1".to_owned(),
        household_id: Some("h-1".to_owned()),
        id_hash: None,
    };
    f.key(household).await.unwrap();
    f.erase("r-a").await;
    assert_eq!(f.household("h-1").await, ["r-c", "r-a", "r-b"]);
    assert!(f.household("h-9").await.is_empty());
}

async fn a_key_is_written_only_with_its_event(f: Fixture) {
    let key = DataKey::generate();
    let subject = NewSubject {
        subject_id: "r-1".to_owned(),
        kind: SubjectKind::Resident,
        community: "c-1".to_owned(),
        household_id: Some("h-1".to_owned()),
        id_hash: Some("hash-1".to_owned()),
    };
    let created = KeyStore::created(&subject, &key, &f.master);
    let stale = f.append(ExpectedVersion::Exact(4), created).await;
    assert!(
        matches!(stale, Err(AppendError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(f.state("r-1").await, KeyState::Unknown);
    assert_eq!(f.owner("hash-1").await, None, "the ID number stays free");

    f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    let stale = f
        .append(ExpectedVersion::Exact(4), KeyStore::erased("r-1"))
        .await;
    assert!(
        matches!(stale, Err(AppendError::Conflict { .. })),
        "{stale:?}"
    );
    assert!(matches!(f.state("r-1").await, KeyState::Active(_)));
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-1"));
}

async fn concurrent_registrations_of_one_id_number_admit_one(f: Fixture) {
    let (a, b) = tokio::join!(
        f.add("r-a", "h-1", Some("hash-1")),
        f.add("r-b", "h-1", Some("hash-1")),
    );
    let (winner, loser) = match (a, b) {
        (Ok(_), loser @ Err(_)) => ("r-a", loser),
        (loser @ Err(_), Ok(_)) => ("r-b", loser),
        other => panic!("expected exactly one registration to succeed, got {other:?}"),
    };
    assert!(is_taken(&loser), "{loser:?}");
    assert_eq!(f.owner("hash-1").await.as_deref(), Some(winner));
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                let dir = tempfile::tempdir().unwrap();
                super::$scenario(super::sqlite_fixture(&dir).await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                let db = super::fresh_db().await;
                let f = super::postgres_fixture(&db).await;
                let store = f.store.clone();
                super::$scenario(f).await;
                store.close().await;
            })*
        }
    };
}

on_both_backends!(
    created_key_unwraps_and_unknown_is_unknown,
    an_id_number_belongs_to_one_subject_until_erased,
    moving_out_frees_the_id_number_and_keeps_the_key,
    a_subject_id_is_keyed_once,
    erasure_destroys_the_key_but_keeps_the_subject,
    household_lists_its_residents_in_creation_order,
    a_key_is_written_only_with_its_event,
    concurrent_registrations_of_one_id_number_admit_one,
);

#[tokio::test]
async fn postgres_table_lives_in_the_service_schema_and_reopens() {
    let db = fresh_db().await;
    // Instances starting together race on the DDL and must all succeed.
    let (a, b) = tokio::join!(
        KeyStore::open(&db.url, Some("residents")),
        KeyStore::open(&db.url, Some("residents")),
    );
    let (store, other) = (a.unwrap(), b.unwrap());
    let f = Fixture {
        store,
        ..postgres_fixture(&db).await
    };
    f.add("r-1", "h-1", None).await.unwrap();
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&other.table.pool);
    assert_eq!(
        count("SELECT COUNT(*) FROM residents.subject_keys")
            .await
            .unwrap(),
        1
    );
    let in_public = count(
        "SELECT COUNT(*) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name = 'subject_keys'",
    );
    assert_eq!(in_public.await.unwrap(), 0);
    f.store.close().await;
    other.close().await;
}

#[tokio::test]
async fn sqlite_store_reopens_and_erasure_leaves_no_key_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = sqlite_fixture(&dir).await;
    let mut keys = Vec::new();
    for id in ["r-1", "r-2", "r-3"] {
        keys.push(f.add(id, "h-1", None).await.unwrap());
    }
    f.store.close().await;
    let path = dir.path().join("residents.db");
    let f = Fixture {
        store: KeyStore::open(&sqlite_url(&path), None).await.unwrap(),
        ..f
    };
    assert_eq!(f.state("r-2").await, KeyState::Active(keys[1].clone()));
    let wrapped = |id: &'static str| {
        sqlx::query_scalar::<_, String>(
            "SELECT wrapped_key FROM subject_keys WHERE subject_id = $1",
        )
        .bind(id)
        .fetch_one(&f.store.table.pool)
    };
    let (erased, kept) = (wrapped("r-2").await.unwrap(), wrapped("r-3").await.unwrap());
    f.erase("r-2").await;
    // Move the write-ahead log into the file and empty it, as a checkpoint does.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&f.store.table.pool)
        .await
        .unwrap();
    f.store.close().await;
    let file = std::fs::read(&path).unwrap();
    // Any 16 hex digits of a key left in the file count as a leftover.
    let found = |hex: &str| {
        hex.as_bytes()
            .windows(16)
            .any(|chunk| file.windows(16).any(|w| w == chunk))
    };
    assert!(
        found(&kept),
        "the kept key must be in the file, or this test proves nothing"
    );
    assert!(
        !found(&erased),
        "the erased wrapped key is still in the database file"
    );
}

/// A data directory from before keys shared the event store's file keeps its keys.
#[tokio::test]
async fn keys_of_an_own_file_are_adopted_and_the_file_removed() {
    let dir = tempfile::tempdir().unwrap();
    let old = sqlite_fixture(&dir).await;
    old.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    old.erase("r-1").await;
    let kept = old.add("r-2", "h-1", Some("hash-1")).await.unwrap();
    old.store.close().await;
    let legacy = dir.path().join("residents.db");

    let new_dir = tempfile::tempdir().unwrap();
    let f = Fixture {
        master: old.master,
        ..sqlite_fixture(&new_dir).await
    };
    assert!(f.store.adopt_file(&legacy).await.unwrap());
    assert!(!legacy.exists());
    assert_eq!(f.state("r-1").await, KeyState::Erased);
    assert_eq!(f.state("r-2").await, KeyState::Active(kept));
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-2"));
    assert_eq!(f.household("h-1").await, ["r-1", "r-2"]);
    assert!(!f.store.adopt_file(&legacy).await.unwrap(), "nothing left");
}

#[test]
fn schema_names_are_validated() {
    for bad in ["", "Residents", "a-b", "x\"; DROP TABLE t; --", "1abc"] {
        assert!(
            matches!(
                sql::quoted_schema(bad),
                Err(KeyStoreError::InvalidSchema(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        sql::quoted_schema("residents_2").unwrap(),
        "\"residents_2\""
    );
}
