//! Keys and tokens on the command line: `civitas keys` creates a keys directory,
//! `civitas token` signs a bearer token, and every command that signs one (`token`,
//! `rebuild`, `bench pipeline`) finds the signing key the same way as `serve`:
//! `CIVITAS_SIGNING_KEY` (hex) when set, else the directory's `signing.key`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use civitas_platform::auth::{AuthError, Role, TokenKeys, TokenLifetimes};
use civitas_platform::config::Secret;
use civitas_platform::org::{OrgLevel, OrgTree};
use civitas_platform::secrets::{self, KeyBytes};

/// Creates `dir` (owner-only) with a signing and a master key; existing keys are kept.
pub fn create_keys_dir(dir: &Path) -> anyhow::Result<()> {
    crate::embedded::create_private_dir(dir)?;
    secrets::load_or_create(&dir.join(secrets::SIGNING_KEY_FILE), secrets::MIN_KEY_BYTES)?;
    secrets::load_or_create(&dir.join(secrets::MASTER_KEY_FILE), secrets::MIN_KEY_BYTES)?;
    Ok(())
}

/// The token signing key: `CIVITAS_SIGNING_KEY` when set (an empty value is refused),
/// else `dir/signing.key`.
pub fn signing_key(dir: Option<&Path>) -> anyhow::Result<KeyBytes> {
    let setting = "signing_key";
    let inline = std::env::var(civitas_platform::config::env_name(setting))
        .ok()
        .map(Secret::new);
    let key = secrets::resolve(inline.as_ref(), dir, secrets::SIGNING_KEY_FILE, setting)?;
    Ok(key)
}

/// What `civitas token` signs.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The data (or keys) directory holding `signing.key`.
    pub data_dir: PathBuf,
    pub role: Role,
    /// Org unit code the token is scoped to (a community for staff).
    pub org: String,
    pub ttl: Duration,
    /// Who the holder is.
    pub subject: String,
    /// Org tree used to check `org`; the demo district when absent.
    pub org_file: Option<PathBuf>,
    /// Instead of the token, a one-time login link to the dashboard at this URL
    /// (`http://host:port`) that opens a session of `ttl`.
    pub login: Option<String>,
}

/// The token lifetimes `serve` and `up` accept, as `civitas token` reads them: the
/// defaults, or `CIVITAS_TOKENS__PERSON` / `CIVITAS_TOKENS__SERVICE`.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct TokenSettings {
    tokens: TokenLifetimes,
}

/// Signs a token after checking its org unit against the org tree; a lifetime beyond
/// the role's maximum (by default 12 h for people, 30 days for services) is refused.
pub fn issue_token(request: &TokenRequest) -> anyhow::Result<String> {
    anyhow::ensure!(!request.ttl.is_zero(), "--ttl must be longer than 0");
    let tree = match &request.org_file {
        Some(path) => OrgTree::load(path)
            .with_context(|| format!("failed to load org tree {}", path.display()))?,
        None => OrgTree::demo(),
    };
    let org = &request.org;
    let unit = tree
        .unit(org)
        .with_context(|| format!("unknown org unit {org:?}"))?;
    if request.role == Role::Staff && unit.level != OrgLevel::Community {
        anyhow::bail!(
            "a staff token must be scoped to a community, {org:?} is a {}",
            unit.level
        );
    }
    let dir = &request.data_dir;
    let env_key = civitas_platform::config::env_name("signing_key");
    if std::env::var_os(&env_key).is_none() && !dir.join(secrets::SIGNING_KEY_FILE).exists() {
        anyhow::bail!(
            "no signing key in {}: start `civitas up --data-dir {}` once first, or set {env_key}",
            dir.display(),
            dir.display()
        );
    }
    let settings: TokenSettings = civitas_platform::config::load(None)?;
    settings.tokens.validate("tokens")?;
    let keys = TokenKeys::with_lifetimes(&signing_key(Some(dir))?, settings.tokens);
    let issued = match &request.login {
        Some(url) => {
            anyhow::ensure!(
                request.role != Role::Service,
                "a service token cannot sign in to the dashboard"
            );
            keys.issue_login_link(&request.subject, request.role, org, request.ttl)
                .map(|ticket| format!("{}/login/link?ticket={ticket}", url.trim_end_matches('/')))
        }
        None => keys.issue(&request.subject, request.role, org, request.ttl),
    };
    issued.map_err(|err| match err {
        AuthError::LifetimeTooLong { .. } => anyhow::anyhow!("{err}; choose a shorter --ttl"),
        err => err.into(),
    })
}
