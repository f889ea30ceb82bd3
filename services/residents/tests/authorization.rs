//! Every write RPC of `civitas.residents.v1.ResidentsService`, enumerated from the
//! compiled descriptor, refuses staff of another community: a new RPC without a
//! cross-community case below fails this test until one is written.

mod support;

use chrono::Utc;
use civitas_platform::command::district_day;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::{
    CareCategory, CareNeed, CareRevokeReason, CareSupport, CaseClosure, JobSeekerKind,
    MoveOutReason, ReferralOutcome, ResidenceType,
};
use civitas_proto::residents::v1 as api;
use prost::Message;
use support::{Client, Running};
use tonic::{Code, Status};

const SERVICE: &str = "civitas.residents.v1.ResidentsService";

/// The service's write RPCs and community lists: every method not starting with Get or
/// Find (reads by id, checked in `grpc.rs`).
fn write_rpcs() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(civitas_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let (package, name) = SERVICE.rsplit_once('.').expect("qualified name");
    set.file
        .iter()
        .filter(|f| f.package() == package)
        .flat_map(|f| f.service.iter())
        .find(|s| s.name() == name)
        .expect("service in the descriptor set")
        .method
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|m| !m.starts_with("Get") && !m.starts_with("Find"))
        .collect()
}

/// What xingfu's staff created: a household, a resident, a campaign and a visit with
/// an open referral.
struct Xingfu {
    household: String,
    resident: String,
    campaign: String,
    visit: String,
}

impl Xingfu {
    async fn create(running: &Running) -> Xingfu {
        let mut staff = running.staff("xingfu").await;
        let (household, resident) = running.resident(&mut staff).await;
        let today = Some(date_to_pb(district_day(Utc::now())));
        let campaign = staff
            .launch_care_campaign(api::LaunchCareCampaignRequest {
                name: "重阳节慰问".into(),
                starts_on: today,
                ends_on: today,
                categories: vec![CareCategory::LivingAlone as i32],
                ..Default::default()
            })
            .await
            .expect("campaign")
            .into_inner()
            .campaign_id;
        let visit = staff
            .record_care_visit(api::RecordCareVisitRequest {
                resident_id: resident.clone(),
                visited_on: today,
                support: vec![CareSupport::Goods as i32],
                need: CareNeed::Health as i32,
                open_referral: true,
                ..Default::default()
            })
            .await
            .expect("visit")
            .into_inner()
            .visit_id;
        staff
            .register_job_seeker(api::RegisterJobSeekerRequest {
                resident_id: resident.clone(),
                kind: JobSeekerKind::LaidOff as i32,
                ..Default::default()
            })
            .await
            .expect("job seeker");
        Xingfu {
            household,
            resident,
            campaign,
            visit,
        }
    }
}

