//! End to end through `civitas up`'s application: residents registered over gRPC with
//! tokens of several roles, refused writes, erasure, and the KPI values the projection
//! derives at community, street and district level.

use std::collections::BTreeMap;

use civitas_e2e::{bad_fields, id_number, reflected_services, this_month, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::common::v1::WriteOptions;
use civitas_proto::events::v1::{CareCategory, ResidenceType, Sex};
use civitas_proto::insights::v1::{GetKpisRequest, GetKpisResponse, OrgUnitKpis};
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use tonic::Code;

type Residents = ResidentsServiceClient<civitas_testkit::AuthChannel>;

fn household(address: &str) -> api::RegisterHouseholdRequest {
    api::RegisterHouseholdRequest {
        address: address.into(),
        grid: "G-01".into(),
        building: "3栋".into(),
        ..Default::default()
    }
}

fn resident(
    household_id: &str,
    name: &str,
    id17: &str,
    residence: ResidenceType,
) -> api::RegisterResidentRequest {
    api::RegisterResidentRequest {
        household_id: household_id.into(),
        name: name.into(),
        id_number: id_number(id17),
        phone: "13812345678".into(),
        residence_type: residence as i32,
        ..Default::default()
    }
}

fn values(unit: &OrgUnitKpis) -> BTreeMap<String, f64> {
    unit.values
        .iter()
        .map(|v| (v.element.clone(), v.value))
        .collect()
}

#[tokio::test]
async fn residents_flow_into_kpis_with_scope_and_erasure() {
    let app = RunningApp::start().await;
    let staff = app.token(Role::Staff, "xingfu");
    let mut xingfu = app.residents(Some(staff.clone())).await;
    let mut heping = app.residents(Some(app.token(Role::Staff, "heping"))).await;

    // A household and three residents in 幸福社区.
    let h1 = xingfu
        .register_household(household("华峰路 12 号 3 栋 501"))
        .await
        .expect("household")
        .into_inner();
    let r1 = xingfu
        .register_resident(resident(
            &h1.household_id,
            "王秀英",
            "11010519491231002",
            ResidenceType::Permanent,
        ))
        .await
        .expect("resident 1")
        .into_inner();
    let r2 = xingfu
        .register_resident(resident(
            &h1.household_id,
            "李建国",
            "32010219800517003",
            ResidenceType::Floating,
        ))
        .await
        .expect("resident 2")
        .into_inner();
    let r3 = xingfu
        .register_resident(resident(
            &h1.household_id,
            "张伟",
            "44030419751102001",
            ResidenceType::Permanent,
        ))
        .await
        .expect("resident 3")
        .into_inner();
    xingfu
        .assign_care_category(api::AssignCareCategoryRequest {
            resident_id: r1.resident_id.clone(),
            category: CareCategory::EmptyNest as i32,
            ..Default::default()
        })
        .await
        .expect("assign care category");

    // Another community's staff may neither write into nor read this household.
    let denied = heping
        .register_resident(resident(
            &h1.household_id,
            "赵敏",
            "11010519900101001",
            ResidenceType::Permanent,
        ))
        .await
        .expect_err("cross-community write");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let denied = heping
        .get_resident(api::GetResidentRequest {
            resident_id: r1.resident_id.clone(),
        })
        .await
        .expect_err("cross-community read");
    assert_eq!(denied.code(), Code::PermissionDenied);

    // 和平社区 registers its own household with one floating resident.
    let h2 = heping
        .register_household(household("和平街 8 号"))
        .await
        .expect("household 2")
        .into_inner();
    heping
        .register_resident(resident(
            &h2.household_id,
            "陈静",
            "11010519851010002",
            ResidenceType::Floating,
        ))
        .await
        .expect("heping resident");

    // A district user reads but never writes.
    let mut district = app
        .residents(Some(app.token(Role::District, "gulou")))
        .await;
    let refused = district
        .register_household(household("x"))
        .await
        .expect_err("district write");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let seen = district
        .get_resident(api::GetResidentRequest {
            resident_id: r1.resident_id.clone(),
        })
        .await
        .expect("district read")
        .into_inner()
        .resident
        .expect("resident");
    assert_eq!(
        seen.personal_visibility,
        api::PersonalVisibility::Redacted as i32
    );
    assert!(
        seen.personal.is_none(),
        "personal data only for the community's staff"
    );

    // Staff of the community see the person.
    let own = xingfu
        .get_resident(api::GetResidentRequest {
            resident_id: r1.resident_id.clone(),
        })
        .await
        .expect("staff read")
        .into_inner()
        .resident
        .expect("resident");
    let personal = own.personal.expect("personal visible to own staff");
    assert_eq!(personal.name, "王秀英");
    assert_eq!(personal.id_number, id_number("11010519491231002"));
    assert_eq!(own.birth_year, 1949);
    assert_eq!(
        own.sex,
        Sex::Female as i32,
        "sex derived from the ID number"
    );
    assert_eq!(own.care_categories, vec![CareCategory::EmptyNest as i32]);

    // Erasure: the key is gone, the record says so, counts move with it.
    xingfu
        .erase_resident(api::EraseResidentRequest {
            resident_id: r2.resident_id.clone(),
            ..Default::default()
        })
        .await
        .expect("erase");
    let erased = xingfu
        .get_resident(api::GetResidentRequest {
            resident_id: r2.resident_id.clone(),
        })
        .await
        .expect("read erased")
        .into_inner()
        .resident
        .expect("resident");
    assert!(erased.erased);
    assert_eq!(
        erased.personal_visibility,
        api::PersonalVisibility::Erased as i32
    );
    assert!(erased.personal.is_none());
    let hh = xingfu
        .get_household(api::GetHouseholdRequest {
            household_id: h1.household_id.clone(),
        })
        .await
        .expect("household")
        .into_inner();
    assert_eq!(
        hh.residents.len(),
        3,
        "erased residents stay listed, without personal data"
    );
    assert_eq!(
        hh.household
            .expect("household")
            .personal
            .expect("address")
            .address,
        "华峰路 12 号 3 栋 501"
    );

    // KPIs at every level, once the projection has applied all 8 events.
    let insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let period = this_month();
    let kpis = |org: &'static str| {
        let mut client = insights.clone();
        let period = period.clone();
        async move {
            let r: GetKpisResponse = client
                .get_kpis(GetKpisRequest {
                    org_unit: org.into(),
                    period,
                })
                .await
                .map_err(|s| anyhow::anyhow!("{s:?}"))?
                .into_inner();
            anyhow::ensure!(
                r.applied_events >= 8,
                "applied {} of 8 events",
                r.applied_events
            );
            Ok(r)
        }
    };
    let community = civitas_testkit::eventually!(kpis("xingfu"));
    let v = values(community.org_unit.as_ref().expect("unit"));
    assert_eq!(v["households"], 1.0);
    assert_eq!(v["residents"], 2.0, "three registered, one erased");
    assert_eq!(v["residents.permanent"], 2.0);
    assert_eq!(v["residents.floating"], 0.0);
    assert_eq!(v["residents.care.empty_nest"], 1.0);

    let street = kpis("huafeng").await.expect("street kpis");
    let v = values(street.org_unit.as_ref().expect("unit"));
    assert_eq!(
        (v["households"], v["residents"], v["residents.floating"]),
        (2.0, 3.0, 1.0)
    );
    let children: BTreeMap<String, BTreeMap<String, f64>> = street
        .children
        .iter()
        .map(|c| (c.code.clone(), values(c)))
        .collect();
    assert_eq!(children.len(), 4, "one row per community of the street");
    assert_eq!(children["xingfu"]["residents"], 2.0);
    assert_eq!(children["heping"]["residents"], 1.0);
    assert_eq!(children["minzhu"]["residents"], 0.0);

    let district_kpis = kpis("gulou").await.expect("district kpis");
    let v = values(district_kpis.org_unit.as_ref().expect("unit"));
    assert_eq!(
        (v["households"], v["residents"], v["residents.permanent"]),
        (2.0, 3.0, 2.0)
    );
    assert_eq!(district_kpis.children.len(), 3, "one row per street");

    // Staff see only their own community's KPIs.
    let mut staff_insights = app.insights(Some(staff)).await;
    let denied = staff_insights
        .get_kpis(GetKpisRequest {
            org_unit: "huafeng".into(),
            period: this_month(),
        })
        .await
        .expect_err("staff reading the street");
    assert_eq!(denied.code(), Code::PermissionDenied);
    drop(r3);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_and_missing_tokens_get_documented_codes() {
    let app = RunningApp::start().await;
    let mut anonymous = app.residents(None).await;
    let status = anonymous
        .register_household(household("a"))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);

    let mut forged = app.residents(Some("not.a.jwt".into())).await;
    assert_eq!(
        forged
            .register_household(household("a"))
            .await
            .expect_err("forged")
            .code(),
        Code::Unauthenticated
    );

    let mut staff = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let h = staff
        .register_household(household("幸福路 1 号"))
        .await
        .expect("household")
        .into_inner();
    // A valid registration: the cases below vary one field of it, or send it again.
    let wang_fang = || {
        resident(
            &h.household_id,
            "王芳",
            "11010519491231002",
            ResidenceType::Permanent,
        )
    };

    let mut bad_checksum = wang_fang();
    bad_checksum.id_number = "110105194912310021".into();
    let status = staff
        .register_resident(bad_checksum)
        .await
        .expect_err("bad checksum");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["id_number"]);

    let mut bad_phone = wang_fang();
    bad_phone.phone = "12345".into();
    let status = staff
        .register_resident(bad_phone)
        .await
        .expect_err("bad phone");
    assert_eq!(bad_fields(&status), ["phone"]);

    let no_type = api::RegisterResidentRequest {
        residence_type: ResidenceType::Unspecified as i32,
        ..wang_fang()
    };
    assert_eq!(
        bad_fields(&staff.register_resident(no_type).await.expect_err("no type")),
        ["residence_type"]
    );

    // A child under 14 needs a guardian.
    let child = resident(
        &h.household_id,
        "王小明",
        "11010520200101003",
        ResidenceType::Permanent,
    );
    let status = staff
        .register_resident(child)
        .await
        .expect_err("child without guardian");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("guardian"),
        "{}",
        status.message()
    );

    let unknown = resident(
        "0190f5c2-0000-7000-8000-000000000000",
        "王芳",
        "11010519491231002",
        ResidenceType::Permanent,
    );
    assert_eq!(
        staff
            .register_resident(unknown)
            .await
            .expect_err("unknown household")
            .code(),
        Code::NotFound
    );

    // An oversize message is refused by the server's limit: RESOURCE_EXHAUSTED.
    let huge = api::RegisterHouseholdRequest {
        address: "x".repeat(5 * 1024 * 1024),
        ..household("")
    };
    assert_eq!(
        staff
            .register_household(huge)
            .await
            .expect_err("oversize")
            .code(),
        Code::ResourceExhausted
    );

    // The same ID number cannot be registered twice; a retried command appends once.
    let options = Some(WriteOptions {
        idempotency_key: "reg-1".into(),
        expected_version: None,
    });
    let first = staff
        .register_resident(api::RegisterResidentRequest {
            options: options.clone(),
            ..wang_fang()
        })
        .await
        .expect("register")
        .into_inner();
    let retry = staff
        .register_resident(api::RegisterResidentRequest {
            options,
            ..wang_fang()
        })
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retry.resident_id, first.resident_id);
    assert!(retry.result.expect("result").replayed);
    let twice = wang_fang();
    assert_eq!(
        staff
            .register_resident(twice)
            .await
            .expect_err("duplicate id")
            .code(),
        Code::AlreadyExists
    );

    // A stale expected version is a conflict.
    let stale = api::AssignCareCategoryRequest {
        options: Some(WriteOptions {
            idempotency_key: String::new(),
            expected_version: Some(7),
        }),
        resident_id: first.resident_id.clone(),
        category: CareCategory::Disabled as i32,
    };
    assert_eq!(
        staff
            .assign_care_category(stale)
            .await
            .expect_err("stale")
            .code(),
        Code::Aborted
    );
    app.stop().await;
}

