//! Every write RPC of `civitas.volunteering.v1.VolunteeringService`, enumerated from
//! the compiled descriptor, refuses staff of another community: a new RPC without a
//! cross-community case below fails this test until one is written. Reads reach the
//! caller's own org unit and the units below it only.

mod support;

use civitas_platform::auth::Role;
use civitas_proto::events::v1::VolunteerServiceCategory as Category;
use civitas_proto::volunteering::v1 as api;
use prost::Message;
use support::*;
use tonic::{Code, Status};

const SERVICE: &str = "civitas.volunteering.v1.VolunteeringService";

/// The RPC names of the service, from `civitas_proto::FILE_DESCRIPTOR_SET`.
fn rpc_names() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(civitas_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let (package, name) = SERVICE.rsplit_once('.').expect("qualified name");
    let service = set
        .file
        .iter()
        .filter(|f| f.package() == package)
        .flat_map(|f| f.service.iter())
        .find(|s| s.name() == name)
        .expect("service in the descriptor set");
    service.method.iter().map(|m| m.name().to_owned()).collect()
}

fn is_write(rpc: &str) -> bool {
    !(rpc.starts_with("Get") || rpc.starts_with("List"))
}

/// Aggregates created by staff of `xingfu`.
struct Xingfu {
    volunteer: String,
    other_volunteer: String,
    team: String,
    opportunity: String,
    record: String,
}

async fn xingfu_fixture(server: &Server) -> Xingfu {
    let mut staff = server.staff("xingfu").await;
    let volunteer = register_resident(&server.residents, &mut staff, "xingfu").await;
    let other_volunteer = register_resident(&server.residents, &mut staff, "xingfu").await;
    let team = form_team(&mut staff).await;
    let opportunity = publish(&mut staff, 3).await;
    let record = submit(&mut staff, &volunteer, 1, 60).await;
    Xingfu {
        volunteer,
        other_volunteer,
        team,
        opportunity,
        record,
    }
}

