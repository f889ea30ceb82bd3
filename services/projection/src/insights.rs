//! The Insights gRPC service: KPI values for one org unit and period, with one row per
//! child unit for drill-down. Values of a street or district are sums over the
//! communities below it: data elements are summed up the tree, never averaged. The
//! catalog's indicators over those values are in [`indicators`].

mod export;
mod indicators;
mod reporting;
mod rollup;
mod scorecard;

pub(crate) use indicators::indicator_alerts;

use std::collections::BTreeMap;

use civitas_platform::auth::Caller;
use civitas_platform::error::{invalid_argument, not_found};
use civitas_platform::org::{OrgTree, OrgUnit};
use civitas_proto::insights::v1::insights_service_server::{
    InsightsService, InsightsServiceServer,
};
use civitas_proto::insights::v1::{
    ExportCsvRequest, GetIndicatorTrendRequest, GetIndicatorTrendResponse, GetIndicatorsRequest,
    GetIndicatorsResponse, GetKpisRequest, GetKpisResponse, GetReportingStatusRequest,
    GetReportingStatusResponse, GetScorecardRequest, GetScorecardResponse, KpiValue,
    ListLeagueTableRequest, ListLeagueTableResponse, OrgUnitKpis,
};
use tonic::Status;

use crate::catalog::ELEMENTS;
use crate::period::Period;
use crate::Projection;

/// Per community, per element code, a value.
pub(crate) type Figures = BTreeMap<String, BTreeMap<String, f64>>;

/// Serves [`InsightsService`] from a [`Projection`] and the org tree.
#[derive(Clone)]
pub struct Insights {
    projection: Projection,
    tree: OrgTree,
}

impl Insights {
    /// The service over `projection`, rolling up along `tree`.
    pub fn new(projection: Projection, tree: OrgTree) -> Self {
        Self { projection, tree }
    }

    fn communities(&self, code: &str) -> Vec<String> {
        self.tree
            .communities_under(code)
            .into_iter()
            .map(|u| u.code.clone())
            .collect()
    }

    /// The unit's values: the served ones (approved where a report locked the month)
    /// and, flagged late where they differ, the live ones.
    fn kpis(&self, unit: &OrgUnit, per_community: &Figures, live: &Figures) -> OrgUnitKpis {
        let communities = self.communities(&unit.code);
        let in_order = |values: &BTreeMap<String, f64>| -> Vec<f64> {
            ELEMENTS
                .iter()
                .map(|e| values.get(e.code).copied().unwrap_or_default())
                .collect()
        };
        let values = crate::unit_values(per_community, &unit.code, &communities);
        let live = crate::unit_values(live, &unit.code, &communities);
        kpi_row(unit, &in_order(&values), &in_order(&live))
    }

    /// Every element's value for the org unit (by default the caller's own) and the
    /// period, with one row per child unit.
    pub async fn get_kpis(
        &self,
        caller: &Caller,
        request: GetKpisRequest,
    ) -> Result<GetKpisResponse, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let period = Period::parse(&request.period)
            .map_err(|e| invalid_argument("period", e.to_string()))?;

        // Read the applied count and the freshness first: the values read after them are
        // at least that new, so neither ever claims more than the values hold.
        let applied_events = self.projection.applied_events().await?;
        let freshness = crate::freshness::read(&self.projection.pool).await?;
        let units: Vec<&OrgUnit> = std::iter::once(unit)
            .chain(self.tree.children(&unit.code))
            .collect();
        let under: Vec<Vec<String>> = units.iter().map(|u| self.communities(&u.code)).collect();
        let groups: Vec<(&str, &[String])> = units
            .iter()
            .zip(&under)
            .map(|(u, c)| (u.code.as_str(), c.as_slice()))
            .collect();
        // On PostgreSQL every unit's values summed in SQL; else per community.
        if let Some(mut values) = self.projection.unit_values_over(&groups, &[period]).await? {
            let values = values.pop().unwrap_or_default();
            let mut rows = units
                .iter()
                .zip(&values)
                .map(|(u, v)| kpi_row(u, &v.served, &v.live));
            return Ok(GetKpisResponse {
                org_unit: rows.next(),
                children: rows.collect(),
                period: request.period,
                applied_events,
                freshness,
            });
        }
        let communities = self.communities(&unit.code);
        let mut live = self
            .projection
            .live_values_over(&communities, &[period])
            .await?;
        let groups: Vec<crate::db::Group> = units
            .iter()
            .map(|u| (u.code.clone(), self.communities(&u.code)))
            .collect();
        self.projection
            .with_distinct(&mut live, &groups, &[period])
            .await?;
        let live = live.pop().unwrap_or_default();
        // Both are served: the approved figures and, beside them, the live ones.
        let mut served = live.clone();
        self.projection
            .approved_values(&communities, &period, &mut served)
            .await?;
        Ok(GetKpisResponse {
            org_unit: Some(self.kpis(unit, &served, &live)),
            children: self
                .tree
                .children(&unit.code)
                .into_iter()
                .map(|child| self.kpis(child, &served, &live))
                .collect(),
            period: request.period,
            applied_events,
            freshness,
        })
    }
}

/// A unit's row of `GetKpis` from its served and live values, per catalog element in
/// [`ELEMENTS`] order; an element is late where the two differ.
fn kpi_row(unit: &OrgUnit, served: &[f64], live: &[f64]) -> OrgUnitKpis {
    OrgUnitKpis {
        code: unit.code.clone(),
        name: unit.name.clone(),
        level: unit.level.to_string(),
        values: ELEMENTS
            .iter()
            .zip(served.iter().zip(live))
            .map(|(e, (&value, &current_value))| KpiValue {
                element: e.code.to_owned(),
                name: e.name.to_owned(),
                value,
                aggregation: e.aggregation.as_str().to_owned(),
                late: value != current_value,
                current_value,
            })
            .collect(),
    }
}

/// The unit a request names (the caller's own when `requested` is empty), once the
/// caller may read it.
pub(crate) fn readable_unit<'t>(
    tree: &'t OrgTree,
    caller: &Caller,
    requested: &str,
) -> Result<&'t OrgUnit, Status> {
    let code = if requested.is_empty() {
        caller.org_unit.as_str()
    } else {
        requested
    };
    let unit = tree.unit(code).ok_or_else(|| not_found("org unit", code))?;
    caller.authorize_read(&unit.code, tree)?;
    Ok(unit)
}

civitas_platform::grpc_service! {
    Insights as InsightsService, InsightsServiceServer {
        get_kpis(GetKpisRequest) -> GetKpisResponse;
        get_indicators(GetIndicatorsRequest) -> GetIndicatorsResponse;
        get_indicator_trend(GetIndicatorTrendRequest) -> GetIndicatorTrendResponse;
        get_scorecard(GetScorecardRequest) -> GetScorecardResponse;
        list_league_table(ListLeagueTableRequest) -> ListLeagueTableResponse;
        get_reporting_status(GetReportingStatusRequest) -> GetReportingStatusResponse;
    }
    streaming {
        type ExportCsvStream = export::CsvStream;

        #[tracing::instrument(skip_all, fields(rpc = "export_csv"))]
        async fn export_csv(
            &self,
            request: tonic::Request<ExportCsvRequest>,
        ) -> Result<tonic::Response<export::CsvStream>, Status> {
            let caller = civitas_platform::auth::caller(&request)?;
            let stream = self.csv_stream(&caller, request.into_inner()).await?;
            Ok(tonic::Response::new(stream))
        }
    }
}
