use super::*;
use tonic_health::pb::health_check_response::ServingStatus as PbServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

#[test]
fn defaults_match_the_documented_values() {
    let limits = ServerLimits::default();
    assert_eq!(limits.max_message_bytes, 4 * 1024 * 1024);
    assert_eq!(limits.request_timeout, Duration::from_secs(10));
    assert_eq!(limits.concurrency_limit, 256);
    assert_eq!(limits.per_connection_concurrency, 64);
}

#[test]
fn limits_round_trip_with_text_durations() {
    let json = serde_json::to_value(ServerLimits::default()).unwrap();
    assert_eq!(json["request_timeout"], "10s");
    let back: ServerLimits = serde_json::from_value(json).unwrap();
    assert_eq!(back, ServerLimits::default());

    let partial: ServerLimits =
        serde_json::from_str(r#"{"request_timeout": "250ms", "concurrency_limit": 8}"#).unwrap();
    assert_eq!(partial.request_timeout, Duration::from_millis(250));
    assert_eq!(partial.concurrency_limit, 8);
    assert_eq!(partial.per_connection_concurrency, 64);

    let secs: ServerLimits = serde_json::from_str(r#"{"request_timeout": 30}"#).unwrap();
    assert_eq!(secs.request_timeout, Duration::from_secs(30));
    assert!(serde_json::from_str::<ServerLimits>(r#"{"request_timeout": "soon"}"#).is_err());
    assert!(serde_json::from_str::<ServerLimits>(r#"{"request_timeout": -1}"#).is_err());
}

#[tokio::test]
async fn bind_names_the_address_in_use() {
    let listener = bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let err = bind(&addr).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("failed to bind {addr}: is another process using it?")
    );
}

#[tokio::test]
async fn serves_health_and_reflection_until_shutdown() {
    let listener = bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve(
            listener,
            Services::default(),
            &ServerLimits::default(),
            async {
                let _ = stopped.await;
            },
        )
        .await
    });

    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();

    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status(), PbServingStatus::Serving);

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response: {response:?}");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"
        ],
        "every civitas proto is described, but only what is served is listed"
    );
    drop(responses);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops after shutdown")
        .unwrap()
        .unwrap();
}
