//! The Insights service over the demo org tree: values at community, street and
//! district level, drill-down rows, scope and argument errors. On both backends.

mod common;

use std::collections::BTreeMap;

use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::{Insights, Projection};
use civitas_proto::events::v1::{CareCategory, ResidenceType};
use civitas_proto::insights::v1::insights_service_server::InsightsService;
use civitas_proto::insights::v1::{GetKpisRequest, GetKpisResponse, OrgUnitKpis};
use common::*;
use tonic::{Code, Request, Status};

fn caller(role: Role, org_unit: &str) -> Caller {
    Caller {
        subject: "tester".into(),
        role,
        org_unit: org_unit.into(),
    }
}

async fn get(
    service: &Insights,
    who: Option<Caller>,
    org_unit: &str,
    period: &str,
) -> Result<GetKpisResponse, Status> {
    let mut request = Request::new(GetKpisRequest {
        org_unit: org_unit.into(),
        period: period.into(),
    });
    if let Some(who) = who {
        request.extensions_mut().insert(who);
    }
    service.get_kpis(request).await.map(|r| r.into_inner())
}

fn value(unit: &OrgUnitKpis, element: &str) -> f64 {
    unit.values
        .iter()
        .find(|v| v.element == element)
        .unwrap_or_else(|| panic!("{element} missing in {}", unit.code))
        .value
}

/// (child code, residents) per drill-down row.
fn residents_by_child(response: &GetKpisResponse) -> BTreeMap<String, f64> {
    response
        .children
        .iter()
        .map(|c| (c.code.clone(), value(c, "residents")))
        .collect()
}

/// xingfu: 3 residents (one minor), heping: 2 floating, chaoyang (another street): 1.
async fn seeded(backend: Backend) -> (TestDb, Insights) {
    let db = backend.open().await;
    let mut log = Log::default();
    for (resident, community, kind) in [
        ("r1", "xingfu", ResidenceType::Permanent),
        ("r2", "xingfu", ResidenceType::Permanent),
        ("r3", "xingfu", ResidenceType::Floating),
        ("r4", "heping", ResidenceType::Floating),
        ("r5", "heping", ResidenceType::Floating),
        ("r6", "chaoyang", ResidenceType::Permanent),
    ] {
        log.push(
            &format!("resident-{resident}"),
            community,
            "2026-11-02",
            registered(resident, "h", kind),
        );
    }
    log.push(
        "resident-r1",
        "xingfu",
        "2026-11-03",
        assigned("r1", CareCategory::Minor),
    );
    log.push("household-h1", "xingfu", "2026-11-02", household("h1"));
    db.projection
        .apply_batch("residents", &log.events, &NoGaps)
        .await
        .unwrap();
    let insights = Insights::new(db.projection.clone(), OrgTree::demo());
    (db, insights)
}

async fn community_values_and_no_children(backend: Backend) {
    let (_db, service) = seeded(backend).await;
    let r = get(&service, Some(caller(Role::Staff, "xingfu")), "", "202611")
        .await
        .unwrap();
    let unit = r.org_unit.as_ref().unwrap();
    assert_eq!(
        (unit.code.as_str(), unit.name.as_str(), unit.level.as_str()),
        ("xingfu", "幸福社区", "community")
    );
    assert_eq!(value(unit, "residents"), 3.0);
    assert_eq!(value(unit, "residents.permanent"), 2.0);
    assert_eq!(value(unit, "residents.floating"), 1.0);
    assert_eq!(value(unit, "residents.care.minor"), 1.0);
    assert_eq!(value(unit, "households"), 1.0);
    assert_eq!(
        unit.values.len(),
        civitas_projection::catalog::ELEMENTS.len(),
        "every element, zero included"
    );
    assert_eq!(value(unit, "residents.care.disabled"), 0.0);
    assert!(unit.values.iter().all(|v| {
        let element = civitas_projection::catalog::element(&v.element).expect("in the catalog");
        v.aggregation == element.aggregation.as_str() && !v.name.is_empty()
    }));
    assert_eq!(
        unit.values
            .iter()
            .find(|v| v.element == "residents")
            .map(|v| v.aggregation.as_str()),
        Some("LAST")
    );
    assert!(r.children.is_empty());
    assert_eq!(r.period, "202611");
    assert_eq!(r.applied_events, 8);

    let before = get(
        &service,
        Some(caller(Role::Staff, "xingfu")),
        "xingfu",
        "20261102",
    )
    .await
    .unwrap();
    assert_eq!(
        value(before.org_unit.as_ref().unwrap(), "residents.care.minor"),
        0.0,
        "assigned the next day"
    );
    let october = get(
        &service,
        Some(caller(Role::Staff, "xingfu")),
        "xingfu",
        "2026Q3",
    )
    .await
    .unwrap();
    assert_eq!(value(october.org_unit.as_ref().unwrap(), "residents"), 0.0);
}

