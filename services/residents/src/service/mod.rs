//! The imperative shell of the residents service: authorize, parse, seal personal data,
//! load the facts a decision needs, decide, append — the shared steps through
//! [`Shell`], the key store and its master key being this service's own. Handlers take
//! the request and the verified caller; `grpc.rs` only wires them to tonic.
//!
//! - [`registration`]: the two writes that create a subject, its data key and its
//!   sealed personal data;
//! - [`commands`]: the register changes on an existing resident, erasure included;
//! - [`care`]: care campaigns, visits and their referrals;
//! - [`employment`]: re-employment cases;
//! - [`moves`]: transfers between communities (release, withdraw, accept);
//! - [`listing`]: the paged household and resident lists of a community;
//! - [`queries`]: reads, opening personal data only for the resident's own staff.

mod care;
mod commands;
mod employment;
mod listing;
mod moves;
mod queries;
mod registration;

use std::sync::Arc;

use civitas_platform::write::{Shell, Target, WriteError};
use prost::Message;

use crate::crypto::{self, DataKey, MasterKey};
use crate::domain::{Note, ResidentId, Sealed, ValidationError};
use crate::error::ServiceError;
use crate::keystore::{KeyState, KeyStore};

/// The residents service: the write shell over its event store and the org tree, and
/// the key store with the master key that wraps its data keys.
#[derive(Clone)]
pub struct Residents {
    shell: Shell,
    keys: KeyStore,
    master: Arc<MasterKey>,
    /// Set once the household register holds every household (see [`listing`]).
    register_complete: Arc<tokio::sync::OnceCell<()>>,
}

impl Residents {
    /// The service over its shell and key store, with the master key that wraps the
    /// data keys.
    pub fn new(shell: Shell, keys: KeyStore, master: MasterKey) -> Self {
        Self {
            shell,
            keys,
            master: Arc::new(master),
            register_complete: Arc::default(),
        }
    }
}

impl Residents {
    /// A request's optional `note`, parsed and sealed with the resident's data key.
    /// `None` for a blank note, and for an erased resident (whose command the decider
    /// refuses).
    async fn sealed_note(
        &self,
        id: &ResidentId,
        input: &str,
    ) -> Result<Option<Sealed>, ServiceError> {
        let Some(note) = Note::parse_optional("note", input)? else {
            return Ok(None);
        };
        let subject = id.to_string();
        let key = match self.keys.data_key(&subject, &self.master).await? {
            KeyState::Active(key) => key,
            KeyState::Erased => return Ok(None),
            KeyState::Unknown => {
                let e = anyhow::anyhow!("resident {subject} has events but no key");
                return Err(WriteError::Unexpected(e).into());
            }
        };
        let text = note.as_str().to_owned();
        Ok(Some(seal(
            &key,
            &subject,
            &civitas_proto::residents::v1::Note { text },
        )))
    }
}

/// `plain` encoded and sealed under the subject's `key`, the subject id as associated data.
fn seal(key: &DataKey, subject_id: &str, plain: &impl Message) -> Sealed {
    let sealed = crypto::seal(key, subject_id.as_bytes(), &plain.encode_to_vec());
    Sealed {
        key_id: subject_id.to_owned(),
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
    }
}

/// The resident a request names, as the target of a command or a read.
fn resident_target(id: &ResidentId) -> Target {
    Target::new("resident", id, id.stream_id())
}

/// The required `resident_id` of a request.
fn parse_resident_id(input: &str) -> Result<ResidentId, ValidationError> {
    civitas_platform::command::required(input, "resident_id")
        .and_then(|s| ResidentId::parse("resident_id", s))
}
