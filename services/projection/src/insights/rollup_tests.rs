use std::collections::BTreeMap;

use civitas_platform::auth::{Caller, Role};
use civitas_platform::org::OrgTree;
use civitas_proto::insights::v1::{GetIndicatorTrendRequest, GetIndicatorsRequest, GetKpisRequest};

use crate::db::{self, Conn};
use crate::rules::Deltas;
use crate::{Aggregation, Insights, Projection};

use super::ELEMENTS;

/// splitmix64, for deterministic random deltas.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// On PostgreSQL, `GetKpis` and `GetIndicators` answer the same whether the values
/// are summed per unit in SQL (the native reader) or read per community (the
/// portable path SQLite takes): for the district, a street and a community, over
/// a locked month (approved figures, with late deltas after the approval), the
/// month before, a quarter, the year, a week across two months and a day; with
/// SUM, LAST and DISTINCT elements (a person counted in two communities of one
/// street), the reporting calendar's elements, and a pair with no delta in the
/// period. `GetIndicatorTrend` too, over 14 months.
#[tokio::test]
async fn values_summed_in_sql_equal_the_per_community_path() {
    let pg = civitas_testkit::fresh_postgres_db()
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let projection = Projection::open_in(&pg.url, Some("projection"))
        .await
        .unwrap();
    assert!(projection.reader.is_some(), "a native reader on PostgreSQL");
    let tree = OrgTree::demo();
    let district = tree.root().code.clone();
    let street = tree.children(&district)[0].code.clone();
    let communities: Vec<String> = tree
        .communities_under(&district)
        .into_iter()
        .map(|u| u.code.clone())
        .collect();
    let in_street: Vec<String> = tree
        .communities_under(&street)
        .into_iter()
        .map(|u| u.code.clone())
        .collect();
    let sums: Vec<&'static str> = ELEMENTS
        .iter()
        .filter(|e| e.aggregation == Aggregation::Sum && !e.code.starts_with("reporting."))
        .take(6)
        .map(|e| e.code)
        .collect();
    let stocks: Vec<&'static str> = ELEMENTS
        .iter()
        .filter(|e| e.aggregation == Aggregation::Last)
        .take(6)
        .map(|e| e.code)
        .collect();
    let distinct: Vec<&'static str> = ELEMENTS
        .iter()
        .filter(|e| e.aggregation == Aggregation::Distinct)
        .map(|e| e.code)
        .collect();
    assert!(!distinct.is_empty(), "the catalog has DISTINCT elements");

    let mut rng = Rng(0xD157);
    let mut deltas = |from: u64, days: u64| {
        let mut out = Deltas::new();
        let origin = chrono::NaiveDate::from_ymd_opt(2025, 12, 20).unwrap();
        for (c, community) in communities.iter().enumerate() {
            // The last community has no delta at all; the one before only stocks.
            if c + 1 == communities.len() {
                continue;
            }
            for element in sums.iter().chain(&stocks) {
                if c + 2 == communities.len() && sums.contains(element) {
                    continue;
                }
                for _ in 0..3 {
                    let day = origin + chrono::Duration::days((from + rng.below(days)) as i64);
                    let delta = rng.below(9) as i64 - 2;
                    let key = (*element, community.clone(), day.to_string());
                    *out.entry(key).or_default() += delta;
                }
            }
        }
        out
    };
    let before_approval = deltas(0, 340);
    let late = deltas(300, 45);
    // Written as the apply path writes them, with the street rollups.
    let streets: BTreeMap<String, String> = tree
        .children(&district)
        .iter()
        .flat_map(|s| {
            tree.communities_under(&s.code)
                .into_iter()
                .map(|c| (c.code.clone(), s.code.clone()))
        })
        .collect();
    let mut conn = projection.pool.acquire().await.unwrap();
    db::add_deltas_in_streets(&mut Conn::Any(&mut conn), &before_approval, &streets)
        .await
        .unwrap();
    // November approved in two communities of the street and one elsewhere.
    let locked: Vec<String> = in_street
        .iter()
        .take(2)
        .chain(communities.iter().rev().take(1))
        .cloned()
        .collect();
    for community in &locked {
        sqlx::query(
            "INSERT INTO report_view (report_key, community, month, submitted_on, on_time,
                 submissions, approval)
             VALUES ($1, $2, '2026-11', '2026-12-02', 1, 1, 'street')",
        )
        .bind(format!("{community}/2026-11"))
        .bind(community.as_str())
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    let locks: Vec<(String, String)> = locked
        .iter()
        .map(|c| (c.clone(), "2026-11".to_owned()))
        .collect();
    db::relock(&mut Conn::Any(&mut conn), &locks, &[])
        .await
        .unwrap();
    // Late deltas, after the approval.
    db::add_deltas_in_streets(&mut Conn::Any(&mut conn), &late, &streets)
        .await
        .unwrap();
    // Persons: one counted in two communities of the street, others in one.
    let mut persons = vec![
        (distinct[0], in_street[0].as_str(), "2026-11-03", "p1"),
        (distinct[0], in_street[1].as_str(), "2026-11-12", "p1"),
        (distinct[0], in_street[1].as_str(), "2026-11-30", "p2"),
        (
            distinct[0],
            communities[communities.len() - 1].as_str(),
            "2026-10-05",
            "p3",
        ),
        (distinct[0], in_street[0].as_str(), "2026-12-01", "p1"),
    ];
    if let Some(other) = distinct.get(1) {
        persons.push((other, in_street[0].as_str(), "2026-11-15", "p1"));
        persons.push((other, in_street[0].as_str(), "2026-11-16", "p4"));
    }
    for (element, community, day, person) in persons {
        sqlx::query(
            "INSERT INTO kpi_persons (person_key, element, community, day, person)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(format!("{element}/{community}/{day}/{person}"))
        .bind(element)
        .bind(community)
        .bind(day)
        .bind(person)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    drop(conn);

    let native = Insights::new(projection.clone(), tree.clone());
    let portable = Insights::new(projection.clone().with_portable_reads(), tree.clone());
    let caller = Caller {
        subject: "test".into(),
        role: Role::District,
        org_unit: district.clone(),
    };
    let units = [district.as_str(), street.as_str(), in_street[0].as_str()];
    let periods = ["202611", "202610", "2026Q4", "2026", "2026W49", "20261115"];
    let mut late_seen = false;
    for unit in units {
        for period in periods {
            let kpis = GetKpisRequest {
                org_unit: unit.into(),
                period: period.into(),
            };
            let fast = native.get_kpis(&caller, kpis.clone()).await.unwrap();
            let slow = portable.get_kpis(&caller, kpis).await.unwrap();
            assert_eq!(fast, slow, "GetKpis {unit} {period}");
            late_seen |= fast.org_unit.iter().flat_map(|u| &u.values).any(|v| v.late);
            let indicators = GetIndicatorsRequest {
                org_unit: unit.into(),
                period: period.into(),
                indicators: vec![],
            };
            let fast = native.get_indicators(&caller, indicators.clone()).await;
            let slow = portable.get_indicators(&caller, indicators).await;
            assert_eq!(
                fast.unwrap(),
                slow.unwrap(),
                "GetIndicators {unit} {period}"
            );
        }
    }
    assert!(
        late_seen,
        "the fixture has late values beside approved ones"
    );
    // The trend over 14 months (the locked one among them), for every indicator.
    for unit in units {
        for indicator in native.projection.catalog().indicators() {
            let trend = GetIndicatorTrendRequest {
                org_unit: unit.into(),
                indicator: indicator.code.clone(),
                period: "202612".into(),
                periods: 14,
            };
            let fast = native.get_indicator_trend(&caller, trend.clone()).await;
            let slow = portable.get_indicator_trend(&caller, trend).await;
            assert_eq!(
                fast.unwrap(),
                slow.unwrap(),
                "GetIndicatorTrend {unit} {}",
                indicator.code
            );
        }
    }
    // The DISTINCT counts are not sums: p1 counts once at the street.
    let street_kpis = native
        .get_kpis(
            &caller,
            GetKpisRequest {
                org_unit: street.clone(),
                period: "202611".into(),
            },
        )
        .await
        .unwrap();
    let counted = street_kpis
        .org_unit
        .unwrap()
        .values
        .into_iter()
        .find(|v| v.element == distinct[0])
        .unwrap();
    assert_eq!(counted.value, 2.0, "p1 and p2");

    // The district's reads took the street rollups: a street's rows changed show
    // in them, and not in the per-community path.
    let rollup = db::streets::street_key(&tree.children(&district)[1].code);
    for table in [
        "kpi_facts SET value = value",
        "kpi_months SET to_end = to_end",
    ] {
        sqlx::query(&format!("UPDATE {table} + 1000 WHERE community = $1"))
            .bind(&rollup)
            .execute(&projection.pool)
            .await
            .unwrap();
    }
    for period in ["202611", "2026W49"] {
        let kpis = GetKpisRequest {
            org_unit: district.clone(),
            period: period.into(),
        };
        let fast = native.get_kpis(&caller, kpis.clone()).await.unwrap();
        let slow = portable.get_kpis(&caller, kpis).await.unwrap();
        assert_ne!(fast, slow, "GetKpis {period} reads {rollup}");
    }
    projection.pool.close().await;
}
