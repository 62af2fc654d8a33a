//! Hydrated failures as JSON, one object per line, for scripts.
//!
//! Each record carries its exact bytes as base64 (`data`) and, for
//! convenience, the decoded payload as `json` or `text` when it is that.
//! A DynamoDB Streams failure carries `dynamodbRecords` instead: each
//! stream record as the Lambda event carries it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use streamdlq_core::{DynamoDbRecord, HydrationStatus};

use super::payload::Payload;
use super::text::Retention;
use crate::queue::FailureEntry;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureLine<'a> {
    id: &'a str,
    status: HydrationStatus,
    expected: u32,
    found: usize,
    reason: Option<&'a str>,
    /// `stream` or `destinationPayload`, when the DLQ message says.
    #[serde(skip_serializing_if = "Option::is_none")]
    records_from: Option<streamdlq_core::RecordsFrom>,
    /// Set when the range held more records than `batchSize`: both counts
    /// and the likely cause, as the DLQ message says.
    #[serde(skip_serializing_if = "Option::is_none")]
    wider_range: Option<&'a streamdlq_core::WiderRange>,
    stream_arn: Option<&'a str>,
    shard_id: Option<&'a str>,
    start_sequence_number: Option<&'a str>,
    end_sequence_number: Option<&'a str>,
    condition: Option<&'a str>,
    /// How many SQS messages carry the failure.
    messages: usize,
    /// The record that made the batch fail, where the failure record says.
    failed_sequence_number: Option<&'a str>,
    /// Seconds before SQS retention drops the failure's first message.
    retention_left_seconds: Option<u64>,
    /// The OnFailure record as the ESM sent it, on one line.
    failure: Option<Box<serde_json::value::RawValue>>,
    raw: Option<&'a str>,
    records: Vec<RecordLine<'a>>,
    /// The stream records of a DynamoDB Streams failure, as the Lambda
    /// event carries them (keys and images in DynamoDB JSON); absent for
    /// Kinesis failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dynamodb_records: Vec<&'a DynamoDbRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordLine<'a> {
    sequence_number: &'a str,
    partition_key: &'a str,
    /// Epoch seconds, like the Kinesis Lambda event.
    approximate_arrival_timestamp: Option<f64>,
    size: usize,
    data: String,
    /// The payload as sent (numbers keep their text), when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<Box<serde_json::value::RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// One line of JSON (no newline) for a failure.
pub fn failure_json(
    failure: &FailureEntry,
    retention: Option<Retention>,
) -> serde_json::Result<String> {
    let hydration = &failure.hydrated.hydration;
    let record = failure.record.as_ref();
    let line = FailureLine {
        id: &failure.hydrated.id,
        status: hydration.status,
        expected: hydration.expected,
        found: hydration.found,
        reason: hydration.reason.as_deref(),
        records_from: hydration.records_from,
        wider_range: hydration.wider_range.as_ref(),
        stream_arn: failure.stream_arn(),
        shard_id: failure.shard_id(),
        start_sequence_number: record.map(|r| r.batch.start_sequence_number.as_str()),
        end_sequence_number: record.map(|r| r.batch.end_sequence_number.as_str()),
        condition: record
            .and_then(|r| r.request_context.as_ref())
            .and_then(|context| context.condition.as_ref())
            .map(|condition| condition.as_str()),
        messages: failure.messages.len(),
        failed_sequence_number: failure.failed_sequence_number().map(|s| s.as_str()),
        retention_left_seconds: retention
            .zip(failure.first_sent_millis())
            .map(|(retention, sent)| retention.left(sent).as_secs()),
        failure: failure
            .hydrated
            .failure
            .as_deref()
            .and_then(|text| Payload::of(text.as_bytes()).raw_json()),
        raw: failure.hydrated.raw.as_deref(),
        records: failure
            .hydrated
            .records
            .iter()
            .map(|record| {
                let payload = Payload::of(&record.data);
                let text = match payload {
                    Payload::Text(text) => Some(text),
                    _ => None,
                };
                let json = payload.raw_json();
                RecordLine {
                    sequence_number: record.sequence_number.as_str(),
                    partition_key: &record.partition_key,
                    approximate_arrival_timestamp: record
                        .approximate_arrival_millis
                        .map(|millis| millis as f64 / 1000.0),
                    size: record.data.len(),
                    data: STANDARD.encode(&record.data),
                    json,
                    text,
                }
            })
            .collect(),
        dynamodb_records: failure.hydrated.dynamodb_records.iter().collect(),
    };
    serde_json::to_string(&line)
}
