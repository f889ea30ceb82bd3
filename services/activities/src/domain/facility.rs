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
    Register {
        facility_id: FacilityId,
        community: String,
        details: FacilityDetails,
    },
    /// Records maintenance done on a day.
    RecordMaintenance { maintained_on: PastDate, note: Note },
}

/// What happened to a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacilityEvent {
    Registered {
        facility_id: FacilityId,
        community: String,
        details: FacilityDetails,
    },
    Maintained {
        facility_id: FacilityId,
        maintained_on: PastDate,
        note: Note,
    },
}

impl FacilityEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        match self {
            FacilityEvent::Registered { .. } => "FacilityRegistered",
            FacilityEvent::Maintained { .. } => "FacilityMaintained",
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
            FacilityCommand::Register {
                facility_id,
                community,
                details,
            } => {
                if state.facility_id.is_some() {
                    return Err(FacilityError::AlreadyRegistered);
                }
                Ok(vec![FacilityEvent::Registered {
                    facility_id,
                    community,
                    details,
                }])
            }
            FacilityCommand::RecordMaintenance {
                maintained_on,
                note,
            } => {
                let facility_id = state.facility_id.ok_or(FacilityError::NotRegistered)?;
                Ok(vec![FacilityEvent::Maintained {
                    facility_id,
                    maintained_on,
                    note,
                }])
            }
        }
    }

    fn evolve(mut state: FacilityState, event: &FacilityEvent) -> FacilityState {
        match event {
            FacilityEvent::Registered {
                facility_id,
                community,
                details,
            } => {
                state.facility_id = Some(*facility_id);
                state.community.clone_from(community);
                state.details = Some(details.clone());
            }
            FacilityEvent::Maintained { maintained_on, .. } => {
                state.maintenance_count += 1;
                state.last_maintained_on = state.last_maintained_on.max(Some(*maintained_on));
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn id() -> FacilityId {
        FacilityId::from_uuid(Uuid::from_u128(6))
    }

    fn details() -> FacilityDetails {
        FacilityDetails {
            facility_type: FacilityType::ServiceStation,
            name: FacilityName::parse("name", "居家养老服务站").unwrap(),
            area: AreaSquareMeters::parse("area_square_meters", 200).unwrap(),
        }
    }

    fn register() -> FacilityCommand {
        FacilityCommand::Register {
            facility_id: id(),
            community: "xingfu".into(),
            details: details(),
        }
    }

    fn registered() -> FacilityEvent {
        FacilityEvent::Registered {
            facility_id: id(),
            community: "xingfu".into(),
            details: details(),
        }
    }

    fn day(d: u32) -> PastDate {
        let date = NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        PastDate::parse("maintained_on", date, date).unwrap()
    }

    fn note() -> Note {
        Note::parse("note", "replaced the lights").unwrap()
    }

    #[test]
    fn registers_and_records_maintenance() {
        given::<Facility>([]).when(register()).then([registered()]);
        given::<Facility>([registered()])
            .when(FacilityCommand::RecordMaintenance {
                maintained_on: day(2),
                note: note(),
            })
            .then([FacilityEvent::Maintained {
                facility_id: id(),
                maintained_on: day(2),
                note: note(),
            }]);
    }

    #[test]
    fn refusals_name_the_facility() {
        given::<Facility>([registered()])
            .when(register())
            .then_error(FacilityError::AlreadyRegistered);
        given::<Facility>([])
            .when(FacilityCommand::RecordMaintenance {
                maintained_on: day(2),
                note: note(),
            })
            .then_error(FacilityError::NotRegistered);
        assert_eq!(FacilityError::NotRegistered.field(), Some("facility_id"));
    }

    #[test]
    fn state_counts_maintenance() {
        let maintained = |d| FacilityEvent::Maintained {
            facility_id: id(),
            maintained_on: day(d),
            note: note(),
        };
        let state = Facility::fold(&[registered(), maintained(8), maintained(3)]);
        assert_eq!(state.maintenance_count, 2);
        assert_eq!(state.last_maintained_on, Some(day(8)));
        assert_eq!(state.details, Some(details()));
        assert_eq!(registered().event_type(), "FacilityRegistered");
        assert_eq!(maintained(1).event_type(), "FacilityMaintained");
    }
}
