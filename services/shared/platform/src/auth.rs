//! JWT bearer authentication and the scope rules every RPC applies.
//!
//! Tokens are HS256 JWTs with issuer [`ISSUER`], audience [`AUDIENCE`], a [`Role`] and
//! an org unit code, and a lifetime (`exp - iat`) no longer than [`TokenLifetimes`]
//! allows for the role: hours for people, days for services.
//! [`AuthInterceptor`] verifies the `authorization: Bearer <jwt>` metadata of every
//! request and leaves a [`Caller`] in its extensions; handlers fetch it with [`caller`]
//! and ask it [`Caller::authorize_write`] / [`Caller::authorize_read`]. The community a
//! command acts on comes from the caller's scope, never from the request body. A
//! [`Role::Service`] token passes only the event log's interceptor.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::org::OrgTree;

mod bearer;
mod token;
pub use bearer::BearerToken;
use token::shown_secs;
pub use token::{
    Claims, LoginTicket, TokenKeys, TokenLifetimes, LOGIN_LINK_AUDIENCE, LOGIN_LINK_TTL,
};

/// The `aud` claim every civitas token carries.
pub const AUDIENCE: &str = "civitas";

/// The `iss` claim civitas puts in every token and requires of every token.
pub const ISSUER: &str = "civitas";

/// The one gRPC service a [`Role::Service`] token may call.
pub const EVENT_LOG_SERVICE: &str = "civitas.eventlog.v1.EventLogService";

/// Clock skew tolerated when checking `exp`, `nbf` and `iat`, in seconds.
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
    /// The token was issued by someone else.
    #[error("token issuer is not {ISSUER}")]
    WrongIssuer,
    /// The token's `nbf` is still ahead.
    #[error("token not yet valid")]
    NotYetValid,
    /// The token's `iat` is ahead of the clock.
    #[error("token issued in the future")]
    IssuedInFuture,
    /// The token lives longer than its role allows (refused when issuing and when
    /// verifying).
    #[error(
        "token lifetime {} exceeds the maximum of {} for role {role}",
        shown_secs(*.lifetime_secs),
        shown_secs(*.max_secs)
    )]
    LifetimeTooLong {
        role: Role,
        lifetime_secs: u64,
        max_secs: u64,
    },
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
            | AuthError::WrongIssuer
            | AuthError::NotYetValid
            | AuthError::IssuedInFuture
            | AuthError::LifetimeTooLong { .. }
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
    /// Another civitas service (the projection, a rebuild): read the event logs below
    /// its org unit and nothing else.
    Service,
}

impl Role {
    /// The lowercase name used in tokens and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::District => "district",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }

    /// Whether a person holds tokens of this role (a service is not one), which sets
    /// how long its tokens may live.
    pub fn is_person(self) -> bool {
        self != Role::Service
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected staff, district, analyst, admin or service")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "staff" => Ok(Role::Staff),
            "district" => Ok(Role::District),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            "service" => Ok(Role::Service),
            other => Err(UnknownRole(other.to_owned())),
        }
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

    /// Allows reading `org_unit`: staff their own community, district, analyst and
    /// service roles any unit within their org unit, admins everything.
    ///
    /// Analysts pass for the same units as district offices; handlers that return
    /// per-person records refuse them with [`Caller::authorize_person_read`]. Service
    /// tokens reach only the event log (the interceptor refuses them elsewhere).
    pub fn authorize_read(&self, org_unit: &str, tree: &OrgTree) -> Result<(), AuthError> {
        let allowed = match self.role {
            Role::Admin => true,
            Role::Staff => self.org_unit == org_unit,
            Role::District | Role::Analyst | Role::Service => {
                tree.is_within(org_unit, &self.org_unit)
            }
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

impl Caller {
    /// Allows reading per-person records (one resident, one household) to every role
    /// but analysts and services, who see aggregates only; the scope is checked
    /// separately with [`Caller::authorize_read`].
    pub fn authorize_person_read(&self) -> Result<(), AuthError> {
        match self.role {
            Role::Analyst | Role::Service => Err(AuthError::PermissionDenied(format!(
                "role {} may not read per-person records",
                self.role
            ))),
            Role::Staff | Role::District | Role::Admin => Ok(()),
        }
    }

    /// Allows a read that only staff of `community` may make (a lookup by personal
    /// data).
    pub fn authorize_staff_read(&self, community: &str) -> Result<(), AuthError> {
        match self.role {
            Role::Staff if self.org_unit == community => Ok(()),
            Role::Staff => Err(AuthError::PermissionDenied(format!(
                "staff of {} may not read community {}",
                self.org_unit,
                shown(community)
            ))),
            role => Err(AuthError::PermissionDenied(format!(
                "role {role} may not read this: staff of the community only"
            ))),
        }
    }
}

impl Caller {
    /// The approval step this caller may take on a community's monthly report: the
    /// street office (role district, scoped to the community's street) approves first,
    /// the district office (role district, scoped to its district) second. Everyone
    /// else is refused, staff of the community included.
    pub fn approval_level(
        &self,
        org: &civitas_kernel::OrgPath,
    ) -> Result<civitas_proto::codes::ApprovalLevel, AuthError> {
        use civitas_proto::codes::ApprovalLevel;
        match self.role {
            Role::District if self.org_unit == org.street => Ok(ApprovalLevel::Street),
            Role::District if self.org_unit == org.district => Ok(ApprovalLevel::District),
            role => Err(AuthError::PermissionDenied(format!(
                "role {role} of {} may not approve the reports of community {}: \
                 its street or district office only",
                self.org_unit, org.community
            ))),
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
///
/// It knows the service it guards once [`AuthInterceptor::serving`] names it (every
/// `grpc_service_server!` server does): a [`Role::Service`] token passes only in front
/// of [`EVENT_LOG_SERVICE`].
#[derive(Clone)]
pub struct AuthInterceptor {
    keys: Arc<TokenKeys>,
    service: Option<&'static str>,
}

impl AuthInterceptor {
    /// Verifies tokens with `keys`.
    pub fn new(keys: Arc<TokenKeys>) -> Self {
        Self {
            keys,
            service: None,
        }
    }

    /// The same interceptor in front of the gRPC service named `service`.
    pub fn serving(&self, service: &'static str) -> Self {
        Self {
            keys: self.keys.clone(),
            service: Some(service),
        }
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
        let caller = Caller::from(self.keys.verify(token.trim())?);
        if caller.role == Role::Service && self.service != Some(EVENT_LOG_SERVICE) {
            return Err(AuthError::PermissionDenied(
                "role service may only read event logs".to_owned(),
            ));
        }
        Ok(caller)
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
