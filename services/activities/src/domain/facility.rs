//! The `Facility` aggregate: a community facility (service station, citizen school,
//! venue for minors, ...) with its floor area, and its maintenance record.

use civitas_kernel::Decider;

use super::values::{AreaSquareMeters, FacilityId, FacilityName, FacilityType, Note, PastDate};

/// The facility decider.
pub struct Facility;

/// A new facility's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityDetails {
    pub facility_type: FacilityType,
    pub name: FacilityName,
    pub area: AreaSquareMeters,
}

/// What can be asked of a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacilityCommand {
    /// Registers a facility in the caller's community.
    RegisterFacility {
        facility_id: FacilityId,
        community: String,
        details: FacilityDetails,
    },
    /// Records maintenance done on a day.
    RecordFacilityMaintenance { maintained_on: PastDate, note: Note },
}

/// What happened to a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacilityEvent {
    FacilityRegistered {
        facility_id: FacilityId,
        community: String,
        details: FacilityDetails,
    },
    FacilityMaintained {
        facility_id: FacilityId,
        maintained_on: PastDate,
        note: Note,
    },
}

impl FacilityEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            FacilityEvent::FacilityRegistered { .. } => "FacilityRegistered",
            FacilityEvent::FacilityMaintained { .. } => "FacilityMaintained",
        }
    }
}

/// A facility as its events leave it; `Default` is a facility never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityState {
    pub facility_id: Option<FacilityId>,
    pub community: String,
    pub details: Option<FacilityDetails>,
    pub maintenance_count: u32,
    pub last_maintained_on: Option<PastDate>,
}

/// A refused facility command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FacilityError {
    #[error("facility is already registered")]
    AlreadyRegistered,
    #[error("facility is not registered")]
    NotRegistered,
}

impl FacilityError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FacilityError::AlreadyRegistered | FacilityError::NotRegistered => Some("facility_id"),
        }
    }
}

impl Decider for Facility {
    type State = FacilityState;
    type Command = FacilityCommand;
    type Event = FacilityEvent;
    type Error = FacilityError;

    fn decide(
        state: &FacilityState,
        command: FacilityCommand,
    ) -> Result<Vec<FacilityEvent>, FacilityError> {
        match command {
            FacilityCommand::RegisterFacility {
                facility_id,
                community,
                details,
            } => {
                if state.facility_id.is_some() {
                    return Err(FacilityError::AlreadyRegistered);
                }
                Ok(vec![FacilityEvent::FacilityRegistered {
                    facility_id,
                    community,
                    details,
                }])
            }
            FacilityCommand::RecordFacilityMaintenance {
                maintained_on,
                note,
            } => {
                let facility_id = state.facility_id.ok_or(FacilityError::NotRegistered)?;
                Ok(vec![FacilityEvent::FacilityMaintained {
                    facility_id,
                    maintained_on,
                    note,
                }])
            }
        }
    }

    fn evolve(mut state: FacilityState, event: &FacilityEvent) -> FacilityState {
        match event {
            FacilityEvent::FacilityRegistered {
                facility_id,
                community,
                details,
            } => {
                state.facility_id = Some(*facility_id);
                state.community.clone_from(community);
                state.details = Some(details.clone());
            }
            FacilityEvent::FacilityMaintained { maintained_on, .. } => {
                state.maintenance_count += 1;
                state.last_maintained_on = state.last_maintained_on.max(Some(*maintained_on));
            }
        }
        state
    }
}

#[cfg(test)]
#[path = "facility_tests.rs"]
mod tests;
