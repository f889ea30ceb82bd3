//! Encryption of personal data, one key per data subject (crypto-shredding).
//!
//! Events are never edited or deleted, yet a resident may ask to be forgotten. So the
//! personal fields (name, ID number, phone, birth date, address) go into events sealed
//! with AES-256-GCM under a *data key* that belongs to that one resident (or household,
//! for its address). Erasure deletes the data key; every sealed field of that subject,
//! wherever a copy went (event store, JetStream, analytics, backups), becomes noise,
//! while the events themselves (and every count built from them) stay intact. The key
//! store (see [`crate::keystore`]) says where old copies of a key itself may linger.
//!
//! Data keys are stored *wrapped*: encrypted under a key-wrapping key, with the subject
//! id as associated data so a wrapped key copied onto another subject's row fails to
//! open. The same subject id is the associated data of every field sealed with the key.
//!
//! The [`MasterKey`] is never used directly. Two subkeys are derived from it with
//! HMAC-SHA256 and fixed labels: one wraps data keys, the other computes
//! [`id_lookup_hash`], the keyed hash that finds a resident by ID number. A plain hash
//! would not do: ID numbers are few and structured enough to enumerate, so anyone with
//! the database could reverse an unkeyed hash; without the master key an HMAC cannot be.
//!
//! Key bytes are zeroed when dropped and never printed.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

use zeroize::Zeroize;

/// Length in bytes of every key here (AES-256, HMAC-SHA256 output).
pub const KEY_LEN: usize = 32;
/// Length in bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;

const WRAPPING_LABEL: &[u8] = b"civitas/residents/key-wrapping/v1";
const ID_LOOKUP_LABEL: &[u8] = b"civitas/residents/id-lookup/v1";

type HmacSha256 = Hmac<Sha256>;

/// What can go wrong; messages never carry key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A key of the wrong length was supplied.
    #[error("key must be {KEY_LEN} bytes, got {actual}")]
    InvalidKeyLength { actual: usize },
    /// A hex-encoded key did not decode.
    #[error("key is not valid hex")]
    InvalidHex,
    /// A nonce of the wrong length was supplied.
    #[error("nonce must be {NONCE_LEN} bytes, got {actual}")]
    InvalidNonceLength { actual: usize },
    /// Authentication failed: wrong key, tampered data or mismatched associated data.
    #[error("decryption failed: wrong key, tampered data or mismatched associated data")]
    Decrypt,
}

/// The root secret of the residents service: wraps every data key and keys the ID lookup.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; KEY_LEN],
    wrapping: [u8; KEY_LEN],
    id_lookup: [u8; KEY_LEN],
}

impl MasterKey {
    /// Generates a new random master key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        let key = Self::from_array(&bytes);
        bytes.zeroize();
        key
    }

    /// Builds a master key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: &[u8; KEY_LEN] =
            bytes
                .try_into()
                .map_err(|_| CryptoError::InvalidKeyLength {
                    actual: bytes.len(),
                })?;
        Ok(Self::from_array(array))
    }

    /// Builds a master key from 64 hex digits (surrounding whitespace is ignored).
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let mut bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::InvalidHex)?;
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// Encodes the key as 64 lowercase hex digits, for storing it in a key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    fn from_array(bytes: &[u8; KEY_LEN]) -> Self {
        Self {
            bytes: *bytes,
            wrapping: derive_subkey(bytes, WRAPPING_LABEL),
            id_lookup: derive_subkey(bytes, ID_LOOKUP_LABEL),
        }
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
        self.wrapping.zeroize();
        self.id_lookup.zeroize();
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// One data subject's AES-256-GCM key; deleting its wrapped copy erases the subject.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// Generates a new random data key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// A sealed field: the random nonce and the ciphertext with its 16-byte tag appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBytes {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Wraps `key` for `subject_id`: a random nonce followed by the AES-256-GCM ciphertext.
pub fn wrap(master: &MasterKey, subject_id: &str, key: &DataKey) -> Vec<u8> {
    let cipher = Aes256Gcm::new((&master.wrapping).into());
    let nonce = random_nonce();
    let ciphertext = encrypt(&cipher, &nonce, subject_id.as_bytes(), &key.0);
    let mut wrapped = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    wrapped.extend_from_slice(&nonce);
    wrapped.extend_from_slice(&ciphertext);
    wrapped
}

/// Unwraps a key made by [`wrap`]; fails unless both master key and subject id match.
pub fn unwrap(
    master: &MasterKey,
    subject_id: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    if wrapped.len() < NONCE_LEN {
        return Err(CryptoError::InvalidNonceLength {
            actual: wrapped.len(),
        });
    }
    let (nonce, ciphertext) = wrapped.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new((&master.wrapping).into());
    let mut plain = decrypt(&cipher, nonce, subject_id.as_bytes(), ciphertext)?;
    let key = <[u8; KEY_LEN]>::try_from(plain.as_slice())
        .map(DataKey)
        .map_err(|_| CryptoError::InvalidKeyLength {
            actual: plain.len(),
        });
    plain.zeroize();
    key
}

/// Seals `plaintext` under `key` with a fresh random nonce; `aad` is the subject id.
pub fn seal(key: &DataKey, aad: &[u8], plaintext: &[u8]) -> SealedBytes {
    let nonce = random_nonce();
    let ciphertext = encrypt(&key.cipher(), &nonce, aad, plaintext);
    SealedBytes {
        nonce: nonce.to_vec(),
        ciphertext,
    }
}

/// Opens what [`seal`] produced; fails if key, nonce, ciphertext or `aad` differ.
pub fn open(
    key: &DataKey,
    aad: &[u8],
    sealed_nonce: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    decrypt(&key.cipher(), sealed_nonce, aad, ciphertext)
}

/// Keyed hash (hex HMAC-SHA256 under the ID-lookup subkey) of a normalised ID number.
///
/// Equal inputs give equal hashes, so it can carry a unique index and find a resident by
/// ID number; without the master key it cannot be reversed by enumerating ID numbers.
pub fn id_lookup_hash(master: &MasterKey, normalised_id_number: &str) -> String {
    let mut mac = new_hmac(&master.id_lookup);
    mac.update(normalised_id_number.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn derive_subkey(master: &[u8; KEY_LEN], label: &[u8]) -> [u8; KEY_LEN] {
    let mut mac = new_hmac(master);
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn new_hmac(key: &[u8; KEY_LEN]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("hmac accepts keys of any length")
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

fn encrypt(cipher: &Aes256Gcm, nonce: &[u8; NONCE_LEN], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg, aad })
        .expect("aes-gcm encrypts any input shorter than 64 GiB")
}

fn decrypt(
    cipher: &Aes256Gcm,
    nonce: &[u8],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if nonce.len() != NONCE_LEN {
        return Err(CryptoError::InvalidNonceLength {
            actual: nonce.len(),
        });
    }
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg, aad })
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
#[path = "crypto_tests.rs"]
mod tests;
