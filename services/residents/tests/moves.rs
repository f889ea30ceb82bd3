//! Moves over gRPC: a transfer between two communities of the district (released by
//! one, accepted by the other: the person keeps their id, personal data and history),
//! births and move-ins with their day, and the staff lists of households and residents.

mod support;

use chrono::{Datelike, Duration, Utc};
use civitas_platform::auth::Role;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::{Arrival, MoveOutReason, ResidenceType, Sex};
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use tonic::Code;

use support::{assert_invalid, assert_rule, new_household, Client, Running, ID_NUMBER};

fn days_ago(days: i64) -> Option<civitas_proto::common::v1::Date> {
    Some(date_to_pb(Utc::now().date_naive() - Duration::days(days)))
}

async fn release(client: &mut Client, resident_id: &str, to: &str) -> Result<(), tonic::Status> {
    client
        .release_resident(api::ReleaseResidentRequest {
            resident_id: resident_id.into(),
            to_community: to.into(),
            ..Default::default()
        })
        .await
        .map(drop)
}

async fn accept(
    client: &mut Client,
    resident_id: &str,
    household_id: &str,
) -> Result<(), tonic::Status> {
    client
        .accept_transfer(api::AcceptTransferRequest {
            resident_id: resident_id.into(),
            household_id: household_id.into(),
            moved_on: days_ago(1),
            ..Default::default()
        })
        .await
        .map(drop)
}

async fn get(client: &mut Client, resident_id: &str) -> Result<api::Resident, tonic::Status> {
    let got = client
        .get_resident(api::GetResidentRequest {
            resident_id: resident_id.into(),
        })
        .await?;
    Ok(got.into_inner().resident.expect("resident"))
}

async fn listed(client: &mut Client, req: api::ListResidentsRequest) -> Vec<String> {
    let page = client.list_residents(req).await.expect("list").into_inner();
    page.residents.into_iter().map(|r| r.resident_id).collect()
}

#[tokio::test]
async fn a_transferred_resident_keeps_their_identity_and_belongs_to_the_receiving_community() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let mut heping = running.staff("heping").await;
    let mut minzhu = running.staff("minzhu").await;
    let (_, resident) = running.resident(&mut xingfu).await;
    let heping_home = new_household(&mut heping).await;

    // Nobody can take a resident who was not released to them.
    let early = accept(&mut heping, &resident, &heping_home)
        .await
        .expect_err("not released");
    assert_eq!(early.code(), Code::PermissionDenied, "{early:?}");

    release(&mut xingfu, &resident, "heping")
        .await
        .expect("release");
    let pending = get(&mut xingfu, &resident).await.expect("still xingfu's");
    assert_eq!(pending.released_to, "heping");
    let moved_out = xingfu
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id: resident.clone(),
            reason_code: MoveOutReason::MovedOutOfDistrict as i32,
            ..Default::default()
        })
        .await
        .expect_err("a release is pending");
    assert_eq!(moved_out.code(), Code::FailedPrecondition, "{moved_out:?}");
    let minzhu_home = new_household(&mut minzhu).await;
    let third = accept(&mut minzhu, &resident, &minzhu_home)
        .await
        .expect_err("released to heping, not minzhu");
    assert_eq!(third.code(), Code::PermissionDenied, "{third:?}");
    let theirs = accept(&mut heping, &resident, &minzhu_home)
        .await
        .expect_err("minzhu's household");
    assert_eq!(theirs.code(), Code::PermissionDenied, "{theirs:?}");

    accept(&mut heping, &resident, &heping_home)
        .await
        .expect("accept");
    let now = get(&mut heping, &resident).await.expect("heping's now");
    assert_eq!(now.org.as_ref().expect("org").community, "heping");
    assert_eq!(now.household_id, heping_home);
    assert_eq!(now.released_to, "");
    assert_eq!(
        now.personal
            .as_ref()
            .expect("heping's staff open the record")
            .name,
        "王秀英"
    );
    let gone = get(&mut xingfu, &resident).await.expect_err("not xingfu's");
    assert_eq!(gone.code(), Code::PermissionDenied, "{gone:?}");

    // The ID number moved with the person.
    let found = heping
        .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
            id_number: ID_NUMBER.into(),
        })
        .await
        .expect("heping finds its resident")
        .into_inner();
    assert_eq!(found.resident.expect("resident").resident_id, resident);
    assert!(listed(&mut xingfu, Default::default()).await.is_empty());
    assert_eq!(listed(&mut heping, Default::default()).await, [resident]);
}

