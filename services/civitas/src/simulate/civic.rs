//! The community's civic life in the activities service: its publicity boards and their
//! updates, good deeds recorded, published on the community page and now and then
//! retracted, and the fund ledger's receipts and spending.

use std::collections::BTreeSet;

use civitas_proto::activities::v1 as api;

use super::world::{CommunityWorld, FundKind, MonthLife};
use super::{date, Driver, Staff};

/// Registers the community's publicity boards: their ids, by board index.
pub(crate) async fn boards(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
) -> anyhow::Result<Vec<Option<String>>> {
    let code = &staff.code;
    let mut ids = Vec::with_capacity(c.boards.len());
    for (k, location) in c.boards.iter().enumerate() {
        let request = api::RegisterPublicityBoardRequest {
            options: d.options(&format!("{code}/board/{k}")),
            location: location.clone(),
            community: code.clone(),
        };
        let id = d
            .write("publicity boards", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.register_publicity_board(request).await }
            })
            .await?
            .map(|a| a.board_id);
        ids.push(id);
    }
    Ok(ids)
}

/// Registers the community's service and activity places.
pub(crate) async fn facilities(
    d: &Driver,
    staff: &Staff,
    c: &CommunityWorld,
) -> anyhow::Result<()> {
    let code = &staff.code;
    for (k, facility) in c.facilities.iter().enumerate() {
        let request = api::RegisterFacilityRequest {
            options: d.options(&format!("{code}/facility/{k}")),
            facility_type: facility.kind as i32,
            name: facility.name.clone(),
            area_square_meters: facility.area_m2,
            community: code.clone(),
        };
        d.write("facilities", || {
            let (mut client, request) = (staff.activities.clone(), request.clone());
            async move { client.register_facility(request).await }
        })
        .await?;
    }
    Ok(())
}

/// The month's board updates, good deeds and ledger entries.
pub(crate) async fn month(
    d: &Driver,
    staff: &Staff,
    month: &MonthLife,
    boards: &[Option<String>],
) -> anyhow::Result<()> {
    let code = &staff.code;
    let label = month.month.label();
    for (k, update) in month.board_updates.iter().enumerate() {
        let Some(board_id) = boards.get(update.board).cloned().flatten() else {
            continue;
        };
        let request = api::RecordBoardUpdateRequest {
            options: d.options(&format!("{code}/{label}/board-update/{k}")),
            board_id,
            topic: update.title.clone(),
            updated_on: date(update.updated_on),
            topic_code: update.topic as i32,
        };
        d.write("board updates", || {
            let (mut client, request) = (staff.activities.clone(), request.clone());
            async move { client.record_board_update(request).await }
        })
        .await?;
    }

    for (k, deed) in month.deeds.iter().enumerate() {
        let what = format!("{code}/{label}/deed/{k}");
        let request = api::RecordGoodDeedRequest {
            options: d.options(&what),
            title: deed.title.clone(),
            story: deed.story.clone(),
            happened_on: date(deed.happened_on),
            community: code.clone(),
        };
        let Some(recorded) = d
            .write("good deeds", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.record_good_deed(request).await }
            })
            .await?
        else {
            continue;
        };
        if !deed.publish {
            continue;
        }
        let request = api::PublishGoodDeedRequest {
            options: d.options(&format!("{what}/publish")),
            deed_id: recorded.deed_id.clone(),
        };
        let published = d
            .write("good deeds published", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.publish_good_deed(request).await }
            })
            .await?;
        if let (Some(_), Some(reason)) = (published, &deed.retract) {
            let request = api::RetractGoodDeedRequest {
                options: d.options(&format!("{what}/retract")),
                deed_id: recorded.deed_id,
                reason: reason.clone(),
            };
            d.write("good deeds retracted", || {
                let (mut client, request) = (staff.activities.clone(), request.clone());
                async move { client.retract_good_deed(request).await }
            })
            .await?;
        }
    }

    // In the order of their days: a source's spending follows what it received, and
    // is left out when that receipt was not recorded.
    let mut unfunded = BTreeSet::new();
    for (k, entry) in month.funds.iter().enumerate() {
        let options = d.options(&format!("{code}/{label}/funds/{k}"));
        match &entry.kind {
            FundKind::Received { note } => {
                let request = api::RecordFundsReceivedRequest {
                    options,
                    source: entry.source as i32,
                    amount_yuan: entry.amount_yuan,
                    received_on: date(entry.on),
                    note: note.clone(),
                    unit_id: String::new(),
                    community: code.clone(),
                };
                let received = d
                    .write("funds received", || {
                        let (mut client, request) = (staff.activities.clone(), request.clone());
                        async move { client.record_funds_received(request).await }
                    })
                    .await?;
                if received.is_none() {
                    unfunded.insert(entry.source);
                }
            }
            FundKind::Spent { .. } if unfunded.contains(&entry.source) => {}
            FundKind::Spent { purpose, note } => {
                let request = api::RecordFundsSpentRequest {
                    options,
                    source: entry.source as i32,
                    amount_yuan: entry.amount_yuan,
                    spent_on: date(entry.on),
                    purpose: purpose.clone(),
                    note: note.clone(),
                    community: code.clone(),
                };
                d.write("funds spent", || {
                    let (mut client, request) = (staff.activities.clone(), request.clone());
                    async move { client.record_funds_spent(request).await }
                })
                .await?;
            }
        }
    }
    Ok(())
}
