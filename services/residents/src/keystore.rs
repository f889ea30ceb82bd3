//! The key store: one wrapped data key per data subject, in a mutable table.
//!
//! Crypto-shredding needs one thing the event store must never do: forget. So the data
//! keys live beside the event store, in `subject_keys`, a plain table whose rows are
//! updated in place, never in events (an event holding a key could not be erased, and
//! would travel to NATS and the analytics consumers). Erasing a subject nulls its
//! wrapped key and its ID lookup hash but keeps the row, so lists and counts still see
//! the subject, and the ID number may be registered again by someone new.
//!
//! Keys are stored wrapped by the master key (see [`crate::crypto`]) and hex-encoded in
//! TEXT: no single column type holds bytes on both backends through `sqlx::Any` (BYTEA
//! is unknown to SQLite, BLOB to PostgreSQL). One code path serves SQLite (embedded mode,
//! `secure_delete` on, so an erased key is overwritten in the file) and PostgreSQL
//! (distributed mode, in the service's own schema).
//!
//! Erasure is complete once old copies are gone too: dead row versions until VACUUM
//! (PostgreSQL), WAL frames until a checkpoint (SQLite), and backups per their retention.

use sqlx::any::AnyPoolOptions;
use sqlx::error::ErrorKind;
use sqlx::{AnyConnection, AnyPool, Executor};

use crate::crypto::{self, CryptoError, DataKey, MasterKey};

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS subject_keys (
    subject_id   TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('resident', 'household')),
    community    TEXT NOT NULL,
    household_id TEXT,
    wrapped_key  TEXT,
    id_hash      TEXT UNIQUE,
    created_at   BIGINT NOT NULL,
    erased_at    BIGINT,
    CHECK ((erased_at IS NULL AND wrapped_key IS NOT NULL)
        OR (erased_at IS NOT NULL AND wrapped_key IS NULL AND id_hash IS NULL))
)";

const CREATE_HOUSEHOLD_INDEX: &str = "CREATE INDEX IF NOT EXISTS subject_keys_household \
     ON subject_keys (household_id, created_at, subject_id)";

/// What went wrong; subject ids are pseudonymous, keys and ID numbers never appear.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The ID number (by its lookup hash) belongs to another subject not yet erased.
    #[error("id number already registered to subject {existing_subject_id}")]
    IdNumberTaken { existing_subject_id: String },
    /// A key for this subject id exists already (erased or not).
    #[error("subject {subject_id} already has a key")]
    SubjectExists { subject_id: String },
    /// The stored key does not unwrap: another master key, or a corrupted row.
    #[error("key of subject {subject_id} does not unwrap (wrong master key or corrupted row)")]
    UnreadableKey {
        subject_id: String,
        #[source]
        source: CryptoError,
    },
    /// A PostgreSQL schema name that is not a plain lowercase identifier.
    #[error("invalid schema name {0:?}: use lowercase letters, digits and underscores")]
    InvalidSchema(String),
    /// The database failed.
    #[error("key store database error")]
    Database(#[from] sqlx::Error),
}

/// Whether a subject is a resident or a household (whose key seals its address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Resident,
    Household,
}

impl SubjectKind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Resident => "resident",
            SubjectKind::Household => "household",
        }
    }
}

/// A subject to give a key: who it is, where it belongs, and its ID lookup hash if any.
#[derive(Clone, Debug)]
pub struct NewSubject {
    pub subject_id: String,
    pub kind: SubjectKind,
    pub community: String,
    pub household_id: Option<String>,
    pub id_hash: Option<String>,
}

/// The state of a subject's key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyState {
    /// The key, unwrapped: the subject's data can be opened.
    Active(DataKey),
    /// The subject was erased: its data can never be opened again.
    Erased,
    /// No key was ever created for this subject id (or it was forgotten).
    Unknown,
}

/// Per-subject data keys in `subject_keys`, on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct KeyStore {
    pool: AnyPool,
}

