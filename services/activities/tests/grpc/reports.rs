//! Monthly reporting over gRPC: staff submit an ended month, the street office and then
//! the district office approve it, the month is locked until the district withdraws,
//! and every refusal has its code and field.

use civitas_platform::auth::Role;
use civitas_proto::activities::v1 as api;
use civitas_proto::events::v1::ApprovalLevel;
use tonic::Code;

use super::support::{
    expect_code, expect_invalid, expect_rule, key, last_month, this_month, Client, TestApp,
};

fn submit(month: &str, narrative: &str) -> api::SubmitMonthlyReportRequest {
    api::SubmitMonthlyReportRequest {
        options: None,
        month: month.into(),
        narrative: narrative.into(),
        community: String::new(),
    }
}

fn approve(community: &str, month: &str) -> api::ApproveMonthlyReportRequest {
    api::ApproveMonthlyReportRequest {
        options: None,
        community: community.into(),
        month: month.into(),
    }
}

fn withdraw(community: &str, month: &str) -> api::WithdrawReportApprovalRequest {
    api::WithdrawReportApprovalRequest {
        options: None,
        community: community.into(),
        month: month.into(),
        reason: "数据需重新核对".into(),
    }
}

async fn approved_level(client: &mut Client, community: &str, month: &str) -> i32 {
    client
        .approve_monthly_report(approve(community, month))
        .await
        .expect("approved")
        .into_inner()
        .level
}

#[tokio::test]
async fn a_month_is_submitted_approved_twice_and_withdrawn() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    let mut street = app.client(Role::District, "huafeng").await;
    let mut district = app.client(Role::District, "gulou").await;
    let month = last_month();

    // Nothing to approve before a submission.
    expect_code(
        street
            .approve_monthly_report(approve("xingfu", &month))
            .await,
        Code::NotFound,
    );
    let first = staff
        .submit_monthly_report(submit(&month, "十月：市民学校两次课。"))
        .await
        .expect("submitted")
        .into_inner();
    assert_eq!(first.submission, 1);
    let again = staff
        .submit_monthly_report(submit(&month, "十月：市民学校两次课，补充电影放映。"))
        .await
        .expect("resubmitted before approval")
        .into_inner();
    assert_eq!(again.submission, 2);

    // The district cannot go first; the street approves, then the district.
    expect_rule(
        district
            .approve_monthly_report(approve("xingfu", &month))
            .await,
        None,
    );
    assert_eq!(
        approved_level(&mut street, "xingfu", &month).await,
        ApprovalLevel::Street as i32
    );
    expect_rule(
        street
            .approve_monthly_report(approve("xingfu", &month))
            .await,
        None,
    );
    // Locked: staff cannot resubmit, the street cannot withdraw.
    expect_rule(
        staff.submit_monthly_report(submit(&month, "改")).await,
        None,
    );
    expect_code(
        street
            .withdraw_report_approval(withdraw("xingfu", &month))
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(
        approved_level(&mut district, "xingfu", &month).await,
        ApprovalLevel::District as i32
    );

    // The district withdraws (a retry with the same key answers the same); the
    // community may submit again and the approvals start over.
    let withdrawal = api::WithdrawReportApprovalRequest {
        options: key("withdraw-1"),
        ..withdraw("xingfu", &month)
    };
    let once = district
        .withdraw_report_approval(withdrawal.clone())
        .await
        .expect("withdrawn")
        .into_inner();
    let twice = district
        .withdraw_report_approval(withdrawal)
        .await
        .expect("replayed")
        .into_inner();
    let (once, twice) = (once.result.unwrap(), twice.result.unwrap());
    assert_eq!((once.version, twice.version), (5, 5));
    assert!(!once.replayed && twice.replayed);
    let third = staff
        .submit_monthly_report(submit(&month, "更正后的月报"))
        .await
        .expect("open again")
        .into_inner();
    assert_eq!(third.submission, 3);
    expect_rule(
        district
            .approve_monthly_report(approve("xingfu", &month))
            .await,
        None,
    );
}

#[tokio::test]
async fn refusals_name_the_month_and_the_scope() {
    let app = TestApp::spawn().await;
    let mut staff = app.staff("xingfu").await;
    expect_rule(
        staff
            .submit_monthly_report(submit(&this_month(), "本月尚未结束"))
            .await,
        Some("month"),
    );
    for bad in ["", "2026-10", "202613", "名名名名名名"] {
        expect_invalid(staff.submit_monthly_report(submit(bad, "x")).await, "month");
    }
    expect_invalid(
        staff.submit_monthly_report(submit(&last_month(), "")).await,
        "narrative",
    );
    expect_invalid(
        staff
            .submit_monthly_report(submit(&last_month(), &"长".repeat(2001)))
            .await,
        "narrative",
    );

    // Only the community's own street and district offices approve; nobody names a
    // community they cannot see, existing or not.
    staff
        .submit_monthly_report(submit(&last_month(), "月报"))
        .await
        .expect("submitted");
    for (role, org) in [
        (Role::District, "dongjie"),
        (Role::Staff, "xingfu"),
        (Role::Analyst, "gulou"),
        (Role::Admin, "gulou"),
    ] {
        let mut other = app.client(role, org).await;
        expect_code(
            other
                .approve_monthly_report(approve("xingfu", &last_month()))
                .await,
            Code::PermissionDenied,
        );
    }
    let mut street = app.client(Role::District, "huafeng").await;
    expect_code(
        street
            .approve_monthly_report(approve("nowhere", &last_month()))
            .await,
        Code::PermissionDenied,
    );
    expect_invalid(
        street
            .approve_monthly_report(approve("", &last_month()))
            .await,
        "community",
    );
    expect_invalid(
        street.approve_monthly_report(approve("xingfu", "10")).await,
        "month",
    );
}
