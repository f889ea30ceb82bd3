//! Issuing and verifying tokens: the claims, the lifetimes each kind of holder may
//! have, and the HS256 keys that sign and check them.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{AuthError, Role, AUDIENCE, ISSUER, LEEWAY_SECS};

/// A whole number of seconds in the largest unit that divides it: `12h`, `30d`, `90s`.
pub(crate) fn shown_secs(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The JWT payload.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Claims {
    /// Who the token was issued to.
    pub sub: String,
    pub role: Role,
    /// Org unit code the role applies to.
    pub org: String,
    /// Always [`ISSUER`].
    pub iss: String,
    pub aud: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Not valid before, seconds since the Unix epoch (optional; checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
}

/// The longest a token may live (`exp - iat`), by who holds it: short for people, whose
/// tokens travel through terminals and scripts, longer for services that run for weeks.
/// In config files `"12h"`, `"30d"` (see [`crate::config::parse_duration`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenLifetimes {
    /// Staff, district, analyst and admin tokens. Default 12 h.
    #[serde(with = "crate::grpc::duration_text")]
    pub person: Duration,
    /// [`Role::Service`] tokens. Default 30 days.
    #[serde(with = "crate::grpc::duration_text")]
    pub service: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            person: Duration::from_secs(12 * 3_600),
            service: Duration::from_secs(30 * 86_400),
        }
    }
}

impl TokenLifetimes {
    /// The longest lifetime a token of `role` may have.
    pub fn max_for(&self, role: Role) -> Duration {
        if role.is_person() {
            self.person
        } else {
            self.service
        }
    }

    /// Refuses a zero maximum (no token could be issued), naming the setting under
    /// `prefix`, e.g. `tokens`.
    pub fn validate(&self, prefix: &str) -> Result<(), crate::config::InvalidSetting> {
        for (name, value) in [("person", self.person), ("service", self.service)] {
            if value.is_zero() {
                return Err(crate::config::InvalidSetting::new(
                    &format!("{prefix}.{name}"),
                    "must be greater than 0",
                ));
            }
        }
        Ok(())
    }

    fn check(&self, role: Role, lifetime_secs: u64) -> Result<(), AuthError> {
        let max_secs = self.max_for(role).as_secs();
        if lifetime_secs > max_secs {
            return Err(AuthError::LifetimeTooLong {
                role,
                lifetime_secs,
                max_secs,
            });
        }
        Ok(())
    }
}

/// The audience of a one-time login link's ticket. No service accepts it as a bearer
/// token (their audience is [`AUDIENCE`]); only the dashboard redeems it, once, for a
/// session.
pub const LOGIN_LINK_AUDIENCE: &str = "civitas-dashboard-login";

/// How long a login link may be used: minutes, since it travels through chats and mail.
pub const LOGIN_LINK_TTL: Duration = Duration::from_secs(15 * 60);

/// The payload of a login link's ticket: who the session will be for and until when.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct LoginTicket {
    pub sub: String,
    pub role: Role,
    pub org: String,
    pub iss: String,
    /// Always [`LOGIN_LINK_AUDIENCE`].
    pub aud: String,
    pub iat: i64,
    /// Until when the link can be used.
    pub exp: i64,
    /// The link's id: a redeemed id is refused ever after.
    pub jti: String,
    /// When the session it opens expires.
    pub session_exp: i64,
}

/// The HS256 key pair used to issue and verify tokens, with the lifetimes it allows.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    link_validation: Validation,
    lifetimes: TokenLifetimes,
}

impl TokenKeys {
    /// Builds keys from a shared secret, with the default [`TokenLifetimes`].
    pub fn new(secret: &[u8]) -> Self {
        Self::with_lifetimes(secret, TokenLifetimes::default())
    }

    /// Builds keys from a shared secret that issue and accept tokens up to `lifetimes`.
    pub fn with_lifetimes(secret: &[u8], lifetimes: TokenLifetimes) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "sub", "iss"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let mut link_validation = validation.clone();
        link_validation.set_audience(&[LOGIN_LINK_AUDIENCE]);
        link_validation.set_required_spec_claims(&["exp", "aud", "sub", "iss", "jti"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            link_validation,
            lifetimes,
        }
    }

    /// Issues a token for `sub` with `role` over org unit `org`, valid for `ttl`;
    /// refuses a `ttl` longer than the role's maximum.
    pub fn issue(
        &self,
        sub: &str,
        role: Role,
        org: &str,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        self.lifetimes.check(role, ttl.as_secs())?;
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self.sign(&Claims {
            sub: sub.to_owned(),
            role,
            org: org.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: None,
            exp: now.saturating_add(ttl),
        })
    }

    /// A one-time login link's ticket for a session of `sub` with `role` over `org`
    /// lasting `session_ttl` from now; the ticket itself is good for
    /// [`LOGIN_LINK_TTL`]. Refuses what [`TokenKeys::issue`] refuses.
    pub fn issue_login_link(
        &self,
        sub: &str,
        role: Role,
        org: &str,
        session_ttl: Duration,
    ) -> Result<String, AuthError> {
        self.lifetimes.check(role, session_ttl.as_secs())?;
        let now = chrono::Utc::now().timestamp();
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let ticket = LoginTicket {
            sub: sub.to_owned(),
            role,
            org: org.to_owned(),
            iss: ISSUER.to_owned(),
            aud: LOGIN_LINK_AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(secs(LOGIN_LINK_TTL)),
            jti: hex::encode(rand::random::<[u8; 16]>()),
            session_exp: now.saturating_add(secs(session_ttl)),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &ticket, &self.encoding)
            .map_err(AuthError::Signing)
    }

    /// Checks a login link's ticket (signature, audience, issuer, expiry) and returns
    /// it. Whether it was used before is the redeemer's to check, by its `jti`.
    pub fn verify_login_link(&self, ticket: &str) -> Result<LoginTicket, AuthError> {
        jsonwebtoken::decode::<LoginTicket>(ticket, &self.decoding, &self.link_validation)
            .map(|data| data.claims)
            .map_err(|err| auth_error(&err))
    }

    /// Signs arbitrary claims; `issue` is the normal entry point.
    pub(crate) fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(AuthError::Signing)
    }

    /// Checks signature, issuer, audience, expiry, `nbf`, that `iat` is not ahead of
    /// the clock and that the lifetime is within the role's maximum, and returns the
    /// claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| auth_error(&err))?;
        let leeway = i64::try_from(LEEWAY_SECS).unwrap_or(0);
        if claims.iat > chrono::Utc::now().timestamp().saturating_add(leeway) {
            return Err(AuthError::IssuedInFuture);
        }
        let lifetime = u64::try_from(claims.exp.saturating_sub(claims.iat)).unwrap_or(0);
        self.lifetimes.check(claims.role, lifetime)?;
        Ok(claims)
    }
}

fn auth_error(err: &jsonwebtoken::errors::Error) -> AuthError {
    match err.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => AuthError::MalformedToken,
        _ => AuthError::InvalidToken(err.to_string()),
    }
}
