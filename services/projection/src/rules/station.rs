//! The service station's services, from the activities service's `StationService`
//! streams: `station.services` on the day served, and the residents served as persons
//! (`station.residents_served`, DISTINCT).

use civitas_proto::events::v1 as pb;
use prost::Message;

use super::{add, count_person, date_text, Deltas, Views};
use crate::catalog::{STATION_RESIDENTS_SERVED, STATION_SERVICES};

/// A station-service event reduced to what the projection uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `served_on` is `YYYY-MM-DD`, empty when the payload has none.
    Delivered {
        resident_id: String,
        served_on: String,
    },
}

/// Decodes a station-service event; `None` for any other event type.
pub fn decode(event_type: &str, p: &[u8]) -> Result<Option<super::Fact>, prost::DecodeError> {
    let fact = match event_type {
        "StationServiceDelivered" => {
            let e = pb::StationServiceDelivered::decode(p)?;
            Fact::Delivered {
                served_on: date_text(e.served_on.as_ref()),
                resident_id: e.resident_id,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(super::Fact::Station(fact)))
}

/// Applies one fact that happened in `community` on `day`.
pub fn apply(fact: &Fact, community: &str, day: &str, views: &mut Views, deltas: &mut Deltas) {
    let Fact::Delivered {
        resident_id,
        served_on,
    } = fact;
    let on = if served_on.is_empty() { day } else { served_on };
    add(deltas, &STATION_SERVICES, community, on, 1);
    let served = &STATION_RESIDENTS_SERVED;
    count_person(&mut views.persons, served, community, on, resident_id);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{pairs, run};
    use super::super::Fact as Any;
    use super::*;

    #[test]
    fn services_count_each_time_and_residents_once() {
        let served = |resident: &str| {
            Any::Station(Fact::Delivered {
                resident_id: resident.into(),
                served_on: String::new(),
            })
        };
        let (views, net) = run(&[served("r1"), served("r1"), served("r2")]);
        assert_eq!(net, pairs(&[("station.services", 3)]));
        assert_eq!(views.persons.len(), 2, "r1 and r2, each once a day");
    }
}
