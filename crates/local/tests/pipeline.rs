//! The demo's two scenarios against a whole [`Stack`] with the real
//! functions: the processor under the template's ESM, and the hydrate
//! function behind SNS delivery.

mod demo_stack;

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_sqs::types::QueueAttributeName;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use demo_stack::{first_dlq_bodies, processed, start};
use serde_json::Value;
use streamdlq_core::{HydrationStatus, SequenceNumber, assemble};
use streamdlq_local::Stack;

const WITHOUT_PILL: &str = include_str!("../../../events/test-records-without-poison-pill.json");
const WITH_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");

/// Puts a PutRecords file in one request; returns each record's sequence
/// number and bytes.
async fn put(stack: &Stack, text: &str) -> Vec<(String, Vec<u8>)> {
    let entries: Vec<Value> = serde_json::from_str(text).expect("PutRecords file");
    let data: Vec<Vec<u8>> = entries
        .iter()
        .map(|entry| {
            STANDARD
                .decode(entry["Data"].as_str().expect("Data"))
                .expect("base64")
        })
        .collect();
    let mut request = stack
        .clients()
        .kinesis
        .put_records()
        .stream_name(&stack.resources().stream.name);
    for (entry, bytes) in entries.iter().zip(&data) {
        request = request.records(
            PutRecordsRequestEntry::builder()
                .data(Blob::new(bytes.clone()))
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
        .zip(data)
        .collect()
}

async fn depth(stack: &Stack, queue_url: &str) -> u64 {
    let attributes = stack
        .clients()
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default();
    attributes
        .values()
        .map(|value| value.parse::<u64>().expect("a count"))
        .sum()
}

/// Scenario 1: every valid record is processed, nothing is given up on,
/// and the DLQ, the delivery queue and the hydrate failure queue stay empty.
#[tokio::test]
async fn valid_records_are_all_processed_and_the_dlq_stays_empty() {
    let stack = start("scenario-clean").await;
    let records = put(&stack, WITHOUT_PILL).await;
    let stats = stack
        .esm()
        .wait_for(Duration::from_secs(30), |stats| {
            processed(stats) == records.len() as u64
        })
        .await
        .expect("every record processed");
    assert_eq!(stats.failure_records(), 0);
    let resources = stack.resources();
    for queue in [
        &resources.dead_letter_queue,
        &resources.delivery_queue,
        &resources.hydrate_failure_queue,
    ] {
        assert_eq!(depth(&stack, &queue.url).await, 0, "{}", queue.name);
    }
    stack.stop().await.expect("stops");
}

/// Scenario 2: the poison pill (in the middle of its batch) is the only
/// record given up on, and the DLQ receives exactly it, hydrated
/// byte-exact, with the OnFailure record of its range.
#[tokio::test]
async fn the_dlq_receives_exactly_the_poison_pill_byte_exact() {
    let stack = start("scenario-pill").await;
    let records = put(&stack, WITH_PILL).await;
    // The pill is the record whose mass is a string (Boron, in the middle).
    let (pill_sequence, pill_data) = records
        .iter()
        .find(|(_, data)| data.windows(14).any(|w| w == br#""AtomicMass":""#))
        .expect("the pill")
        .clone();

    let bodies = first_dlq_bodies(&stack).await;

    let failures = assemble(bodies.iter().map(String::as_str));
    assert_eq!(failures.len(), 1, "one failure");
    let failure = failures.into_iter().next().expect("one").expect("readable");
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert_eq!(failure.records.len(), 1, "exactly the poison pill");
    let record = &failure.records[0];
    assert_eq!(
        record.sequence_number,
        SequenceNumber::parse(&pill_sequence).expect("sequence number")
    );
    assert_eq!(record.data, pill_data, "byte-exact");
    let on_failure: Value =
        serde_json::from_str(failure.failure.as_deref().expect("the OnFailure record"))
            .expect("JSON");
    assert_eq!(
        on_failure["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(on_failure["responseContext"]["functionError"], Value::Null);
    assert_eq!(on_failure["KinesisBatchInfo"]["batchSize"], 1);

    let stats = stack.esm().stats();
    assert_eq!(processed(&stats), records.len() as u64 - 1, "{stats:?}");
    assert_eq!(stats.failure_records(), 1, "{stats:?}");
    let resources = stack.resources();
    assert_eq!(depth(&stack, &resources.hydrate_failure_queue.url).await, 0);
    stack.stop().await.expect("stops");
}