#[tokio::test]
async fn a_release_names_another_community_of_the_district_and_can_be_withdrawn() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let mut heping = running.staff("heping").await;
    let (_, resident) = running.resident(&mut xingfu).await;

    let unknown = release(&mut xingfu, &resident, "atlantis")
        .await
        .expect_err("no such community");
    assert_invalid(&unknown, "to_community");
    let own = release(&mut xingfu, &resident, "xingfu")
        .await
        .expect_err("its own community");
    assert_rule(&own, "to_community");
    let not_ours = release(&mut heping, &resident, "heping")
        .await
        .expect_err("xingfu's resident");
    assert_eq!(not_ours.code(), Code::PermissionDenied, "{not_ours:?}");

    release(&mut xingfu, &resident, "heping")
        .await
        .expect("release");
    xingfu
        .withdraw_release(api::WithdrawReleaseRequest {
            resident_id: resident.clone(),
            ..Default::default()
        })
        .await
        .expect("withdraw");
    let heping_home = new_household(&mut heping).await;
    let late = accept(&mut heping, &resident, &heping_home)
        .await
        .expect_err("withdrawn");
    assert_eq!(late.code(), Code::PermissionDenied, "{late:?}");
    assert_eq!(
        get(&mut xingfu, &resident)
            .await
            .expect("xingfu's")
            .released_to,
        ""
    );
}

#[tokio::test]
async fn births_and_move_ins_are_registered_with_their_day() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (household, mother) = running.resident(&mut xingfu).await;
    let birth = |guardian: &str, arrived_on| api::RegisterResidentRequest {
        household_id: household.clone(),
        name: "王小宝".into(),
        sex: Sex::Female as i32,
        residence_type: ResidenceType::Permanent as i32,
        guardian_resident_id: guardian.into(),
        arrival: Arrival::Born as i32,
        arrived_on,
        ..Default::default()
    };
    let baby = xingfu
        .register_resident(birth(&mother, days_ago(10)))
        .await
        .expect("a newborn without an ID number")
        .into_inner()
        .resident_id;
    let seen = get(&mut xingfu, &baby).await.expect("baby");
    assert_eq!(seen.arrival, Arrival::Born as i32);
    // A birth counts in its month: the event has the month, the birth date is sealed.
    let month = (Utc::now().date_naive() - Duration::days(10)).with_day(1);
    assert_eq!(seen.arrived_on, month.map(date_to_pb));
    assert_eq!(seen.personal.expect("staff see it").id_number, "");

    let orphan = xingfu
        .register_resident(birth("", days_ago(10)))
        .await
        .expect_err("a newborn needs a guardian");
    assert_rule(&orphan, "guardian_resident_id");
    let future = xingfu
        .register_resident(birth(&mother, days_ago(-3)))
        .await
        .expect_err("not born yet");
    assert_invalid(&future, "birth_date");

    let moved_in = |arrived_on| api::RegisterResidentRequest {
        household_id: household.clone(),
        name: "李建国".into(),
        id_number: "110105198001010016".into(),
        residence_type: ResidenceType::Floating as i32,
        arrival: Arrival::MovedIn as i32,
        arrived_on,
        ..Default::default()
    };
    let undated = xingfu
        .register_resident(moved_in(None))
        .await
        .expect_err("a move-in needs its day");
    assert_rule(&undated, "arrived_on");
    let old = xingfu
        .register_resident(moved_in(days_ago(400)))
        .await
        .expect_err("too long ago");
    assert_rule(&old, "arrived_on");
    xingfu
        .register_resident(moved_in(days_ago(2)))
        .await
        .expect("moved in two days ago");
}

