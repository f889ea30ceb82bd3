//! The residents service over real gRPC (SQLite event and key stores): what the shell
//! does before any rule runs — bounded free text, replayed retries, community scope —
//! and erasure end to end.

mod support;

use civitas_platform::auth::Role;
use civitas_proto::events::v1::{CareCategory, CareRevokeReason, MoveOutReason};
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use tonic::Code;

use support::{assert_invalid, household, retry_key, Running};

#[tokio::test]
async fn a_megabyte_note_is_refused_naming_the_field_and_writes_nothing() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident_id) = running.resident(&mut staff).await;
    let huge = "搬".repeat(500_000); // 1.5 MB of UTF-8

    let status = staff
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id: resident_id.clone(),
            reason_code: MoveOutReason::Other as i32,
            note: huge.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a 1.5 MB note");
    assert_invalid(&status, "note");
    let status = staff
        .revoke_care_category(api::RevokeCareCategoryRequest {
            resident_id: resident_id.clone(),
            category: CareCategory::EmptyNest as i32,
            reason_code: CareRevokeReason::Other as i32,
            note: huge,
            ..Default::default()
        })
        .await
        .expect_err("a 1.5 MB note");
    assert_invalid(&status, "note");

    let resident = staff
        .get_resident(api::GetResidentRequest {
            resident_id: resident_id.clone(),
        })
        .await
        .expect("get")
        .into_inner()
        .resident
        .expect("resident");
    assert_eq!((resident.moved_out, resident.version), (false, 1));

    // The reason code is required; free text alone (an older client's) is not enough.
    let status = staff
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id,
            note: "搬往外地".into(),
            ..Default::default()
        })
        .await
        .expect_err("no reason code");
    assert_invalid(&status, "reason_code");
}

#[tokio::test]
async fn a_retried_registration_answers_the_first_household() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let first = staff
        .register_household(household(retry_key("hh-1")))
        .await
        .expect("first")
        .into_inner();
    let again = staff
        .register_household(household(retry_key("hh-1")))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.household_id, first.household_id);
    let (first, again) = (first.result.expect("result"), again.result.expect("result"));
    assert_eq!(
        (
            again.stream_id,
            again.version,
            first.replayed,
            again.replayed
        ),
        (first.stream_id, first.version, false, true)
    );
}

#[tokio::test]
async fn erasure_is_scoped_replayable_and_hides_the_person() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (household_id, resident_id) = running.resident(&mut staff).await;
    let erase = |options| api::EraseResidentRequest {
        options,
        resident_id: resident_id.clone(),
    };

    let mut elsewhere = running.staff("heping").await;
    let denied = elsewhere
        .erase_resident(erase(None))
        .await
        .expect_err("another community's resident");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    let first = staff
        .erase_resident(erase(retry_key("erase-1")))
        .await
        .expect("erase")
        .into_inner()
        .result
        .expect("result");
    let again = staff
        .erase_resident(erase(retry_key("erase-1")))
        .await
        .expect("retry")
        .into_inner()
        .result
        .expect("result");
    assert_eq!((again.version, again.replayed), (first.version, true));
    let refused = staff
        .erase_resident(erase(None))
        .await
        .expect_err("erased twice");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    let household = staff
        .get_household(api::GetHouseholdRequest { household_id })
        .await
        .expect("household")
        .into_inner();
    let resident = &household.residents[0];
    assert!(resident.erased && resident.personal.is_none());
    assert_eq!(
        resident.personal_visibility,
        api::PersonalVisibility::Erased as i32
    );
}

/// Analysts see aggregates only: every per-person read is refused to them, saying
/// "may not read"; district users still see the record (redacted), and the lookup by
/// ID number is for staff of the community alone.
#[tokio::test]
async fn analysts_may_not_read_per_person_records() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (household_id, resident_id) = running.resident(&mut staff).await;

    let client = |role, org: &'static str| {
        let server = &running.server;
        async move { ResidentsServiceClient::new(server.channel_as(role, org).await) }
    };
    for org in ["gulou", "huafeng", "xingfu"] {
        let mut analyst = client(Role::Analyst, org).await;
        let refused = [
            analyst
                .get_resident(api::GetResidentRequest {
                    resident_id: resident_id.clone(),
                })
                .await
                .expect_err("no resident for analysts"),
            analyst
                .get_household(api::GetHouseholdRequest {
                    household_id: household_id.clone(),
                })
                .await
                .expect_err("no household for analysts"),
            analyst
                .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
                    id_number: "11010519491231002X".into(),
                })
                .await
                .expect_err("no lookup for analysts"),
        ];
        for status in refused {
            assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
            assert!(status.message().contains("may not read"), "{status:?}");
        }
    }

    let mut district = client(Role::District, "gulou").await;
    let resident = district
        .get_resident(api::GetResidentRequest { resident_id })
        .await
        .expect("district users see the record")
        .into_inner()
        .resident
        .expect("resident");
    assert_eq!(
        resident.personal_visibility,
        api::PersonalVisibility::Redacted as i32
    );
    let status = district
        .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
            id_number: "11010519491231002X".into(),
        })
        .await
        .expect_err("staff only");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "role district may not read this: staff of the community only"
    );
}
