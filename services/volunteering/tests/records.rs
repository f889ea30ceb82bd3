//! Service records and the time bank over gRPC: the daily limit, approval and stars,
//! deposits, redemptions, donations and the cap, with the codes and fields refusals name.

mod support;

use civitas_proto::events::v1::VolunteerServiceCategory as Category;
use civitas_proto::volunteering::v1 as api;
use civitas_volunteering::domain::TIME_BANK_CAP_MINUTES;
use support::*;
use tonic::Code;

#[tokio::test]
async fn hours_are_submitted_limited_approved_and_earn_stars() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&server.residents, &mut staff, "xingfu").await;

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
    assert_invalid(&err, "service_date");
    assert_eq!(
        err.message(),
        "invalid service_date: must not be in the future"
    );
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
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let donor = register_resident(&server.residents, &mut staff, "xingfu").await;
    let recipient = register_resident(&server.residents, &mut staff, "xingfu").await;
    let (r1, _) = approved(&mut staff, &donor, 1, 600).await;
    staff
        .deposit_time_credits(deposit(&donor, &r1))
        .await
        .unwrap();
    let err = staff
        .deposit_time_credits(deposit(&donor, &r1))
        .await
        .unwrap_err();
    assert_rule(&err, Some("record_id"));
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
async fn deposits_and_donations_over_the_cap_are_refused() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let donor = register_resident(&server.residents, &mut staff, "xingfu").await;
    let recipient = register_resident(&server.residents, &mut staff, "xingfu").await;
    fill_time_bank(&mut staff, &donor, 600).await;
    fill_time_bank(&mut staff, &recipient, TIME_BANK_CAP_MINUTES - 100).await;

    let (record_id, _) = approved(&mut staff, &recipient, 1, 101).await;
    let err = staff
        .deposit_time_credits(deposit(&recipient, &record_id))
        .await
        .unwrap_err();
    assert_rule(&err, None);
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
    assert_eq!(
        get(&mut staff, &recipient).await.balance_minutes,
        TIME_BANK_CAP_MINUTES - 100
    );
}
