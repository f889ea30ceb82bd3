//! `VolunteerEvent` ⇄ `civitas.events.v1` messages.

use civitas_kernel::{DecodeError, EventCodec};
use civitas_proto::events::v1 as pb;
use prost::Message;

use civitas_proto::convert::{date_from_pb, date_to_pb};

use super::{optional, Decoding};
use crate::domain::{
    DonationId, Minutes, OpportunityId, Organisation, Reason, RecordId, RedemptionId, ResidentId,
    ServiceCategory, StarLevel, VolunteerEvent, VolunteerId, VolunteerKind,
};

impl EventCodec for VolunteerEvent {
    fn event_type(&self) -> &'static str {
        VolunteerEvent::event_type(self)
    }

    fn encode(&self) -> Vec<u8> {
        use VolunteerEvent as Ev;
        let id = |v: &VolunteerId| v.to_string();
        match self {
            Ev::Registered {
                volunteer_id,
                community,
                kind,
                registered_on,
            } => {
                let (kind, resident_id, organisation) = match kind {
                    VolunteerKind::Resident(r) => {
                        (pb::VolunteerKind::Resident, r.to_string(), String::new())
                    }
                    VolunteerKind::External(o) => {
                        (pb::VolunteerKind::External, String::new(), o.to_string())
                    }
                };
                pb::VolunteerRegistered {
                    volunteer_id: id(volunteer_id),
                    community: community.clone(),
                    kind: kind as i32,
                    resident_id,
                    organisation,
                    registered_on: Some(date_to_pb(*registered_on)),
                }
                .encode_to_vec()
            }
            Ev::Verified {
                volunteer_id,
                verified_on,
            } => pb::VolunteerVerified {
                volunteer_id: id(volunteer_id),
                verified_on: Some(date_to_pb(*verified_on)),
            }
            .encode_to_vec(),
            Ev::Deactivated {
                volunteer_id,
                reason,
                deactivated_on,
            } => pb::VolunteerDeactivated {
                volunteer_id: id(volunteer_id),
                reason: reason.to_string(),
                deactivated_on: Some(date_to_pb(*deactivated_on)),
            }
            .encode_to_vec(),
            Ev::HoursSubmitted {
                volunteer_id,
                record_id,
                service_date,
                minutes,
                submitted_on,
                opportunity,
            } => pb::HoursSubmitted {
                volunteer_id: id(volunteer_id),
                record_id: record_id.to_string(),
                service_date: Some(date_to_pb(*service_date)),
                minutes: minutes.get(),
                submitted_on: Some(date_to_pb(*submitted_on)),
                opportunity_id: opportunity.map(|o| o.to_string()).unwrap_or_default(),
            }
            .encode_to_vec(),
            Ev::HoursApproved {
                volunteer_id,
                record_id,
                minutes,
                service_date,
                submitted_on,
                approved_on,
                approved_minutes_total,
            } => pb::HoursApproved {
                volunteer_id: id(volunteer_id),
                record_id: record_id.to_string(),
                minutes: minutes.get(),
                service_date: Some(date_to_pb(*service_date)),
                submitted_on: Some(date_to_pb(*submitted_on)),
                approved_on: Some(date_to_pb(*approved_on)),
                approved_minutes_total: *approved_minutes_total,
            }
            .encode_to_vec(),
            Ev::HoursDeclined {
                volunteer_id,
                record_id,
                minutes,
                reason,
                declined_on,
            } => pb::HoursDeclined {
                volunteer_id: id(volunteer_id),
                record_id: record_id.to_string(),
                minutes: minutes.get(),
                reason: reason.to_string(),
                declined_on: Some(date_to_pb(*declined_on)),
            }
            .encode_to_vec(),
            Ev::HoursReversed {
                volunteer_id,
                record_id,
                minutes,
                service_date,
                reason,
                reversed_on,
                approved_minutes_total,
                credits_withdrawn_minutes,
                balance_minutes,
            } => pb::HoursReversed {
                volunteer_id: id(volunteer_id),
                record_id: record_id.to_string(),
                minutes: minutes.get(),
                service_date: Some(date_to_pb(*service_date)),
                reason: reason.to_string(),
                reversed_on: Some(date_to_pb(*reversed_on)),
                approved_minutes_total: *approved_minutes_total,
                credits_withdrawn_minutes: *credits_withdrawn_minutes,
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
            Ev::StarLevelChanged {
                volunteer_id,
                from,
                to,
                approved_minutes,
            } => pb::StarLevelChanged {
                volunteer_id: id(volunteer_id),
                from_level: u32::from(from.get()),
                to_level: u32::from(to.get()),
                approved_minutes: *approved_minutes,
            }
            .encode_to_vec(),
            Ev::CreditsDeposited {
                volunteer_id,
                record_id,
                minutes,
                balance_minutes,
            } => pb::TimeCreditsDeposited {
                volunteer_id: id(volunteer_id),
                record_id: record_id.to_string(),
                minutes: minutes.get(),
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
            Ev::CreditsRedeemed {
                volunteer_id,
                redemption_id,
                minutes,
                category,
                redeemed_on,
                balance_minutes,
            } => pb::TimeCreditsRedeemed {
                volunteer_id: id(volunteer_id),
                redemption_id: redemption_id.to_string(),
                minutes: minutes.get(),
                category: category.to_pb() as i32,
                redeemed_on: Some(date_to_pb(*redeemed_on)),
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
            Ev::CreditsDonated {
                volunteer_id,
                donation_id,
                to,
                minutes,
                balance_minutes,
            } => pb::TimeCreditsDonated {
                volunteer_id: id(volunteer_id),
                donation_id: donation_id.to_string(),
                to_volunteer_id: id(to),
                minutes: minutes.get(),
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
            Ev::CreditsReceived {
                volunteer_id,
                donation_id,
                from,
                minutes,
                balance_minutes,
            } => pb::TimeCreditsReceived {
                volunteer_id: id(volunteer_id),
                donation_id: donation_id.to_string(),
                from_volunteer_id: id(from),
                minutes: minutes.get(),
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
            Ev::CreditsReturned {
                volunteer_id,
                donation_id,
                minutes,
                reason,
                balance_minutes,
            } => pb::TimeCreditsReturned {
                volunteer_id: id(volunteer_id),
                donation_id: donation_id.to_string(),
                minutes: minutes.get(),
                reason: reason.to_string(),
                balance_minutes: *balance_minutes,
            }
            .encode_to_vec(),
        }
    }

    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        use VolunteerEvent as Ev;
        let d = Decoding::new(event_type, schema_version);
        let volunteer = |s: &str| d.field(VolunteerId::parse("volunteer_id", s));
        let record = |s: &str| d.field(RecordId::parse("record_id", s));
        let donation = |s: &str| d.field(DonationId::parse("donation_id", s));
        let minutes = |m: u32| d.field(Minutes::credits("minutes", m));
        let reason = |s: &str| d.field(Reason::parse("reason", s));
        let date = |v, field| d.field(date_from_pb(v, field));
        let event = match event_type {
            "VolunteerRegistered" => {
                let e: pb::VolunteerRegistered = d.message(payload)?;
                let kind = match pb::VolunteerKind::try_from(e.kind) {
                    Ok(pb::VolunteerKind::Resident) => VolunteerKind::Resident(
                        d.field(ResidentId::parse("resident_id", &e.resident_id))?,
                    ),
                    Ok(pb::VolunteerKind::External) => VolunteerKind::External(
                        d.field(Organisation::parse("organisation", &e.organisation))?,
                    ),
                    _ => return Err(d.fail("invalid kind: must be RESIDENT or EXTERNAL")),
                };
                Ev::Registered {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    community: e.community,
                    kind,
                    registered_on: date(e.registered_on, "registered_on")?,
                }
            }
            "VolunteerVerified" => {
                let e: pb::VolunteerVerified = d.message(payload)?;
                Ev::Verified {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    verified_on: date(e.verified_on, "verified_on")?,
                }
            }
            "VolunteerDeactivated" => {
                let e: pb::VolunteerDeactivated = d.message(payload)?;
                Ev::Deactivated {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    reason: reason(&e.reason)?,
                    deactivated_on: date(e.deactivated_on, "deactivated_on")?,
                }
            }
            "HoursSubmitted" => {
                let e: pb::HoursSubmitted = d.message(payload)?;
                Ev::HoursSubmitted {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    record_id: record(&e.record_id)?,
                    service_date: date(e.service_date, "service_date")?,
                    minutes: minutes(e.minutes)?,
                    submitted_on: date(e.submitted_on, "submitted_on")?,
                    opportunity: d.field(optional(&e.opportunity_id, |v| {
                        OpportunityId::parse("opportunity_id", v)
                    }))?,
                }
            }
            "HoursApproved" => {
                let e: pb::HoursApproved = d.message(payload)?;
                Ev::HoursApproved {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    record_id: record(&e.record_id)?,
                    minutes: minutes(e.minutes)?,
                    service_date: date(e.service_date, "service_date")?,
                    submitted_on: date(e.submitted_on, "submitted_on")?,
                    approved_on: date(e.approved_on, "approved_on")?,
                    approved_minutes_total: e.approved_minutes_total,
                }
            }
            "HoursDeclined" => {
                let e: pb::HoursDeclined = d.message(payload)?;
                Ev::HoursDeclined {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    record_id: record(&e.record_id)?,
                    minutes: minutes(e.minutes)?,
                    reason: reason(&e.reason)?,
                    declined_on: date(e.declined_on, "declined_on")?,
                }
            }
            "HoursReversed" => {
                let e: pb::HoursReversed = d.message(payload)?;
                Ev::HoursReversed {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    record_id: record(&e.record_id)?,
                    minutes: minutes(e.minutes)?,
                    service_date: date(e.service_date, "service_date")?,
                    reason: reason(&e.reason)?,
                    reversed_on: date(e.reversed_on, "reversed_on")?,
                    approved_minutes_total: e.approved_minutes_total,
                    credits_withdrawn_minutes: e.credits_withdrawn_minutes,
                    balance_minutes: e.balance_minutes,
                }
            }
            "StarLevelChanged" => {
                let e: pb::StarLevelChanged = d.message(payload)?;
                Ev::StarLevelChanged {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    from: StarLevel::from_stored(e.from_level),
                    to: StarLevel::from_stored(e.to_level),
                    approved_minutes: e.approved_minutes,
                }
            }
            "TimeCreditsDeposited" => {
                let e: pb::TimeCreditsDeposited = d.message(payload)?;
                Ev::CreditsDeposited {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    record_id: record(&e.record_id)?,
                    minutes: minutes(e.minutes)?,
                    balance_minutes: e.balance_minutes,
                }
            }
            "TimeCreditsRedeemed" => {
                let e: pb::TimeCreditsRedeemed = d.message(payload)?;
                Ev::CreditsRedeemed {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    redemption_id: d
                        .field(RedemptionId::parse("redemption_id", &e.redemption_id))?,
                    minutes: minutes(e.minutes)?,
                    category: d.field(ServiceCategory::from_pb(e.category, "category"))?,
                    redeemed_on: date(e.redeemed_on, "redeemed_on")?,
                    balance_minutes: e.balance_minutes,
                }
            }
            "TimeCreditsDonated" => {
                let e: pb::TimeCreditsDonated = d.message(payload)?;
                Ev::CreditsDonated {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    donation_id: donation(&e.donation_id)?,
                    to: d.field(VolunteerId::parse("to_volunteer_id", &e.to_volunteer_id))?,
                    minutes: minutes(e.minutes)?,
                    balance_minutes: e.balance_minutes,
                }
            }
            "TimeCreditsReceived" => {
                let e: pb::TimeCreditsReceived = d.message(payload)?;
                Ev::CreditsReceived {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    donation_id: donation(&e.donation_id)?,
                    from: d.field(VolunteerId::parse(
                        "from_volunteer_id",
                        &e.from_volunteer_id,
                    ))?,
                    minutes: minutes(e.minutes)?,
                    balance_minutes: e.balance_minutes,
                }
            }
            "TimeCreditsReturned" => {
                let e: pb::TimeCreditsReturned = d.message(payload)?;
                Ev::CreditsReturned {
                    volunteer_id: volunteer(&e.volunteer_id)?,
                    donation_id: donation(&e.donation_id)?,
                    minutes: minutes(e.minutes)?,
                    reason: reason(&e.reason)?,
                    balance_minutes: e.balance_minutes,
                }
            }
            _ => return Err(d.unknown("volunteer")),
        };
        Ok(event)
    }
}

#[cfg(test)]
#[path = "volunteer_tests.rs"]
mod tests;
