//! Where events go on NATS: the stream and its subject tree.
//!
//! `civitas.evt.<service>.<district>.<street>.<community>.<EventType>` lets a consumer
//! (or a NATS permission) select by service, by org unit at any level, or by event
//! type with ordinary wildcards, e.g. `civitas.evt.*.gulou.>` for one district.

use std::time::Duration;

use civitas_kernel::OrgPath;
use serde::{Deserialize, Serialize};

/// The JetStream stream every service publishes to, and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSettings {
    /// Stream name.
    pub name: String,
    /// First subject tokens; events go to `<prefix>.<service>.…`.
    pub subject_prefix: String,
    /// Stream replicas (3 in a 3-node cluster; 1 for a single server).
    pub replicas: usize,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish.
    #[serde(with = "civitas_platform::grpc::duration_text")]
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            name: "CIVITAS_EVENTS".to_owned(),
            subject_prefix: "civitas.evt".to_owned(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

impl StreamSettings {
    /// The subject of one event.
    pub fn subject(&self, service: &str, org: &OrgPath, event_type: &str) -> String {
        format!(
            "{}.{}.{}.{}.{}.{}",
            self.subject_prefix,
            token(service),
            token(&org.district),
            token(&org.street),
            token(&org.community),
            token(event_type)
        )
    }

    /// The wildcard matching every event of the stream.
    pub fn all_subjects(&self) -> String {
        format!("{}.>", self.subject_prefix)
    }
}

/// A subject token: NATS tokens must not contain `.`, `*`, `>` or whitespace, and must
/// not be empty. Org codes and event types never do; anything else is replaced so a bad
/// value cannot widen or split a subject.
fn token(value: &str) -> String {
    if value.is_empty() {
        return "_".to_owned();
    }
    value
        .chars()
        .map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_tree_and_cannot_be_widened() {
        let s = StreamSettings::default();
        let org = OrgPath {
            district: "gulou".into(),
            street: "huafeng".into(),
            community: "xingfu".into(),
        };
        assert_eq!(
            s.subject("residents", &org, "ResidentRegistered"),
            "civitas.evt.residents.gulou.huafeng.xingfu.ResidentRegistered"
        );
        let evil = OrgPath {
            district: "a.b".into(),
            street: "*".into(),
            community: "".into(),
        };
        assert_eq!(s.subject("x", &evil, "T>"), "civitas.evt.x.a_b._._.T_");
        assert_eq!(s.all_subjects(), "civitas.evt.>");
    }
}
