//! The layer every server puts around its routes, so that what goes wrong inside a
//! handler still ends as one clear gRPC status on a connection that stays up:
//!
//! - a handler that panics answers INTERNAL (the panic is one ERROR log line with the
//!   RPC, never a dead connection task or a reset stream);
//! - a request message over the size limit answers RESOURCE_EXHAUSTED, as gRPC asks
//!   for a limit the client exceeded (tonic itself says OUT_OF_RANGE);
//! - a request body that is not the RPC's message answers INVALID_ARGUMENT naming the
//!   field `request` (tonic itself says INTERNAL, as if the server were at fault).

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt as _};
use tonic::body::Body;
use tonic::{Code, Status};

/// Wraps a service in [`Guard`]; see the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct GuardLayer;

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard { inner }
    }
}

/// The service [`GuardLayer`] builds.
#[derive(Clone, Debug)]
pub struct Guard<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for Guard<S>
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
        let rpc = request.uri().path().to_owned();
        let inner = &mut self.inner;
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(request))) {
            Ok(future) => future,
            Err(panic) => return futures::future::ready(Ok(panicked(&rpc, &*panic))).boxed(),
        };
        async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(response)) => Ok(client_faults_named(response)),
                Ok(Err(err)) => Err(err),
                Err(panic) => Ok(panicked(&rpc, &*panic)),
            }
        }
        .boxed()
    }
}

/// The INTERNAL answer to a panicked handler, after one ERROR line naming the RPC.
fn panicked(rpc: &str, panic: &(dyn Any + Send)) -> http::Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-text panic payload");
    tracing::error!(rpc, panic = message, "handler panicked");
    Status::internal("internal error").into_http()
}

/// The text tonic's decoder puts in the OUT_OF_RANGE status of an oversize message.
const TONIC_OVERSIZE: &str = "Error, decoded message length too large: ";
/// The text tonic's decoder puts in the INTERNAL status of a body that does not decode.
const TONIC_UNDECODABLE: &str = "failed to decode Protobuf message: ";

/// Turns tonic's answers to a client's bad request body into the codes that say so:
/// OUT_OF_RANGE for an oversize message into RESOURCE_EXHAUSTED with the sizes, and
/// INTERNAL for an undecodable one into INVALID_ARGUMENT naming `request`. Every other
/// response passes unchanged.
fn client_faults_named(response: http::Response<Body>) -> http::Response<Body> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    match status.code() {
        Code::OutOfRange => match status.message().strip_prefix(TONIC_OVERSIZE) {
            Some(sizes) => {
                Status::resource_exhausted(format!("request message too large: {sizes}"))
                    .into_http()
            }
            None => response,
        },
        Code::Internal => match status.message().strip_prefix(TONIC_UNDECODABLE) {
            Some(detail) => crate::error::invalid_argument(
                "request",
                format!("is not a valid message for this RPC: {detail}"),
            )
            .into_http(),
            None => response,
        },
        _ => response,
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
