use std::convert::Infallible;
use std::time::Duration;

use tonic::codegen::http::uri::PathAndQuery;
use tonic::server::NamedService;
use tonic::transport::Channel;
use tonic_prost::ProstCodec;

use crate::grpc::{bind, serve, ServerLimits, Services};

use super::*;

/// Largest request `Echo` decodes, in bytes.
const ECHO_LIMIT: usize = 64;

/// A unary service `test.Echo/Say` that answers its text, panics on `"panic"` and
/// decodes at most [`ECHO_LIMIT`] bytes.
#[derive(Clone)]
struct Echo;

impl NamedService for Echo {
    const NAME: &'static str = "test.Echo";
}

struct Say;

impl tonic::server::UnaryService<String> for Say {
    type Response = String;
    type Future = BoxFuture<'static, Result<tonic::Response<String>, Status>>;

    fn call(&mut self, request: tonic::Request<String>) -> Self::Future {
        async move {
            let text = request.into_inner();
            assert_ne!(text, "panic", "a handler bug");
            Ok(tonic::Response::new(text))
        }
        .boxed()
    }
}

impl tower::Service<http::Request<Body>> for Echo {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<String, String>::default())
                .apply_max_message_size_config(Some(ECHO_LIMIT), None);
            Ok(grpc.unary(Say, request).await)
        }
        .boxed()
    }
}

async fn start_echo() -> (Channel, tokio::sync::oneshot::Sender<()>) {
    let listener = bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut services = Services::default();
    services.add(Echo);
    tokio::spawn(async move {
        serve(listener, services, &ServerLimits::default(), async {
            let _ = stopped.await;
        })
        .await
    });
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    (channel, stop)
}

async fn say(channel: &Channel, text: &str) -> Result<String, Status> {
    send(channel, text.to_owned()).await
}

/// Sends any message to `test.Echo/Say`, which expects a string.
async fn send<M: prost::Message + Send + Sync + 'static>(
    channel: &Channel,
    message: M,
) -> Result<String, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(message),
        PathAndQuery::from_static("/test.Echo/Say"),
        ProstCodec::<M, String>::default(),
    )
    .await
    .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_panicking_handler_answers_internal_and_the_connection_lives_on() {
    let (channel, _stop) = start_echo().await;
    assert_eq!(say(&channel, "hello").await.unwrap(), "hello");

    let status = tokio::time::timeout(Duration::from_secs(5), say(&channel, "panic"))
        .await
        .expect("a panic is answered, not left hanging")
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error");

    // The same connection still serves.
    assert_eq!(say(&channel, "again").await.unwrap(), "again");
}

#[tokio::test]
async fn an_oversize_request_is_resource_exhausted() {
    let (channel, _stop) = start_echo().await;
    let status = say(&channel, &"x".repeat(ECHO_LIMIT * 2))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("request message too large: found"),
        "{status:?}"
    );
    assert_eq!(say(&channel, "fits").await.unwrap(), "fits");
}

#[tokio::test]
async fn a_body_that_is_not_the_message_is_invalid_argument_naming_request() {
    let (channel, _stop) = start_echo().await;
    // A varint where the string's bytes belong.
    let status = send(&channel, 7_u64).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("invalid request: is not a valid message"),
        "{status:?}"
    );
    assert_eq!(say(&channel, "fits").await.unwrap(), "fits");
}

#[test]
fn other_statuses_pass_unchanged() {
    let response: http::Response<Body> = Status::out_of_range("page 9 of 3").into_http();
    let status = Status::from_header_map(client_faults_named(response).headers());
    assert_eq!(status.unwrap().code(), Code::OutOfRange);
    let response: http::Response<Body> = Status::internal("the disk is full").into_http();
    let status = Status::from_header_map(client_faults_named(response).headers());
    assert_eq!(status.unwrap().code(), Code::Internal);
}
