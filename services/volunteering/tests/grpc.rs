//! The volunteering service end to end over gRPC: main flows and refusals with their
//! codes and the fields they name.

mod support;

use civitas_proto::common::v1::{WriteOptions, WriteResult};
use civitas_proto::events::v1::{VolunteerKind, VolunteerServiceCategory as Category};
use civitas_proto::volunteering::v1 as api;
use support::*;
use tonic::Code;

#[tokio::test]
async fn volunteers_register_verify_and_deactivate() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;

    let resident = server.resident("xingfu").await;
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
        .verify_volunteer(verification(&v.volunteer_id))
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
        .verify_volunteer(verification(&v.volunteer_id))
        .await
        .unwrap_err();
    assert_rule(&err, None);

    let err = staff
        .deactivate_volunteer(deactivation(&external, " "))
        .await
        .unwrap_err();
    assert_invalid(&err, "reason");
    staff
        .deactivate_volunteer(deactivation(&external, "semester over"))
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
        .verify_volunteer(verification(&uuid()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

/// A resident volunteer must live in the caller's community now, and is a volunteer
/// there once: the holes a new user found (any uuid, another community's resident).
#[tokio::test]
async fn only_a_resident_of_the_community_registers_and_only_once() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let register = |resident_id: &str| api::RegisterVolunteerRequest {
        resident_id: resident_id.into(),
        ..Default::default()
    };
    let heping_resident = server.resident("heping").await;
    for stranger in [uuid(), heping_resident.clone()] {
        let err = staff
            .register_volunteer(register(&stranger))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{err:?}");
        assert!(err.message().contains("resident_id"), "{err:?}");
        // Nothing says where else the person lives.
        assert!(!err.message().contains("heping"), "{err:?}");
    }

    let resident = server.resident("xingfu").await;
    let first = staff
        .register_volunteer(register(&resident))
        .await
        .unwrap()
        .into_inner();
    let err = staff
        .register_volunteer(register(&resident))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(err.message().contains(&first.volunteer_id), "{err:?}");
    let bad = tonic_types::StatusExt::get_details_bad_request(&err).expect("bad request details");
    assert_eq!(bad.field_violations[0].field, "resident_id");

    // Moved out: no longer registrable here; moved in elsewhere: a volunteer there.
    server.residents.move_out(&resident, "xingfu").await;
    let someone = server.resident("xingfu").await;
    server.residents.move_out(&someone, "xingfu").await;
    let err = staff
        .register_volunteer(register(&someone))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    let mut heping = server.staff("heping").await;
    let there = heping
        .register_volunteer(register(&heping_resident))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(there.volunteer_id, first.volunteer_id);
}

/// When the residents log cannot be read, a resident volunteer is refused UNAVAILABLE
/// (retryable) and nothing is written; an organisation still registers.
#[tokio::test]
async fn an_unreachable_residents_log_refuses_resident_volunteers_unavailable() {
    let port = civitas_testkit::free_port().expect("a free port");
    let token = civitas_platform::auth::BearerToken::new("not-used");
    let residence = civitas_volunteering::residence::RemoteResidence::new(
        &format!("http://127.0.0.1:{port}"),
        token,
    )
    .expect("a valid url");
    let residence: std::sync::Arc<dyn civitas_volunteering::Residence> =
        std::sync::Arc::new(residence);
    let server =
        civitas_testkit::TestServer::serve_app(|shell| civitas_volunteering::app(shell, residence))
            .await;
    let mut staff = civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient::new(
        server.channel_as(civitas_platform::auth::Role::Staff, "xingfu").await,
    );
    let err = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            resident_id: uuid(),
            options: key("unreachable-1"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    // Nothing was recorded under the key: the same key later registers for real.
    let organisation = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            organisation: "东南大学".into(),
            options: key("unreachable-1"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!organisation.result.unwrap().replayed);
}

#[tokio::test]
async fn idempotency_keys_replay_and_expected_versions_conflict() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let request = api::RegisterVolunteerRequest {
        options: key("register-1"),
        resident_id: server.resident("xingfu").await,
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
async fn teams_take_active_volunteers_of_the_community_once() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let team = form_team(&mut staff).await;
    let v = register_resident(&server.residents, &mut staff, "xingfu").await;
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
        register_resident(&server.residents, &mut staff, "xingfu").await,
        register_resident(&server.residents, &mut staff, "xingfu").await,
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
async fn a_retry_replays_even_when_a_fact_no_longer_holds() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&server.residents, &mut staff, "xingfu").await;
    let add = api::AddTeamMemberRequest {
        options: key("add-1"),
        team_id: form_team(&mut staff).await,
        volunteer_id: v.clone(),
    };
    let assign = api::AssignVolunteerRequest {
        options: key("assign-1"),
        opportunity_id: publish(&mut staff, 1).await,
        volunteer_id: v.clone(),
        ..Default::default()
    };
    let added = staff.add_team_member(add.clone()).await.unwrap();
    let assigned = staff.assign_volunteer(assign.clone()).await.unwrap();
    staff
        .deactivate_volunteer(deactivation(&v, "moved away"))
        .await
        .unwrap();

    // The volunteer is no longer active: a new request is refused, a retry replays.
    let err = staff
        .add_team_member(api::AddTeamMemberRequest {
            options: key("add-2"),
            ..add.clone()
        })
        .await
        .unwrap_err();
    assert_rule(&err, Some("volunteer_id"));
    let again = staff.add_team_member(add).await.unwrap().into_inner();
    let first = added.into_inner().result.unwrap();
    assert_eq!(
        again.result,
        Some(WriteResult {
            replayed: true,
            ..first
        })
    );
    let again = staff.assign_volunteer(assign).await.unwrap().into_inner();
    let first = assigned.into_inner().result.unwrap();
    assert_eq!(
        again.result,
        Some(WriteResult {
            replayed: true,
            ..first
        })
    );
}

#[tokio::test]
async fn free_text_over_its_bound_is_refused_naming_the_field() {
    let server = Server::start().await;
    let mut staff = server.staff("xingfu").await;
    let v = register_resident(&server.residents, &mut staff, "xingfu").await;
    let huge = "长".repeat(500_000); // 1.5 MB of UTF-8
    let err = staff
        .deactivate_volunteer(deactivation(&v, &huge))
        .await
        .unwrap_err();
    assert_invalid(&err, "reason");
    let err = staff
        .register_volunteer(api::RegisterVolunteerRequest {
            organisation: huge.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "organisation");
    let err = staff
        .form_team(api::FormTeamRequest {
            purpose: huge.clone(),
            ..team_request()
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "purpose");
    let err = staff
        .publish_opportunity(api::PublishOpportunityRequest {
            title: huge,
            ..opportunity_request(1)
        })
        .await
        .unwrap_err();
    assert_invalid(&err, "title");
}
