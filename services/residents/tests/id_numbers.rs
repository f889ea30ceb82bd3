//! An ID number belongs to one current resident of the district: a second registration
//! is refused, saying where the number is held only to staff of that community, and
//! moving the resident out frees it, here and in every other community.

mod support;

use civitas_proto::events::v1::MoveOutReason;
use civitas_proto::residents::v1 as api;
use tonic::Code;

use support::{assert_rule, new_household, register, Client, Running, ID_NUMBER};

async fn move_out(client: &mut Client, resident_id: &str) {
    client
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id: resident_id.to_owned(),
            reason_code: MoveOutReason::MovedWithinDistrict as i32,
            ..Default::default()
        })
        .await
        .expect("move out");
}

async fn find(client: &mut Client) -> Result<api::Resident, tonic::Status> {
    let found = client
        .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
            id_number: ID_NUMBER.into(),
        })
        .await?;
    Ok(found.into_inner().resident.expect("resident"))
}

#[tokio::test]
async fn a_taken_number_is_named_only_to_its_own_community() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (household, _) = running.resident(&mut xingfu).await;

    let here = register(&mut xingfu, &household, ID_NUMBER)
        .await
        .expect_err("taken in this community");
    assert_eq!(here.code(), Code::AlreadyExists, "{here:?}");
    assert_eq!(
        here.message(),
        "id_number: is already registered in this community"
    );
    let bad = tonic_types::StatusExt::get_details_bad_request(&here).expect("BadRequest");
    assert_eq!(bad.field_violations[0].field, "id_number");

    let mut heping = running.staff("heping").await;
    let elsewhere_household = new_household(&mut heping).await;
    let elsewhere = register(&mut heping, &elsewhere_household, ID_NUMBER)
        .await
        .expect_err("taken in another community");
    assert_rule(&elsewhere, "id_number");
    assert_eq!(
        elsewhere.message(),
        "id_number: is registered in another community; that community can release the \
         person to move here (ReleaseResident), then this one accepts (AcceptTransfer)"
    );
    assert!(!elsewhere.message().contains("xingfu"), "{elsewhere:?}");
    // Nor does the lookup tell heping anything.
    let status = find(&mut heping).await.expect_err("not heping's resident");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn moving_out_frees_the_number_here_and_elsewhere() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (household, first) = running.resident(&mut xingfu).await;
    move_out(&mut xingfu, &first).await;
    let status = find(&mut xingfu).await.expect_err("moved out");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Back in the same community: a new resident, the old record stays as history.
    let again = register(&mut xingfu, &household, ID_NUMBER)
        .await
        .expect("registered again after moving out");
    assert_ne!(again, first);
    assert_eq!(find(&mut xingfu).await.expect("found").resident_id, again);
    let old = xingfu
        .get_resident(api::GetResidentRequest {
            resident_id: first.clone(),
        })
        .await
        .expect("the old record")
        .into_inner()
        .resident
        .expect("resident");
    assert!(old.moved_out && old.personal.is_some(), "{old:?}");

    // Then to another community of the district.
    move_out(&mut xingfu, &again).await;
    let mut heping = running.staff("heping").await;
    let heping_household = new_household(&mut heping).await;
    let moved = register(&mut heping, &heping_household, ID_NUMBER)
        .await
        .expect("registered in another community after moving out");
    assert_eq!(find(&mut heping).await.expect("found").resident_id, moved);
    let status = find(&mut xingfu).await.expect_err("now heping's");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let refused = register(&mut xingfu, &household, ID_NUMBER)
        .await
        .expect_err("held in heping now");
    assert_rule(&refused, "id_number");
}
