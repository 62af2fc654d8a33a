//! A whole [`Stack`] started from the real template: the hydrate function
//! gets the environment the template declares, SNS deliveries reach it, and
//! what it keeps failing lands in the hydrate failure queue.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use streamdlq_local::delivery::{FunctionError, from_fn};
use streamdlq_local::stack::FunctionContext;
use streamdlq_local::{EmulatorOptions, Stack, StackOptions};

const ON_FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");

fn template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml")
}

/// The hydrate function fails three times (one attempt, two retries from
/// the template): the failure queue gets the async failure record with the
/// OnFailure record inside, and the stack then stops cleanly.
#[tokio::test]
async fn failing_hydrate_reaches_the_failure_queue() {
    let contexts: Arc<Mutex<Vec<FunctionContext>>> = Arc::default();
    let seen = contexts.clone();
    let options = StackOptions {
        template: template(),
        stack_name: "stack-test".to_owned(),
        emulators: EmulatorOptions::from_env().expect("emulators installed"),
        async_retry_delay: Duration::from_millis(10),
        delivery_wait: Duration::from_secs(1),
        hydrate: Some(Box::new(move |context: &FunctionContext| {
            seen.lock().expect("lock").push(context.clone());
            Ok(from_fn(|_event| async {
                Err(FunctionError::new("DlqWriteFailed", "the DLQ is down"))
            }))
        })),
    };
    let stack = Stack::start(options).await.expect("stack starts");
    let resources = stack.resources().clone();

    let context = contexts.lock().expect("lock")[0].clone();
    assert_eq!(
        context.environment["DLQ_URL"],
        resources.dead_letter_queue.url
    );
    assert_eq!(
        context.environment["ALLOWED_STREAM_ARNS"],
        resources.stream.arn
    );
    assert_eq!(context.timeout, stack.template().hydrate.timeout);

    stack
        .clients()
        .sns
        .publish()
        .topic_arn(&resources.topic_arn)
        .message(ON_FAILURE)
        .send()
        .await
        .expect("publish");

    let sqs = &stack.clients().sqs;
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let messages = sqs
            .receive_message()
            .queue_url(&resources.hydrate_failure_queue.url)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if let Some(message) = messages.into_iter().next() {
            break message.body.expect("body");
        }
        assert!(Instant::now() < deadline, "no failure record arrived");
    };
    let record: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["responsePayload"]["errorType"], "DlqWriteFailed");
    assert_eq!(
        record["requestPayload"]["Records"][0]["Sns"]["Message"],
        ON_FAILURE
    );

    stack.stop().await.expect("stops");
}