/// No personal field is stored in clear text in the event tables.
#[tokio::test]
async fn event_tables_hold_no_personal_data_in_clear() {
    let app = RunningApp::start().await;
    let mut staff = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let h = staff
        .register_household(household("幸福路 99 号 秘密地址"))
        .await
        .expect("household")
        .into_inner();
    let id = id_number("11010519491231002");
    staff
        .register_resident(resident(
            &h.household_id,
            "欧阳秘密",
            "11010519491231002",
            ResidenceType::Permanent,
        ))
        .await
        .expect("resident");
    let db = app.data_dir.path().join("residents.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("open db");
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT event_type, payload FROM events")
        .fetch_all(&pool)
        .await
        .expect("events");
    assert_eq!(rows.len(), 2);
    let raw = std::fs::read(&db).expect("raw file");
    for secret in [
        "欧阳秘密",
        id.as_str(),
        "13812345678",
        "秘密地址",
        "1949-12-31",
    ] {
        for (event_type, payload) in &rows {
            assert!(
                !contains(payload, secret.as_bytes()),
                "{secret} in clear in {event_type}"
            );
        }
        assert!(
            !contains(&raw, secret.as_bytes()),
            "{secret} in clear in the database file"
        );
    }
    app.stop().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Health and reflection answer without a token, so standard tools can find the APIs.
#[tokio::test]
async fn health_and_reflection_answer_without_a_token() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    let app = RunningApp::start().await;
    let mut health = HealthClient::new(app.channel().await);
    let status = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(status.status, ServingStatus::Serving as i32);

    let names = reflected_services(app.channel().await).await;
    assert!(
        names
            .iter()
            .any(|n| n == "civitas.residents.v1.ResidentsService"),
        "{names:?}"
    );
    app.stop().await;
}

/// The projection's own token (role `service`) reads the event logs across the
/// district and nothing else: no write, no per-person record, no KPI.
#[tokio::test]
async fn a_service_token_reads_event_logs_and_nothing_else() {
    use civitas_proto::eventlog::v1::event_log_service_client::EventLogServiceClient;
    use civitas_proto::eventlog::v1::ReadStreamRequest;

    let app = RunningApp::start().await;
    let mut staff = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let h = staff
        .register_household(household("幸福路 9 号"))
        .await
        .expect("household")
        .into_inner();

    let service = app.token(Role::Service, "gulou");
    let channel = civitas_testkit::connect_with(&app.addr, Some(&service)).await;
    let read = EventLogServiceClient::new(channel)
        .read_stream(ReadStreamRequest {
            stream_id: format!("household-{}", h.household_id),
            after_version: 0,
            service: "residents".into(),
        })
        .await
        .expect("a service token reads the event log")
        .into_inner();
    assert_eq!(read.envelopes.len(), 1);

    let mut as_service = app.residents(Some(service.clone())).await;
    let refused = [
        as_service
            .register_household(household("幸福路 10 号"))
            .await
            .expect_err("no write"),
        as_service
            .get_household(api::GetHouseholdRequest {
                household_id: h.household_id.clone(),
            })
            .await
            .expect_err("no per-person record"),
        app.insights(Some(service))
            .await
            .get_kpis(GetKpisRequest {
                org_unit: "gulou".into(),
                period: this_month(),
            })
            .await
            .expect_err("no KPI"),
    ];
    for status in refused {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(status.message(), "role service may only read event logs");
    }
}

/// In embedded mode the volunteering service reads the residents store itself: a
/// resident of the caller's community volunteers once; a resident of another community,
/// an unknown id or a moved-out resident is refused, without saying where they live.
#[tokio::test]
async fn volunteers_are_residents_of_the_community_once() {
    use civitas_proto::events::v1::MoveOutReason;
    use civitas_proto::volunteering::v1::volunteering_service_client::VolunteeringServiceClient;
    use civitas_proto::volunteering::v1::RegisterVolunteerRequest;

    let app = RunningApp::start().await;
    let mut xingfu = app.residents(Some(app.token(Role::Staff, "xingfu"))).await;
    let mut heping = app.residents(Some(app.token(Role::Staff, "heping"))).await;
    let h1 = household_id(&mut xingfu, "华峰路 1 号").await;
    let h2 = household_id(&mut heping, "和平路 2 号").await;
    let local = resident_id(&mut xingfu, &h1, "11010519800101123").await;
    let leaving = resident_id(&mut xingfu, &h1, "11010519810101123").await;
    let stranger = resident_id(&mut heping, &h2, "11010519820101123").await;
    xingfu
        .move_out_resident(api::MoveOutResidentRequest {
            resident_id: leaving.clone(),
            reason_code: MoveOutReason::MovedOutOfDistrict as i32,
            ..Default::default()
        })
        .await
        .expect("move out");

    let staff = app.token(Role::Staff, "xingfu");
    let mut volunteers = VolunteeringServiceClient::new(
        civitas_testkit::connect_with(&app.addr, Some(&staff)).await,
    );
    let as_volunteer = |resident_id: &str| RegisterVolunteerRequest {
        resident_id: resident_id.to_owned(),
        ..Default::default()
    };
    volunteers
        .register_volunteer(as_volunteer(&local))
        .await
        .expect("a xingfu resident volunteers in xingfu");
    let twice = volunteers
        .register_volunteer(as_volunteer(&local))
        .await
        .expect_err("once per community");
    assert_eq!(twice.code(), Code::AlreadyExists, "{twice:?}");
    for refused in [stranger, leaving, uuid::Uuid::now_v7().to_string()] {
        let err = volunteers
            .register_volunteer(as_volunteer(&refused))
            .await
            .expect_err("not a resident of xingfu");
        assert_eq!(err.code(), Code::NotFound, "{err:?}");
        assert!(!err.message().contains("heping"), "{err:?}");
    }
    app.stop().await;
}

async fn household_id(client: &mut Residents, address: &str) -> String {
    let response = client.register_household(household(address)).await;
    response.expect("household").into_inner().household_id
}

async fn resident_id(client: &mut Residents, household_id: &str, id17: &str) -> String {
    let request = resident(household_id, "李四", id17, ResidenceType::Permanent);
    let response = client.register_resident(request).await;
    response.expect("resident").into_inner().resident_id
}
