//! The data directory's secret files: created once with owner-only permissions, never
//! printed.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Name of the token signing key file in a data directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// Name of the personal-data master key file in a data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Reads the hex-encoded secret at `path`, or creates it with `len` random bytes and
/// mode 0600 (set at creation, so the file is never readable by others, not even briefly).
pub fn load_or_create(path: &Path, len: usize) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        return load(path);
    }
    let mut bytes = vec![0u8; len];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(hex::encode(&bytes).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(bytes)
}

/// Reads an existing hex-encoded secret file.
pub fn load(path: &Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    hex::decode(text.trim()).with_context(|| format!("{} is not a hex-encoded key", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_owner_only_and_reloaded() {
        let dir = civitas_testkit::temp_dir();
        let path = dir.path().join("k");
        let first = load_or_create(&path, 32).expect("create");
        assert_eq!(first.len(), 32);
        assert_eq!(load_or_create(&path, 32).expect("reload"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, "zz").expect("corrupt");
        assert!(load(&path).is_err());
    }
}
