//! A whole [`Stack`] started from the real template: records put into the
//! stream reach the in-process processor through the ESM, the poison pill's
//! OnFailure record reaches the hydrate function through SNS with the
//! environment the template declares, and what the function keeps failing
//! lands in the hydrate failure queue.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use streamdlq_emulators::EmulatorOptions;
use streamdlq_local::delivery::{FunctionError, from_fn};
use streamdlq_local::stack::{FunctionContext, ProcessorTarget};
use streamdlq_local::{Stack, StackOptions};

const WITH_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");

fn template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml")
}

/// Puts the PutRecords file in one request; returns the sequence numbers.
async fn put(stack: &Stack, text: &str) -> Vec<String> {
    let entries: Vec<Value> = serde_json::from_str(text).expect("PutRecords file");
    let mut request = stack
        .clients()
        .kinesis
        .put_records()
        .stream_name(&stack.resources().stream.name);
    for entry in &entries {
        let data = STANDARD
            .decode(entry["Data"].as_str().expect("Data"))
            .expect("base64");
        request = request.records(
            PutRecordsRequestEntry::builder()
                .data(Blob::new(data))
                .partition_key(entry["PartitionKey"].as_str().expect("key"))
                .build()
                .expect("entry"),
        );
    }
    let answer = request.send().await.expect("put records");
    assert_eq!(answer.failed_record_count, Some(0));
    answer
        .records
        .iter()
        .map(|record| record.sequence_number.clone().expect("sequence number"))
        .collect()
}

/// The poison pill travels ESM -> SNS -> hydrate; the hydrate function
/// fails three times (one attempt, two retries from the template), so the
/// failure queue gets the async failure record, whose SNS message is the
/// OnFailure record of exactly the pill. The stack then stops cleanly.
#[tokio::test]
async fn poison_pill_reaches_the_hydrate_failure_queue_when_hydrate_fails() {
    let contexts: Arc<Mutex<Vec<FunctionContext>>> = Arc::default();
    let seen = contexts.clone();
    let options = StackOptions {
        template: template(),
        stack_name: "stack-test".to_owned(),
        emulators: EmulatorOptions::from_env().expect("emulators installed"),
        async_retry_delay: Duration::from_millis(10),
        delivery_wait: Duration::from_secs(1),
        processor: ProcessorTarget::InProcess,
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
    let table = resources.table.as_ref().expect("the demo table");
    assert_eq!(
        context.environment["ALLOWED_STREAM_ARNS"],
        format!("{},{}", resources.stream.arn, table.stream_arn)
    );
    assert_eq!(context.timeout, stack.template().hydrate.timeout);

    let sequence_numbers = put(&stack, WITH_PILL).await;
    // The pill is the record whose mass is a string (Boron, in the middle).
    let entries: Vec<Value> = serde_json::from_str(WITH_PILL).expect("PutRecords file");
    let at = entries
        .iter()
        .position(|entry| {
            let data = STANDARD
                .decode(entry["Data"].as_str().expect("Data"))
                .expect("base64");
            data.windows(14).any(|w| w == br#""AtomicMass":""#)
        })
        .expect("the pill");
    let pill = &sequence_numbers[at];

    let sqs = &stack.clients().sqs;
    let deadline = Instant::now() + Duration::from_secs(30);
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
    let message = record["requestPayload"]["Records"][0]["Sns"]["Message"]
        .as_str()
        .expect("the SNS message");
    let on_failure: Value = serde_json::from_str(message).expect("an OnFailure record");
    let info = &on_failure["KinesisBatchInfo"];
    assert_eq!(info["startSequenceNumber"], pill.as_str());
    assert_eq!(info["endSequenceNumber"], pill.as_str());
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["streamArn"], resources.stream.arn);

    let stats = stack.esm().stats();
    assert_eq!(stats.failure_records(), 1, "{stats:?}");
    let processed: u64 = stats.shards.values().map(|s| s.records_processed).sum();
    assert_eq!(processed, sequence_numbers.len() as u64 - 1, "{stats:?}");
    stack.stop().await.expect("stops");
}
