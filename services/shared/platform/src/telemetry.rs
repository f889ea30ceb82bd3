//! Tracing setup and W3C trace-context helpers.
//!
//! [`init`] installs one global subscriber: an `EnvFilter` from `RUST_LOG`, human-readable
//! logs on stderr and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, an OpenTelemetry layer
//! exporting spans over OTLP/gRPC in batches. Trace context travels as a W3C
//! `traceparent` string: from gRPC metadata ([`extract_grpc_parent`]) into spans
//! ([`set_parent_from_traceparent`]), from spans into event envelopes
//! ([`current_traceparent`]), and from envelopes into consumer spans as links
//! ([`link_span_to_traceparent`]).

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{global, Context};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// Filter used when `RUST_LOG` is not set: civitas at INFO; dependencies that narrate
/// their own start (sqlx statements and migrations, OpenTelemetry's "global tracer
/// provider is set") only from WARN; the binary logs one line when its stores are open.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,h2=warn,tower=warn,opentelemetry=warn,\
     opentelemetry_sdk=warn,opentelemetry_otlp=warn";

/// The metadata key and propagator field carrying W3C trace context.
const TRACEPARENT: &str = "traceparent";

/// How long dropping the guard waits for buffered spans to be exported.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps the tracer provider alive; dropping it flushes and shuts down span export.
#[must_use = "dropping the guard stops span export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let Some(provider) = self.provider.take() else {
            return;
        };
        let shutdown = move || provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
        // The exporter's gRPC client runs on tokio; on a multi-thread runtime, move off
        // the worker so the runtime can keep driving the final export while we wait.
        let result = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(shutdown)
            }
            _ => shutdown(),
        };
        if let Err(err) = result {
            eprintln!("failed to shut down span export: {err}");
        }
    }
}

/// Installs the global tracing subscriber and the W3C trace-context propagator.
///
/// Calling it again in the same process (as tests do) keeps the first subscriber and
/// returns a guard that owns nothing global. OpenTelemetry export needs a tokio runtime
/// because the OTLP exporter is a tonic client.
pub fn init(service_name: &str) -> anyhow::Result<TelemetryGuard> {
    global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("invalid RUST_LOG {directives:?}"))?,
        _ => EnvFilter::new(DEFAULT_FILTER),
    };

    // A provider always exists, so trace context propagates (gRPC → envelope → NATS →
    // projection) even when nothing is exported; spans are exported only when an OTLP
    // endpoint is configured.
    let provider = match std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Some(_) => Some(tracer_provider(service_name)?),
        None => Some(
            SdkTracerProvider::builder()
                .with_resource(
                    Resource::builder()
                        .with_service_name(service_name.to_owned())
                        .build(),
                )
                .build(),
        ),
    };
    let otel_layer = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(service_name.to_owned()))
    });

    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(otel_layer)
        .try_init();
    match installed {
        Ok(()) => {
            if let Some(provider) = &provider {
                global::set_tracer_provider(provider.clone());
            }
            tracing::debug!(
                service = service_name,
                otel = provider.is_some(),
                "telemetry initialised"
            );
        }
        Err(_) => {
            tracing::debug!(
                service = service_name,
                "tracing subscriber already set, keeping it"
            );
        }
    }
    Ok(TelemetryGuard { provider })
}

/// Builds a tracer provider exporting to the OTLP endpoint from the standard env vars.
fn tracer_provider(service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    tokio::runtime::Handle::try_current()
        .context("opentelemetry export needs a tokio runtime: call telemetry::init inside one")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
        .context("failed to build the otlp span exporter")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

/// The W3C `traceparent` of the current span, or `""` when there is no valid span
/// context (no span, or OpenTelemetry not installed).
pub fn current_traceparent() -> String {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return String::new();
    }
    let mut carrier = HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut carrier));
    carrier.remove(TRACEPARENT).unwrap_or_default()
}

/// Makes the span described by `traceparent` the parent of `span`.
///
/// Call it before `span` is first entered; an empty or invalid `traceparent` is ignored.
pub fn set_parent_from_traceparent(span: &tracing::Span, traceparent: &str) {
    let Some(cx) = extract(traceparent) else {
        return;
    };
    if let Err(err) = span.set_parent(cx) {
        tracing::debug!(error = %err, "failed to set span parent from traceparent");
    }
}

/// Adds a link from `span` to the span described by `traceparent`, e.g. from a
/// projection span to the command span that produced the event.
///
/// An empty or invalid `traceparent` is ignored.
pub fn link_span_to_traceparent(span: &tracing::Span, traceparent: &str) {
    if let Some(cx) = extract(traceparent) {
        span.add_link(cx.span().span_context().clone());
    }
}

/// The `traceparent` header of an incoming gRPC request, if present.
pub fn extract_grpc_parent(metadata: &tonic::metadata::MetadataMap) -> Option<String> {
    metadata
        .get(TRACEPARENT)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Extracts a remote context with a valid span context from `traceparent`.
fn extract(traceparent: &str) -> Option<Context> {
    if traceparent.is_empty() {
        return None;
    }
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    let cx = global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    cx.span().span_context().is_valid().then_some(cx)
}

#[cfg(test)]
#[path = "telemetry_tests.rs"]
mod tests;
