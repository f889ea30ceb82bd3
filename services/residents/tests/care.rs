//! Care campaigns and visits over gRPC: a campaign of the caller's community, visits
//! within its period to its own residents, referrals followed up and closed, each
//! refusal with its code and field, and the note never stored in clear.

mod support;

use chrono::{Duration, Utc};
use civitas_kernel::EventStore;
use civitas_platform::command::district_day;
use civitas_proto::common::v1::Date;
use civitas_proto::convert::date_to_pb;
use civitas_proto::events::v1::{CareCategory, CareNeed, CareSupport, ReferralOutcome};
use civitas_proto::residents::v1 as api;
use tonic::Code;

use support::{assert_invalid, assert_rule, Client, Running};

fn day(offset: i64) -> Option<Date> {
    Some(date_to_pb(
        district_day(Utc::now()) + Duration::days(offset),
    ))
}

fn campaign(starts: i64, ends: i64) -> api::LaunchCareCampaignRequest {
    api::LaunchCareCampaignRequest {
        name: "春节慰问".into(),
        starts_on: day(starts),
        ends_on: day(ends),
        categories: vec![
            CareCategory::LivingAlone as i32,
            CareCategory::EntitledFamily as i32,
        ],
        ..Default::default()
    }
}

fn visit(resident_id: &str, campaign_id: &str, on: i64) -> api::RecordCareVisitRequest {
    api::RecordCareVisitRequest {
        resident_id: resident_id.into(),
        campaign_id: campaign_id.into(),
        visited_on: day(on),
        support: vec![CareSupport::Goods as i32, CareSupport::Companionship as i32],
        need: CareNeed::Health as i32,
        open_referral: true,
        note: "血压偏高，需上门体检".into(),
        ..Default::default()
    }
}

async fn launch(staff: &mut Client, request: api::LaunchCareCampaignRequest) -> String {
    staff
        .launch_care_campaign(request)
        .await
        .expect("campaign")
        .into_inner()
        .campaign_id
}

#[tokio::test]
async fn a_campaign_its_visits_and_a_referral_closed() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let (_, resident) = running.resident(&mut staff).await;
    let campaign_id = launch(&mut staff, campaign(-5, 10)).await;

    let recorded = staff
        .record_care_visit(visit(&resident, &campaign_id, 0))
        .await
        .expect("visit")
        .into_inner();
    assert!(recorded.visit_id.len() == 36, "{recorded:?}");
    // The note is sealed: its text is nowhere in the stored events.
    let stored = running
        .store
        .read_stream(&format!("carevisit-{}", recorded.visit_id))
        .await
        .expect("visit stream");
    assert_eq!(stored.len(), 1);
    let note = "血压偏高".as_bytes();
    assert!(!stored[0].payload.windows(note.len()).any(|w| w == note));

    let close = |outcome: ReferralOutcome| api::CloseReferralRequest {
        visit_id: recorded.visit_id.clone(),
        outcome: outcome as i32,
        note: "已联系社区卫生服务中心".into(),
        ..Default::default()
    };
    staff
        .close_referral(close(ReferralOutcome::Resolved))
        .await
        .expect("closed");
    let again = staff
        .close_referral(close(ReferralOutcome::Resolved))
        .await
        .expect_err("closed twice");
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");

    // Outside the period, in the future, without support, a referral without a need.
    let outside = staff
        .record_care_visit(visit(&resident, &campaign_id, -6))
        .await
        .expect_err("before the campaign");
    assert_rule(&outside, "visited_on");
    let future = staff
        .record_care_visit(visit(&resident, &campaign_id, 1))
        .await
        .expect_err("tomorrow");
    assert_invalid(&future, "visited_on");
    let nothing = staff
        .record_care_visit(api::RecordCareVisitRequest {
            support: vec![],
            ..visit(&resident, &campaign_id, 0)
        })
        .await
        .expect_err("no support");
    assert_invalid(&nothing, "support");
    let no_need = staff
        .record_care_visit(api::RecordCareVisitRequest {
            need: 0,
            ..visit(&resident, &campaign_id, 0)
        })
        .await
        .expect_err("a referral without a need");
    assert_rule(&no_need, "open_referral");
    // A visit without a campaign needs none.
    staff
        .record_care_visit(api::RecordCareVisitRequest {
            open_referral: false,
            need: 0,
            ..visit(&resident, "", -30)
        })
        .await
        .expect("a visit outside any campaign");

    // Closed: no more visits in it.
    staff
        .close_care_campaign(api::CloseCareCampaignRequest {
            campaign_id: campaign_id.clone(),
            ..Default::default()
        })
        .await
        .expect("campaign closed");
    let closed = staff
        .record_care_visit(visit(&resident, &campaign_id, 0))
        .await
        .expect_err("a closed campaign");
    assert_rule(&closed, "campaign_id");
}

#[tokio::test]
async fn campaigns_and_visits_stay_in_their_community() {
    let running = Running::start().await;
    let mut xingfu = running.staff("xingfu").await;
    let (_, resident) = running.resident(&mut xingfu).await;
    let campaign_id = launch(&mut xingfu, campaign(-1, 1)).await;
    let mut heping = running.staff("heping").await;

    // Another community's resident and campaign are refused, as every command on them.
    let status = heping
        .record_care_visit(visit(&resident, "", 0))
        .await
        .expect_err("xingfu's resident");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let household = support::new_household(&mut heping).await;
    let own = support::register(&mut heping, &household, "110105194912310046")
        .await
        .expect("heping's resident");
    let status = heping
        .record_care_visit(visit(&own, &campaign_id, 0))
        .await
        .expect_err("xingfu's campaign");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = heping
        .close_care_campaign(api::CloseCareCampaignRequest {
            campaign_id,
            ..Default::default()
        })
        .await
        .expect_err("xingfu's campaign");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let unknown = uuid::Uuid::now_v7().to_string();
    let status = xingfu
        .record_care_visit(visit(&unknown, "", 0))
        .await
        .expect_err("nobody");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn a_campaign_names_registers_and_a_period() {
    let running = Running::start().await;
    let mut staff = running.staff("xingfu").await;
    let none = staff
        .launch_care_campaign(api::LaunchCareCampaignRequest {
            categories: vec![],
            ..campaign(0, 10)
        })
        .await
        .expect_err("no register");
    assert_invalid(&none, "categories");
    let backwards = staff
        .launch_care_campaign(campaign(10, 0))
        .await
        .expect_err("ends first");
    assert_invalid(&backwards, "ends_on");
    let unnamed = staff
        .launch_care_campaign(api::LaunchCareCampaignRequest {
            name: " ".into(),
            ..campaign(0, 10)
        })
        .await
        .expect_err("no name");
    assert_invalid(&unnamed, "name");
}