impl KeyStore {
    /// Connects and creates the table if missing (idempotent).
    ///
    /// For PostgreSQL, `pg_schema` names the service's schema: it is created if missing
    /// and set as `search_path` on every connection. It is ignored for SQLite, whose URL
    /// should allow creating the file (`sqlite://path?mode=rwc`).
    pub async fn open(url: &str, pg_schema: Option<&str>) -> Result<Self, KeyStoreError> {
        sqlx::any::install_default_drivers();
        let schema = pg_schema.map(quoted_schema).transpose()?;
        let search_path = schema.as_ref().map(|s| format!("SET search_path TO {s}"));
        let pool = AnyPoolOptions::new()
            .after_connect(move |conn, _meta| {
                let search_path = search_path.clone();
                Box::pin(async move { prepare_connection(conn, search_path.as_deref()).await })
            })
            .connect(url)
            .await?;
        let is_postgres = pool.acquire().await?.backend_name() == "PostgreSQL";
        // Several processes (and the event store) create the same schema at startup;
        // PostgreSQL's IF NOT EXISTS is not race-free, so DDL runs under one lock.
        let mut tx = pool.begin().await?;
        if is_postgres {
            tx.execute(
                format!(
                    "SELECT pg_advisory_xact_lock({})",
                    civitas_kernel::store::DDL_LOCK_KEY
                )
                .as_str(),
            )
            .await?;
            if let Some(schema) = &schema {
                tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                    .await?;
            }
        }
        tx.execute(CREATE_TABLE).await?;
        tx.execute(CREATE_HOUSEHOLD_INDEX).await?;
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// Stores `key` wrapped for a new subject.
    ///
    /// Fails with [`KeyStoreError::IdNumberTaken`] when `id_hash` belongs to another
    /// subject not erased, and [`KeyStoreError::SubjectExists`] when the subject id has a
    /// row already. The unique index decides, so concurrent registrations cannot both win.
    pub async fn create(
        &self,
        subject: NewSubject,
        key: &DataKey,
        master: &MasterKey,
    ) -> Result<(), KeyStoreError> {
        let wrapped = hex::encode(crypto::wrap(master, &subject.subject_id, key));
        // A conflict whose cause vanished before we looked (the other row was just erased
        // or forgotten) is retried; a few rounds settle any realistic race.
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO subject_keys \
                 (subject_id, kind, community, household_id, wrapped_key, id_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&subject.subject_id)
            .bind(subject.kind.as_str())
            .bind(&subject.community)
            .bind(&subject.household_id)
            .bind(&wrapped)
            .bind(&subject.id_hash)
            .bind(now_micros())
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::UniqueViolation => {}
                Err(e) => return Err(e.into()),
            }
            if self.exists(&subject.subject_id).await? {
                return Err(KeyStoreError::SubjectExists {
                    subject_id: subject.subject_id,
                });
            }
            if let Some(hash) = &subject.id_hash {
                if let Some(existing_subject_id) = self.find_by_id_hash(hash).await? {
                    return Err(KeyStoreError::IdNumberTaken {
                        existing_subject_id,
                    });
                }
            }
        }
        Err(sqlx::Error::Protocol("subject key insert kept conflicting".into()).into())
    }

    /// Unwraps the subject's key, or says it was erased or never existed.
    pub async fn data_key(
        &self,
        subject_id: &str,
        master: &MasterKey,
    ) -> Result<KeyState, KeyStoreError> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT wrapped_key, erased_at FROM subject_keys WHERE subject_id = $1")
                .bind(subject_id)
                .fetch_optional(&self.pool)
                .await?;
        let wrapped = match row {
            None => return Ok(KeyState::Unknown),
            Some((Some(wrapped), None)) => wrapped,
            Some(_) => return Ok(KeyState::Erased),
        };
        let unreadable = |source| KeyStoreError::UnreadableKey {
            subject_id: subject_id.to_owned(),
            source,
        };
        let bytes = hex::decode(wrapped).map_err(|_| unreadable(CryptoError::InvalidHex))?;
        crypto::unwrap(master, subject_id, &bytes)
            .map(KeyState::Active)
            .map_err(unreadable)
    }

    /// Destroys the subject's key and frees its ID number; the row stays, marked erased.
    ///
    /// Returns `true` if a key was destroyed now, `false` if the subject is unknown or
    /// was erased before (so retrying an erasure is harmless).
    pub async fn erase(&self, subject_id: &str) -> Result<bool, KeyStoreError> {
        let result = sqlx::query(
            "UPDATE subject_keys SET wrapped_key = NULL, id_hash = NULL, erased_at = $1 \
             WHERE subject_id = $2 AND erased_at IS NULL",
        )
        .bind(now_micros())
        .bind(subject_id)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// The subject not erased whose ID lookup hash is `id_hash`, if any.
    pub async fn find_by_id_hash(&self, id_hash: &str) -> Result<Option<String>, KeyStoreError> {
        let found = sqlx::query_scalar(
            "SELECT subject_id FROM subject_keys WHERE id_hash = $1 AND erased_at IS NULL",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found)
    }

    /// Every resident ever keyed into the household, erased ones too, oldest first.
    pub async fn residents_of_household(
        &self,
        household_id: &str,
    ) -> Result<Vec<String>, KeyStoreError> {
        let residents = sqlx::query_scalar(
            "SELECT subject_id FROM subject_keys WHERE household_id = $1 AND kind = $2 \
             ORDER BY created_at, subject_id",
        )
        .bind(household_id)
        .bind(SubjectKind::Resident.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(residents)
    }

    /// Deletes the subject's row outright; returns whether there was one.
    ///
    /// Only for undoing a key whose registering event was never appended: a subject with
    /// events is erased with [`KeyStore::erase`], never forgotten.
    pub async fn forget(&self, subject_id: &str) -> Result<bool, KeyStoreError> {
        let result = sqlx::query("DELETE FROM subject_keys WHERE subject_id = $1")
            .bind(subject_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn exists(&self, subject_id: &str) -> Result<bool, KeyStoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT subject_id FROM subject_keys WHERE subject_id = $1")
                .bind(subject_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}

async fn prepare_connection(
    conn: &mut AnyConnection,
    search_path: Option<&str>,
) -> Result<(), sqlx::Error> {
    match (conn.backend_name(), search_path) {
        ("PostgreSQL", Some(set)) => {
            conn.execute(set).await?;
        }
        // Overwrite deleted content in the file, so an erased key is not left in free pages.
        ("SQLite", _) => {
            conn.execute("PRAGMA secure_delete = ON").await?;
        }
        _ => {}
    }
    Ok(())
}

/// Validates a schema name and quotes it for use in SQL.
fn quoted_schema(name: &str) -> Result<String, KeyStoreError> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(format!("\"{name}\""))
    } else {
        Err(KeyStoreError::InvalidSchema(name.to_owned()))
    }
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[cfg(test)]
mod tests {
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
                .fetch_one(&f.store.pool)
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
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&other.pool);
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
            .fetch_one(&f.store.pool)
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
                matches!(quoted_schema(bad), Err(KeyStoreError::InvalidSchema(_))),
                "{bad}"
            );
        }
        assert_eq!(quoted_schema("residents_2").unwrap(), "\"residents_2\"");
    }
}
