//! The storage of the key store: the `subject_keys` table on SQLite or PostgreSQL
//! through `sqlx::Any`, read here one statement per question, and written by the event
//! store from the companion rows built here. Rows hold keys already wrapped (hex TEXT:
//! no single column type holds bytes on both backends, BYTEA being unknown to SQLite
//! and BLOB to PostgreSQL); what the rows mean is the lifecycle's business (see the
//! parent module).

use std::path::Path;

use civitas_kernel::store::Value;
use civitas_kernel::Companion;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Executor};

use super::{KeyStoreError, NewSubject, SubjectKind};

/// The table's name, as the event store writes its rows.
const TABLE: &str = "subject_keys";

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

/// A subject's row as far as its key goes.
pub(super) enum StoredKey {
    /// No row.
    Missing,
    /// The wrapped key, hex-encoded.
    Wrapped(String),
    /// The row is marked erased; its key is gone.
    Erased,
}

/// The `subject_keys` table behind a connection pool.
#[derive(Clone, Debug)]
pub(super) struct Table {
    pub(super) pool: AnyPool,
}

impl Table {
    /// Connects and creates the table if missing (idempotent); see [`super::KeyStore::open`].
    pub(super) async fn open(url: &str, pg_schema: Option<&str>) -> Result<Self, KeyStoreError> {
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
            tx.execute(civitas_kernel::store::ddl_lock_statement().as_str())
                .await?;
            if let Some(schema) = &schema {
                tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                    .await?;
            }
        }
        tx.execute(CREATE_TABLE).await?;
        tx.execute(CREATE_HOUSEHOLD_INDEX).await?;
        tx.execute(super::directory::CREATE_TABLE).await?;
        tx.execute(super::directory::CREATE_INDEX).await?;
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// The subject's key as stored.
    pub(super) async fn key(&self, subject_id: &str) -> Result<StoredKey, sqlx::Error> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT wrapped_key, erased_at FROM subject_keys WHERE subject_id = $1")
                .bind(subject_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            None => StoredKey::Missing,
            Some((Some(wrapped), None)) => StoredKey::Wrapped(wrapped),
            Some(_) => StoredKey::Erased,
        })
    }

    /// The subject holding the ID lookup hash `id_hash`, and its community, if any.
    pub(super) async fn holder_of_id_hash(
        &self,
        id_hash: &str,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT subject_id, community FROM subject_keys \
             WHERE id_hash = $1 AND erased_at IS NULL",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await
    }

    /// Every resident row of the household, erased ones too, oldest first.
    pub(super) async fn residents_of_household(
        &self,
        household_id: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT subject_id FROM subject_keys WHERE household_id = $1 AND kind = $2 \
             ORDER BY created_at, subject_id",
        )
        .bind(household_id)
        .bind(SubjectKind::Resident.as_str())
        .fetch_all(&self.pool)
        .await
    }

    /// Copies every row of the `subject_keys` table of another SQLite file into this
    /// one (SQLite only), keeping rows already here.
    pub(super) async fn copy_from_file(&self, path: &Path) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ATTACH DATABASE $1 AS adopted")
            .bind(path.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await?;
        let copied = sqlx::query(
            "INSERT OR IGNORE INTO main.subject_keys (subject_id, kind, community, household_id, \
             wrapped_key, id_hash, created_at, erased_at) SELECT subject_id, kind, community, \
             household_id, wrapped_key, id_hash, created_at, erased_at FROM adopted.subject_keys",
        )
        .execute(&mut *conn)
        .await;
        sqlx::query("DETACH DATABASE adopted")
            .execute(&mut *conn)
            .await?;
        copied.map(|_| ())
    }
}

/// The row of a new subject, inserted by the event store with its registering event.
pub(super) fn insert_row(subject: &NewSubject, wrapped: String) -> Companion {
    let text = |v: &str| Value::Text(Some(v.to_owned()));
    Companion::Insert {
        table: TABLE,
        values: vec![
            ("subject_id", text(&subject.subject_id)),
            ("kind", text(subject.kind.as_str())),
            ("community", text(&subject.community)),
            ("household_id", Value::Text(subject.household_id.clone())),
            ("wrapped_key", Value::Text(Some(wrapped))),
            ("id_hash", Value::Text(subject.id_hash.clone())),
            ("created_at", Value::Int(Some(now_micros()))),
        ],
    }
}

/// Nulls the subject's key and ID lookup hash and marks the row erased, by the event
/// store with the erasure event.
pub(super) fn erase_row(subject_id: &str) -> Companion {
    Companion::Update {
        table: TABLE,
        set: vec![
            ("wrapped_key", Value::Text(None)),
            ("id_hash", Value::Text(None)),
            ("erased_at", Value::Int(Some(now_micros()))),
        ],
        key: ("subject_id", Value::Text(Some(subject_id.to_owned()))),
    }
}

/// Nulls the subject's ID lookup hash, keeping its key, by the event store with the
/// move-out event.
pub(super) fn release_id_row(subject_id: &str) -> Companion {
    Companion::Update {
        table: TABLE,
        set: vec![("id_hash", Value::Text(None))],
        key: ("subject_id", Value::Text(Some(subject_id.to_owned()))),
    }
}

/// Moves the subject's row to another community and household, by the event store with
/// the transfer-accepting event.
pub(super) fn transfer_row(subject_id: &str, community: &str, household_id: &str) -> Companion {
    let text = |v: &str| Value::Text(Some(v.to_owned()));
    Companion::Update {
        table: TABLE,
        set: vec![
            ("community", text(community)),
            ("household_id", text(household_id)),
        ],
        key: ("subject_id", text(subject_id)),
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
pub(super) fn quoted_schema(name: &str) -> Result<String, KeyStoreError> {
    civitas_kernel::store::schema_name(name)
        .map(|name| format!("\"{name}\""))
        .map_err(|_| KeyStoreError::InvalidSchema(name.to_owned()))
}

pub(super) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
