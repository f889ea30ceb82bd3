//! Every write RPC of `civitas.activities.v1.ActivitiesService`, enumerated from the
//! descriptor set, refuses staff of another community; other roles cannot write, and
//! nobody gets in without a token. A new write RPC without a case here fails the test.

mod support;

use chrono::{Duration, Utc};
use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::timestamp;
use civitas_proto::events::v1::{ActivityCategory, FacilityType, FundSource};
use prost::Message;
use support::{expect_code, last_month, today, Aggregates, Client, TestApp, RESIDENT};
use tonic::{Code, Status};

const SERVICE: &str = "civitas.activities.v1.ActivitiesService";

/// The service's write RPCs: every method not starting with Get or List.
fn write_rpcs() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(civitas_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let service = set
        .file
        .iter()
        .filter(|f| f.package() == "civitas.activities.v1")
        .flat_map(|f| f.service.iter())
        .find(|s| format!("civitas.activities.v1.{}", s.name()) == SERVICE)
        .expect("ActivitiesService in the descriptor set");
    service
        .method
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|name| !name.starts_with("Get") && !name.starts_with("List"))
        .collect()
}

/// Runs `rpc` as `client` against xingfu's aggregates, or by naming xingfu in the body;
/// `None` when the RPC has no case yet. Requests are otherwise valid, so only the scope
/// can refuse them.
async fn cross_community(
    rpc: &str,
    client: &mut Client,
    x: &Aggregates,
) -> Option<Result<(), Status>> {
    let xingfu = || "xingfu".to_owned();
    let now = Utc::now();
    let result = match rpc {
        "AddPlannedItem" => client
            .add_planned_item(api::AddPlannedItemRequest {
                options: None,
                year: x.year,
                month: 6,
                category: ActivityCategory::FilmScreening as i32,
                title: "film".into(),
                target_participants: 10,
                community: xingfu(),
            })
            .await
            .map(drop),
        "PublishAnnualPlan" => client
            .publish_annual_plan(api::PublishAnnualPlanRequest {
                options: None,
                year: x.year,
                community: xingfu(),
            })
            .await
            .map(drop),
        "AmendAnnualPlan" => client
            .amend_annual_plan(api::AmendAnnualPlanRequest {
                options: None,
                year: x.year,
                reason: "takeover".into(),
                community: xingfu(),
            })
            .await
            .map(drop),
        "ScheduleActivity" => client
            .schedule_activity(api::ScheduleActivityRequest {
                category: ActivityCategory::Other as i32,
                title: "t".into(),
                venue: "v".into(),
                starts_at: Some(timestamp(now)),
                ends_at: Some(timestamp(now + Duration::hours(1))),
                capacity: 5,
                community: xingfu(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RegisterParticipant" => client
            .register_participant(api::RegisterParticipantRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                resident_id: uuid::Uuid::now_v7().to_string(),
            })
            .await
            .map(drop),
        "CancelRegistration" => client
            .cancel_registration(api::CancelRegistrationRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                resident_id: RESIDENT.into(),
            })
            .await
            .map(drop),
        "CheckInParticipant" => client
            .check_in_participant(api::CheckInParticipantRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                resident_id: RESIDENT.into(),
                walk_in: false,
            })
            .await
            .map(drop),
        "CloseActivity" => client
            .close_activity(api::CloseActivityRequest {
                activity_id: x.activity_id.clone(),
                report: "closed by someone else".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "CancelActivity" => client
            .cancel_activity(api::CancelActivityRequest {
                options: None,
                activity_id: x.activity_id.clone(),
                reason: "not yours".into(),
            })
            .await
            .map(drop),
        "RegisterPublicityBoard" => client
            .register_publicity_board(api::RegisterPublicityBoardRequest {
                options: None,
                location: "南门".into(),
                community: xingfu(),
            })
            .await
            .map(drop),
        "RecordBoardUpdate" => client
            .record_board_update(api::RecordBoardUpdateRequest {
                options: None,
                board_id: x.board_id.clone(),
                topic: "t".into(),
                updated_on: today(),
                topic_code: civitas_proto::events::v1::BoardTopic::Science as i32,
            })
            .await
            .map(drop),
        "RegisterFacility" => client
            .register_facility(api::RegisterFacilityRequest {
                options: None,
                facility_type: FacilityType::Other as i32,
                name: "n".into(),
                area_square_meters: 10,
                community: xingfu(),
            })
            .await
            .map(drop),
        "RecordFacilityMaintenance" => client
            .record_facility_maintenance(api::RecordFacilityMaintenanceRequest {
                options: None,
                facility_id: x.facility_id.clone(),
                maintained_on: today(),
                note: "n".into(),
            })
            .await
            .map(drop),
        "RecordGoodDeed" => client
            .record_good_deed(api::RecordGoodDeedRequest {
                community: xingfu(),
                ..support::good_deed()
            })
            .await
            .map(drop),
        "PublishGoodDeed" => client
            .publish_good_deed(api::PublishGoodDeedRequest {
                options: None,
                deed_id: x.deed_id.clone(),
            })
            .await
            .map(drop),
        "RetractGoodDeed" => client
            .retract_good_deed(api::RetractGoodDeedRequest {
                options: None,
                deed_id: x.deed_id.clone(),
                reason: "not ours".into(),
            })
            .await
            .map(drop),
        "RegisterCoBuildingUnit" => client
            .register_co_building_unit(api::RegisterCoBuildingUnitRequest {
                name: "某公司".into(),
                community: xingfu(),
                ..Default::default()
            })
            .await
            .map(drop),
        "SignCoBuildingAgreement" => client
            .sign_co_building_agreement(api::SignCoBuildingAgreementRequest {
                unit_id: x.unit_id.clone(),
                signed_on: today(),
                valid_until: Some(support::date(
                    chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
                )),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordCoBuildingContribution" => client
            .record_co_building_contribution(api::RecordCoBuildingContributionRequest {
                unit_id: x.unit_id.clone(),
                kind: civitas_proto::events::v1::ContributionKind::Activity as i32,
                given_on: today(),
                note: "not ours".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordStationService" => client
            .record_station_service(api::RecordStationServiceRequest {
                facility_id: x.facility_id.clone(),
                resident_id: RESIDENT.into(),
                kind: civitas_proto::events::v1::StationServiceKind::Meals as i32,
                served_on: today(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordContest" => client
            .record_contest(api::RecordContestRequest {
                community: xingfu(),
                ..support::contest()
            })
            .await
            .map(drop),
        "AwardPrize" => client
            .award_prize(api::AwardPrizeRequest {
                contest_id: x.contest_id.clone(),
                prize: "一等奖".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordCampaignMilestone" => client
            .record_campaign_milestone(api::RecordCampaignMilestoneRequest {
                kind: civitas_proto::events::v1::MilestoneKind::LeadingGroupFormed as i32,
                held_on: today(),
                community: xingfu(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordFundsReceived" => client
            .record_funds_received(api::RecordFundsReceivedRequest {
                source: FundSource::CoBuildingUnits as i32,
                amount_yuan: 1_000,
                received_on: today(),
                unit_id: x.unit_id.clone(),
                community: xingfu(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordFundsSpent" => client
            .record_funds_spent(api::RecordFundsSpentRequest {
                source: FundSource::Government as i32,
                amount_yuan: 100,
                spent_on: today(),
                purpose: "not ours".into(),
                community: xingfu(),
                ..Default::default()
            })
            .await
            .map(drop),
        "SubmitMonthlyReport" => client
            .submit_monthly_report(api::SubmitMonthlyReportRequest {
                options: None,
                month: last_month(),
                narrative: "not ours".into(),
                community: xingfu(),
            })
            .await
            .map(drop),
        "ApproveMonthlyReport" => client
            .approve_monthly_report(api::ApproveMonthlyReportRequest {
                options: None,
                community: xingfu(),
                month: last_month(),
            })
            .await
            .map(drop),
        "WithdrawReportApproval" => client
            .withdraw_report_approval(api::WithdrawReportApprovalRequest {
                options: None,
                community: xingfu(),
                month: last_month(),
                reason: "not ours".into(),
            })
            .await
            .map(drop),
        _ => return None,
    };
    Some(result)
}

#[tokio::test]
async fn every_write_rpc_refuses_another_community() {
    let rpcs = write_rpcs();
    assert!(rpcs.len() >= 13, "found only {rpcs:?}");
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;
    let mut heping = app.staff("heping").await;

    let mut missing = Vec::new();
    for rpc in &rpcs {
        match cross_community(rpc, &mut heping, &x).await {
            None => missing.push(rpc.clone()),
            Some(result) => {
                let status = result.expect_err(&format!("{rpc} must be refused"));
                assert_eq!(status.code(), Code::PermissionDenied, "{rpc}: {status:?}");
            }
        }
    }
    assert!(
        missing.is_empty(),
        "write RPCs without a cross-community case: {missing:?}"
    );

    // Nothing of xingfu's changed.
    let mut xingfu = app.staff("xingfu").await;
    let activity = xingfu
        .get_activity(api::GetActivityRequest {
            activity_id: x.activity_id.clone(),
        })
        .await
        .expect("activity")
        .into_inner()
        .activity
        .expect("activity");
    assert_eq!((activity.version, activity.registered), (2, 1));
    let plan = xingfu
        .get_annual_plan(api::GetAnnualPlanRequest {
            year: x.year,
            community: String::new(),
        })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!((plan.version, plan.items.len()), (1, 1));
    // xingfu's fund ledger received nothing: no source has a balance to spend.
    let spend = |source: FundSource| api::RecordFundsSpentRequest {
        source: source as i32,
        amount_yuan: 1,
        spent_on: today(),
        purpose: "check".into(),
        ..Default::default()
    };
    for source in [FundSource::CoBuildingUnits, FundSource::Government] {
        let status = xingfu
            .record_funds_spent(spend(source))
            .await
            .expect_err("no balance");
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    }
}

#[tokio::test]
async fn other_roles_cannot_write_and_reads_follow_the_org_tree() {
    let app = TestApp::spawn().await;
    let x = Aggregates::create(&app, "xingfu").await;

    let mut district = app.client(Role::District, "gulou").await;
    for rpc in [
        "ScheduleActivity",
        "RegisterParticipant",
        "AddPlannedItem",
        "RecordBoardUpdate",
        "RecordFundsReceived",
        "RecordFundsSpent",
    ] {
        let status = cross_community(rpc, &mut district, &x)
            .await
            .expect("case")
            .expect_err("district cannot write");
        assert_eq!(status.code(), Code::PermissionDenied, "{rpc}: {status:?}");
    }
    // Nobody but the community's staff writes its publicity boards or its fund ledger.
    for (role, org) in [
        (Role::Analyst, "gulou"),
        (Role::Admin, "gulou"),
        (Role::District, "huafeng"),
    ] {
        let mut client = app.client(role, org).await;
        for rpc in [
            "RecordBoardUpdate",
            "RecordFundsReceived",
            "RecordFundsSpent",
        ] {
            let status = cross_community(rpc, &mut client, &x)
                .await
                .expect("case")
                .expect_err("only staff write");
            assert_eq!(
                status.code(),
                Code::PermissionDenied,
                "{role:?} {rpc}: {status:?}"
            );
        }
    }
    let read = api::GetActivityRequest {
        activity_id: x.activity_id.clone(),
    };
    district
        .get_activity(read.clone())
        .await
        .expect("district reads below it");
    let mut other_street = app.client(Role::District, "dongjie").await;
    expect_code(
        other_street.get_activity(read.clone()).await,
        Code::PermissionDenied,
    );
    let mut heping = app.staff("heping").await;
    expect_code(
        heping.get_activity(read.clone()).await,
        Code::PermissionDenied,
    );
    expect_code(
        heping
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: x.year,
                community: "xingfu".into(),
            })
            .await,
        Code::PermissionDenied,
    );

    let mut anonymous = app.client_with(None).await;
    expect_code(anonymous.get_activity(read).await, Code::Unauthenticated);
    for rpc in [
        "ScheduleActivity",
        "RecordFundsReceived",
        "RecordFundsSpent",
    ] {
        let status = cross_community(rpc, &mut anonymous, &x)
            .await
            .expect("case")
            .expect_err("no token");
        assert_eq!(status.code(), Code::Unauthenticated, "{rpc}: {status:?}");
    }
    let mut forged = app.client_with(Some("not-a-jwt")).await;
    expect_code(
        forged
            .get_annual_plan(api::GetAnnualPlanRequest {
                year: x.year,
                community: "xingfu".into(),
            })
            .await,
        Code::Unauthenticated,
    );
}
