//! JWT bearer authentication and the scope rules every RPC applies.
//!
//! Tokens are HS256 JWTs with audience [`AUDIENCE`], a [`Role`] and an org unit code.
//! [`AuthInterceptor`] verifies the `authorization: Bearer <jwt>` metadata of every
//! request and leaves a [`Caller`] in its extensions; handlers fetch it with [`caller`]
//! and ask it [`Caller::authorize_write`] / [`Caller::authorize_read`]. The community a
//! command acts on comes from the caller's scope, never from the request body.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::org::OrgTree;

/// The `aud` claim every civitas token carries.
pub const AUDIENCE: &str = "civitas";

/// Clock skew tolerated when checking `exp`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// Why a caller is not authenticated or not allowed to do something.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization` metadata.
    #[error("missing bearer token")]
    MissingToken,
    /// The metadata is not `Bearer <jwt>` or the JWT cannot be decoded.
    #[error("malformed bearer token")]
    MalformedToken,
    /// The token's `exp` has passed.
    #[error("token expired")]
    Expired,
    /// The token was not signed with our key.
    #[error("invalid token signature")]
    InvalidSignature,
    /// The token is meant for another audience.
    #[error("token audience is not {AUDIENCE}")]
    WrongAudience,
    /// The token failed another check (algorithm, missing claim, ...).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The caller is authenticated but the action is outside its scope.
    #[error("{0}")]
    PermissionDenied(String),
    /// A token could not be signed.
    #[error("failed to sign token")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::MissingToken
            | AuthError::MalformedToken
            | AuthError::Expired
            | AuthError::InvalidSignature
            | AuthError::WrongAudience
            | AuthError::InvalidToken(_) => Status::unauthenticated(err.to_string()),
            AuthError::PermissionDenied(msg) => Status::permission_denied(msg),
            AuthError::Signing(_) => crate::error::internal(&err),
        }
    }
}

/// An org unit code as error messages quote it: a client's value is echoed at most
/// 64 characters long, so an oversized field cannot blow up the response headers.
fn shown(code: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 64;
    match code.char_indices().nth(MAX) {
        None => code.into(),
        Some((cut, _)) => format!("{}…", &code[..cut]).into(),
    }
}

/// What a token holder may do; see [`Caller::authorize_read`] and
/// [`Caller::authorize_write`].
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Community staff: read and write their own community.
    Staff,
    /// Street or district office: read everything below their org unit.
    District,
    /// Analytics: read aggregates below their org unit.
    Analyst,
    /// Platform admin: read everything.
    Admin,
}

impl Role {
    /// The lowercase name used in tokens and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::District => "district",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected staff, district, analyst or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "staff" => Ok(Role::Staff),
            "district" => Ok(Role::District),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
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
    pub aud: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
}

/// The HS256 key pair used to issue and verify tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Builds keys from a shared secret.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Issues a token for `sub` with `role` over org unit `org`, valid for `ttl`.
    pub fn issue(
        &self,
        sub: &str,
        role: Role,
        org: &str,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self.sign(&Claims {
            sub: sub.to_owned(),
            role,
            org: org.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(ttl),
        })
    }

    /// Signs arbitrary claims; `issue` is the normal entry point.
    fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(AuthError::Signing)
    }

    /// Checks signature, expiry and audience and returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::InvalidSignature,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::InvalidToken
                | ErrorKind::Base64(_)
                | ErrorKind::Json(_)
                | ErrorKind::Utf8(_) => AuthError::MalformedToken,
                _ => AuthError::InvalidToken(err.to_string()),
            })
    }
}

/// The authenticated caller of an RPC, as left in request extensions by
/// [`AuthInterceptor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token subject, recorded as the actor of events.
    pub subject: String,
    pub role: Role,
    /// Org unit code the role applies to.
    pub org_unit: String,
}

impl Caller {
    /// Allows writes only by staff of `community` itself.
    pub fn authorize_write(&self, community: &str) -> Result<(), AuthError> {
        match self.role {
            Role::Staff if self.org_unit == community => Ok(()),
            Role::Staff => Err(AuthError::PermissionDenied(format!(
                "staff of {} may not write to community {}",
                self.org_unit,
                shown(community)
            ))),
            role => Err(AuthError::PermissionDenied(format!(
                "role {role} may not write to community {}",
                shown(community)
            ))),
        }
    }

    /// Allows reading `org_unit`: staff their own community, district and analyst roles
    /// any unit within their org unit, admins everything.
    ///
    /// Analysts pass for the same units as district offices; handlers that return
    /// personal data must refuse them separately.
    pub fn authorize_read(&self, org_unit: &str, tree: &OrgTree) -> Result<(), AuthError> {
        let allowed = match self.role {
            Role::Admin => true,
            Role::Staff => self.org_unit == org_unit,
            Role::District | Role::Analyst => tree.is_within(org_unit, &self.org_unit),
        };
        if allowed {
            Ok(())
        } else {
            Err(AuthError::PermissionDenied(format!(
                "role {} of {} may not read {}",
                self.role,
                self.org_unit,
                shown(org_unit)
            )))
        }
    }
}

impl From<Claims> for Caller {
    fn from(claims: Claims) -> Self {
        Caller {
            subject: claims.sub,
            role: claims.role,
            org_unit: claims.org,
        }
    }
}

/// A tonic interceptor that authenticates every request and stores its [`Caller`].
#[derive(Clone)]
pub struct AuthInterceptor {
    keys: Arc<TokenKeys>,
}

impl AuthInterceptor {
    /// Verifies tokens with `keys`.
    pub fn new(keys: Arc<TokenKeys>) -> Self {
        Self { keys }
    }

    fn authenticate(&self, metadata: &tonic::metadata::MetadataMap) -> Result<Caller, AuthError> {
        let value = metadata
            .get("authorization")
            .ok_or(AuthError::MissingToken)?;
        let value = value.to_str().map_err(|_| AuthError::MalformedToken)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::MalformedToken)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(AuthError::MalformedToken);
        }
        self.keys.verify(token.trim()).map(Caller::from)
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        match self.authenticate(request.metadata()) {
            Ok(caller) => {
                request.extensions_mut().insert(caller);
                Ok(request)
            }
            Err(err) => {
                tracing::debug!(error = %err, "request rejected");
                Err(err.into())
            }
        }
    }
}

/// The authenticated caller of `request`; UNAUTHENTICATED if no interceptor set one.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("request is not authenticated"))
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;

/// Client side: adds `authorization: Bearer <token>` to every outgoing request (for
/// service-to-service calls such as the projection reading an event log).
#[derive(Clone)]
pub struct BearerToken(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl BearerToken {
    /// A token to send; a value that is not valid header text sends nothing (and the
    /// server answers UNAUTHENTICATED).
    pub fn new(token: &str) -> Self {
        Self(format!("Bearer {token}").parse().ok())
    }

    /// Sends no token.
    pub fn none() -> Self {
        Self(None)
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}