async fn street_sums_its_communities(backend: Backend) {
    let (_db, service) = seeded(backend).await;
    let r = get(
        &service,
        Some(caller(Role::District, "huafeng")),
        "huafeng",
        "2026W48",
    )
    .await
    .unwrap();
    let unit = r.org_unit.as_ref().unwrap();
    assert_eq!(
        (unit.code.as_str(), unit.level.as_str()),
        ("huafeng", "street")
    );
    assert_eq!(value(unit, "residents"), 5.0);
    assert_eq!(value(unit, "residents.floating"), 3.0);
    let expected: BTreeMap<String, f64> = [
        ("xingfu", 3.0),
        ("heping", 2.0),
        ("minzhu", 0.0),
        ("jinxiu", 0.0),
    ]
    .map(|(c, v)| (c.to_owned(), v))
    .into();
    assert_eq!(residents_by_child(&r), expected);
    assert!(r.children.iter().all(|c| c.level == "community"));
}

async fn district_sums_its_streets(backend: Backend) {
    let (_db, service) = seeded(backend).await;
    let r = get(&service, Some(caller(Role::District, "gulou")), "", "2026")
        .await
        .unwrap();
    let unit = r.org_unit.as_ref().unwrap();
    assert_eq!(
        (unit.code.as_str(), unit.level.as_str()),
        ("gulou", "district")
    );
    assert_eq!(value(unit, "residents"), 6.0);
    assert_eq!(value(unit, "residents.permanent"), 3.0);
    let children = residents_by_child(&r);
    assert_eq!(children.len(), 3);
    assert_eq!(children["huafeng"], 5.0);
    assert_eq!(children["dongjie"], 1.0);
    assert_eq!(
        children.values().sum::<f64>(),
        value(unit, "residents"),
        "children add up to the parent"
    );
}

async fn errors_map_to_grpc_codes(backend: Backend) {
    let (_db, service) = seeded(backend).await;
    let admin = || Some(caller(Role::Admin, "gulou"));

    let err = get(&service, admin(), "atlantis", "2026")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");

    let err = get(&service, admin(), "xingfu", "2026M11")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("period"), "{err:?}");

    let err = get(
        &service,
        Some(caller(Role::Staff, "xingfu")),
        "huafeng",
        "2026",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = get(
        &service,
        Some(caller(Role::District, "dongjie")),
        "xingfu",
        "2026",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");

    let err = get(&service, None, "xingfu", "2026").await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
}

/// The server wrapper is what the binary mounts.
#[tokio::test]
async fn projection_builds_the_grpc_server() {
    let dir = civitas_testkit::temp_dir();
    let projection = Projection::open(&format!("sqlite://{}/p.db?mode=rwc", dir.path().display()))
        .await
        .unwrap();
    let _server = projection.insights(OrgTree::demo());
}

on_both_backends!(
    community_values_and_no_children,
    street_sums_its_communities,
    district_sums_its_streets,
    errors_map_to_grpc_codes,
);
