use std::sync::{Arc, Mutex};

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tracing::Subscriber;

use super::*;

const REMOTE_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN: &str = "00f067aa0ba902b7";

fn remote_traceparent() -> String {
    format!("00-{REMOTE_TRACE}-{REMOTE_SPAN}-01")
}

/// Collects finished spans in memory.
#[derive(Debug, Clone, Default)]
struct Capture(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Capture {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

impl Capture {
    fn span(&self, name: &str) -> SpanData {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|span| span.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("span {name} not exported"))
    }
}

/// A scoped subscriber with an OpenTelemetry layer exporting into a [`Capture`].
fn otel_subscriber() -> (impl Subscriber + Send + Sync, Capture, SdkTracerProvider) {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let capture = Capture::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(capture.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    (subscriber, capture, provider)
}

#[tokio::test(flavor = "multi_thread")]
async fn init_twice_does_not_panic() {
    let first = init("test-a").unwrap();
    let second = init("test-b").unwrap();
    drop(second);
    drop(first);
}

#[test]
fn traceparent_is_empty_outside_a_span() {
    let (subscriber, _capture, _provider) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        assert_eq!(current_traceparent(), "");
    });
}

#[test]
fn traceparent_describes_the_current_span() {
    let (subscriber, _capture, _provider) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("command");
        let _entered = span.enter();
        let traceparent = current_traceparent();
        let parts: Vec<_> = traceparent.split('-').collect();
        assert_eq!(parts.len(), 4, "{traceparent}");
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1].len(), 32);
        assert_eq!(parts[2].len(), 16);
        assert_eq!(parts[3], "01");
        assert_eq!(
            parts[1],
            span.context().span().span_context().trace_id().to_string()
        );
    });
}

#[test]
fn parent_from_traceparent_joins_the_remote_trace() {
    let (subscriber, capture, _provider) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("handler");
        set_parent_from_traceparent(&span, &remote_traceparent());
        let _entered = span.enter();
        assert!(current_traceparent().starts_with(&format!("00-{REMOTE_TRACE}-")));
    });
    let span = capture.span("handler");
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex(REMOTE_TRACE).unwrap()
    );
    assert_eq!(span.parent_span_id, SpanId::from_hex(REMOTE_SPAN).unwrap());
}

#[test]
fn invalid_traceparent_is_ignored() {
    let (subscriber, capture, _provider) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("orphan");
        set_parent_from_traceparent(&span, "garbage");
        link_span_to_traceparent(&span, "");
        let _entered = span.enter();
    });
    let span = capture.span("orphan");
    assert_eq!(span.parent_span_id, SpanId::INVALID);
    assert!(span.links.is_empty());
}

#[test]
fn link_keeps_own_trace_and_points_at_the_producer() {
    let (subscriber, capture, _provider) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("projection");
        link_span_to_traceparent(&span, &remote_traceparent());
        let _entered = span.enter();
    });
    let span = capture.span("projection");
    assert_ne!(
        span.span_context.trace_id(),
        TraceId::from_hex(REMOTE_TRACE).unwrap()
    );
    assert_eq!(span.links.len(), 1);
    let link = &span.links[0].span_context;
    assert_eq!(link.trace_id(), TraceId::from_hex(REMOTE_TRACE).unwrap());
    assert_eq!(link.span_id(), SpanId::from_hex(REMOTE_SPAN).unwrap());
}

#[test]
fn grpc_parent_is_read_from_metadata() {
    let mut metadata = tonic::metadata::MetadataMap::new();
    assert_eq!(extract_grpc_parent(&metadata), None);
    metadata.insert("traceparent", remote_traceparent().parse().unwrap());
    assert_eq!(extract_grpc_parent(&metadata), Some(remote_traceparent()));
}
