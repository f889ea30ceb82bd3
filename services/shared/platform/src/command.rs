//! What every write RPC of every service does before its domain logic: find the
//! community the caller may write to, and build the command context (actor, trace,
//! idempotency key with a request fingerprint, expected version, time).

use chrono::{DateTime, NaiveDate, Utc};
use civitas_kernel::{
    AppendOutcome, CommandContext, Idempotency, Metadata, OrgPath, ValidationError,
};
use civitas_proto::common::v1::{WriteOptions, WriteResult};
use sha2::{Digest, Sha256};

use crate::auth::{AuthError, Caller};
use crate::org::OrgTree;

/// Longest accepted idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// The district's offset from UTC (China Standard Time): calendar days, months and
/// KPI periods are counted in it.
pub const DISTRICT_UTC_OFFSET_SECONDS: i32 = 8 * 3600;

/// The community a staff caller writes to: always the token's own; a community named in
/// the request body may only repeat it.
pub fn write_scope(caller: &Caller, tree: &OrgTree, requested: &str) -> Result<OrgPath, AuthError> {
    let community = caller.org_unit.as_str();
    caller.authorize_write(community)?;
    if !requested.is_empty() && requested != community {
        caller.authorize_write(requested)?;
    }
    tree.path_of(community).ok_or_else(|| {
        AuthError::PermissionDenied(format!("{community} is not a community of this district"))
    })
}

/// A write's context: the kernel's command context plus the instant it was received.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub command: CommandContext,
    pub now: DateTime<Utc>,
}

impl WriteContext {
    /// Builds the context of one write RPC. The idempotency key is scoped to the
    /// community and tied to a fingerprint of the whole request (`rpc` + its encoding),
    /// so a key reused for another request is refused rather than answered wrongly.
    pub fn new(
        caller: &Caller,
        org: OrgPath,
        options: Option<&WriteOptions>,
        rpc: &str,
        request: &impl prost::Message,
    ) -> Result<Self, ValidationError> {
        let now = Utc::now();
        let options = options.cloned().unwrap_or_default();
        let idempotency = match options.idempotency_key.as_str() {
            "" => None,
            key if key.chars().count() > MAX_IDEMPOTENCY_KEY
                || key.chars().any(char::is_control) =>
            {
                return Err(ValidationError::new(
                    "options.idempotency_key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"),
                ))
            }
            key => Some(Idempotency {
                key: format!("{}/{key}", org.community),
                fingerprint: hex::encode(
                    Sha256::new()
                        .chain_update(rpc)
                        .chain_update(request.encode_to_vec())
                        .finalize(),
                ),
            }),
        };
        let causation_id = uuid::Uuid::now_v7().to_string();
        let command = CommandContext {
            metadata: Metadata {
                org,
                actor: caller.subject.clone(),
                correlation_id: causation_id.clone(),
                causation_id,
                traceparent: crate::telemetry::current_traceparent(),
            },
            idempotency,
            expected_version: options.expected_version,
            occurred_at: now,
            companions: Vec::new(),
        };
        Ok(Self { command, now })
    }

    /// The community (and its street and district) the command writes in.
    pub fn org(&self) -> &OrgPath {
        &self.command.metadata.org
    }

    /// Today in the district's time zone, for date rules.
    pub fn today(&self) -> NaiveDate {
        district_day(self.now)
    }
}

/// The district's calendar day of an instant.
pub fn district_day(at: DateTime<Utc>) -> NaiveDate {
    let offset = chrono::FixedOffset::east_opt(DISTRICT_UTC_OFFSET_SECONDS)
        .expect("UTC+8 is a valid offset");
    at.with_timezone(&offset).date_naive()
}

/// The wire form of an append outcome.
pub fn write_result(outcome: &AppendOutcome) -> WriteResult {
    WriteResult {
        stream_id: outcome.stream_id.clone(),
        version: outcome.version,
        replayed: outcome.replayed,
    }
}

/// A required text field, trimmed; empty is "is required" naming the field.
pub fn required<'a>(value: &'a str, field: &'static str) -> Result<&'a str, ValidationError> {
    match value.trim() {
        "" => Err(ValidationError::new(field, "is required")),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn staff(org: &str) -> Caller {
        Caller {
            subject: "s".into(),
            role: Role::Staff,
            org_unit: org.into(),
        }
    }

    #[test]
    fn write_scope_is_the_token_community() {
        let tree = OrgTree::demo();
        assert_eq!(
            write_scope(&staff("xingfu"), &tree, "")
                .expect("own")
                .community,
            "xingfu"
        );
        assert_eq!(
            write_scope(&staff("xingfu"), &tree, "xingfu")
                .expect("same")
                .street,
            "huafeng"
        );
        assert!(matches!(
            write_scope(&staff("xingfu"), &tree, "heping"),
            Err(AuthError::PermissionDenied(_))
        ));
        let district = Caller {
            role: Role::District,
            ..staff("gulou")
        };
        assert!(write_scope(&district, &tree, "").is_err());
        assert!(write_scope(&staff("nowhere"), &tree, "").is_err());
    }

    #[test]
    fn idempotency_keys_are_scoped_and_fingerprinted() {
        let org = OrgTree::demo().path_of("xingfu").expect("community");
        let options = WriteOptions {
            idempotency_key: "k-1".into(),
            expected_version: Some(3),
        };
        let a = WriteContext::new(
            &staff("xingfu"),
            org.clone(),
            Some(&options),
            "Rpc",
            &options,
        )
        .expect("ctx");
        let b = WriteContext::new(
            &staff("xingfu"),
            org.clone(),
            Some(&options),
            "Other",
            &options,
        )
        .expect("ctx");
        let (ia, ib) = (
            a.command.idempotency.expect("key"),
            b.command.idempotency.expect("key"),
        );
        assert_eq!(ia.key, "xingfu/k-1");
        assert_ne!(
            ia.fingerprint, ib.fingerprint,
            "another rpc is another request"
        );
        assert_eq!(a.command.expected_version, Some(3));
        let long = WriteOptions {
            idempotency_key: "x".repeat(129),
            expected_version: None,
        };
        let err = WriteContext::new(&staff("xingfu"), org, Some(&long), "Rpc", &long)
            .expect_err("too long");
        assert_eq!(err.field, "options.idempotency_key");
    }

    #[test]
    fn district_day_is_utc_plus_8() {
        let late = DateTime::parse_from_rfc3339("2026-11-28T17:30:00Z")
            .expect("ts")
            .with_timezone(&Utc);
        assert_eq!(
            district_day(late),
            NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
        );
        assert_eq!(required("  a ", "f"), Ok("a"));
        assert_eq!(required(" ", "f").expect_err("empty").field, "f");
    }
}
