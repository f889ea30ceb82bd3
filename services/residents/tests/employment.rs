//! Re-employment cases over gRPC: one per resident, helped, placed, registered again,
//! with the codes and fields of every refusal.

mod support;

use chrono::{Duration, Utc};
use civitas_platform::command::district_day;
use civitas_proto::common::v1::Date;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::{CaseClosure, JobSeekerKind};
use civitas_proto::residents::v1 as api;
use tonic::Code;

use support::{assert_invalid, assert_rule, Running};

fn day(offset: i64) -> Option<Date> {
    Some(date_to_pb(
        district_day(Utc::now()) + Duration::days(offset),
    ))
}

#[tokio::test]
async fn a_case_is_opened_helped_placed_and_opened_again() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident) = running.resident(&mut staff).await;
    let register = || api::RegisterJobSeekerRequest {
        resident_id: resident.clone(),
        kind: JobSeekerKind::LaidOff as i32,
        ..Default::default()
    };
    let case_id = staff
        .register_job_seeker(register())
        .await
        .expect("registered")
        .into_inner()
        .case_id;
    assert_eq!(case_id.len(), 36);
    let again = staff
        .register_job_seeker(register())
        .await
        .expect_err("open");
    assert_rule(&again, "resident_id");

    let training = |on: i64| api::RecordJobTrainingRequest {
        resident_id: resident.clone(),
        course: "家政服务培训".into(),
        attended_on: day(on),
        ..Default::default()
    };
    staff
        .record_job_training(training(0))
        .await
        .expect("training");
    let early = staff
        .record_job_training(training(-1))
        .await
        .expect_err("before the case");
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    let future = staff
        .record_job_training(training(1))
        .await
        .expect_err("tomorrow");
    assert_invalid(&future, "attended_on");
    staff
        .record_job_referral(api::RecordJobReferralRequest {
            resident_id: resident.clone(),
            referred_on: day(0),
            ..Default::default()
        })
        .await
        .expect("referral");
    staff
        .record_placement(api::RecordPlacementRequest {
            resident_id: resident.clone(),
            placed_on: day(0),
            ..Default::default()
        })
        .await
        .expect("placed");
    let closed = staff
        .close_job_seeker_case(api::CloseJobSeekerCaseRequest {
            resident_id: resident.clone(),
            reason: CaseClosure::Other as i32,
            ..Default::default()
        })
        .await
        .expect_err("placed already closed it");
    assert_rule(&closed, "resident_id");
    // The same case opens again for a new spell of unemployment.
    let reopened = staff
        .register_job_seeker(register())
        .await
        .expect("registered again")
        .into_inner();
    assert_eq!(reopened.case_id, case_id);
}

#[tokio::test]
async fn refusals_name_the_field() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident) = running.resident(&mut staff).await;
    let no_kind = staff
        .register_job_seeker(api::RegisterJobSeekerRequest {
            resident_id: resident.clone(),
            ..Default::default()
        })
        .await
        .expect_err("no kind");
    assert_invalid(&no_kind, "kind");
    let no_case = staff
        .record_placement(api::RecordPlacementRequest {
            resident_id: resident.clone(),
            placed_on: day(0),
            ..Default::default()
        })
        .await
        .expect_err("no case");
    assert_eq!(no_case.code(), Code::NotFound, "{no_case:?}");
    let nobody = staff
        .register_job_seeker(api::RegisterJobSeekerRequest {
            resident_id: uuid::Uuid::now_v7().to_string(),
            kind: JobSeekerKind::RegisteredUnemployed as i32,
            ..Default::default()
        })
        .await
        .expect_err("nobody");
    assert_eq!(nobody.code(), Code::NotFound, "{nobody:?}");
}
