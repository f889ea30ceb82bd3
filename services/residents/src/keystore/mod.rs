//! The key store: one wrapped data key per data subject, in a mutable table.
//!
//! Crypto-shredding needs one thing the event store must never do: forget. So the data
//! keys live beside the event store, in `subject_keys`, a plain table whose rows are
//! updated in place, never in events (an event holding a key could not be erased, and
//! would travel to NATS and the analytics consumers). Erasing a subject nulls its
//! wrapped key and its ID lookup hash but keeps the row, so lists and counts still see
//! the subject, and the ID number may be registered again by someone new.
//!
//! This module is a key's lifecycle: created wrapped by the master key (see
//! [`crate::crypto`]), unwrapped to open data, erased, or forgotten when its
//! registration never committed. `sql` is the storage: one code path for SQLite
//! (embedded mode, `secure_delete` on, so an erased key is overwritten in the file) and
//! PostgreSQL (distributed mode, in the service's own schema).
//!
//! Erasure is complete once old copies are gone too: dead row versions until VACUUM
//! (PostgreSQL), WAL frames until a checkpoint (SQLite), and backups per their retention.

mod sql;

use crate::crypto::{self, CryptoError, DataKey, MasterKey};

use sql::{StoredKey, Table};

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
    table: Table,
}

impl KeyStore {
    /// Connects and creates the table if missing (idempotent).
    ///
    /// For PostgreSQL, `pg_schema` names the service's schema: it is created if missing
    /// and set as `search_path` on every connection. It is ignored for SQLite, whose URL
    /// should allow creating the file (`sqlite://path?mode=rwc`).
    pub async fn open(url: &str, pg_schema: Option<&str>) -> Result<Self, KeyStoreError> {
        Ok(Self {
            table: Table::open(url, pg_schema).await?,
        })
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
            if self.table.insert(&subject, &wrapped).await? {
                return Ok(());
            }
            if self.table.exists(&subject.subject_id).await? {
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

    /// Destroys the subject's key and frees its ID number; the row stays, marked erased.
    ///
    /// Returns `true` if a key was destroyed now, `false` if the subject is unknown or
    /// was erased before (so retrying an erasure is harmless).
    pub async fn erase(&self, subject_id: &str) -> Result<bool, KeyStoreError> {
        Ok(self.table.mark_erased(subject_id).await?)
    }

    /// The subject not erased whose ID lookup hash is `id_hash`, if any.
    pub async fn find_by_id_hash(&self, id_hash: &str) -> Result<Option<String>, KeyStoreError> {
        Ok(self.table.subject_by_id_hash(id_hash).await?)
    }

    /// Every resident ever keyed into the household, erased ones too, oldest first.
    pub async fn residents_of_household(
        &self,
        household_id: &str,
    ) -> Result<Vec<String>, KeyStoreError> {
        Ok(self.table.residents_of_household(household_id).await?)
    }

    /// Deletes the subject's row outright; returns whether there was one.
    ///
    /// Only for undoing a key whose registering event was never appended: a subject with
    /// events is erased with [`KeyStore::erase`], never forgotten.
    pub async fn forget(&self, subject_id: &str) -> Result<bool, KeyStoreError> {
        Ok(self.table.delete(subject_id).await?)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.table.pool.close().await;
    }
}

#[cfg(test)]
mod tests;
