//! [`EventBodyLayer`]: hands the handler the event as the bytes the Runtime
//! API delivered, instead of the value lambda_runtime would read from them.
//!
//! Why: lambda_runtime reads every event through `serde_path_to_error` over
//! `serde_json::from_slice` into an owned payload type, which copies every
//! map key into a `String` (to name the path of an error) and checks every
//! string for UTF-8 on its own. For a 10,000-record Kinesis event (6.5 MB)
//! that reading cost more than processing the records. The layer takes the
//! body out of the invocation (a reference-counted `Bytes`, not a copy),
//! leaves `null` in its place for the runtime to read as [`EventBody`], and
//! keeps the bytes for the invocation's future in a task-local;
//! [`EventBody::take`] hands them to the handler, which reads the batch with
//! `KinesisBatch::from_json` ([`crate::handle_body`]).
//!
//! A runtime built without the layer hands the handler the real event, which
//! [`EventBody`] refuses: every invocation fails loudly, none is processed
//! by accident.

use std::cell::RefCell;
use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::LambdaInvocation;
use lambda_runtime::tower::{Layer, Service};
use serde::{Deserialize, Deserializer};
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    /// The body of the invocation being handled, until the handler takes it.
    static EVENT_BODY: RefCell<Option<Bytes>>;
}

/// What the runtime reads in place of the event: `null`.
const PLACEHOLDER: &[u8] = b"null";

/// Wraps the runtime's invocation service in [`EventBodyService`].
#[derive(Debug, Clone, Copy, Default)]
pub struct EventBodyLayer;

impl<S> Layer<S> for EventBodyLayer {
    type Service = EventBodyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EventBodyService(inner)
    }
}

/// The runtime's invocation service, with the event's bytes set aside for
/// the handler.
#[derive(Debug, Clone)]
pub struct EventBodyService<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for EventBodyService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<RefCell<Option<Bytes>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let body = std::mem::replace(&mut invocation.body, Bytes::from_static(PLACEHOLDER));
        // The runtime reads the placeholder and creates the handler's future
        // here; the handler runs, and takes the body, when the future is
        // polled inside the scope.
        EVENT_BODY.scope(RefCell::new(Some(body)), self.0.call(invocation))
    }
}

/// The payload type of a handler behind [`EventBodyLayer`]; the event is
/// [`EventBody::take`].
#[derive(Debug)]
pub struct EventBody(());

impl EventBody {
    /// The invocation's event bytes, once; `None` outside an invocation
    /// handled behind [`EventBodyLayer`].
    pub fn take(&self) -> Option<Bytes> {
        EVENT_BODY
            .try_with(|body| body.borrow_mut().take())
            .ok()
            .flatten()
    }
}

/// Only the placeholder: a runtime without the layer fails every event
/// instead of handing the handler nothing.
impl<'de> Deserialize<'de> for EventBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer).map(|()| Self(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body set aside for an invocation is taken once, inside its scope.
    #[tokio::test]
    async fn hands_the_body_to_the_invocation_once() {
        let body = Bytes::from_static(br#"{"Records":[]}"#);
        let taken = EVENT_BODY
            .scope(RefCell::new(Some(body.clone())), async {
                let event = EventBody(());
                (event.take(), event.take())
            })
            .await;
        assert_eq!(taken, (Some(body), None));
    }

    /// Outside an invocation there is no body.
    #[tokio::test]
    async fn has_no_body_outside_an_invocation() {
        assert_eq!(EventBody(()).take(), None);
    }

    const POISON_PILL: &str = include_str!("../../../events/kinesis-batch-poison-pill.json");

    async fn handle_bytes(
        event: &'static str,
    ) -> Result<aws_lambda_events::streams::KinesisEventResponse, crate::BatchError> {
        let handler = crate::ElementHandler::new(crate::LogSink, crate::SchemaMode::Strict);
        let placeholder =
            lambda_runtime::LambdaEvent::new(EventBody(()), lambda_runtime::Context::default());
        EVENT_BODY
            .scope(
                RefCell::new(Some(Bytes::from_static(event.as_bytes()))),
                crate::handle_body(&handler, placeholder),
            )
            .await
    }

    /// Read from its bytes, the poison-pill event gets the answer the typed
    /// handler gives.
    #[tokio::test]
    async fn answers_from_the_bytes_as_from_the_typed_event() {
        let handler = crate::ElementHandler::new(crate::LogSink, crate::SchemaMode::Strict);
        let typed = crate::handle(
            &handler,
            lambda_runtime::LambdaEvent::new(
                serde_json::from_str(POISON_PILL).expect("fixture"),
                lambda_runtime::Context::default(),
            ),
        )
        .await
        .expect("answered");
        let from_bytes = handle_bytes(POISON_PILL).await.expect("answered");
        assert_eq!(from_bytes, typed);
    }

    /// An event that is not a Kinesis event fails as lambda_runtime fails
    /// it: its `errorType`, its message, the path of the bad value.
    #[tokio::test]
    async fn reports_an_unreadable_event_as_lambda_runtime_does() {
        let error = handle_bytes(r#"{"Records":[{"kinesis":{"sequenceNumber":"12ab"}}]}"#)
            .await
            .expect_err("unreadable");
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        assert_eq!(
            diagnostic.error_type,
            "&lambda_runtime::deserializer::DeserializeError"
        );
        assert!(
            diagnostic.error_message.starts_with(
                "failed to deserialize the incoming data into the function's payload type: [Records"
            ),
            "{}",
            diagnostic.error_message
        );
    }

    /// The runtime reads the placeholder, and refuses a real event.
    #[test]
    fn reads_only_the_placeholder() {
        assert!(serde_json::from_slice::<EventBody>(PLACEHOLDER).is_ok());
        assert!(serde_json::from_str::<EventBody>(r#"{"Records":[]}"#).is_err());
    }
}
