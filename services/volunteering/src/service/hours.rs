//! Write handlers for service records and the time bank, which live in the volunteer's
//! stream.
//!
//! A donation touches two streams and so two appends. Step 1 appends
//! `TimeCreditsDonated` to the donor under the request's idempotency key; step 2 appends
//! `TimeCreditsReceived` to the recipient under a key derived from the donation id, so
//! running it again never credits twice. A retry of the request with the same
//! idempotency key replays step 1 and completes step 2 if it had not happened. If the
//! recipient refuses in step 2 (deactivated or at its cap since step 1 checked), step 3
//! appends `TimeCreditsReturned` to the donor, again under a derived key.

use civitas_kernel::Idempotency;
use civitas_platform::auth::Caller;
use civitas_platform::command::write_result;
use civitas_proto::convert::date_from_pb;
use civitas_proto::volunteering::v1 as api;

use super::{id, opportunity_target, volunteer_target, Volunteering};
use crate::domain::{
    DonationId, Minutes, OpportunityId, Reason, RecordId, RedemptionId, ServiceCategory, Volunteer,
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
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "SubmitHours", &req)?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let volunteer = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)
                    .map(volunteer_target)?;
                let record_id = id(&req.record_id, "record_id", RecordId::parse)?;
                let service_date = date_from_pb(req.service_date, "service_date")?;
                let minutes = Minutes::served("minutes", req.minutes)?;
                let opportunity = match req.opportunity_id.trim() {
                    "" => None,
                    o => Some(OpportunityId::parse("opportunity_id", o)?),
                };
                let command = VolunteerCommand::SubmitHours {
                    record_id,
                    service_date,
                    minutes,
                    opportunity,
                    today: ctx.today(),
                };
                let community = &ctx.org().community;
                if let Some(o) = opportunity {
                    let opportunity = opportunity_target(o);
                    self.shell.require_in(&opportunity, community).await?;
                }
                self.shell.require_in(&volunteer, community).await?;
                self.shell
                    .run::<Volunteer, ServiceError>(&volunteer.stream_id, ctx, command)
                    .await?
            }
        };
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
        let outcome = self
            .on_volunteer(
                caller,
                "ApproveHours",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| {
                    Ok(VolunteerCommand::ApproveHours {
                        record_id: id(&req.record_id, "record_id", RecordId::parse)?,
                        today: ctx.today(),
                    })
                },
            )
            .await?;
        let state = self.state_of::<Volunteer>(&outcome.stream_id).await?;
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
        let outcome = self
            .on_volunteer(
                caller,
                "DeclineHours",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| {
                    Ok(VolunteerCommand::DeclineHours {
                        record_id: id(&req.record_id, "record_id", RecordId::parse)?,
                        reason: Reason::parse("reason", &req.reason)?,
                        today: ctx.today(),
                    })
                },
            )
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
        let outcome = self
            .on_volunteer(
                caller,
                "ReverseHours",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| {
                    Ok(VolunteerCommand::ReverseHours {
                        record_id: id(&req.record_id, "record_id", RecordId::parse)?,
                        reason: Reason::parse("reason", &req.reason)?,
                        today: ctx.today(),
                    })
                },
            )
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
        let outcome = self
            .on_volunteer(
                caller,
                "DepositTimeCredits",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |_| {
                    Ok(VolunteerCommand::DepositCredits {
                        record_id: id(&req.record_id, "record_id", RecordId::parse)?,
                    })
                },
            )
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
        let outcome = self
            .on_volunteer(
                caller,
                "RedeemTimeCredits",
                req.options.as_ref(),
                &req,
                &req.volunteer_id,
                |ctx| {
                    Ok(VolunteerCommand::RedeemCredits {
                        redemption_id: id(
                            &req.redemption_id,
                            "redemption_id",
                            RedemptionId::parse,
                        )?,
                        minutes: Minutes::credits("minutes", req.minutes)?,
                        category: ServiceCategory::from_pb(req.category, "category")?,
                        today: ctx.today(),
                    })
                },
            )
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
        let ctx = self
            .shell
            .begin(caller, "", req.options.as_ref(), "DonateTimeCredits", &req)?;
        let donor = id(&req.volunteer_id, "volunteer_id", VolunteerId::parse)?;
        let donation_id = id(&req.donation_id, "donation_id", DonationId::parse)?;
        let to = id(&req.to_volunteer_id, "to_volunteer_id", VolunteerId::parse)?;
        let minutes = Minutes::credits("minutes", req.minutes)?;
        let community = ctx.org().community.clone();
        let derived = |step: &str| {
            let mut derived = ctx.clone();
            derived.command.idempotency = Some(Idempotency {
                key: format!("{community}/donation/{donation_id}/{step}"),
                fingerprint: format!("{step} {donor} {to} {}", minutes.get()),
            });
            derived.command.expected_version = None;
            derived
        };
        // Without a client key, step 1 is keyed by the donation itself: a retry after
        // step 2 failed (a store error, a crash between the two appends) then replays
        // the debit and completes the credit, instead of being refused as a donation
        // already made while the credits are nowhere.
        let debit = match ctx.command.idempotency {
            Some(_) => ctx.clone(),
            None => {
                let mut keyed = derived("donated");
                keyed.command.expected_version = ctx.command.expected_version;
                keyed
            }
        };
        let replayed = self.shell.replayed(&debit).await?;

        // Step 1: debit the donor.
        let donated = match replayed {
            Some(replayed) => replayed,
            None => {
                let recorded = self
                    .shell
                    .require_in(&volunteer_target(donor), &community)
                    .await?;
                let command = VolunteerCommand::DonateCredits {
                    donation_id,
                    recipient: self.volunteer_facts(to, &community).await?,
                    minutes,
                };
                self.shell
                    .run_on::<Volunteer, ServiceError>(&donor.stream_id(), recorded, debit, command)
                    .await?
            }
        };
        if donated.replayed {
            // A retry must not credit a donation that was already handed back.
            let state = self.state_of::<Volunteer>(&donor.stream_id()).await?;
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
        };
        match self
            .shell
            .run::<Volunteer, ServiceError>(&to.stream_id(), derived("received"), receive)
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
                let give_back = VolunteerCommand::ReturnDonation {
                    donation_id,
                    reason,
                };
                self.shell
                    .run::<Volunteer, ServiceError>(
                        &donor.stream_id(),
                        derived("returned"),
                        give_back,
                    )
                    .await?;
                Err(refusal.as_recipient().into())
            }
            Err(other) => {
                tracing::warn!(donation = %donation_id, error = %other, "donation debited but not credited yet; retrying the request completes it");
                Err(other)
            }
        }
    }
}
