//! Load shedding: at most `limit` requests in flight across the server; one more is
//! answered at once with RESOURCE_EXHAUSTED instead of waiting for a slot.
//!
//! A queue in front of a saturated server only adds waiting: every queued request
//! still ends, late, at the request timeout, and its client retries into the same
//! queue. Refusing the excess keeps the accepted requests' latency bounded and tells
//! clients to back off (RESOURCE_EXHAUSTED is retryable with backoff).

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt as _};
use tokio::sync::Semaphore;
use tonic::body::Body;
use tonic::Status;

/// Wraps a service in [`Shed`], sharing one limit across every connection.
#[derive(Clone, Debug)]
pub struct ShedLayer {
    slots: Arc<Semaphore>,
    limit: usize,
}

impl ShedLayer {
    /// At most `limit` requests in flight (counted until the response headers).
    pub fn new(limit: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }
}

impl<S> tower::Layer<S> for ShedLayer {
    type Service = Shed<S>;

    fn layer(&self, inner: S) -> Shed<S> {
        Shed {
            inner,
            slots: self.slots.clone(),
            limit: self.limit,
        }
    }
}

/// The service [`ShedLayer`] builds.
#[derive(Clone, Debug)]
pub struct Shed<S> {
    inner: S,
    slots: Arc<Semaphore>,
    limit: usize,
}

impl<S, B> tower::Service<http::Request<B>> for Shed<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            metrics::counter!("civitas_grpc_shed_total").increment(1);
            let status = Status::resource_exhausted(format!(
                "server busy: {} requests in flight, retry with backoff",
                self.limit
            ));
            return futures::future::ready(Ok(status.into_http())).boxed();
        };
        let response = self.inner.call(request);
        async move {
            let response = response.await;
            drop(slot);
            response
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::time::{Duration, Instant};
    use tower::{Service, ServiceExt};

    type Handler =
        tower::util::BoxCloneService<http::Request<()>, http::Response<Body>, Infallible>;

    /// A server with two slots whose handler holds each request until released.
    fn held(release: Arc<tokio::sync::Notify>) -> Shed<Handler> {
        let inner = tower::service_fn(move |_: http::Request<()>| {
            let release = release.clone();
            async move {
                release.notified().await;
                Ok::<_, Infallible>(http::Response::new(Body::empty()))
            }
        });
        tower::Layer::layer(&ShedLayer::new(2), Handler::new(inner))
    }

    #[tokio::test]
    async fn the_request_over_the_limit_is_refused_at_once_and_a_freed_slot_is_used() {
        let release = Arc::new(tokio::sync::Notify::new());
        let mut service = held(release.clone());
        let first = tokio::spawn(service.clone().oneshot(http::Request::new(())));
        let second = tokio::spawn(service.clone().oneshot(http::Request::new(())));
        tokio::time::sleep(Duration::from_millis(50)).await; // both hold a slot

        let started = Instant::now();
        let refusal = service
            .ready()
            .await
            .expect("ready")
            .call(http::Request::new(()));
        let refused = tokio::time::timeout(Duration::from_secs(1), refusal)
            .await
            .expect("refused, not queued")
            .expect("a response");
        let status = Status::from_header_map(refused.headers()).expect("a grpc status");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused without waiting"
        );

        release.notify_waiters();
        for held in [first, second] {
            let response = held.await.expect("join").expect("response");
            assert!(
                Status::from_header_map(response.headers()).is_none(),
                "served"
            );
        }
        let third = tokio::spawn(service.oneshot(http::Request::new(())));
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.notify_waiters();
        let response = third.await.expect("join").expect("response");
        assert!(
            Status::from_header_map(response.headers()).is_none(),
            "a freed slot serves the next request"
        );
    }
}
