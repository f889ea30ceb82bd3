//! `civitas up --demo`: a platform on a data directory of its own, seeded on its first
//! start with a simulated year of the demo district and marked as demo data, so it is
//! never mistaken for (or mixed with) a real register.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use civitas_platform::auth::TokenKeys;

use super::{SimulateConfig, SimulationReport};

/// The file that marks a data directory as demo data.
pub const MARKER: &str = "DEMO-DATA";

/// What the demo simulates on first start.
pub const COMMUNITIES: usize = 12;
pub const MONTHS: u32 = 12;
pub const SEED: u64 = 2024;

/// The demo's data directory: `explicit` (which must be empty, missing, or demo data
/// already), else `<configured>-demo` beside the real one.
pub fn data_dir(explicit: Option<&Path>, configured: &Path) -> anyhow::Result<PathBuf> {
    let dir = match explicit {
        Some(dir) => dir.to_path_buf(),
        None => {
            let mut name = configured
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "civitas-data".into());
            name.push("-demo");
            configured.with_file_name(name)
        }
    };
    if holds_data(&dir)? && !is_demo(&dir) {
        anyhow::bail!(
            "{} holds data that is not demo data: --demo never touches a real data directory; \
             choose another --data-dir (or leave it out for {})",
            dir.display(),
            data_dir(None, configured)
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        );
    }
    Ok(dir)
}

/// Whether `dir` is marked as demo data.
pub fn is_demo(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Whether the demo data was seeded completely.
pub fn is_seeded(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(MARKER)).is_ok_and(|text| text.contains("seeded_on = "))
}

fn holds_data(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

fn marker_text(seeded_on: Option<chrono::NaiveDate>) -> String {
    let mut text = format!(
        "# civitas DEMO data: simulated by `civitas up --demo`, not a real register.\n\
         seed = {SEED}\ncommunities = {COMMUNITIES}\nmonths = {MONTHS}\n"
    );
    if let Some(day) = seeded_on {
        text.push_str(&format!("seeded_on = \"{day}\"\n"));
    }
    text
}

/// Marks `dir` (created if missing) as demo data before anything is written in it.
pub fn mark(dir: &Path) -> anyhow::Result<()> {
    crate::embedded::create_private_dir(dir)?;
    if !is_demo(dir) {
        std::fs::write(dir.join(MARKER), marker_text(None))
            .with_context(|| format!("cannot write {}", dir.join(MARKER).display()))?;
    }
    Ok(())
}

/// Seeds the demo data through the platform just started at `addr` (signing with its
/// `keys`), unless a previous start did; the simulation's report when it ran.
pub async fn seed(
    dir: &Path,
    addr: SocketAddr,
    keys: Arc<TokenKeys>,
    org_file: Option<PathBuf>,
) -> anyhow::Result<Option<SimulationReport>> {
    if is_seeded(dir) {
        return Ok(None);
    }
    let host = if addr.ip().is_unspecified() {
        SocketAddr::new([127, 0, 0, 1].into(), addr.port())
    } else {
        addr
    };
    let mut config = SimulateConfig::new(&format!("http://{host}"), COMMUNITIES, MONTHS, SEED);
    config.org_file = org_file;
    config.quiet = false;
    let available = super::community_count(&config.tree()?);
    config.communities = COMMUNITIES.min(available);
    let report = super::run_with(&config, keys).await?;
    std::fs::write(dir.join(MARKER), marker_text(Some(report.as_of)))
        .with_context(|| format!("cannot write {}", dir.join(MARKER).display()))?;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_lives_beside_the_real_data_and_never_in_it() {
        let root = tempfile::tempdir().expect("temp dir");
        let real = root.path().join("civitas-data");
        assert_eq!(
            data_dir(None, &real).expect("default"),
            root.path().join("civitas-data-demo")
        );
        std::fs::create_dir_all(&real).expect("real dir");
        std::fs::write(real.join("signing.key"), b"x").expect("real data");
        let refused = data_dir(Some(&real), &real).expect_err("real data refused");
        assert!(refused.to_string().contains("not demo data"), "{refused}");
        // An empty or missing directory may become demo data; once marked, it is reused.
        let fresh = root.path().join("fresh");
        assert_eq!(data_dir(Some(&fresh), &real).expect("missing"), fresh);
        mark(&fresh).expect("mark");
        std::fs::write(fresh.join("residents.db"), b"x").expect("data");
        assert!(is_demo(&fresh) && !is_seeded(&fresh));
        assert_eq!(data_dir(Some(&fresh), &real).expect("demo reused"), fresh);
    }
}
