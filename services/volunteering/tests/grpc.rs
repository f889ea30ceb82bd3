//! The volunteering service end to end over gRPC: main flows and refusals with their
//! codes and the fields they name.

mod support;

use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1::{VolunteerKind, VolunteerServiceCategory as Category};
use civitas_proto::volunteering::v1 as api;
use civitas_volunteering::VolunteeringConfig;
use support::*;
use tonic::Code;

#[tokio::test]
async fn volunteers_register_verify_and_deactivate() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;

    let resident = uuid();
    let v = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            resident_id: resident.clone(),
            community: "xingfu".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.result.as_ref().unwrap().version, 1);
    let external = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            organisation: "东南大学".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .volunteer_id;

    staff
        .verify_volunteer(api::VerifyVolunteerRequest {
            volunteer_id: v.volunteer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let got = get(&mut staff, &v.volunteer_id).await;
    assert_eq!(got.kind, VolunteerKind::Resident as i32);
    assert_eq!(got.resident_id, resident);
    assert_eq!(got.status, api::VolunteerStatus::Verified as i32);
    assert_eq!(got.org.unwrap().street, "huafeng");
    assert_eq!(got.version, 2);
    let got = get(&mut staff, &external).await;
    assert_eq!(
        (got.kind, got.organisation.as_str()),
        (VolunteerKind::External as i32, "东南大学")
    );

    let err = staff
        .verify_volunteer(api::VerifyVolunteerRequest {
            volunteer_id: v.volunteer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_rule(&err, None);

    let err = staff
        .deactivate_volunteer(api::DeactivateVolunteerRequest {
            volunteer_id: external.clone(),
            reason: " ".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "reason");
    staff
        .deactivate_volunteer(api::DeactivateVolunteerRequest {
            volunteer_id: external.clone(),
            reason: "semester over".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        get(&mut staff, &external).await.status,
        api::VolunteerStatus::Deactivated as i32
    );
}

#[tokio::test]
async fn registration_refusals_name_the_field() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let register = |resident_id: &str, organisation: &str| api::RegisterVolunteerRequest {
        resident_id: resident_id.into(),
        organisation: organisation.into(),
        ..Default::default()
    };
    let err = staff
        .register_volunteer(register("", ""))
        .await
        .unwrap_err();
    assert_invalid(&err, "resident_id");
    let err = staff
        .register_volunteer(register(&uuid(), "东南大学"))
        .await
        .unwrap_err();
    assert_invalid(&err, "organisation");
    let err = staff
        .register_volunteer(register("not-a-uuid", ""))
        .await
        .unwrap_err();
    assert_invalid(&err, "resident_id");
    let err = staff
        .verify_volunteer(api::VerifyVolunteerRequest {
            volunteer_id: uuid(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn idempotency_keys_replay_and_expected_versions_conflict() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let request = api::RegisterVolunteerRequest {
        options: key("register-1"),
        resident_id: uuid(),
        ..Default::default()
    };
    let first = staff
        .register_volunteer(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = staff
        .register_volunteer(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.volunteer_id, first.volunteer_id);
    assert!(again.result.unwrap().replayed);

    let err = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            options: key("register-1"),
            resident_id: uuid(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "options.idempotency_key");

    let err = staff
        .verify_volunteer(api::VerifyVolunteerRequest {
            options: Some(WriteOptions {
                idempotency_key: String::new(),
                expected_version: Some(7),
            }),
            volunteer_id: first.volunteer_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
}

#[tokio::test]
async fn hours_are_submitted_limited_approved_and_earn_stars() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&mut staff).await;

    let submit = |record_id: &str, service_date, minutes| api::SubmitHoursRequest {
        volunteer_id: v.clone(),
        record_id: record_id.into(),
        service_date,
        minutes,
        ..Default::default()
    };
    let err = staff
        .submit_hours(submit(&uuid(), past_day(1), 0))
        .await
        .unwrap_err();
    assert_invalid(&err, "minutes");
    let err = staff
        .submit_hours(submit(&uuid(), past_day(-3), 60))
        .await
        .unwrap_err();
    assert_rule(&err, Some("service_date"));
    let err = staff
        .submit_hours(submit(&uuid(), None, 60))
        .await
        .unwrap_err();
    assert_invalid(&err, "service_date");

    // 24 hours a day at most, counting submitted and approved minutes.
    let first = submit_ok(&mut staff, submit(&uuid(), past_day(1), 1000)).await;
    let err = staff
        .submit_hours(submit(&uuid(), past_day(1), 441))
        .await
        .unwrap_err();
    assert_rule(&err, Some("minutes"));
    submit_ok(&mut staff, submit(&uuid(), past_day(1), 440)).await;
    let err = staff
        .submit_hours(submit(&first, past_day(2), 10))
        .await
        .unwrap_err();
    assert_rule(&err, Some("record_id"));

    let pending = get(&mut staff, &v).await.pending_records;
    assert_eq!(pending.len(), 2);

    // Decline needs a reason; only a submitted record can be approved.
    let err = staff
        .decline_hours(api::DeclineHoursRequest {
            volunteer_id: v.clone(),
            record_id: first.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "reason");
    let approve = |record_id: &str| api::ApproveHoursRequest {
        volunteer_id: v.clone(),
        record_id: record_id.into(),
        ..Default::default()
    };
    staff.approve_hours(approve(&first)).await.unwrap();
    let err = staff.approve_hours(approve(&first)).await.unwrap_err();
    assert_rule(&err, Some("record_id"));
    let err = staff.approve_hours(approve(&uuid())).await.unwrap_err();
    assert_rule(&err, Some("record_id"));

    // 1000 + 4 × 1250 = 6000 approved minutes = 100 h: the first star.
    let mut star = 0;
    for day in 2..6 {
        star = approved(&mut staff, &v, day, 1250).await.1;
    }
    assert_eq!(star, 1);
    let got = get(&mut staff, &v).await;
    assert_eq!((got.approved_minutes, got.star_level), (6000, 1));
    assert_eq!(got.pending_records.len(), 1);

    // A reversal below 100 h takes the star back; the correction is a new entry.
    staff
        .reverse_hours(api::ReverseHoursRequest {
            volunteer_id: v.clone(),
            record_id: first.clone(),
            reason: "was 100 minutes".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let got = get(&mut staff, &v).await;
    assert_eq!((got.approved_minutes, got.star_level), (5000, 0));
    let err = staff
        .reverse_hours(api::ReverseHoursRequest {
            volunteer_id: v.clone(),
            record_id: first,
            reason: "again".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("record_id"));
}

async fn submit_ok(client: &mut Client, request: api::SubmitHoursRequest) -> String {
    let record_id = request.record_id.clone();
    client.submit_hours(request).await.expect("submit hours");
    record_id
}

#[tokio::test]
async fn time_bank_deposits_redeems_and_donates_within_the_cap() {
    let server = Server::start_with(VolunteeringConfig {
        time_bank_cap_minutes: 1000,
    })
    .await;
    let mut staff = server.staff("xingfu").await;
    let donor = register_resident(&mut staff).await;
    let recipient = register_resident(&mut staff).await;
    let (r1, _) = approved(&mut staff, &donor, 1, 600).await;
    let (r2, _) = approved(&mut staff, &donor, 2, 600).await;
    let deposit = |v: &str, record_id: &str| api::DepositTimeCreditsRequest {
        volunteer_id: v.into(),
        record_id: record_id.into(),
        ..Default::default()
    };
    staff
        .deposit_time_credits(deposit(&donor, &r1))
        .await
        .unwrap();
    let err = staff
        .deposit_time_credits(deposit(&donor, &r1))
        .await
        .unwrap_err();
    assert_rule(&err, Some("record_id"));
    let err = staff
        .deposit_time_credits(deposit(&donor, &r2))
        .await
        .unwrap_err();
    assert_rule(&err, None); // 1200 > the 1000-minute cap
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 600);

    let redeem = |minutes| api::RedeemTimeCreditsRequest {
        volunteer_id: donor.clone(),
        redemption_id: uuid(),
        minutes,
        category: Category::Housekeeping as i32,
        ..Default::default()
    };
    let err = staff.redeem_time_credits(redeem(601)).await.unwrap_err();
    assert_rule(&err, Some("minutes"));
    let err = staff
        .redeem_time_credits(api::RedeemTimeCreditsRequest {
            category: 0,
            ..redeem(1)
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "category");
    staff.redeem_time_credits(redeem(100)).await.unwrap();

    // Donation: debit the donor, credit the recipient; a retry changes nothing.
    let donation = api::DonateTimeCreditsRequest {
        options: key("donate-1"),
        volunteer_id: donor.clone(),
        donation_id: uuid(),
        to_volunteer_id: recipient.clone(),
        minutes: 200,
    };
    let done = staff
        .donate_time_credits(donation.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(!done.recipient_result.unwrap().replayed);
    let again = staff
        .donate_time_credits(donation.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(again.result.unwrap().replayed);
    assert!(again.recipient_result.unwrap().replayed);
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 300);
    assert_eq!(get(&mut staff, &recipient).await.balance_minutes, 200);

    let err = staff
        .donate_time_credits(api::DonateTimeCreditsRequest {
            options: None,
            ..donation.clone()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("donation_id"));
    let err = staff
        .donate_time_credits(api::DonateTimeCreditsRequest {
            options: None,
            donation_id: uuid(),
            to_volunteer_id: donor.clone(),
            ..donation.clone()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("to_volunteer_id"));
    let err = staff
        .donate_time_credits(api::DonateTimeCreditsRequest {
            options: None,
            donation_id: uuid(),
            to_volunteer_id: uuid(),
            ..donation
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn a_donation_over_the_recipients_cap_is_refused() {
    let server = Server::start_with(VolunteeringConfig {
        time_bank_cap_minutes: 700,
    })
    .await;
    let mut staff = server.staff("xingfu").await;
    let donor = register_resident(&mut staff).await;
    let recipient = register_resident(&mut staff).await;
    for v in [&donor, &recipient] {
        let (record_id, _) = approved(&mut staff, v, 1, 600).await;
        staff
            .deposit_time_credits(api::DepositTimeCreditsRequest {
                volunteer_id: v.clone(),
                record_id,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let err = staff
        .donate_time_credits(api::DonateTimeCreditsRequest {
            volunteer_id: donor.clone(),
            donation_id: uuid(),
            to_volunteer_id: recipient.clone(),
            minutes: 101,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("minutes"));
    assert_eq!(get(&mut staff, &donor).await.balance_minutes, 600);
    assert_eq!(get(&mut staff, &recipient).await.balance_minutes, 600);
}

#[tokio::test]
async fn teams_take_active_volunteers_of_the_community_once() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let team = form_team(&mut staff).await;
    let v = register_resident(&mut staff).await;
    let add = |volunteer_id: &str| api::AddTeamMemberRequest {
        team_id: team.clone(),
        volunteer_id: volunteer_id.into(),
        ..Default::default()
    };
    staff.add_team_member(add(&v)).await.unwrap();
    let err = staff.add_team_member(add(&v)).await.unwrap_err();
    assert_rule(&err, Some("volunteer_id"));
    let err = staff.add_team_member(add(&uuid())).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = staff.add_team_member(add("")).await.unwrap_err();
    assert_invalid(&err, "volunteer_id");

    let err = staff
        .form_team(api::FormTeamRequest {
            name: "repairs".into(),
            purpose: "computer repair".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "category");

    let got = staff
        .get_team(api::GetTeamRequest {
            team_id: team.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap();
    assert_eq!(got.member_ids, std::slice::from_ref(&v));
    staff
        .remove_team_member(api::RemoveTeamMemberRequest {
            team_id: team.clone(),
            volunteer_id: v.clone(),
            reason: "moved away".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = staff
        .remove_team_member(api::RemoveTeamMemberRequest {
            team_id: team,
            volunteer_id: v,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("volunteer_id"));
}

#[tokio::test]
async fn opportunities_fill_spots_and_record_attendance() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let publish_req = |spots, starts, ends| api::PublishOpportunityRequest {
        title: "楼道清扫".into(),
        role: "cleaner".into(),
        category: Category::StairwellCleaning as i32,
        spots,
        starts_at: timestamp_in(starts),
        ends_at: timestamp_in(ends),
        ..Default::default()
    };
    let err = staff
        .publish_opportunity(publish_req(0, 1, 2))
        .await
        .unwrap_err();
    assert_invalid(&err, "spots");
    let err = staff
        .publish_opportunity(publish_req(1, 2, 1))
        .await
        .unwrap_err();
    assert_invalid(&err, "ends_at");
    let err = staff
        .publish_opportunity(api::PublishOpportunityRequest {
            team_id: uuid(),
            ..publish_req(1, 1, 2)
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let team = form_team(&mut staff).await;
    staff
        .publish_opportunity(api::PublishOpportunityRequest {
            team_id: team,
            ..publish_req(1, 1, 2)
        })
        .await
        .unwrap();

    let o = publish(&mut staff, 1).await;
    let (a, b) = (
        register_resident(&mut staff).await,
        register_resident(&mut staff).await,
    );
    let assign = |v: &str| api::AssignVolunteerRequest {
        opportunity_id: o.clone(),
        volunteer_id: v.into(),
        self_sign_up: true,
        ..Default::default()
    };
    staff.assign_volunteer(assign(&a)).await.unwrap();
    let err = staff.assign_volunteer(assign(&a)).await.unwrap_err();
    assert_rule(&err, Some("volunteer_id"));
    let err = staff.assign_volunteer(assign(&b)).await.unwrap_err();
    assert_rule(&err, None); // no spots left

    let check_out = |at| api::CheckOutVolunteerRequest {
        opportunity_id: o.clone(),
        volunteer_id: a.clone(),
        at,
        ..Default::default()
    };
    let err = staff
        .check_out_volunteer(check_out(timestamp_in(26)))
        .await
        .unwrap_err();
    assert_rule(&err, Some("volunteer_id")); // not checked in
    staff
        .check_in_volunteer(api::CheckInVolunteerRequest {
            opportunity_id: o.clone(),
            volunteer_id: a.clone(),
            at: timestamp_in(24),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = staff
        .check_out_volunteer(check_out(timestamp_in(23)))
        .await
        .unwrap_err();
    assert_rule(&err, Some("at"));
    staff
        .check_out_volunteer(check_out(timestamp_in(26)))
        .await
        .unwrap();
    let err = staff
        .cancel_assignment(api::CancelAssignmentRequest {
            opportunity_id: o.clone(),
            volunteer_id: b.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("volunteer_id"));

    let got = staff
        .get_opportunity(api::GetOpportunityRequest {
            opportunity_id: o.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .opportunity
        .unwrap();
    assert_eq!((got.spots, got.spots_taken), (1, 1));
    assert_eq!(got.assignments.len(), 1);
    assert_eq!(
        got.assignments[0].status,
        api::AssignmentStatus::CheckedOut as i32
    );
    assert!(got.assignments[0].self_sign_up);

    // Hours can name the opportunity they were served for.
    staff
        .submit_hours(api::SubmitHoursRequest {
            volunteer_id: a,
            record_id: uuid(),
            service_date: past_day(0),
            minutes: 120,
            opportunity_id: o,
            ..Default::default()
        })
        .await
        .unwrap();
    let err = staff
        .get_opportunity(api::GetOpportunityRequest {
            opportunity_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn district_offices_read_below_them_and_others_do_not() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&mut staff).await;
    let mut district = server
        .client(Some(
            server.token(civitas_platform::auth::Role::District, "gulou"),
        ))
        .await;
    assert_eq!(get(&mut district, &v).await.volunteer_id, v);
    let mut other_street = server
        .client(Some(
            server.token(civitas_platform::auth::Role::District, "dongjie"),
        ))
        .await;
    let err = other_street
        .get_volunteer(api::GetVolunteerRequest { volunteer_id: v })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
