//! Layered configuration: compiled-in defaults, then an optional TOML file, then the
//! environment (`CIVITAS_` prefix, `__` between nesting levels), so
//! `CIVITAS_SERVER__MAX_MESSAGE_BYTES=1048576` overrides `server.max_message_bytes`.
//!
//! Each service validates the loaded value itself; this module only assembles layers.
//! [`Secret`] holds values such as signing keys and database passwords so that a
//! configuration struct can be logged with `{:?}` without leaking them.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Prefix of every environment variable read by [`load`].
pub const ENV_PREFIX: &str = "CIVITAS_";

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file was named but does not exist.
    #[error("config file {} not found", .0.display())]
    MissingFile(PathBuf),
    /// A layer could not be parsed or the merged value does not fit the target type.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

/// Loads `T` from defaults → `file` (when given; it must exist) → `CIVITAS_*` env vars.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: DeserializeOwned + Serialize + Default,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::MissingFile(path.to_path_buf()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(Env::prefixed(ENV_PREFIX).split("__"))
        .extract()
        .map_err(|err| ConfigError::Invalid(Box::new(err)))
}

/// A configuration value that never appears in logs or debug output.
///
/// It (de)serializes as a plain string so it can live in TOML files and env vars.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret itself; call only where the value is actually used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
// figment::Jail fixes the closures' error type to figment::Error.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Server {
        port: u16,
        host: String,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct AppConfig {
        name: String,
        server: Server,
        token_secret: Secret,
    }

    fn err_string(err: ConfigError) -> figment::Error {
        figment::Error::from(err.to_string())
    }

    #[test]
    fn defaults_apply_without_file_or_env() {
        Jail::expect_with(|_jail| {
            let config: AppConfig = load(None).map_err(err_string)?;
            assert_eq!(config, AppConfig::default());
            Ok(())
        });
    }

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "civitas.toml",
                r#"
                name = "from-file"
                token_secret = "file-secret"
                [server]
                port = 7000
                host = "0.0.0.0"
                "#,
            )?;
            jail.set_env("CIVITAS_SERVER__PORT", "7100");
            jail.set_env("CIVITAS_TOKEN_SECRET", "env-secret");
            let config: AppConfig = load(Some(Path::new("civitas.toml"))).map_err(err_string)?;
            assert_eq!(config.name, "from-file");
            assert_eq!(config.server.port, 7100);
            assert_eq!(config.server.host, "0.0.0.0");
            assert_eq!(config.token_secret.expose(), "env-secret");
            Ok(())
        });
    }

    #[test]
    fn missing_file_is_an_error() {
        Jail::expect_with(|_jail| {
            let err = load::<AppConfig>(Some(Path::new("absent.toml"))).unwrap_err();
            assert!(matches!(err, ConfigError::MissingFile(_)));
            assert_eq!(err.to_string(), "config file absent.toml not found");
            Ok(())
        });
    }

    #[test]
    fn wrong_type_is_an_error() {
        Jail::expect_with(|jail| {
            jail.set_env("CIVITAS_SERVER__PORT", "not-a-port");
            let err = load::<AppConfig>(None).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
            Ok(())
        });
    }

    #[test]
    fn secret_is_redacted_but_serializes_transparently() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
        let back: Secret = serde_json::from_str("\"s3cret\"").unwrap();
        assert_eq!(back.expose(), "s3cret");
    }
}
