//! Good deeds and contests over gRPC: a deed recorded, reviewed and published once,
//! retracted; a contest and its prizes; with the codes and fields of every refusal.

use civitas_proto::activities::v1 as api;
use tonic::Code;

use super::support::{date, expect_code, expect_invalid, expect_rule, good_deed, TestApp};

#[tokio::test]
async fn a_deed_is_published_after_review_and_may_be_retracted() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let deed_id = staff
        .record_good_deed(good_deed())
        .await
        .expect("recorded")
        .into_inner()
        .deed_id;
    let publish = || api::PublishGoodDeedRequest {
        options: None,
        deed_id: deed_id.clone(),
    };
    staff.publish_good_deed(publish()).await.expect("published");
    expect_rule(staff.publish_good_deed(publish()).await, None);
    let retract = || api::RetractGoodDeedRequest {
        options: None,
        deed_id: deed_id.clone(),
        reason: "当事人不愿公开".into(),
    };
    staff.retract_good_deed(retract()).await.expect("retracted");
    expect_rule(staff.retract_good_deed(retract()).await, None);

    let unknown = api::PublishGoodDeedRequest {
        options: None,
        deed_id: uuid::Uuid::now_v7().to_string(),
    };
    expect_code(staff.publish_good_deed(unknown).await, Code::NotFound);
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(2);
    expect_invalid(
        staff
            .record_good_deed(api::RecordGoodDeedRequest {
                happened_on: Some(date(tomorrow)),
                ..good_deed()
            })
            .await,
        "happened_on",
    );
    expect_invalid(
        staff
            .record_good_deed(api::RecordGoodDeedRequest {
                story: "好".repeat(501),
                ..good_deed()
            })
            .await,
        "story",
    );
    expect_invalid(
        staff
            .record_good_deed(api::RecordGoodDeedRequest {
                title: String::new(),
                ..good_deed()
            })
            .await,
        "title",
    );
}

#[tokio::test]
async fn a_contest_awards_no_more_prizes_than_it_had_entrants() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let contest_id = staff
        .record_contest(api::RecordContestRequest {
            entrants: 2,
            ..super::support::contest()
        })
        .await
        .expect("contest")
        .into_inner()
        .contest_id;
    let award = || api::AwardPrizeRequest {
        options: None,
        contest_id: contest_id.clone(),
        prize: "学习型家庭".into(),
        winner_resident_id: super::support::RESIDENT.into(),
    };
    staff.award_prize(award()).await.expect("first");
    staff.award_prize(award()).await.expect("second");
    expect_rule(staff.award_prize(award()).await, Some("prize"));
    expect_invalid(
        staff
            .award_prize(api::AwardPrizeRequest {
                winner_resident_id: "not-an-id".into(),
                ..award()
            })
            .await,
        "winner_resident_id",
    );
    expect_invalid(
        staff
            .record_contest(api::RecordContestRequest {
                kind: 0,
                ..super::support::contest()
            })
            .await,
        "kind",
    );
}

#[tokio::test]
async fn the_campaign_milestones_are_each_recorded_once() {
    use civitas_proto::events::v1::{AttendeeGroup, MilestoneKind};
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let meeting = |groups: Vec<i32>, attendees| api::RecordCampaignMilestoneRequest {
        kind: MilestoneKind::MobilisationMeeting as i32,
        held_on: super::support::today(),
        attendee_groups: groups,
        attendees,
        ..Default::default()
    };
    expect_rule(
        staff.record_campaign_milestone(meeting(vec![], 80)).await,
        Some("attendee_groups"),
    );
    let groups = vec![
        AttendeeGroup::ResidentRepresentatives as i32,
        AttendeeGroup::BuildingHeads as i32,
    ];
    staff
        .record_campaign_milestone(meeting(groups.clone(), 80))
        .await
        .expect("meeting");
    expect_rule(
        staff.record_campaign_milestone(meeting(groups, 90)).await,
        Some("kind"),
    );
    expect_invalid(
        staff
            .record_campaign_milestone(api::RecordCampaignMilestoneRequest {
                attendee_groups: vec![99],
                ..meeting(vec![], 80)
            })
            .await,
        "attendee_groups",
    );
}
