//! Every write RPC of `civitas.safety.v1.SafetyService` is refused across communities.
//!
//! The RPCs are enumerated from the compiled descriptor set, so a new write RPC without
//! a cross-community case below fails this test instead of shipping unchecked.

mod common;

use civitas_platform::auth::Role;
use civitas_proto::events::v1 as ev;
use civitas_proto::safety::v1 as api;
use prost::Message;
use tonic::Code;

use common::*;

/// The service's RPC names, from the descriptor set every client is generated from.
fn rpc_names() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(civitas_proto::FILE_DESCRIPTOR_SET)
        .expect("decode the descriptor set");
    let service = set
        .file
        .iter()
        .filter(|f| f.package() == "civitas.safety.v1")
        .flat_map(|f| f.service.iter())
        .find(|s| s.name() == "SafetyService")
        .expect("civitas.safety.v1.SafetyService in the descriptor set");
    service.method.iter().map(|m| m.name().to_owned()).collect()
}

fn is_write(rpc: &str) -> bool {
    !(rpc.starts_with("Get") || rpc.starts_with("List"))
}

/// The cross-community case of each write RPC: a request that either acts on an
/// aggregate of `xingfu` or names `xingfu` in its body. `None`: no case for this RPC.
async fn cross_community(
    client: &mut Client,
    rpc: &str,
    f: &Fixtures,
) -> Option<Result<(), tonic::Status>> {
    fn done<T>(r: Result<T, tonic::Status>) -> Option<Result<(), tonic::Status>> {
        Some(r.map(|_| ()))
    }
    let incident = f.incident_id.as_str();
    match rpc {
        "ReportIncident" => done(
            client
                .report_incident(api::ReportIncidentRequest {
                    community: "xingfu".into(),
                    ..report(ev::IncidentCategory::Theft, ev::IncidentSeverity::Minor)
                })
                .await,
        ),
        "DispatchIncident" => done(client.dispatch_incident(dispatch(incident, "team")).await),
        "ResolveIncident" => done(client.resolve_incident(resolve(incident, "done")).await),
        "CloseIncident" => done(client.close_incident(close(incident)).await),
        "EscalateIncident" => done(
            client
                .escalate_incident(escalate(incident, ev::EscalationTarget::Street, "why not"))
                .await,
        ),
        "SchedulePatrol" => done(
            client
                .schedule_patrol(api::SchedulePatrolRequest {
                    community: "xingfu".into(),
                    ..schedule_patrol()
                })
                .await,
        ),
        "CompletePatrol" => done(client.complete_patrol(complete_patrol(&f.patrol_id)).await),
        "RecordInspection" => done(
            client
                .record_inspection(api::RecordInspectionRequest {
                    community: "xingfu".into(),
                    ..inspection(true, &[])
                })
                .await,
        ),
        "OrderRectification" => done(
            client
                .order_rectification(order_for(&f.failed_inspection_id, 7))
                .await,
        ),
        "VerifyRectification" => done(
            client
                .verify_rectification(verify(&f.rectification_id))
                .await,
        ),
        _ => None,
    }
}

#[tokio::test]
async fn every_write_is_refused_across_communities() {
    let server = SafetyServer::start().await;
    let mut xingfu = server.staff("xingfu").await;
    let fixtures = Fixtures::create(&mut xingfu).await;
    let mut heping = server.staff("heping").await;
    let mut district = server.client(Role::District, "gulou").await;
    let mut anonymous = server.client_with(None).await;

    let writes: Vec<String> = rpc_names().into_iter().filter(|r| is_write(r)).collect();
    assert!(writes.len() >= 10, "writes found: {writes:?}");
    let mut missing = Vec::new();
    for rpc in &writes {
        let Some(result) = cross_community(&mut heping, rpc, &fixtures).await else {
            missing.push(rpc.clone());
            continue;
        };
        let err = result.expect_err(rpc);
        assert_eq!(err.code(), Code::PermissionDenied, "{rpc}: {err:?}");

        // The same requests from a district office and from nobody.
        let err = cross_community(&mut district, rpc, &fixtures)
            .await
            .expect("case")
            .expect_err(rpc);
        assert_eq!(
            err.code(),
            Code::PermissionDenied,
            "district {rpc}: {err:?}"
        );
        let err = cross_community(&mut anonymous, rpc, &fixtures)
            .await
            .expect("case")
            .expect_err(rpc);
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "anonymous {rpc}: {err:?}"
        );
    }
    assert!(
        missing.is_empty(),
        "write RPCs without a cross-community case: {missing:?}"
    );

    // Nothing was written to xingfu's aggregates by the refused calls.
    let incident = get_incident(&mut xingfu, &fixtures.incident_id).await;
    assert_eq!(incident.version, 1);
    let rectification = get_rectification(&mut xingfu, &fixtures.rectification_id).await;
    assert!(!rectification.verified);
}

#[tokio::test]
async fn reads_need_a_token() {
    let server = SafetyServer::start().await;
    let mut anonymous = server.client_with(None).await;
    let err = anonymous
        .get_incident(api::GetIncidentRequest {
            incident_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);
    let reads: Vec<String> = rpc_names().into_iter().filter(|r| !is_write(r)).collect();
    assert_eq!(
        reads,
        [
            "GetIncident",
            "GetPatrol",
            "GetInspection",
            "GetRectification"
        ]
    );
}
