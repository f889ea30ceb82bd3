//! gRPC server assembly: every civitas server gets health checking, server reflection,
//! a per-request deadline, concurrency limits, the panic and oversize guard
//! ([`crate::guard`]) and graceful shutdown the same way.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt as _;
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// Resource limits applied to every server.
///
/// In config files and env vars `request_timeout` is a string with a unit suffix
/// (`"10s"`, `"250ms"`, `"2m"`) or a bare integer number of seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerLimits {
    /// Largest accepted request message; applied by callers to each generated server
    /// with `max_decoding_message_size`. Default 4 MiB.
    pub max_message_bytes: usize,
    /// Deadline for each request, from arrival to response headers. Default 10 s.
    #[serde(with = "duration_text")]
    pub request_timeout: Duration,
    /// In-flight requests across all connections; more are refused at once with
    /// RESOURCE_EXHAUSTED ([`crate::shed`]). Default 256.
    pub concurrency_limit: usize,
    /// In-flight requests on one connection; more wait. Default 64.
    pub per_connection_concurrency: usize,
    /// Open `EventLogService/Subscribe` streams per token subject (they live outside
    /// the request deadline and concurrency limit); more are refused with
    /// RESOURCE_EXHAUSTED. Default 4.
    pub max_subscriptions_per_caller: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            concurrency_limit: 256,
            per_connection_concurrency: 64,
            max_subscriptions_per_caller: 4,
        }
    }
}

/// Binds a TCP listener, e.g. `"127.0.0.1:0"` in tests.
pub async fn bind(addr: &str) -> Result<TcpListener, anyhow::Error> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to bind {addr}: is another process using it?"))
}

/// The `http://` URL a client on this machine reaches a server bound to `addr` at:
/// an unspecified address (`0.0.0.0`, `::`) becomes the loopback one.
pub fn local_url(addr: std::net::SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    format!("http://{host}")
}

/// The gRPC services one process serves, with their names: reflection lists exactly
/// these (plus health and reflection itself), never a service the process does not
/// answer.
#[derive(Default)]
pub struct Services {
    routes: tonic::service::RoutesBuilder,
    names: Vec<&'static str>,
}

impl Services {
    /// Adds a service (a generated server, usually behind the auth interceptor).
    pub fn add<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// The fully qualified names of the services added, in order.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }
}

/// The reflection and health service names every server adds to its own.
pub const STANDARD_SERVICES: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Serves `services` on `listener` until `shutdown` completes, then drains connections.
///
/// Adds `grpc.health.v1.Health` (reporting SERVING for the overall `""` service) and
/// `grpc.reflection.v1` and `v1alpha`, which describe every civitas proto but list only
/// the services served here. Applies the request timeout and both concurrency limits
/// from `limits` and [`GuardLayer`](crate::guard::GuardLayer) (a panicking handler
/// answers INTERNAL, an oversize request RESOURCE_EXHAUSTED); the message size limit
/// is applied on each generated server (see [`grpc_service!`](crate::grpc_service)),
/// since it is a property of the generated service, not of the transport.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("", ServingStatus::Serving)
        .await;

    // Both reflection versions: grpcurl and many tools still ask v1alpha first.
    let reflection = || {
        services.names.iter().chain(STANDARD_SERVICES.iter()).fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(civitas_proto::FILE_DESCRIPTOR_SET),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let reflection_v1 = reflection()
        .build_v1()
        .context("failed to build the reflection service")?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .context("failed to build the reflection service")?;

    let mut routes = services.routes;
    routes
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let local_addr = listener.local_addr().ok();
    // Serving from an incoming stream bypasses the builder's TCP options, so set
    // nodelay here: small gRPC frames should not wait for Nagle.
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        if let Ok(stream) = &stream {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "failed to set tcp nodelay");
            }
        }
        stream
    });

    tracing::info!(addr = ?local_addr, services = ?services.names, "grpc server listening");
    Server::builder()
        .trace_fn(request_span)
        .timeout(limits.request_timeout)
        .concurrency_limit_per_connection(limits.per_connection_concurrency)
        .layer(crate::shed::ShedLayer::new(limits.concurrency_limit))
        .layer(crate::guard::GuardLayer)
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .context("grpc server failed")?;
    tracing::info!(addr = ?local_addr, "grpc server stopped");
    Ok(())
}

