//! Key material: the one way a civitas program finds a key ([`resolve`]) and the one way
//! a key file is written ([`load_or_create`]).
//!
//! A key is given inline as hex (a [`Secret`] setting such as `CIVITAS_SIGNING_KEY`) or
//! as a hex file in a keys directory (`signing.key`, `master.key`, as `civitas up` and
//! `civitas keys` create them). Key bytes live in [`Zeroizing`] buffers, wiped on drop;
//! a key shorter than [`MIN_KEY_BYTES`] is refused, naming the setting.

use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use rand::RngCore as _;
use zeroize::Zeroizing;

use crate::config::{InvalidSetting, Secret};

/// Name of the token signing key file in a keys or data directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// Name of the personal-data master key file in a keys or data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// The shortest key accepted: 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// Key bytes, wiped from memory when dropped.
pub type KeyBytes = Zeroizing<Vec<u8>>;

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key file could not be read, created or linked into place.
    #[error("failed to {action} key file {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The key setting (inline or from the keys directory) is not hex, or too short.
    #[error(transparent)]
    Invalid(#[from] InvalidSetting),
    /// A key file read without a setting behind it is not hex, or too short.
    #[error("invalid key file {}: {reason}", path.display())]
    BadFile { path: PathBuf, reason: String },
    /// Neither an inline key nor a keys directory was given.
    #[error("no {setting}: set {env} (hex) or a keys directory (--keys-dir)")]
    Missing { setting: String, env: String },
}

/// The key for `setting_name` (e.g. `signing_key`): the inline hex value when given
/// (even empty: an empty `CIVITAS_SIGNING_KEY` is refused, never taken as "no key"),
/// otherwise `keys_dir/file_name`. Either must hold at least [`MIN_KEY_BYTES`] bytes.
pub fn resolve(
    inline: Option<&Secret>,
    keys_dir: Option<&Path>,
    file_name: &str,
    setting_name: &str,
) -> Result<KeyBytes, SecretError> {
    if let Some(secret) = inline {
        return Ok(decode_setting(secret, setting_name)?);
    }
    match keys_dir {
        Some(dir) => {
            let path = dir.join(file_name);
            let text = read(&path)?;
            decode(&text, MIN_KEY_BYTES).map_err(|reason| {
                InvalidSetting::from_source(setting_name, path.display().to_string(), reason).into()
            })
        }
        None => Err(SecretError::Missing {
            setting: setting_name.to_owned(),
            env: crate::config::env_name(setting_name),
        }),
    }
}

/// The key an inline hex setting holds (at least [`MIN_KEY_BYTES`] bytes), or the
/// setting's refusal: what `validate()` checks before anything starts.
pub fn decode_setting(value: &Secret, setting_name: &str) -> Result<KeyBytes, InvalidSetting> {
    decode(value.expose(), MIN_KEY_BYTES)
        .map_err(|reason| InvalidSetting::new(setting_name, reason))
}

/// Reads an existing hex key file (at least [`MIN_KEY_BYTES`] bytes).
pub fn load(path: &Path) -> Result<KeyBytes, SecretError> {
    load_file(path, MIN_KEY_BYTES)
}

