//! A residents service and projections on a [`Cluster`], as the distributed and
//! rebuild tests drive them: commands that make load, KPI reads, table dumps.
#![allow(dead_code)]

use std::collections::BTreeMap;

use civitas::distributed::ServiceKind;
use civitas_e2e::{id_number, this_month, Cluster, Spawned};
use civitas_platform::auth::BearerToken;
use civitas_proto::events::v1::{CareCategory, ResidenceType};
use civitas_proto::insights::v1::insights_service_client::InsightsServiceClient;
use civitas_proto::insights::v1::GetKpisRequest;
use civitas_proto::residents::v1 as api;
use civitas_proto::residents::v1::residents_service_client::ResidentsServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub type Residents = ResidentsServiceClient<InterceptedService<Channel, BearerToken>>;

pub async fn residents_client(service: &Spawned, token: &str) -> Residents {
    ResidentsServiceClient::with_interceptor(service.channel().await, BearerToken::new(token))
}

pub async fn projection(
    cluster: &Cluster,
    residents: &Spawned,
    durable: &str,
    schema: &str,
) -> Spawned {
    let mut config = cluster.config();
    config.durable = durable.to_owned();
    config.projection_schema = schema.to_owned();
    config
        .event_logs
        .insert("residents".to_owned(), residents.addr.clone());
    Spawned::serve(ServiceKind::Projection, config).await
}

/// Registers one household with `n` residents (every third floating, every second
/// with a care category): `1 + n + (n + 1) / 2` events; returns the resident ids.
pub async fn register(client: &mut Residents, n: usize, seed: usize) -> Vec<String> {
    let h = client
        .register_household(api::RegisterHouseholdRequest {
            address: format!("华峰路 {seed} 号"),
            grid: "G-01".into(),
            building: "1栋".into(),
            ..Default::default()
        })
        .await
        .expect("household")
        .into_inner();
    let mut ids = Vec::new();
    for i in 0..n {
        let first17 = format!(
            "110105{}{:02}{:02}{:03}",
            1950 + (seed % 40),
            1 + i % 12,
            1 + i % 28,
            (seed * 7 + i) % 1000
        );
        let residence = if i % 3 == 0 {
            ResidenceType::Floating
        } else {
            ResidenceType::Permanent
        };
        let r = client
            .register_resident(api::RegisterResidentRequest {
                household_id: h.household_id.clone(),
                name: format!("居民{seed}-{i}"),
                id_number: id_number(&first17),
                residence_type: residence as i32,
                ..Default::default()
            })
            .await
            .expect("resident")
            .into_inner();
        if i % 2 == 0 {
            client
                .assign_care_category(api::AssignCareCategoryRequest {
                    resident_id: r.resident_id.clone(),
                    category: CareCategory::LivingAlone as i32,
                    ..Default::default()
                })
                .await
                .expect("care category");
        }
        ids.push(r.resident_id);
    }
    ids
}

pub async fn kpis(
    projection: &Spawned,
    token: &str,
    org: &str,
    min_events: u64,
) -> anyhow::Result<BTreeMap<String, f64>> {
    let mut client = InsightsServiceClient::with_interceptor(
        projection.channel().await,
        BearerToken::new(token),
    );
    let r = client
        .get_kpis(GetKpisRequest {
            org_unit: org.into(),
            period: this_month(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{s:?}"))?
        .into_inner();
    anyhow::ensure!(
        r.applied_events >= min_events,
        "applied {} of {min_events} events",
        r.applied_events
    );
    Ok(r.org_unit
        .expect("unit")
        .values
        .into_iter()
        .map(|v| (v.element, v.value))
        .collect())
}

/// Every row of the read-model tables of a projection schema, as sorted JSON text.
pub async fn dump(cluster: &Cluster, schema: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(&cluster.db.url)
        .await
        .expect("connect");
    let mut rows = Vec::new();
    for table in [
        "resident_view",
        "kpi_facts",
        "kpi_months",
        "kpi_persons",
        "projection_stream_versions",
    ] {
        let query = format!("SELECT '{table}: ' || row_to_json(t)::text FROM {schema}.{table} t");
        let mut part: Vec<String> = sqlx::query_scalar(&query)
            .fetch_all(&pool)
            .await
            .expect("dump");
        part.sort();
        rows.extend(part);
    }
    rows
}
