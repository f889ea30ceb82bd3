//! Monthly reporting in the projection: completeness and timeliness for a month, an
//! approved month locked with its figures, a late event shown beside them, and the
//! district's withdrawal recomputing the month. On both backends.

mod common;

use civitas_platform::auth::Role;
use civitas_platform::org::OrgTree;
use civitas_projection::Insights;
use civitas_proto::events::v1 as pb;
use civitas_proto::events::v1::ResidenceType::Permanent;
use civitas_proto::insights::v1::{GetKpisRequest, GetReportingStatusRequest, OrgUnitKpis};
use common::*;

fn report(community: &str, month: &str) -> String {
    format!("monthlyreport-{community}-{month}")
}

fn submitted(community: &str, month: &str, submission: u32) -> Draft {
    let msg = pb::MonthlyReportSubmitted {
        community: community.into(),
        month: month.into(),
        narrative: "本月工作小结".into(),
        submission,
    };
    Draft::raw(
        &report(community, month),
        "MonthlyReportSubmitted",
        msg.encode(),
    )
}

fn approved(community: &str, month: &str, level: pb::ApprovalLevel) -> Draft {
    let msg = pb::MonthlyReportApproved {
        community: community.into(),
        month: month.into(),
        level: level as i32,
        approver_unit: "huafeng".into(),
    };
    Draft::raw(
        &report(community, month),
        "MonthlyReportApproved",
        msg.encode(),
    )
}

fn withdrawn(community: &str, month: &str) -> Draft {
    let msg = pb::MonthlyReportApprovalWithdrawn {
        community: community.into(),
        month: month.into(),
        reason: "数据有误".into(),
    };
    Draft::raw(
        &report(community, month),
        "MonthlyReportApprovalWithdrawn",
        msg.encode(),
    )
}

trait Encode {
    fn encode(&self) -> Vec<u8>;
}
impl<M: prost::Message> Encode for M {
    fn encode(&self) -> Vec<u8> {
        self.encode_to_vec()
    }
}

/// The element's (value, late, current value) in a KPI row.
fn kpi(unit: &OrgUnitKpis, element: &str) -> (f64, bool, f64) {
    let v = unit
        .values
        .iter()
        .find(|v| v.element == element)
        .unwrap_or_else(|| panic!("{element} missing"));
    (v.value, v.late, v.current_value)
}

async fn october(insights: &Insights, unit: &str) -> OrgUnitKpis {
    let request = GetKpisRequest {
        org_unit: unit.into(),
        period: "202610".into(),
    };
    let r = insights
        .get_kpis(&caller(Role::District, "gulou"), request)
        .await
        .unwrap();
    r.org_unit.unwrap()
}

async fn status(insights: &Insights) -> civitas_proto::insights::v1::GetReportingStatusResponse {
    let request = GetReportingStatusRequest {
        org_unit: "huafeng".into(),
        month: "202610".into(),
    };
    insights
        .get_reporting_status(&caller(Role::District, "huafeng"), request)
        .await
        .unwrap()
}

/// Applies the events pushed to `log` since `from` as one batch; returns the new end.
async fn apply_from(db: &TestDb, log: &Log, from: usize) -> usize {
    db.projection
        .apply_batch("all", &log.events[from..], &NoGaps)
        .await
        .unwrap();
    log.events.len()
}

async fn an_approved_month_keeps_its_figures_until_withdrawn(backend: Backend) {
    let db = backend.open().await;
    let insights = Insights::new(db.projection.clone(), OrgTree::demo());
    let mut log = Log::default();
    // October: two residents in xingfu, one in heping; xingfu reports on the 3rd of
    // November (on time), heping on the 8th (late); minzhu and jinxiu never.
    log.push_in(
        "xingfu",
        "2026-10-10",
        resident_registered("r1", "h1", Permanent),
    );
    log.push_in(
        "xingfu",
        "2026-10-11",
        resident_registered("r2", "h1", Permanent),
    );
    log.push_in(
        "heping",
        "2026-10-12",
        resident_registered("r3", "h2", Permanent),
    );
    log.push_in("xingfu", "2026-11-03", submitted("xingfu", "202610", 1));
    log.push_in("heping", "2026-11-08", submitted("heping", "202610", 1));
    let at = apply_from(&db, &log, 0).await;

    let s = status(&insights).await;
    let street = &s.rates[0];
    assert_eq!(
        (
            street.org_unit.as_str(),
            street.expected,
            street.received,
            street.on_time
        ),
        ("huafeng", 4, 2, 1)
    );
    assert_eq!((street.completeness, street.timeliness), (50.0, 25.0));
    assert_eq!(s.rates.len(), 5, "the street and its four communities");
    let xingfu = &s.communities[0];
    assert_eq!(
        (
            xingfu.community.as_str(),
            xingfu.submitted,
            xingfu.on_time,
            xingfu.locked
        ),
        ("xingfu", true, true, false)
    );

    // The street approves xingfu's October: locked with 2 residents.
    log.push_in(
        "xingfu",
        "2026-11-04",
        approved("xingfu", "202610", pb::ApprovalLevel::Street),
    );
    let at = apply_from(&db, &log, at).await;
    // A resident registered in October reaches the projection only now.
    log.push_in(
        "xingfu",
        "2026-10-20",
        resident_registered("r4", "h1", Permanent),
    );
    let at = apply_from(&db, &log, at).await;

    let x = october(&insights, "xingfu").await;
    assert_eq!(kpi(&x, "residents"), (2.0, true, 3.0), "approved 2, late 3");
    assert_eq!(kpi(&x, "reporting.reports_received"), (1.0, false, 1.0));
    let h = october(&insights, "heping").await;
    assert_eq!(
        kpi(&h, "residents"),
        (1.0, false, 1.0),
        "heping is not locked"
    );
    let street = october(&insights, "huafeng").await;
    assert_eq!(kpi(&street, "residents"), (3.0, true, 4.0));
    // November is not locked: the late resident counts there.
    let november = insights
        .get_kpis(
            &caller(Role::District, "gulou"),
            GetKpisRequest {
                org_unit: "xingfu".into(),
                period: "202611".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        kpi(november.org_unit.as_ref().unwrap(), "residents"),
        (3.0, false, 3.0)
    );

    let s = status(&insights).await;
    let xingfu = &s.communities[0];
    assert_eq!((xingfu.approval.as_str(), xingfu.locked), ("street", true));
    let late: Vec<_> = xingfu
        .late
        .iter()
        .map(|l| (l.element.as_str(), l.approved, l.current))
        .collect();
    assert!(late.contains(&("residents", 2.0, 3.0)), "{late:?}");

    // The district approves, then withdraws: the month is recomputed.
    log.push_in(
        "xingfu",
        "2026-11-05",
        approved("xingfu", "202610", pb::ApprovalLevel::District),
    );
    let at = apply_from(&db, &log, at).await;
    assert_eq!(status(&insights).await.rates[0].approved, 1);
    assert_eq!(
        kpi(&october(&insights, "xingfu").await, "residents"),
        (2.0, true, 3.0)
    );
    log.push_in("xingfu", "2026-11-10", withdrawn("xingfu", "202610"));
    apply_from(&db, &log, at).await;
    assert_eq!(
        kpi(&october(&insights, "xingfu").await, "residents"),
        (3.0, false, 3.0)
    );
    let s = status(&insights).await;
    assert_eq!((s.rates[0].approved, s.communities[0].locked), (0, false));
    assert!(s.communities[0].late.is_empty());
}

on_both_backends!(an_approved_month_keeps_its_figures_until_withdrawn);
