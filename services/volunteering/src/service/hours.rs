//! Write handlers for service records and the time bank, which live in the volunteer's
//! stream: each parse → load facts → decide → append.
//!
//! A donation touches two streams and so two appends. Step 1 appends
//! `TimeCreditsDonated` to the donor under the request's idempotency key; step 2 appends
//! `TimeCreditsReceived` to the recipient under a key derived from the donation id, so
//! running it again never credits twice. A retry of the request with the same
//! idempotency key replays step 1 and completes step 2 if it had not happened. If the
//! recipient refuses in step 2 (deactivated or at its cap since step 1 checked), step 3
//! appends `TimeCreditsReturned` to the donor, again under a derived key.

use civitas_kernel::command::load;
use civitas_kernel::{AppendOutcome, CommandContext, Idempotency};
use civitas_platform::auth::Caller;
use civitas_platform::command::write_result;
use civitas_proto::volunteering::v1 as api;

use super::commands::id;
use super::Volunteering;
use crate::convert::{category_from_pb, date_from_pb};
use crate::domain::{
    DonationId, Minutes, OpportunityId, Reason, RecordId, RedemptionId, Volunteer,
    VolunteerCommand, VolunteerError, VolunteerId,
};
use crate::error::ServiceError;

impl Volunteering {
    /// Submits minutes served on a day (at most 24 h a day per volunteer).
    pub async fn submit_hours(
        &self,
        caller: &Caller,
        req: api::SubmitHoursRequest,
    ) -> Result<api::SubmitHoursResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "SubmitHours", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let record_id = id(&req.record_id, "record_id", RecordId::parse)?;
        let service_date = date_from_pb(req.service_date, "service_date")?;
        let minutes = Minutes::served("minutes", req.minutes)?;
        let opportunity = match req.opportunity_id.trim() {
            "" => None,
            o => {
                let o = OpportunityId::parse("opportunity_id", o)?;
                self.require_in("opportunity", &o.stream_id(), &o, &org.community)
                    .await?;
                Some(o)
            }
        };
        let command = VolunteerCommand::SubmitHours {
            record_id,
            service_date,
            minutes,
            opportunity,
            today: meta.today(),
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        Ok(api::SubmitHoursResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Approves a submitted record; answers the star level after it.
    pub async fn approve_hours(
        &self,
        caller: &Caller,
        req: api::ApproveHoursRequest,
    ) -> Result<api::ApproveHoursResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "ApproveHours", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let command = VolunteerCommand::ApproveHours {
            record_id: id(&req.record_id, "record_id", RecordId::parse)?,
            today: meta.today(),
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        let state = load::<Volunteer>(&*self.store, &volunteer_id.stream_id())
            .await?
            .state;
        Ok(api::ApproveHoursResponse {
            result: Some(write_result(&outcome)),
            star_level: u32::from(state.star_level.get()),
        })
    }

    pub async fn decline_hours(
        &self,
        caller: &Caller,
        req: api::DeclineHoursRequest,
    ) -> Result<api::DeclineHoursResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "DeclineHours", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let command = VolunteerCommand::DeclineHours {
            record_id: id(&req.record_id, "record_id", RecordId::parse)?,
            reason: Reason::parse("reason", &req.reason)?,
            today: meta.today(),
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        Ok(api::DeclineHoursResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Reverses an approved record; the correction is then a new submission.
    pub async fn reverse_hours(
        &self,
        caller: &Caller,
        req: api::ReverseHoursRequest,
    ) -> Result<api::ReverseHoursResponse, ServiceError> {
        let (org, meta) = self.begin(caller, "", req.options.as_ref(), "ReverseHours", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let command = VolunteerCommand::ReverseHours {
            record_id: id(&req.record_id, "record_id", RecordId::parse)?,
            reason: Reason::parse("reason", &req.reason)?,
            today: meta.today(),
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        Ok(api::ReverseHoursResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Deposits an approved record's minutes as time credits, within the cap.
    pub async fn deposit_time_credits(
        &self,
        caller: &Caller,
        req: api::DepositTimeCreditsRequest,
    ) -> Result<api::DepositTimeCreditsResponse, ServiceError> {
        let (org, meta) =
            self.begin(caller, "", req.options.as_ref(), "DepositTimeCredits", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let command = VolunteerCommand::DepositCredits {
            record_id: id(&req.record_id, "record_id", RecordId::parse)?,
            cap_minutes: self.config.time_bank_cap_minutes,
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        Ok(api::DepositTimeCreditsResponse {
            result: Some(write_result(&outcome)),
        })
    }

    pub async fn redeem_time_credits(
        &self,
        caller: &Caller,
        req: api::RedeemTimeCreditsRequest,
    ) -> Result<api::RedeemTimeCreditsResponse, ServiceError> {
        let (org, meta) =
            self.begin(caller, "", req.options.as_ref(), "RedeemTimeCredits", &req)?;
        let volunteer_id = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let command = VolunteerCommand::RedeemCredits {
            redemption_id: id(&req.redemption_id, "redemption_id", RedemptionId::parse)?,
            minutes: Minutes::credits("minutes", req.minutes)?,
            category: category_from_pb(req.category, "category")?,
            today: meta.today(),
        };
        let outcome = self
            .on_volunteer(volunteer_id, &org.community, meta.command, command)
            .await?;
        Ok(api::RedeemTimeCreditsResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Donates credits to another volunteer of the community (see the module docs).
    pub async fn donate_time_credits(
        &self,
        caller: &Caller,
        req: api::DonateTimeCreditsRequest,
    ) -> Result<api::DonateTimeCreditsResponse, ServiceError> {
        let (org, meta) =
            self.begin(caller, "", req.options.as_ref(), "DonateTimeCredits", &req)?;
        let donor = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let donation_id = id(&req.donation_id, "donation_id", DonationId::parse)?;
        let to = id(&req.to_volunteer_id, "to_volunteer_id", VolunteerId::parse)?;
        let minutes = Minutes::credits("minutes", req.minutes)?;
        self.require_in("volunteer", &donor.stream_id(), &donor, &org.community)
            .await?;
        let recipient = self.volunteer_facts(to, &org.community).await?;
        let cap_minutes = self.config.time_bank_cap_minutes;
        let derived = |step: &str| CommandContext {
            idempotency: Some(Idempotency {
                key: format!("{}/donation/{donation_id}/{step}", org.community),
                fingerprint: format!("{step} {donor} {to} {}", minutes.get()),
            }),
            expected_version: None,
            ..meta.command.clone()
        };

        // Step 1: debit the donor.
        let donated = self
            .run::<Volunteer>(
                &donor.stream_id(),
                meta.command.clone(),
                VolunteerCommand::DonateCredits {
                    donation_id,
                    recipient,
                    minutes,
                    cap_minutes,
                },
            )
            .await?;
        if donated.replayed {
            // A retry must not credit a donation that was already handed back.
            let state = load::<Volunteer>(&*self.store, &donor.stream_id())
                .await?
                .state;
            if state
                .donations_made
                .get(&donation_id)
                .is_some_and(|d| d.returned)
            {
                return Err(VolunteerError::DonationAlreadyReturned.into());
            }
        }

        // Step 2: credit the recipient, at most once per donation.
        let receive = VolunteerCommand::ReceiveCredits {
            donation_id,
            from: donor,
            minutes,
            cap_minutes,
        };
        match self
            .run::<Volunteer>(&to.stream_id(), derived("received"), receive)
            .await
        {
            Ok(received) => Ok(api::DonateTimeCreditsResponse {
                result: Some(write_result(&donated)),
                recipient_result: Some(write_result(&received)),
            }),
            Err(ServiceError::Volunteer(refusal)) => {
                // Step 3: the recipient refused after all; hand the credits back.
                tracing::warn!(donation = %donation_id, %refusal, "donation refused by recipient, returning credits");
                let reason = Reason::parse("reason", &format!("recipient refused: {refusal}"))?;
                self.run::<Volunteer>(
                    &donor.stream_id(),
                    derived("returned"),
                    VolunteerCommand::ReturnDonation {
                        donation_id,
                        reason,
                    },
                )
                .await?;
                Err(recipient_refusal(refusal).into())
            }
            Err(other) => Err(other),
        }
    }

    /// Runs a command on a volunteer of `community`.
    async fn on_volunteer(
        &self,
        volunteer_id: VolunteerId,
        community: &str,
        context: CommandContext,
        command: VolunteerCommand,
    ) -> Result<AppendOutcome, ServiceError> {
        let stream = volunteer_id.stream_id();
        self.require_in("volunteer", &stream, &volunteer_id, community)
            .await?;
        self.run::<Volunteer>(&stream, context, command).await
    }
}

/// The recipient's own refusal, told from the donor's side.
fn recipient_refusal(refusal: VolunteerError) -> VolunteerError {
    match refusal {
        VolunteerError::CapExceeded => VolunteerError::RecipientCapExceeded,
        VolunteerError::Deactivated => VolunteerError::RecipientInactive,
        VolunteerError::NotRegistered => VolunteerError::RecipientNotFound,
        other => other,
    }
}