/// Runs `rpc` as `client` on xingfu's records; `None` when the RPC has no case yet.
async fn cross_community(rpc: &str, client: &mut Client, x: &Xingfu) -> Option<Result<(), Status>> {
    let resident = || x.resident.clone();
    let today = Some(date_to_pb(district_day(Utc::now())));
    let result = match rpc {
        "RegisterHousehold" => client
            .register_household(api::RegisterHouseholdRequest {
                community: "xingfu".into(),
                ..support::household(None)
            })
            .await
            .map(drop),
        "RegisterResident" => client
            .register_resident(api::RegisterResidentRequest {
                household_id: x.household.clone(),
                name: "李四".into(),
                id_number: "110105194912310046".into(),
                residence_type: ResidenceType::Permanent as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "MoveOutResident" => client
            .move_out_resident(api::MoveOutResidentRequest {
                resident_id: resident(),
                reason_code: MoveOutReason::Other as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "ChangeResidenceType" => client
            .change_residence_type(api::ChangeResidenceTypeRequest {
                resident_id: resident(),
                residence_type: ResidenceType::Floating as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "VerifyFloatingResidence" => client
            .verify_floating_residence(api::VerifyFloatingResidenceRequest {
                resident_id: resident(),
                valid_until: Some(date_to_pb(district_day(Utc::now()) + chrono::Days::new(30))),
                ..Default::default()
            })
            .await
            .map(drop),
        "AssignCareCategory" => client
            .assign_care_category(api::AssignCareCategoryRequest {
                resident_id: resident(),
                category: CareCategory::LivingAlone as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "RevokeCareCategory" => client
            .revoke_care_category(api::RevokeCareCategoryRequest {
                resident_id: resident(),
                category: CareCategory::LivingAlone as i32,
                reason_code: CareRevokeReason::Other as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "EraseResident" => client
            .erase_resident(api::EraseResidentRequest {
                resident_id: resident(),
                ..Default::default()
            })
            .await
            .map(drop),
        "LaunchCareCampaign" => client
            .launch_care_campaign(api::LaunchCareCampaignRequest {
                name: "n".into(),
                starts_on: today,
                ends_on: today,
                categories: vec![CareCategory::LivingAlone as i32],
                community: "xingfu".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "CloseCareCampaign" => client
            .close_care_campaign(api::CloseCareCampaignRequest {
                campaign_id: x.campaign.clone(),
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordCareVisit" => client
            .record_care_visit(api::RecordCareVisitRequest {
                resident_id: resident(),
                visited_on: today,
                support: vec![CareSupport::Goods as i32],
                ..Default::default()
            })
            .await
            .map(drop),
        "RegisterJobSeeker" => client
            .register_job_seeker(api::RegisterJobSeekerRequest {
                resident_id: resident(),
                kind: JobSeekerKind::LaidOff as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordJobTraining" => client
            .record_job_training(api::RecordJobTrainingRequest {
                resident_id: resident(),
                course: "家政服务".into(),
                attended_on: today,
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordJobReferral" => client
            .record_job_referral(api::RecordJobReferralRequest {
                resident_id: resident(),
                referred_on: today,
                ..Default::default()
            })
            .await
            .map(drop),
        "RecordPlacement" => client
            .record_placement(api::RecordPlacementRequest {
                resident_id: resident(),
                placed_on: today,
                ..Default::default()
            })
            .await
            .map(drop),
        "CloseJobSeekerCase" => client
            .close_job_seeker_case(api::CloseJobSeekerCaseRequest {
                resident_id: resident(),
                reason: CaseClosure::Other as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "CloseReferral" => client
            .close_referral(api::CloseReferralRequest {
                visit_id: x.visit.clone(),
                outcome: ReferralOutcome::Resolved as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        "ReleaseResident" => client
            .release_resident(api::ReleaseResidentRequest {
                resident_id: resident(),
                to_community: "heping".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "WithdrawRelease" => client
            .withdraw_release(api::WithdrawReleaseRequest {
                resident_id: resident(),
                ..Default::default()
            })
            .await
            .map(drop),
        // Not released to the caller: the same answer as any other community's resident.
        "AcceptTransfer" => client
            .accept_transfer(api::AcceptTransferRequest {
                resident_id: resident(),
                household_id: x.household.clone(),
                moved_on: today,
                ..Default::default()
            })
            .await
            .map(drop),
        "ListHouseholds" => client
            .list_households(api::ListHouseholdsRequest {
                community: "xingfu".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        "ListResidents" => client
            .list_residents(api::ListResidentsRequest {
                community: "xingfu".into(),
                ..Default::default()
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
    assert!(rpcs.len() >= 12, "found only {rpcs:?}");
    let running = Running::start().await;
    let x = Xingfu::create(&running).await;
    let mut heping = running.staff("heping").await;
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
    // Nothing of xingfu's changed: the referral is still open for its own staff.
    let mut xingfu = running.staff("xingfu").await;
    xingfu
        .close_referral(api::CloseReferralRequest {
            visit_id: x.visit.clone(),
            outcome: ReferralOutcome::Resolved as i32,
            ..Default::default()
        })
        .await
        .expect("still open");
}
