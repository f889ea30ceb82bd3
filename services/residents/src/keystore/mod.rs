//! The key store: one wrapped data key per data subject, in a mutable table.
//!
//! Crypto-shredding needs one thing the event store must never do: forget. So the data
//! keys live beside the event store, in `subject_keys`, a plain table whose rows are
//! updated in place, never in events (an event holding a key could not be erased, and
//! would travel to NATS and the analytics consumers). Erasing a subject nulls its
//! wrapped key and its ID lookup hash but keeps the row, so lists and counts still see
//! the subject, and the ID number may be registered again by someone new. Moving a
//! resident out nulls the ID lookup hash alone: the record stays readable as history,
//! and the person may be registered again, here or in another community, under a new
//! resident id.
//!
//! This module is a key's lifecycle: created wrapped by the master key (see
//! [`crate::crypto`]), unwrapped to open data, erased. The table lives beside the event
//! store (the service's PostgreSQL schema in distributed mode, the same SQLite file in
//! embedded mode, `secure_delete` on so an erased key is overwritten in the file), and
//! a key row is only ever written by the event store, as a [`Companion`] of the
//! registering, moving-out or erasing event, in the same transaction: no key exists without its
//! registration, an erasure that does not commit destroys nothing, and the unique index
//! on the ID lookup hash decides between concurrent registrations of one ID number.
//! `sql` is the storage, one code path for both backends. Beside the keys, the same
//! database holds the register of households for staff listings (`directory`).
//!
//! Erasure is complete once old copies are gone too: dead row versions until VACUUM
//! (PostgreSQL), WAL frames until a checkpoint (SQLite), and backups per their retention.

mod directory;
mod sql;

use std::path::Path;

use civitas_kernel::Companion;

use crate::crypto::{self, CryptoError, DataKey, MasterKey};

pub use directory::{Cursor, ListFilter, RegisterEntry};
use sql::{StoredKey, Table};

/// What went wrong; subject ids are pseudonymous, keys and ID numbers never appear.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
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

/// The registered resident who holds an ID number (by its lookup hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdHolder {
    pub subject_id: String,
    /// The community the resident was registered in.
    pub community: String,
}

/// The state of a subject's key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyState {
    /// The key, unwrapped: the subject's data can be opened.
    Active(DataKey),
    /// The subject was erased: its data can never be opened again.
    Erased,
    /// No key exists for this subject id: it was never registered.
    Unknown,
}

/// Per-subject data keys in `subject_keys`, on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct KeyStore {
    table: Table,
}

impl KeyStore {
    /// Connects to the database of the service's event store and creates the table
    /// if missing (idempotent); the event store writes the rows, so it must be the
    /// same database.
    ///
    /// For PostgreSQL, `pg_schema` names the service's schema (the event store's): it
    /// is created if missing and set as `search_path` on every connection. It is
    /// ignored for SQLite, whose URL names the event store's file and should allow
    /// creating it (`sqlite://path?mode=rwc`).
    pub async fn open(url: &str, pg_schema: Option<&str>) -> Result<Self, KeyStoreError> {
        Ok(Self {
            table: Table::open(url, pg_schema).await?,
        })
    }

    /// The row that stores `key`, wrapped, for a new subject: a companion of its
    /// registering event. The append is refused ([`civitas_kernel::AppendError::Taken`])
    /// when `id_hash` belongs to another subject not erased (or the subject id has a row
    /// already); the unique index decides, so concurrent registrations cannot both win.
    pub fn created(subject: &NewSubject, key: &DataKey, master: &MasterKey) -> Companion {
        let wrapped = hex::encode(crypto::wrap(master, &subject.subject_id, key));
        sql::insert_row(subject, wrapped)
    }

    /// The change that destroys the subject's key and frees its ID number, keeping the
    /// row marked erased: a companion of its erasure event.
    pub fn erased(subject_id: &str) -> Companion {
        sql::erase_row(subject_id)
    }

    /// Unwraps the subject's key, or says it was erased or never existed.
    pub async fn data_key(
        &self,
        subject_id: &str,
        master: &MasterKey,
    ) -> Result<KeyState, KeyStoreError> {
        let wrapped = match self.table.key(subject_id).await? {
            StoredKey::Missing => return Ok(KeyState::Unknown),
            StoredKey::Erased => return Ok(KeyState::Erased),
            StoredKey::Wrapped(wrapped) => wrapped,
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

    /// The change that frees the subject's ID number and keeps its key: a companion of
    /// its move-out event.
    pub fn moved_out(subject_id: &str) -> Companion {
        sql::release_id_row(subject_id)
    }

    /// The change that moves the subject's row to the household of another community:
    /// a companion of its transfer-accepting event.
    pub fn transferred(subject_id: &str, community: &str, household_id: &str) -> Companion {
        sql::transfer_row(subject_id, community, household_id)
    }

    /// The resident, neither moved out nor erased, whose ID lookup hash is `id_hash`.
    pub async fn find_by_id_hash(&self, id_hash: &str) -> Result<Option<IdHolder>, KeyStoreError> {
        let holder = self.table.holder_of_id_hash(id_hash).await?;
        Ok(holder.map(|(subject_id, community)| IdHolder {
            subject_id,
            community,
        }))
    }

    /// Every resident ever keyed into the household, erased ones too, oldest first.
    pub async fn residents_of_household(
        &self,
        household_id: &str,
    ) -> Result<Vec<String>, KeyStoreError> {
        Ok(self.table.residents_of_household(household_id).await?)
    }

    /// Moves the keys of a SQLite key file of its own (where `civitas up` kept them
    /// before they shared the event store's file) into this store, then deletes that
    /// file. Returns whether there was one; running it again is harmless.
    pub async fn adopt_file(&self, path: &Path) -> Result<bool, KeyStoreError> {
        if !path.exists() {
            return Ok(false);
        }
        self.table.copy_from_file(path).await?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(sqlx::Error::Io(e).into())
                }
                _ => {}
            }
        }
        Ok(true)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.table.pool.close().await;
    }
}

#[cfg(test)]
mod tests;
