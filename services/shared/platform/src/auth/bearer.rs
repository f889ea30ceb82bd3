//! Client side: adds `authorization: Bearer <token>` to every outgoing request, for
//! service-to-service calls such as the projection reading an event log.
//!
//! A process that outlives its token's lifetime (a projection runs for months; a
//! service token lives `tokens.service`, 30 days by default) signs its own anew:
//! [`BearerToken::renewed`] issues a fresh token once half the lifetime has passed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::{AuthError, Role, TokenKeys};

/// The token an outgoing request carries.
#[derive(Clone)]
pub struct BearerToken(Source);

#[derive(Clone)]
enum Source {
    Fixed(Option<MetadataValue<Ascii>>),
    Renewed(Arc<Renewing>),
}

/// What a renewed token is issued for, and the current one.
struct Renewing {
    keys: Arc<TokenKeys>,
    subject: String,
    role: Role,
    org: String,
    ttl: Duration,
    current: Mutex<(Instant, MetadataValue<Ascii>)>,
}

impl BearerToken {
    /// A token to send; a value that is not valid header text sends nothing (and the
    /// server answers UNAUTHENTICATED).
    pub fn new(token: &str) -> Self {
        Self(Source::Fixed(header(token)))
    }

    /// Sends no token.
    pub fn none() -> Self {
        Self(Source::Fixed(None))
    }

    /// A token signed here with `keys` for `subject` (`role` at `org`, living `ttl`),
    /// signed anew whenever half of `ttl` has passed. Fails now if it cannot be issued
    /// at all (e.g. `ttl` beyond the role's maximum).
    pub fn renewed(
        keys: Arc<TokenKeys>,
        subject: &str,
        role: Role,
        org: &str,
        ttl: Duration,
    ) -> Result<Self, AuthError> {
        let first = keys.issue(subject, role, org, ttl)?;
        let first = header(&first).ok_or(AuthError::MalformedToken)?;
        Ok(Self(Source::Renewed(Arc::new(Renewing {
            keys,
            subject: subject.to_owned(),
            role,
            org: org.to_owned(),
            ttl,
            current: Mutex::new((Instant::now(), first)),
        }))))
    }

    /// The header value to send now.
    fn value(&self) -> Option<MetadataValue<Ascii>> {
        match &self.0 {
            Source::Fixed(value) => value.clone(),
            Source::Renewed(renewing) => Some(renewing.current()),
        }
    }
}

impl Renewing {
    fn current(&self) -> MetadataValue<Ascii> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if current.0.elapsed() >= self.ttl / 2 {
            match self
                .keys
                .issue(&self.subject, self.role, &self.org, self.ttl)
                .ok()
                .and_then(|token| header(&token))
            {
                Some(fresh) => *current = (Instant::now(), fresh),
                None => tracing::error!(
                    subject = %self.subject,
                    "could not sign a fresh service token; sending the current one"
                ),
            }
        }
        current.1.clone()
    }
}

fn header(token: &str) -> Option<MetadataValue<Ascii>> {
    format!("Bearer {token}").parse().ok()
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = self.value() {
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a signing key of at least thirty-two bytes";

    fn sent(token: &mut BearerToken) -> String {
        let request = token.call(Request::new(())).expect("intercepted");
        let value = request.metadata().get("authorization").expect("a token");
        value.to_str().expect("text").to_owned()
    }

    #[test]
    fn a_renewed_token_is_signed_anew_after_half_its_lifetime() {
        let keys = Arc::new(TokenKeys::new(KEY));
        let ttl = Duration::from_secs(2);
        let mut token =
            BearerToken::renewed(keys.clone(), "projection", Role::Service, "gulou", ttl)
                .expect("issued");
        let first = sent(&mut token);
        assert_eq!(
            sent(&mut token.clone()),
            first,
            "the same token while young"
        );
        let claims = keys
            .verify(first.trim_start_matches("Bearer "))
            .expect("valid");
        assert_eq!(claims.role, Role::Service);

        std::thread::sleep(Duration::from_millis(1100));
        let second = sent(&mut token);
        assert_ne!(second, first, "renewed after half its lifetime");
        keys.verify(second.trim_start_matches("Bearer "))
            .expect("the renewed token is valid");
    }

    #[test]
    fn a_token_beyond_the_role_maximum_is_refused_at_once() {
        let keys = Arc::new(TokenKeys::new(KEY));
        let year = Duration::from_secs(365 * 24 * 3600);
        assert!(BearerToken::renewed(keys, "projection", Role::Service, "gulou", year).is_err());
    }
}