/// The cross-community case of one write RPC, run by `client` (staff of `heping`):
/// `None` when the RPC has no case yet.
async fn cross_community(rpc: &str, client: &mut Client, x: &Xingfu) -> Option<Status> {
    let v = || x.volunteer.clone();
    let err = |r: Result<tonic::Response<_>, Status>| match r {
        Ok(_) => Status::ok("the call succeeded"),
        Err(s) => s,
    };
    macro_rules! call {
        ($method:ident, $request:expr) => {
            Some(err(client.$method($request).await.map(|r| r.map(|_| ()))))
        };
    }
    match rpc {
        "RegisterVolunteer" => call!(
            register_volunteer,
            api::RegisterVolunteerRequest {
                resident_id: uuid(),
                community: "xingfu".into(),
                ..Default::default()
            }
        ),
        "VerifyVolunteer" => call!(verify_volunteer, verification(&v())),
        "DeactivateVolunteer" => call!(deactivate_volunteer, deactivation(&v(), "left")),
        "FormTeam" => call!(
            form_team,
            api::FormTeamRequest {
                community: "xingfu".into(),
                ..team_request()
            }
        ),
        "AddTeamMember" => call!(
            add_team_member,
            api::AddTeamMemberRequest {
                team_id: x.team.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "RemoveTeamMember" => call!(
            remove_team_member,
            api::RemoveTeamMemberRequest {
                team_id: x.team.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "PublishOpportunity" => call!(
            publish_opportunity,
            api::PublishOpportunityRequest {
                community: "xingfu".into(),
                ..opportunity_request(1)
            }
        ),
        "AssignVolunteer" => call!(
            assign_volunteer,
            api::AssignVolunteerRequest {
                opportunity_id: x.opportunity.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "CancelAssignment" => call!(
            cancel_assignment,
            api::CancelAssignmentRequest {
                opportunity_id: x.opportunity.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "CheckInVolunteer" => call!(
            check_in_volunteer,
            api::CheckInVolunteerRequest {
                opportunity_id: x.opportunity.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "CheckOutVolunteer" => call!(
            check_out_volunteer,
            api::CheckOutVolunteerRequest {
                opportunity_id: x.opportunity.clone(),
                volunteer_id: v(),
                ..Default::default()
            }
        ),
        "SubmitHours" => call!(
            submit_hours,
            api::SubmitHoursRequest {
                volunteer_id: v(),
                record_id: uuid(),
                service_date: past_day(1),
                minutes: 30,
                ..Default::default()
            }
        ),
        "ApproveHours" => call!(
            approve_hours,
            api::ApproveHoursRequest {
                volunteer_id: v(),
                record_id: x.record.clone(),
                ..Default::default()
            }
        ),
        "DeclineHours" => call!(
            decline_hours,
            api::DeclineHoursRequest {
                volunteer_id: v(),
                record_id: x.record.clone(),
                reason: "no".into(),
                ..Default::default()
            }
        ),
        "ReverseHours" => call!(
            reverse_hours,
            api::ReverseHoursRequest {
                volunteer_id: v(),
                record_id: x.record.clone(),
                reason: "no".into(),
                ..Default::default()
            }
        ),
        "DepositTimeCredits" => call!(
            deposit_time_credits,
            api::DepositTimeCreditsRequest {
                volunteer_id: v(),
                record_id: x.record.clone(),
                ..Default::default()
            }
        ),
        "RedeemTimeCredits" => call!(
            redeem_time_credits,
            api::RedeemTimeCreditsRequest {
                volunteer_id: v(),
                redemption_id: uuid(),
                minutes: 10,
                category: Category::Housekeeping as i32,
                ..Default::default()
            }
        ),
        "DonateTimeCredits" => call!(
            donate_time_credits,
            api::DonateTimeCreditsRequest {
                volunteer_id: v(),
                donation_id: uuid(),
                to_volunteer_id: x.other_volunteer.clone(),
                minutes: 10,
                ..Default::default()
            }
        ),
        _ => None,
    }
}

#[tokio::test]
async fn every_write_rpc_refuses_staff_of_another_community() {
    let server = Server::start().await;
    let x = xingfu_fixture(&server).await;
    let mut heping = server.staff("heping").await;
    let writes: Vec<String> = rpc_names().into_iter().filter(|r| is_write(r)).collect();
    assert!(writes.len() >= 18, "writes found: {writes:?}");
    let mut missing = Vec::new();
    for rpc in &writes {
        match cross_community(rpc, &mut heping, &x).await {
            None => missing.push(rpc.clone()),
            Some(status) => assert_eq!(status.code(), Code::PermissionDenied, "{rpc}: {status:?}"),
        }
    }
    assert!(
        missing.is_empty(),
        "write RPCs without a cross-community case: {missing:?}"
    );

    // Nothing was written to xingfu's aggregates.
    let mut xingfu = server.staff("xingfu").await;
    let got = get(&mut xingfu, &x.volunteer).await;
    assert_eq!(got.version, 2, "registered + one submitted record only");
}

#[tokio::test]
async fn a_recipient_or_member_of_another_community_is_refused() {
    let server = Server::start().await;
    let x = xingfu_fixture(&server).await;
    let mut heping = server.staff("heping").await;
    let own = register_resident(&server.residents, &mut heping, "heping").await;
    let team = form_team(&mut heping).await;
    let err = heping
        .add_team_member(api::AddTeamMemberRequest {
            team_id: team,
            volunteer_id: x.volunteer.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = heping
        .donate_time_credits(api::DonateTimeCreditsRequest {
            volunteer_id: own,
            donation_id: uuid(),
            to_volunteer_id: x.volunteer,
            minutes: 10,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn district_tokens_cannot_write_and_no_token_is_unauthenticated() {
    let server = Server::start().await;
    let x = xingfu_fixture(&server).await;
    let mut district = server.client_as(Role::District, "gulou").await;
    let status = cross_community("VerifyVolunteer", &mut district, &x)
        .await
        .expect("case");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let err = district
        .register_volunteer(api::RegisterVolunteerRequest {
            resident_id: uuid(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let mut anonymous = server.anonymous().await;
    for rpc in rpc_names().iter().filter(|r| is_write(r)).take(3) {
        let status = cross_community(rpc, &mut anonymous, &x)
            .await
            .expect("case");
        assert_eq!(status.code(), Code::Unauthenticated, "{rpc}: {status:?}");
    }
    let err = anonymous
        .get_volunteer(api::GetVolunteerRequest {
            volunteer_id: x.volunteer,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn district_offices_read_below_them_and_others_do_not() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&server.residents, &mut staff, "xingfu").await;
    let mut district = server.client_as(Role::District, "gulou").await;
    assert_eq!(get(&mut district, &v).await.volunteer_id, v);
    let mut other_street = server.client_as(Role::District, "dongjie").await;
    let err = other_street
        .get_volunteer(api::GetVolunteerRequest { volunteer_id: v })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}
