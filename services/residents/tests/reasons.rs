//! Why a resident moved out or left a care register: a reason code in clear, and a
//! staff note that only ever leaves the service sealed with the resident's key. Staff
//! of the community read the note, district users the code alone, and erasure shreds
//! the note with the rest of the person.

mod support;

use civitas_kernel::EventStore;
use civitas_platform::auth::Role;
use civitas_proto::events::v1 as pb;
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use prost::Message;

use support::{Client, Running};

const MOVE_OUT_NOTE: &str = "随女儿王芳迁往上海";
const REVOKE_NOTE: &str = "儿子李强已搬回同住";

async fn view(client: &mut Client, resident_id: &str) -> api::Resident {
    client
        .get_resident(api::GetResidentRequest {
            resident_id: resident_id.to_owned(),
        })
        .await
        .expect("get resident")
        .into_inner()
        .resident
        .expect("resident")
}

/// A resident on the empty-nest register, taken off it and moved out, both with notes.
async fn revoked_and_moved_out(staff: &mut Client, resident_id: &str) {
    staff
        .assign_care_category(api::AssignCareCategoryRequest {
            resident_id: resident_id.to_owned(),
            category: pb::CareCategory::EmptyNest as i32,
            ..Default::default()
        })
        .await
        .expect("assign");
    staff
        .revoke_care_category(api::RevokeCareCategoryRequest {
            resident_id: resident_id.to_owned(),
            category: pb::CareCategory::EmptyNest as i32,
            reason_code: pb::CareRevokeReason::NoLongerEligible as i32,
            note: REVOKE_NOTE.into(),
            ..Default::default()
        })
        .await
        .expect("revoke");
    staff
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id: resident_id.to_owned(),
            reason_code: pb::MoveOutReason::MovedOutOfDistrict as i32,
            note: MOVE_OUT_NOTE.into(),
            ..Default::default()
        })
        .await
        .expect("move out");
}

#[tokio::test]
async fn notes_are_sealed_in_events_and_open_for_staff_of_the_community_only() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident_id) = running.resident(&mut staff).await;
    revoked_and_moved_out(&mut staff, &resident_id).await;

    // What the relay publishes: codes in clear, notes sealed, no free text.
    let recorded = running
        .store
        .read_stream(&format!("resident-{resident_id}"))
        .await
        .expect("read the stream");
    for event in &recorded {
        for note in [MOVE_OUT_NOTE, REVOKE_NOTE] {
            let clear = note.as_bytes();
            let leaked = event.payload.windows(clear.len()).any(|w| w == clear);
            assert!(!leaked, "{} holds a note in clear", event.event_type);
        }
    }
    let moved = recorded.last().expect("the move-out");
    let moved = pb::ResidentMovedOut::decode(moved.payload.as_slice()).expect("payload");
    assert_eq!(
        (moved.reason.as_str(), moved.reason_code),
        ("", pb::MoveOutReason::MovedOutOfDistrict as i32)
    );
    assert_eq!(moved.note.expect("a sealed note").key_id, resident_id);

    let seen = view(&mut staff, &resident_id).await;
    let move_out = seen.move_out.clone().expect("moved out");
    assert_eq!(
        (move_out.reason_code, move_out.note.as_str()),
        (pb::MoveOutReason::MovedOutOfDistrict as i32, MOVE_OUT_NOTE)
    );
    let [revocation] = seen.care_revocations.as_slice() else {
        panic!("one revocation: {seen:?}");
    };
    assert_eq!(
        (
            revocation.category,
            revocation.reason_code,
            revocation.note.as_str()
        ),
        (
            pb::CareCategory::EmptyNest as i32,
            pb::CareRevokeReason::NoLongerEligible as i32,
            REVOKE_NOTE
        )
    );

    // The district sees why, not the note.
    let mut district =
        ResidentsServiceClient::new(running.server.channel_as(Role::District, "gulou").await);
    let seen = view(&mut district, &resident_id).await;
    let move_out = seen.move_out.expect("moved out");
    assert_eq!(
        (move_out.reason_code, move_out.note.as_str()),
        (pb::MoveOutReason::MovedOutOfDistrict as i32, "")
    );
    assert_eq!(seen.care_revocations[0].note, "");
}

#[tokio::test]
async fn erasure_shreds_the_notes() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident_id) = running.resident(&mut staff).await;
    revoked_and_moved_out(&mut staff, &resident_id).await;
    staff
        .erase_resident(api::EraseResidentRequest {
            resident_id: resident_id.clone(),
            ..Default::default()
        })
        .await
        .expect("erase");

    let seen = view(&mut staff, &resident_id).await;
    assert_eq!(
        seen.personal_visibility,
        api::PersonalVisibility::Erased as i32
    );
    let move_out = seen.move_out.expect("still moved out");
    assert_eq!(
        (move_out.reason_code, move_out.note.as_str()),
        (pb::MoveOutReason::MovedOutOfDistrict as i32, "")
    );
    assert_eq!(seen.care_revocations[0].note, "");
}
