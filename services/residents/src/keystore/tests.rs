//! The key store on both backends: each lifecycle scenario runs on SQLite and on a
//! fresh PostgreSQL database, plus what only one backend can show.

use super::*;

/// A store with a master key, and shorthands the scenarios read well with.
struct Fixture {
    store: KeyStore,
    master: MasterKey,
}

impl Fixture {
    /// Keys resident `id` of `household` with a new data key, returned on success.
    async fn add(
        &self,
        id: &str,
        household: &str,
        hash: Option<&str>,
    ) -> Result<DataKey, KeyStoreError> {
        let key = DataKey::generate();
        let subject = NewSubject {
            subject_id: id.to_owned(),
            kind: SubjectKind::Resident,
            community: "c-1".to_owned(),
            household_id: Some(household.to_owned()),
            id_hash: hash.map(str::to_owned),
        };
        self.store
            .create(subject, &key, &self.master)
            .await
            .map(|()| key)
    }

    async fn state(&self, id: &str) -> KeyState {
        self.store.data_key(id, &self.master).await.unwrap()
    }

    async fn owner(&self, hash: &str) -> Option<String> {
        self.store.find_by_id_hash(hash).await.unwrap()
    }

    async fn household(&self, household: &str) -> Vec<String> {
        self.store.residents_of_household(household).await.unwrap()
    }
}

async fn sqlite_store(dir: &tempfile::TempDir) -> KeyStore {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("keys.db").display());
    KeyStore::open(&url, None).await.unwrap()
}

async fn fresh_db() -> civitas_testkit::FreshDb {
    let db = civitas_testkit::fresh_postgres_db().await;
    db.unwrap_or_else(|e| panic!("{e:#}"))
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
    assert!(
        matches!(taken, Err(KeyStoreError::IdNumberTaken { existing_subject_id }) if existing_subject_id == "r-1")
    );
    assert_eq!(f.state("r-2").await, KeyState::Unknown);
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-1"));

    assert!(f.store.erase("r-1").await.unwrap());
    assert_eq!(f.owner("hash-1").await, None);
    f.add("r-2", "h-1", Some("hash-1")).await.unwrap();
    assert_eq!(f.owner("hash-1").await.as_deref(), Some("r-2"));
}

async fn a_subject_id_is_keyed_once(f: Fixture) {
    let key = f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    for hash in [Some("hash-1"), Some("hash-2"), None] {
        let again = f.add("r-1", "h-1", hash).await;
        assert!(
            matches!(again, Err(KeyStoreError::SubjectExists { subject_id }) if subject_id == "r-1")
        );
    }
    assert_eq!(f.state("r-1").await, KeyState::Active(key));
}

async fn erasure_destroys_the_key_but_keeps_the_subject(f: Fixture) {
    f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    assert!(f.store.erase("r-1").await.unwrap());
    assert_eq!(f.state("r-1").await, KeyState::Erased);
    assert!(
        !f.store.erase("r-1").await.unwrap(),
        "a second erasure destroys nothing"
    );
    assert!(!f.store.erase("r-9").await.unwrap());
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
    f.store
        .create(household, &DataKey::generate(), &f.master)
        .await
        .unwrap();
    f.store.erase("r-a").await.unwrap();
    assert_eq!(f.household("h-1").await, ["r-c", "r-a", "r-b"]);
    assert!(f.household("h-9").await.is_empty());
}

async fn forgetting_removes_the_row_and_frees_the_id(f: Fixture) {
    f.add("r-1", "h-1", Some("hash-1")).await.unwrap();
    assert!(f.store.forget("r-1").await.unwrap());
    assert!(!f.store.forget("r-1").await.unwrap());
    assert_eq!(f.state("r-1").await, KeyState::Unknown);
    assert!(f.household("h-1").await.is_empty());
    f.add("r-2", "h-1", Some("hash-1")).await.unwrap();
}

async fn concurrent_registrations_of_one_id_number_admit_one(f: Fixture) {
    let (a, b) = tokio::join!(
        f.add("r-a", "h-1", Some("hash-1")),
        f.add("r-b", "h-1", Some("hash-1")),
    );
    let (winner, loser) = match (a, b) {
        (Ok(_), Err(e)) => ("r-a", e),
        (Err(e), Ok(_)) => ("r-b", e),
        other => panic!("expected exactly one registration to succeed, got {other:?}"),
    };
    assert!(
        matches!(loser, KeyStoreError::IdNumberTaken { existing_subject_id } if existing_subject_id == winner)
    );
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                let dir = tempfile::tempdir().unwrap();
                let store = super::sqlite_store(&dir).await;
                let master = super::MasterKey::generate();
                super::$scenario(super::Fixture { store, master }).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                let db = super::fresh_db().await;
                let store = super::KeyStore::open(&db.url, Some("residents")).await.unwrap();
                let master = super::MasterKey::generate();
                super::$scenario(super::Fixture { store: store.clone(), master }).await;
                store.close().await;
            })*
        }
    };
}

on_both_backends!(
    created_key_unwraps_and_unknown_is_unknown,
    an_id_number_belongs_to_one_subject_until_erased,
    a_subject_id_is_keyed_once,
    erasure_destroys_the_key_but_keeps_the_subject,
    household_lists_its_residents_in_creation_order,
    forgetting_removes_the_row_and_frees_the_id,
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
        master: MasterKey::generate(),
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
    let f = Fixture {
        store: sqlite_store(&dir).await,
        master: MasterKey::generate(),
    };
    let mut keys = Vec::new();
    for id in ["r-1", "r-2", "r-3"] {
        keys.push(f.add(id, "h-1", None).await.unwrap());
    }
    f.store.close().await;
    let f = Fixture {
        store: sqlite_store(&dir).await,
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
    f.store.erase("r-2").await.unwrap();
    f.store.close().await;
    let file = std::fs::read(dir.path().join("keys.db")).unwrap();
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
