//! Layered configuration: compiled-in defaults, then an optional TOML file, then the
//! environment (`CIVITAS_` prefix, `__` between nesting levels), so
//! `CIVITAS_SERVER__MAX_MESSAGE_BYTES=1048576` overrides `server.max_message_bytes`.
//!
//! Each program validates the loaded value itself, right after loading, and reports a
//! refused value as an [`InvalidSetting`] naming the setting and its variable. The rules
//! settings share live here: [`parse_duration`] for every duration (`--ttl 8h`,
//! `request_timeout = "10s"`) and [`validate_limits`] for the server limits.
//! [`Secret`] holds values such as signing keys and database passwords so that a
//! configuration struct can be logged with `{:?}` without leaking them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::grpc::ServerLimits;

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
    /// The layers merged, but a value breaks a rule of its setting.
    #[error(transparent)]
    Setting(#[from] InvalidSetting),
}

/// A setting whose value is refused, named as in the config file and as its environment
/// variable: `invalid setting limits.request_timeout (CIVITAS_LIMITS__REQUEST_TIMEOUT):
/// must be greater than 0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting} ({source_name}): {reason}")]
pub struct InvalidSetting {
    /// The setting's path in the config file, e.g. `limits.request_timeout`.
    pub setting: String,
    /// Where the value came from: its environment variable, or a file.
    pub source_name: String,
    /// What the value must be, and what it was when that is not secret.
    pub reason: String,
}

impl InvalidSetting {
    /// A refused setting, named with its environment variable.
    pub fn new(setting: &str, reason: impl Into<String>) -> Self {
        Self::from_source(setting, env_name(setting), reason)
    }

    /// A refused setting whose value came from elsewhere (e.g. a key file).
    pub fn from_source(
        setting: &str,
        source: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            setting: setting.to_owned(),
            source_name: source.into(),
            reason: reason.into(),
        }
    }
}

/// The environment variable [`load`] reads a setting from: `limits.request_timeout` →
/// `CIVITAS_LIMITS__REQUEST_TIMEOUT`.
pub fn env_name(setting: &str) -> String {
    format!("{ENV_PREFIX}{}", setting.replace('.', "__").to_uppercase())
}

/// Refuses server limits of zero (a zero timeout or concurrency would refuse every
/// request); `prefix` is where the limits sit in the config, e.g. `limits`.
pub fn validate_limits(limits: &ServerLimits, prefix: &str) -> Result<(), InvalidSetting> {
    let positive = [
        ("max_message_bytes", limits.max_message_bytes == 0),
        ("request_timeout", limits.request_timeout.is_zero()),
        ("concurrency_limit", limits.concurrency_limit == 0),
        (
            "per_connection_concurrency",
            limits.per_connection_concurrency == 0,
        ),
        (
            "max_subscriptions_per_caller",
            limits.max_subscriptions_per_caller == 0,
        ),
    ];
    match positive.into_iter().find(|(_, zero)| *zero) {
        Some((name, _)) => Err(InvalidSetting::new(
            &format!("{prefix}.{name}"),
            "must be greater than 0",
        )),
        None => Ok(()),
    }
}

/// Why a duration text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a whole number followed by an optional unit.
    #[error(
        "invalid duration {0:?}: expected a whole number and a unit, e.g. 250ms, 90s, 15m, 8h, 7d"
    )]
    Malformed(String),
    /// A number with a unit that is not one of `ms`, `s`, `m`, `h`, `d`.
    #[error("invalid duration {0:?}: the unit must be ms, s, m, h or d")]
    Unit(String),
    /// More seconds than a `u64` holds.
    #[error("invalid duration {0:?}: too long")]
    Overflow(String),
}

/// Parses a duration: a whole number and a unit, `ms`, `s`, `m`, `h` or `d` (`250ms`,
/// `90s`, `15m`, `8h`, `7d`), or a bare whole number of seconds. Values too large are
/// refused, never wrapped. Zero is a duration; whether it is allowed is the setting's
/// rule.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return Err(DurationError::Malformed(text.to_owned()));
    }
    // All digits, so the only way to fail is a number beyond u64.
    let number: u64 = digits
        .parse()
        .map_err(|_| DurationError::Overflow(text.to_owned()))?;
    let seconds_per = match unit.trim_start() {
        "ms" => return Ok(Duration::from_millis(number)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(DurationError::Unit(text.to_owned())),
    };
    number
        .checked_mul(seconds_per)
        .map(Duration::from_secs)
        .ok_or_else(|| DurationError::Overflow(text.to_owned()))
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
    fn durations_take_every_unit_and_bare_seconds() {
        let cases = [
            ("250ms", Duration::from_millis(250)),
            ("90s", Duration::from_secs(90)),
            ("15", Duration::from_secs(15)),
            ("2m", Duration::from_secs(120)),
            ("8h", Duration::from_secs(28_800)),
            ("1d", Duration::from_secs(86_400)),
            ("7d", Duration::from_secs(604_800)),
            (" 10 s ", Duration::from_secs(10)),
            ("0s", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn durations_refuse_bad_units_and_overflow_without_panicking() {
        for bad in ["8w", "1.5h", "10sec", "1hm"] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Unit(_))),
                "{bad:?}"
            );
        }
        for bad in ["", "h", "-1h", "+1h"] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Malformed(_))),
                "{bad:?}"
            );
        }
        // u64::MAX / 86_400 + 1 days, u64::MAX hours, and a number beyond u64.
        for bad in [
            "213503982334602d",
            "18446744073709551615h",
            "18446744073709551616",
        ] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Overflow(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_duration("213503982334601d"),
            Ok(Duration::from_secs(213_503_982_334_601 * 86_400))
        );
        assert_eq!(
            parse_duration("8w").unwrap_err().to_string(),
            "invalid duration \"8w\": the unit must be ms, s, m, h or d"
        );
    }

    #[test]
    fn config_durations_use_the_same_parser() {
        let limits: ServerLimits = serde_json::from_str(r#"{"request_timeout": "1d"}"#).unwrap();
        assert_eq!(limits.request_timeout, Duration::from_secs(86_400));
        let err =
            serde_json::from_str::<ServerLimits>(r#"{"request_timeout": "99999999999999999999h"}"#)
                .unwrap_err();
        assert!(err.to_string().contains("too long"), "{err}");
    }

    #[test]
    fn zero_limits_are_refused_naming_the_setting() {
        assert_eq!(validate_limits(&ServerLimits::default(), "limits"), Ok(()));
        let zero_timeout = ServerLimits {
            request_timeout: Duration::ZERO,
            ..ServerLimits::default()
        };
        assert_eq!(
            validate_limits(&zero_timeout, "limits")
                .unwrap_err()
                .to_string(),
            "invalid setting limits.request_timeout (CIVITAS_LIMITS__REQUEST_TIMEOUT): \
             must be greater than 0"
        );
        let no_concurrency = ServerLimits {
            concurrency_limit: 0,
            ..ServerLimits::default()
        };
        let err = validate_limits(&no_concurrency, "limits").unwrap_err();
        assert_eq!(err.setting, "limits.concurrency_limit");
        for zero in [
            ServerLimits {
                max_message_bytes: 0,
                ..ServerLimits::default()
            },
            ServerLimits {
                per_connection_concurrency: 0,
                ..ServerLimits::default()
            },
        ] {
            assert!(validate_limits(&zero, "limits").is_err());
        }
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
