//! The `StationService` aggregate: one service the community's service station (社区
//! 服务站) delivered to a resident (a meal, a health check, care at home, …) on a day.
//! One stream per service, `stationservice-<uuid>`; the shell passes in what it read of
//! the station. Residents appear only as pseudonymous ids.

use civitas_kernel::Decider;

pub use civitas_proto::codes::StationServiceKind;

use super::values::{FacilityId, FacilityType, PastDate, ResidentId, StationServiceId};

/// The station a service names, as the shell found it in the caller's community:
/// `None` when there is no such facility there.
pub type StationFacts = Option<FacilityType>;

/// The station service decider.
pub struct StationService;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDelivered {
    pub service_id: StationServiceId,
    pub facility_id: FacilityId,
    pub resident_id: ResidentId,
    pub kind: StationServiceKind,
    pub served_on: PastDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationCommand {
    Record {
        station: StationFacts,
        service: ServiceDelivered,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationEvent {
    StationServiceDelivered(ServiceDelivered),
}

impl StationEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        "StationServiceDelivered"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StationError {
    #[error("station service is already recorded")]
    AlreadyRecorded,
    #[error("facility not found in this community")]
    FacilityNotFound,
    #[error("the facility is not a service station")]
    NotAStation,
}

impl StationError {
    /// The request field to blame, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            StationError::FacilityNotFound | StationError::NotAStation => Some("facility_id"),
            StationError::AlreadyRecorded => None,
        }
    }
}

impl Decider for StationService {
    type State = bool;
    type Command = StationCommand;
    type Event = StationEvent;
    type Error = StationError;

    fn decide(recorded: &bool, command: StationCommand) -> Result<Vec<StationEvent>, StationError> {
        let StationCommand::Record { station, service } = command;
        if *recorded {
            return Err(StationError::AlreadyRecorded);
        }
        match station {
            None => Err(StationError::FacilityNotFound),
            Some(FacilityType::ServiceStation) => {
                Ok(vec![StationEvent::StationServiceDelivered(service)])
            }
            Some(_) => Err(StationError::NotAStation),
        }
    }

    fn evolve(_: bool, _: &StationEvent) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use civitas_kernel::aggregate::given;
    use uuid::Uuid;

    use super::*;

    fn service() -> ServiceDelivered {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        ServiceDelivered {
            service_id: StationServiceId::from_uuid(Uuid::from_u128(1)),
            facility_id: FacilityId::from_uuid(Uuid::from_u128(2)),
            resident_id: ResidentId::from_uuid(Uuid::from_u128(3)),
            kind: StationServiceKind::Meals,
            served_on: PastDate::parse("served_on", day, day).unwrap(),
        }
    }

    fn record(station: StationFacts) -> StationCommand {
        StationCommand::Record {
            station,
            service: service(),
        }
    }

    #[test]
    fn only_a_service_station_of_the_community_delivers_services() {
        given::<StationService>([])
            .when(record(Some(FacilityType::ServiceStation)))
            .then([StationEvent::StationServiceDelivered(service())]);
        given::<StationService>([])
            .when(record(Some(FacilityType::CulturalRoom)))
            .then_error(StationError::NotAStation);
        given::<StationService>([])
            .when(record(None))
            .then_error(StationError::FacilityNotFound);
        given::<StationService>([StationEvent::StationServiceDelivered(service())])
            .when(record(Some(FacilityType::ServiceStation)))
            .then_error(StationError::AlreadyRecorded);
    }
}
