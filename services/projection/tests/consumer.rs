//! The NATS consumer against a private nats-server: a message that is not an envelope,
//! or an envelope that contradicts its subject, is parked and never applied, and the
//! events behind it are applied all the same.

mod common;

use std::sync::Arc;
use std::time::Duration;

use civitas_projection::consumer::{run_consumer, ConsumerConfig, EventLogGapFiller};
use civitas_projection::Projection;
use civitas_streams::StreamSettings;
use civitas_testkit::{eventually, NatsServer};
use common::*;
use prost::Message as _;
use tokio_util::sync::CancellationToken;

/// The service whose subjects the test publishes on.
const SERVICE: &str = "residents";

async fn households(projection: &Projection, community: &str) -> anyhow::Result<f64> {
    let values = projection
        .values(&[community.into()], day("2026-11-30"), day("2026-11-30"))
        .await?;
    Ok(values["households"])
}

#[tokio::test]
async fn refused_messages_are_parked_and_the_rest_is_applied() {
    let nats = NatsServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let client = async_nats::connect(&nats.url)
        .await
        .expect("connect to the private nats-server");
    let js = async_nats::jetstream::new(client);
    let settings = StreamSettings {
        name: "TEST_EVENTS".into(),
        ..Default::default()
    };
    civitas_streams::jetstream::ensure_stream(&js, &settings)
        .await
        .expect("create the stream");
    let db = Backend::Sqlite.open().await;

    let mut log = Log::default();
    log.push("2026-11-30", household_registered("h-forged"));
    log.push("2026-11-30", household_registered("h-real"));
    let (forged, real) = (&log.events[0], &log.events[1]);
    let subject_of = |community: &str, event: &civitas_kernel::RecordedEvent| {
        let mut org = event.org.clone();
        org.community = community.to_owned();
        settings.subject(SERVICE, &org, &event.event_type)
    };
    let envelope = |event| civitas_proto::convert::envelope_of(SERVICE, event).encode_to_vec();
    // Not an envelope at all, on a valid subject.
    js.publish(subject_of("xingfu", real), vec![0xff, 0x01, 0x02].into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    // A xingfu event published under another community's subject.
    js.publish(subject_of("heping", forged), envelope(forged).into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    // A well-routed event behind both.
    js.publish(subject_of("xingfu", real), envelope(real).into())
        .await
        .expect("publish")
        .await
        .expect("ack");

    let shutdown = CancellationToken::new();
    let gaps = Arc::new(
        EventLogGapFiller::new(&[], &civitas_platform::auth::BearerToken::none())
            .expect("gap filler"),
    );
    let consumer = tokio::spawn(run_consumer(
        db.projection.clone(),
        js.clone(),
        ConsumerConfig::new(settings.clone()),
        gaps,
        shutdown.clone(),
    ));
    let applied = || async {
        let n = households(&db.projection, "xingfu").await?;
        anyhow::ensure!(n == 1.0, "xingfu households = {n}");
        Ok(())
    };
    eventually!(applied(), Duration::from_secs(5));
    assert_eq!(households(&db.projection, "heping").await.unwrap(), 0.0);

    let parked = db.projection.parked().await.expect("parked list");
    assert_eq!(parked.len(), 2, "{parked:#?}");
    assert!(parked.iter().all(|p| !p.is_retryable()), "{parked:#?}");
    assert!(
        parked
            .iter()
            .any(|p| p.reason.starts_with("not an event envelope")),
        "{parked:#?}"
    );
    let mismatch = parked
        .iter()
        .find(|p| p.event.event_id == forged.event_id)
        .expect("the forged envelope is parked under its id");
    assert!(
        mismatch.reason.contains("does not match its subject"),
        "{}",
        mismatch.reason
    );
    // A retry never applies a refused message.
    let retried = db.projection.retry_parked(None).await.expect("retry");
    assert!(retried.applied.is_empty(), "{retried:?}");
    assert_eq!(households(&db.projection, "xingfu").await.unwrap(), 1.0);

    shutdown.cancel();
    consumer.await.expect("consumer stops");
}