/// Generates `pub fn server(&self, &ServerLimits, AuthInterceptor)` for a type that
/// implements a generated tonic service trait: the generated server with the message
/// size limits, behind the auth interceptor.
#[macro_export]
macro_rules! grpc_service_server {
    ($service:ident, $server:ident) => {
        impl $service {
            /// The gRPC server for this service, behind the auth interceptor and with the
            /// message size limits applied.
            pub fn server(
                &self,
                limits: &$crate::grpc::ServerLimits,
                auth: $crate::auth::AuthInterceptor,
            ) -> ::tonic::codegen::InterceptedService<
                $server<$service>,
                $crate::auth::AuthInterceptor,
            > {
                let server = $server::new(self.clone())
                    .max_decoding_message_size(limits.max_message_bytes)
                    .max_encoding_message_size(limits.max_message_bytes);
                let name = <$server<$service> as ::tonic::server::NamedService>::NAME;
                ::tonic::codegen::InterceptedService::new(server, auth.serving(name))
            }
        }

        impl $crate::app::GrpcServer for $service {
            fn add_to(
                &self,
                services: &mut $crate::grpc::Services,
                limits: &$crate::grpc::ServerLimits,
                auth: $crate::auth::AuthInterceptor,
            ) {
                services.add(self.server(limits, auth));
            }
        }
    };
}

/// Wires a service type to its generated tonic trait: every RPC is "verified caller →
/// the service's method → `?` through the service's `From<ServiceError> for Status`",
/// and `server(&limits, auth)` builds the generated server with the message size limits
/// behind the auth interceptor. One macro for the whole impl, because
/// `#[async_trait]` must see the expanded methods.
///
/// ```text
/// civitas_platform::grpc_service! {
///     Safety as SafetyService, SafetyServiceServer {
///         report_incident(api::ReportIncidentRequest) -> api::ReportIncidentResponse;
///     }
/// }
/// ```
///
/// A streaming RPC has no one shape to generate; its items (the stream type and the
/// method) follow the unary ones after `streaming`, verbatim.
#[macro_export]
macro_rules! grpc_service {
    ($service:ident as $trait:ident, $server:ident {
        $($name:ident($req:ty) -> $resp:ty;)*
    } $(streaming { $($streaming:item)* })?) => {
        $crate::grpc_service_server!($service, $server);

        #[::tonic::async_trait]
        impl $trait for $service {
            $(
                #[::tracing::instrument(skip_all, fields(rpc = stringify!($name)))]
                async fn $name(
                    &self,
                    request: ::tonic::Request<$req>,
                ) -> Result<::tonic::Response<$resp>, ::tonic::Status> {
                    let caller = $crate::auth::caller(&request)?;
                    let response = self.$name(&caller, request.into_inner()).await?;
                    Ok(::tonic::Response::new(response))
                }
            )*
            $($($streaming)*)?
        }
    };
}

/// The span of one request. Its parent is the caller's W3C `traceparent`, so a
/// command's trace continues into the envelope it appends (and from there to NATS and
/// the projection).
fn request_span(request: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!("grpc.request", rpc = %request.uri().path());
    if let Some(traceparent) = request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        crate::telemetry::set_parent_from_traceparent(&span, traceparent);
    }
    span
}

/// (De)serializes a [`Duration`] as `"10s"`-style text read by
/// [`crate::config::parse_duration`], also accepting integer seconds; use with
/// `#[serde(with = "civitas_platform::grpc::duration_text")]`.
pub mod duration_text {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        if value.subsec_nanos() == 0 {
            serializer.serialize_str(&format!("{}s", value.as_secs()))
        } else {
            serializer.serialize_str(&format!("{}ms", value.as_millis()))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(Visitor)
    }

    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"10s\", \"250ms\", \"2m\" or \"1d\", or whole seconds")
        }

        fn visit_u64<E: serde::de::Error>(self, secs: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(secs))
        }

        fn visit_i64<E: serde::de::Error>(self, secs: i64) -> Result<Duration, E> {
            u64::try_from(secs)
                .map(Duration::from_secs)
                .map_err(|_| E::custom("duration must not be negative"))
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
            crate::config::parse_duration(text).map_err(E::custom)
        }
    }
}

#[cfg(test)]
#[path = "grpc_tests.rs"]
mod tests;
