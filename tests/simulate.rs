//! `civitas simulate` against `civitas up`'s application: a small district's months
//! show in the KPIs of each community (publicity board updates, good deeds, volunteer
//! teams and the fund ledger among them), running the same seed again adds nothing,
//! and another seed adds other data.

use std::collections::BTreeMap;

use civitas::simulate::{run_with, SimulateConfig, SimulationReport};
use civitas_e2e::{this_month, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::insights::v1::GetKpisRequest;

const COMMUNITIES: [&str; 2] = ["xingfu", "heping"];

async fn simulate(
    app: &RunningApp,
    communities: usize,
    months: u32,
    seed: u64,
) -> SimulationReport {
    let config = SimulateConfig::new(&app.addr, communities, months, seed);
    let report = run_with(&config, app.keys.clone())
        .await
        .expect("simulation runs");
    assert!(report.is_clean(), "{report}");
    report
}

/// The projection's applied event count once it stops moving.
async fn settled_events(app: &RunningApp) -> u64 {
    let mut insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    let mut last = None;
    for _ in 0..100 {
        let applied = insights
            .get_kpis(GetKpisRequest {
                org_unit: "gulou".into(),
                period: this_month(),
            })
            .await
            .expect("kpis")
            .into_inner()
            .applied_events;
        if last == Some(applied) {
            return applied;
        }
        last = Some(applied);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("the projection did not settle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_district_fills_the_kpis_and_a_rerun_adds_nothing() {
    let app = RunningApp::start().await;
    let first = simulate(&app, 2, 2, 7).await;
    let total = first.total();
    assert!(total.created > 100, "{first}");
    assert_eq!(first.communities, COMMUNITIES);
    for kind in [
        "households",
        "residents",
        "care categories",
        "care visits",
        "plan items",
        "activities scheduled",
        "activity registrations",
        "activity check-ins",
        "activities closed",
        "volunteers",
        "hours submitted",
        "hours approved",
        "incidents reported",
        "incidents closed",
        "patrols completed",
        "inspections",
        "reports submitted",
        "reports approved (street)",
        "reports approved (district)",
        "publicity boards",
        "board updates",
        "volunteer teams",
        "team members",
    ] {
        let count = first.counts.get(kind).copied().unwrap_or_default();
        assert!(count.created > 0, "no {kind} created:\n{first}");
    }

    // No refusal means every new flow kept to the services' rules (a spending above a
    // source's balance, a birth without guardian, ... would be refused); whatever of
    // them the two months hold was sent.
    for kind in [
        "good deeds",
        "good deeds published",
        "good deeds retracted",
        "funds received",
        "funds spent",
        "residents moved out",
        "residents moved in",
        "births",
    ] {
        let count = first.counts.get(kind).copied().unwrap_or_default();
        assert_eq!(count.refused + count.differing, 0, "{kind}:\n{first}");
    }

    // Each community's figures of this month: everything is recorded today.
    let insights = app.insights(Some(app.token(Role::District, "gulou"))).await;
    for community in COMMUNITIES {
        let values: BTreeMap<String, f64> = civitas_testkit::eventually!({
            let mut client = insights.clone();
            async move {
                let kpis = client
                    .get_kpis(GetKpisRequest {
                        org_unit: community.into(),
                        period: this_month(),
                    })
                    .await
                    .map_err(|s| anyhow::anyhow!("{s:?}"))?
                    .into_inner();
                let values: BTreeMap<String, f64> = kpis
                    .org_unit
                    .map(|u| u.values.into_iter().map(|v| (v.element, v.value)).collect())
                    .unwrap_or_default();
                for element in [
                    "households",
                    "residents",
                    "activities.held",
                    "activities.attendance",
                    "volunteering.approved_minutes",
                    "incidents.reported",
                    "incidents.resolved",
                    "patrols.completed",
                ] {
                    let value = values.get(element).copied().unwrap_or_default();
                    anyhow::ensure!(value > 0.0, "{community}: {element} is {value}");
                }
                Ok(values)
            }
        });
        // Thirty households, and those of newcomers who moved in.
        assert!(values["households"] >= 30.0, "{community}: {values:?}");
        assert!(
            values.get("publicity.boards").copied().unwrap_or_default() >= 1.0,
            "{community}: {values:?}"
        );
    }

    // Board updates count in the month of their day: two or three a community in the
    // last month, which has ended.
    let last_month = {
        let this = this_month();
        let (year, month): (i32, u32) = (
            this[..4].parse().expect("year"),
            this[4..].parse().expect("month"),
        );
        if month == 1 {
            format!("{}12", year - 1)
        } else {
            format!("{year}{:02}", month - 1)
        }
    };
    for community in COMMUNITIES {
        civitas_testkit::eventually!({
            let (mut client, period) = (insights.clone(), last_month.clone());
            async move {
                let kpis = client
                    .get_kpis(GetKpisRequest {
                        org_unit: community.into(),
                        period,
                    })
                    .await
                    .map_err(|s| anyhow::anyhow!("{s:?}"))?
                    .into_inner();
                let updates = kpis
                    .org_unit
                    .and_then(|u| {
                        u.values
                            .into_iter()
                            .find(|v| v.element == "publicity.board_updates")
                    })
                    .map_or(0.0, |v| v.value);
                anyhow::ensure!(
                    updates >= 2.0,
                    "{community}: {updates} board updates last month"
                );
                Ok(())
            }
        });
    }

    // The same seed again: every command is answered from the first run.
    let before = settled_events(&app).await;
    let again = simulate(&app, 2, 2, 7).await;
    let rerun = again.total();
    assert_eq!(rerun.created, 0, "{again}");
    // Today's live activity is scheduled on a ten-minute grid: a rerun across a
    // boundary of it finds it differing and sends nothing that depends on it.
    if rerun.differing == 0 {
        assert_eq!(rerun.sent(), total.sent(), "{again}");
    }
    assert_eq!(
        settled_events(&app).await,
        before,
        "a rerun appends no event"
    );

    // Another seed is another district's life.
    let other = simulate(&app, 1, 1, 8).await;
    assert!(other.total().created > 50, "{other}");
    assert!(settled_events(&app).await > before);
    app.stop().await;
}
