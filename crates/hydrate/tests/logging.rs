//! What the hydrate function logs. Alone in its own test binary: a
//! process-wide subscriber is the only reliable way to capture tracing
//! output while other tests run in parallel.

mod common;

use std::time::Duration;

use common::fixtures::{self, KINESIS, NOT_JSON, Range};
use hydrate::Hydrator;
use serde_json::Value;
use streamdlq_core::dlq::RecordingSink;
use streamdlq_core::fake::{FakeStream, LogCapture, LogFormat};
use tokio::time::Instant;

const SHARD: &str = "shardId-000000000001";

/// JSON logs carry, per failure, its id, shard and range in the span and
/// the status and counts in one event; never payload bytes or raw text.
#[tokio::test(start_paused = true)]
async fn logs_one_summary_event_per_failure_without_payload_bytes() {
    let capture = LogCapture::install(LogFormat::Json);
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put(SHARD, "pk-secret-key", "secret-payload-1");
    stream.put(SHARD, "pk-secret-key", "secret-payload-2");
    let batch = stream.batch(SHARD, 0..=1);
    let sink = RecordingSink::new();
    let config = fixtures::config("https://sqs.test/dlq", &[FakeStream::ARN], &[]);
    let hydrator = Hydrator::new(stream.clone(), sink, config);
    let messages = [
        fixtures::failure_message(KINESIS, &Range::from(&batch)),
        fixtures::message(NOT_JSON),
    ];

    let summary = hydrator
        .handle(
            fixtures::sns_event(&messages),
            Instant::now() + Duration::from_secs(60),
        )
        .await
        .expect("written");

    let text = capture.text();
    assert!(!text.contains("secret-payload"), "{text}");
    assert!(
        !text.contains("c2VjcmV0"),
        "no base64 payload either: {text}"
    );
    assert!(!text.contains("this is not an OnFailure record"), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON log line"))
        .collect();
    let written: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "failure written to the DLQ")
        .collect();
    assert_eq!(written.len(), 2, "{text}");

    let hydrated = written[0];
    assert_eq!(hydrated["level"], "INFO");
    assert_eq!(hydrated["fields"]["status"], "complete");
    assert_eq!(hydrated["fields"]["expected"], 2);
    assert_eq!(hydrated["fields"]["found"], 2);
    assert_eq!(hydrated["fields"]["get_records_calls"], 1);
    assert_eq!(hydrated["fields"]["messages"], 1);
    assert!(hydrated["fields"]["bytes"].as_u64().unwrap_or(0) > 0);
    let span = &hydrated["span"];
    assert_eq!(span["name"], "failure");
    assert_eq!(span["id"], summary.failures[0].id.as_str());
    assert_eq!(span["shard_id"], SHARD);
    assert_eq!(span["stream_arn"], FakeStream::ARN);
    assert_eq!(
        span["start_sequence_number"],
        batch.start_sequence_number.as_str()
    );
    assert_eq!(
        span["end_sequence_number"],
        batch.end_sequence_number.as_str()
    );

    let unparseable = written[1];
    assert_eq!(unparseable["fields"]["status"], "unparseable");
    assert_eq!(unparseable["span"]["id"], summary.failures[1].id.as_str());
}