/// Reads the hex key at `path`, or creates it with `len` random bytes. An existing key
/// shorter than `len` is refused.
///
/// The new key is written and synced to a temporary file created with mode 0600, then
/// hard-linked to `path`, which fails if anything is there: the file is never readable
/// by others, never seen half-written, and when two processes start at once the second
/// uses the first one's key, never its own.
pub fn load_or_create(path: &Path, len: usize) -> Result<KeyBytes, SecretError> {
    match load_file(path, len) {
        Err(SecretError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {}
        loaded => return loaded,
    }
    let mut key = Zeroizing::new(vec![0u8; len]);
    rand::rngs::OsRng.fill_bytes(&mut key);
    let text = Zeroizing::new(hex::encode(key.as_slice()));
    match publish(path, text.as_bytes()) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created key file");
            Ok(key)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => load_file(path, len),
        Err(source) => Err(SecretError::Io {
            action: "create",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `contents` to a private temporary file beside `path`, then links it to `path`.
fn publish(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let tmp = path.with_file_name(tmp_name);
    let linked = write_private(&tmp, contents).and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// Creates `path` (which must not exist) with mode 0600 from the start, and syncs it.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn load_file(path: &Path, min_len: usize) -> Result<KeyBytes, SecretError> {
    decode(&read(path)?, min_len).map_err(|reason| SecretError::BadFile {
        path: path.to_path_buf(),
        reason,
    })
}

fn read(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    warn_if_shared(path);
    Ok(Zeroizing::new(text))
}

/// Hex key bytes, or why they are refused.
fn decode(text: &str, min_len: usize) -> Result<KeyBytes, String> {
    let key = Zeroizing::new(hex::decode(text.trim()).map_err(|_| "must be hex".to_owned())?);
    if key.len() < min_len {
        return Err(format!(
            "must be at least {min_len} bytes, got {}",
            key.len()
        ));
    }
    Ok(key)
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "key file is accessible to group or others; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(len: usize) -> Secret {
        Secret::new("ab".repeat(len))
    }

    #[test]
    fn created_once_owner_only_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SIGNING_KEY_FILE);
        let first = load_or_create(&path, 32).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(load_or_create(&path, 32).unwrap(), first);
        assert_eq!(load(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // Only the key is left behind, no temporary file.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [SIGNING_KEY_FILE]);
    }

    #[test]
    fn concurrent_creators_all_get_the_first_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        let keys: Vec<KeyBytes> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| load_or_create(&path, 32).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let on_disk = load(&path).unwrap();
        assert!(keys.iter().all(|k| *k == on_disk));
    }

    #[test]
    fn short_or_broken_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SIGNING_KEY_FILE);
        std::fs::write(&path, "ab".repeat(31)).unwrap();
        let err = load_or_create(&path, 32).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "invalid key file {}: must be at least 32 bytes, got 31",
                path.display()
            )
        );
        std::fs::write(&path, "zz").unwrap();
        assert!(load(&path)
            .unwrap_err()
            .to_string()
            .ends_with("must be hex"));
    }

    #[test]
    fn resolve_prefers_the_inline_key_and_names_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = load_or_create(&dir.path().join(SIGNING_KEY_FILE), 32).unwrap();
        let from_dir = resolve(None, Some(dir.path()), SIGNING_KEY_FILE, "signing_key").unwrap();
        assert_eq!(from_dir, on_disk);
        let inline = hex_of(32);
        let key = resolve(
            Some(&inline),
            Some(dir.path()),
            SIGNING_KEY_FILE,
            "signing_key",
        );
        assert_eq!(key.unwrap().as_slice(), [0xab; 32]);

        for (inline, got) in [(Secret::new(""), 0), (hex_of(31), 31)] {
            let err = resolve(
                Some(&inline),
                Some(dir.path()),
                SIGNING_KEY_FILE,
                "signing_key",
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid setting signing_key (CIVITAS_SIGNING_KEY): must be at least 32 \
                     bytes, got {got}"
                )
            );
        }
        let err = resolve(
            Some(&Secret::new("xyz")),
            None,
            MASTER_KEY_FILE,
            "master_key",
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "invalid setting master_key (CIVITAS_MASTER_KEY): must be hex"
        );
        let err = resolve(None, None, MASTER_KEY_FILE, "master_key").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no master_key: set CIVITAS_MASTER_KEY (hex) or a keys directory (--keys-dir)"
        );
        std::fs::write(dir.path().join(MASTER_KEY_FILE), "").unwrap();
        let err = resolve(None, Some(dir.path()), MASTER_KEY_FILE, "master_key").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid setting master_key ({}): must be at least 32 bytes, got 0",
                dir.path().join(MASTER_KEY_FILE).display()
            )
        );
    }
}
