//! The cap on open `Subscribe` streams per caller: each holds a task and polls a store
//! for as long as the client keeps it, so one token must not open them without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tonic::Status;

/// Open subscriptions per caller (token subject), at most `max` each.
#[derive(Clone)]
pub struct Subscriptions {
    open: Arc<Mutex<HashMap<String, usize>>>,
    max: usize,
}

/// One open subscription; dropping it frees the caller's slot.
pub struct Slot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    caller: String,
}

impl Subscriptions {
    /// At most `max` open subscriptions per caller.
    pub fn new(max: usize) -> Self {
        Self {
            open: Arc::default(),
            max,
        }
    }

    /// A slot for one more subscription of `caller`, or RESOURCE_EXHAUSTED when it
    /// holds `max` already.
    pub fn open(&self, caller: &str) -> Result<Slot, Status> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let held = open.entry(caller.to_owned()).or_default();
        if *held >= self.max {
            return Err(Status::resource_exhausted(format!(
                "caller {caller} already has {held} open subscriptions, the most allowed \
                 (limits.max_subscriptions_per_caller); close one before opening another"
            )));
        }
        *held += 1;
        Ok(Slot {
            open: self.open.clone(),
            caller: caller.to_owned(),
        })
    }

    /// How many subscriptions `caller` holds open.
    pub fn held(&self, caller: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(caller).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = open.get_mut(&self.caller) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.caller);
            }
        }
    }
}
