//! The `Household` aggregate: a dwelling registered in a community, placed in a grid and
//! a building. Its address is personal data and stays sealed; the community, grid and
//! building are organisational and drive the KPI breakdowns.

use civitas_kernel::Decider;

use super::values::{Building, Grid, HouseholdId, Sealed};

/// The household decider.
pub struct Household;

/// What can be asked of a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdCommand {
    /// Registers a new household in the caller's community.
    Register {
        household_id: HouseholdId,
        /// The community from the caller's token scope, never from the request body.
        community: String,
        grid: Grid,
        building: Building,
        /// The sealed [`super::values::Address`].
        address: Sealed,
    },
}

/// What happened to a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseholdEvent {
    /// The household was registered.
    Registered {
        household_id: HouseholdId,
        community: String,
        grid: Grid,
        building: Building,
        address: Sealed,
    },
}

impl HouseholdEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            HouseholdEvent::Registered { .. } => "HouseholdRegistered",
        }
    }

    /// The household the event belongs to.
    pub fn household_id(&self) -> HouseholdId {
        match self {
            HouseholdEvent::Registered { household_id, .. } => *household_id,
        }
    }
}

/// A household as its events leave it; `Default` is a household never registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdState {
    pub registered: bool,
    pub household_id: Option<HouseholdId>,
    /// Empty until registered.
    pub community: String,
    pub grid: Option<Grid>,
    pub building: Option<Building>,
}

/// A refused household command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HouseholdError {
    #[error("household is already registered")]
    AlreadyRegistered,
}

impl HouseholdError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            HouseholdError::AlreadyRegistered => Some("household_id"),
        }
    }
}

impl Decider for Household {
    type State = HouseholdState;
    type Command = HouseholdCommand;
    type Event = HouseholdEvent;
    type Error = HouseholdError;

    fn decide(
        state: &HouseholdState,
        command: HouseholdCommand,
    ) -> Result<Vec<HouseholdEvent>, HouseholdError> {
        match command {
            HouseholdCommand::Register {
                household_id,
                community,
                grid,
                building,
                address,
            } => {
                if state.registered {
                    return Err(HouseholdError::AlreadyRegistered);
                }
                Ok(vec![HouseholdEvent::Registered {
                    household_id,
                    community,
                    grid,
                    building,
                    address,
                }])
            }
        }
    }

    fn evolve(_state: HouseholdState, event: &HouseholdEvent) -> HouseholdState {
        match event {
            HouseholdEvent::Registered {
                household_id,
                community,
                grid,
                building,
                ..
            } => HouseholdState {
                registered: true,
                household_id: Some(*household_id),
                community: community.clone(),
                grid: Some(grid.clone()),
                building: Some(building.clone()),
            },
        }
    }
}

#[cfg(test)]
#[path = "household_tests.rs"]
mod tests;
