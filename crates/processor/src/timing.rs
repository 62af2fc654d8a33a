//! [`InvocationTiming`]: a `lambda_runtime` layer that logs, per
//! invocation, the event's size and the time from having the event's bytes
//! to having posted the answer to the Runtime API; and [`event_read`], the
//! time [`handle_body`](crate::handle_body) took to read the event.
//!
//! With the `batch processed` line of the batch helper (which carries the
//! processing time) they split an invocation into its parts: the Runtime API
//! hand-off of the event (before this layer), deserialisation (`event
//! read`), processing, and the answer (the rest: serialising it and posting
//! it to the Runtime API). The lines are at `debug`:
//! `RUST_LOG=info,processor::timing=debug` shows them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use lambda_runtime::LambdaInvocation;
use lambda_runtime::tower::{Layer, Service};

/// Logs the time reading an event of `event_bytes` took.
pub fn event_read(event_bytes: usize, took: std::time::Duration) {
    tracing::debug!(
        target: "processor::timing",
        event_bytes,
        read_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        "event read"
    );
}

/// Wraps the runtime's invocation service in [`InvocationTiming`].
#[derive(Debug, Clone, Copy, Default)]
pub struct InvocationTimingLayer;

impl<S> Layer<S> for InvocationTimingLayer {
    type Service = InvocationTiming<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InvocationTiming(inner)
    }
}

/// The runtime's invocation service, timed.
#[derive(Debug, Clone)]
pub struct InvocationTiming<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for InvocationTiming<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = Timed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let event_bytes = invocation.body.len();
        Timed {
            started: Instant::now(),
            event_bytes,
            inner: Box::pin(self.0.call(invocation)),
        }
    }
}

/// The invocation's future; logs its time when it completes.
#[derive(Debug)]
pub struct Timed<F> {
    inner: Pin<Box<F>>,
    started: Instant,
    event_bytes: usize,
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let output = std::task::ready!(this.inner.as_mut().poll(cx));
        tracing::debug!(
            target: "processor::timing",
            event_bytes = this.event_bytes,
            invocation_us = u64::try_from(this.started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "invocation answered"
        );
        Poll::Ready(output)
    }
}
