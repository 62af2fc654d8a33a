//! Hydrated failures as JSON, one object per line, for scripts.
//!
//! Each record carries its exact bytes as base64 (`data`) and, for
//! convenience, the decoded payload as `json` or `text` when it is that.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use streamdlq_core::HydrationStatus;

use super::payload::Payload;
use crate::queue::FailureEntry;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureLine<'a> {
    id: &'a str,
    status: HydrationStatus,
    expected: u32,
    found: usize,
    reason: Option<&'a str>,
    stream_arn: Option<&'a str>,
    shard_id: Option<&'a str>,
    start_sequence_number: Option<&'a str>,
    end_sequence_number: Option<&'a str>,
    condition: Option<&'a str>,
    /// How many SQS messages carry the failure.
    messages: usize,
    /// The OnFailure record (re-encoded on one line).
    failure: Option<serde_json::Value>,
    raw: Option<&'a str>,
    records: Vec<RecordLine<'a>>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// One line of JSON (no newline) for a failure.
pub fn failure_json(failure: &FailureEntry) -> serde_json::Result<String> {
    let hydration = &failure.hydrated.hydration;
    let record = failure.record.as_ref();
    let line = FailureLine {
        id: &failure.hydrated.id,
        status: hydration.status,
        expected: hydration.expected,
        found: hydration.found,
        reason: hydration.reason.as_deref(),
        stream_arn: failure.stream_arn(),
        shard_id: failure.shard_id(),
        start_sequence_number: record.map(|r| r.batch.start_sequence_number.as_str()),
        end_sequence_number: record.map(|r| r.batch.end_sequence_number.as_str()),
        condition: record
            .and_then(|r| r.request_context.as_ref())
            .and_then(|context| context.condition.as_ref())
            .map(|condition| condition.as_str()),
        messages: failure.messages.len(),
        failure: failure
            .hydrated
            .failure
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        raw: failure.hydrated.raw.as_deref(),
        records: failure
            .hydrated
            .records
            .iter()
            .map(|record| {
                let (json, text) = match Payload::of(&record.data) {
                    Payload::Json(value) => (Some(value), None),
                    Payload::Text(text) => (None, Some(text)),
                    Payload::Binary(_) => (None, None),
                };
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
    };
    serde_json::to_string(&line)
}