#[tokio::test]
async fn staff_list_their_households_and_residents_by_building_a_page_at_a_time() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (first_home, first) = running.resident(&mut xingfu).await;
    let other_building = xingfu
        .register_household(api::RegisterHouseholdRequest {
            address: "华峰路 14 号 5 栋 302".into(),
            grid: "G-02".into(),
            building: "5栋".into(),
            ..Default::default()
        })
        .await
        .expect("household")
        .into_inner()
        .household_id;
    let second = support::register(&mut xingfu, &other_building, "110105198001010016")
        .await
        .expect("second resident");

    let by_building = xingfu
        .list_households(api::ListHouseholdsRequest {
            building: "5栋".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(by_building.households.len(), 1);
    let listed_home = &by_building.households[0];
    assert_eq!(listed_home.household_id, other_building);
    assert_eq!(listed_home.resident_ids, std::slice::from_ref(&second));
    assert!(listed_home.personal.is_some(), "staff see the address");
    let in_grid = listed(
        &mut xingfu,
        api::ListResidentsRequest {
            grid: "G-01".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(in_grid, std::slice::from_ref(&first));

    // Pages of one, then the end.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = xingfu
            .list_residents(api::ListResidentsRequest {
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        seen.extend(page.residents.into_iter().map(|r| r.resident_id));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, [first.clone(), second]);
    let bad = xingfu
        .list_residents(api::ListResidentsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await
        .expect_err("junk token");
    assert_invalid(&bad, "page_token");
    let huge = xingfu
        .list_households(api::ListHouseholdsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect_err("too large a page");
    assert_invalid(&huge, "page_size");

    // The street office sees the records without personal data; others see nothing.
    let mut street =
        ResidentsServiceClient::new(running.server.channel_as(Role::District, "huafeng").await);
    let page = street
        .list_residents(api::ListResidentsRequest {
            community: "xingfu".into(),
            household_id: first_home,
            ..Default::default()
        })
        .await
        .expect("street list")
        .into_inner();
    assert_eq!(page.residents.len(), 1);
    assert!(page.residents[0].personal.is_none());
    let unnamed = street
        .list_residents(api::ListResidentsRequest::default())
        .await
        .expect_err("which community?");
    assert_invalid(&unnamed, "community");
    let mut heping = running.staff("heping").await;
    let other = heping
        .list_residents(api::ListResidentsRequest {
            community: "xingfu".into(),
            ..Default::default()
        })
        .await
        .expect_err("another community");
    assert_eq!(other.code(), Code::PermissionDenied, "{other:?}");
    let mut analyst =
        ResidentsServiceClient::new(running.server.channel_as(Role::Analyst, "gulou").await);
    let refused = analyst
        .list_households(api::ListHouseholdsRequest {
            community: "xingfu".into(),
            ..Default::default()
        })
        .await
        .expect_err("aggregates only");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
}

#[tokio::test]
async fn households_registered_before_the_register_existed_are_listed_after_a_restart() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (household, resident) = running.resident(&mut xingfu).await;
    // As a database from before the register: the household's place is missing.
    let url = format!("sqlite://{}", running.database().display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open the file");
    let removed = sqlx::query("DELETE FROM household_register")
        .execute(&pool)
        .await
        .expect("delete")
        .rows_affected();
    assert_eq!(removed, 1);
    pool.close().await;

    let running = running.restart().await;
    let mut xingfu = running.staff("xingfu").await;
    let page = xingfu
        .list_households(api::ListHouseholdsRequest {
            building: "3栋".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    let ids: Vec<_> = page
        .households
        .iter()
        .map(|h| h.household_id.clone())
        .collect();
    assert_eq!(ids, [household]);
    assert_eq!(page.households[0].resident_ids, [resident]);
    assert_eq!(page.households[0].grid, "G-01");
}
