//! The Insights service over the demo org tree: values at community, street and
//! district level, drill-down rows, scope and argument errors. On both backends.

mod common;

use std::collections::BTreeMap;

use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_projection::Insights;
use civitas_proto::events::v1::CareCategory::Minor;
use civitas_proto::events::v1::ResidenceType::{Floating, Permanent};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::insights_service_server::InsightsService;
use civitas_proto::insights::v1::{GetKpisRequest, GetKpisResponse};
use common::*;
use tonic::{Code, Request, Status};

/// GetKpis as `who`, or without a verified caller.
async fn get(
    service: &Insights,
    who: Option<Caller>,
    org_unit: &str,
    period: &str,
) -> Result<GetKpisResponse, Status> {
    let request = GetKpisRequest {
        org_unit: org_unit.into(),
        period: period.into(),
    };
    match who {
        Some(who) => service.get_kpis(&who, request).await,
        None => InsightsService::get_kpis(service, Request::new(request))
            .await
            .map(|r| r.into_inner()),
    }
}

fn staff() -> Option<Caller> {
    Some(caller(Role::Staff, "xingfu"))
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
    let mut log = Log::default();
    for (resident, community, kind) in [
        ("r1", "xingfu", Permanent),
        ("r2", "xingfu", Permanent),
        ("r3", "xingfu", Floating),
        ("r4", "heping", Floating),
        ("r5", "heping", Floating),
        ("r6", "chaoyang", Permanent),
    ] {
        let registered = resident_registered(resident, "h", kind);
        log.push_in(community, "2026-11-02", registered);
    }
    log.push("2026-11-03", care_category_assigned("r1", Minor));
    log.push("2026-11-02", household_registered("h1"));
    let db = applied(backend, "residents", &log).await;
    let insights = Insights::new(db.projection.clone(), OrgTree::demo());
    (db, insights)
}

async fn community_values_and_no_children(backend: Backend) {
    let (_db, service) = seeded(backend).await;
    let r = get(&service, staff(), "", "202611").await.unwrap();
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

    let before = get(&service, staff(), "xingfu", "20261102").await.unwrap();
    assert_eq!(
        value(before.org_unit.as_ref().unwrap(), "residents.care.minor"),
        0.0,
        "assigned the next day"
    );
    let october = get(&service, staff(), "xingfu", "2026Q3").await.unwrap();
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

    let err = get(&service, staff(), "huafeng", "2026").await.unwrap_err();
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

/// What the binary mounts: the Insights server behind the auth interceptor.
#[tokio::test]
async fn projection_serves_insights_behind_auth() {
    let (server, _db) = served().await;
    let request = || GetKpisRequest {
        org_unit: String::new(),
        period: "202611".into(),
    };
    let channel = server.channel_as(Role::District, "gulou").await;
    let r = InsightsServiceClient::new(channel)
        .get_kpis(request())
        .await
        .unwrap()
        .into_inner();
    let unit = r.org_unit.unwrap();
    assert_eq!(
        (unit.code.as_str(), value(&unit, "residents")),
        ("gulou", 0.0)
    );
    let err = InsightsServiceClient::new(server.channel_with(None).await)
        .get_kpis(request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
}

on_both_backends!(
    community_values_and_no_children,
    street_sums_its_communities,
    district_sums_its_streets,
    errors_map_to_grpc_codes,
);
