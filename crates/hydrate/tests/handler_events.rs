//! The hydrate handler on raw payloads: the event is read record by record,
//! so an unreadable SNS record reaches the DLQ as `unparseable` with its raw
//! JSON and never hides the good record next to it, and a payload that is
//! not an SNS event fails with the stable `errorType` `UnsupportedEvent`.

mod common;

use std::time::Duration;

use common::fixtures::{self, KINESIS, Range};
use hydrate::{HydrateError, HydrateSummary, Hydrator, handler};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::Value;
use serde_json::value::RawValue;
use streamdlq_core::dlq::{HydratedFailure, RecordingSink};
use streamdlq_core::fake::FakeStream;
use streamdlq_core::{HydrationStatus, assemble};

const SHARD: &str = "shardId-000000000001";
const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/streamdlq-dlq";
const KINESIS_EVENT: &str = include_str!("../../../events/kinesis-batch-valid.json");
/// Stands for a bad `Message` that serde_json cannot produce (a lone
/// surrogate), swapped into the serialised event.
const PLACEHOLDER: &str = "\"lone-surrogate-goes-here\"";

fn setup() -> (
    FakeStream,
    RecordingSink,
    Hydrator<FakeStream, RecordingSink>,
) {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD, 10);
    let sink = RecordingSink::new();
    let config = fixtures::config(QUEUE, &[FakeStream::ARN], &[]);
    let hydrator = Hydrator::new(stream.clone(), sink.clone(), config);
    (stream, sink, hydrator)
}

/// Runs the handler on `payload` exactly as the Lambda runtime hands it over.
async fn invoke(
    hydrator: &Hydrator<FakeStream, RecordingSink>,
    payload: &str,
) -> Result<HydrateSummary, HydrateError> {
    let raw = RawValue::from_string(payload.to_owned()).expect("the payload is JSON");
    let mut context = Context::default();
    context.deadline = u64::try_from(
        (std::time::SystemTime::now() + Duration::from_secs(600))
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits");
    handler(hydrator, LambdaEvent::new(raw, context)).await
}

/// An SNS event of two records: a good failure of positions 2..=5 first,
/// then the record `spoil` makes of a copy of it. Returns the payload and
/// the bad record's JSON text as it appears in the payload.
fn event_with_bad_neighbour(stream: &FakeStream, spoil: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(KINESIS).expect("fixture is JSON");
    let mut good = event["Records"][0].clone();
    good["Sns"]["Message"] =
        fixtures::failure_message(KINESIS, &Range::from(&stream.batch(SHARD, 2..=5))).into();
    let mut bad = good.clone();
    bad["Sns"]["MessageId"] = "95df01b4-ee98-5cb9-9903-bad000000000".into();
    spoil(&mut bad);
    event["Records"] = vec![good, bad].into();
    event.to_string()
}

/// The DLQ holds the good failure complete and the bad record as
/// `unparseable` with its raw JSON, verbatim.
async fn assert_neighbour_kept(payload: &str, bad_raw: &str) {
    let (_, sink, hydrator) = setup();
    let summary = invoke(&hydrator, payload).await.expect("written");
    let statuses: Vec<_> = summary.failures.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses,
        [HydrationStatus::Complete, HydrationStatus::Unparseable]
    );
    let bodies = sink.bodies();
    let failures: Vec<HydratedFailure> = assemble(bodies.iter().map(String::as_str))
        .into_iter()
        .map(|failure| failure.expect("whole failures"))
        .collect();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert_eq!(failures[0].hydration.status, HydrationStatus::Complete);
    assert_eq!(failures[0].records.len(), 4);
    assert_eq!(failures[1].hydration.status, HydrationStatus::Unparseable);
    assert_eq!(failures[1].raw.as_deref(), Some(bad_raw));
    let reason = failures[1].hydration.reason.as_deref().expect("a reason");
    assert!(reason.contains("unreadable SNS record"), "{reason}");
}

/// The bad record's text inside `payload` (the second of `Records`).
fn second_record(payload: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Records<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<&'a RawValue>,
    }
    let records: Records<'_> = serde_json::from_str(payload).expect("records");
    records.records[1].get().to_owned()
}

/// An SNS record without `Sns.Message` is kept; its neighbour is hydrated.
#[tokio::test]
async fn keeps_a_record_without_a_message_and_hydrates_its_neighbour() {
    let (stream, _, _) = setup();
    let payload = event_with_bad_neighbour(&stream, |bad| {
        bad["Sns"].as_object_mut().expect("Sns").remove("Message");
    });
    assert_neighbour_kept(&payload, &second_record(&payload)).await;
}

/// `Message: null` is kept; its neighbour is hydrated.
#[tokio::test]
async fn keeps_a_null_message_and_hydrates_its_neighbour() {
    let (stream, _, _) = setup();
    let payload = event_with_bad_neighbour(&stream, |bad| {
        bad["Sns"]["Message"] = Value::Null;
    });
    assert_neighbour_kept(&payload, &second_record(&payload)).await;
}

/// A lone surrogate (valid JSON syntax, not Unicode) is kept with its raw
/// JSON, escape and all; its neighbour is hydrated.
#[tokio::test]
async fn keeps_a_lone_surrogate_and_hydrates_its_neighbour() {
    let (stream, _, _) = setup();
    let payload = event_with_bad_neighbour(&stream, |bad| {
        bad["Sns"]["Message"] = "lone-surrogate-goes-here".into();
    })
    .replace(PLACEHOLDER, "\"{\\ud800 broken\"");
    assert!(serde_json::from_str::<Value>(&payload).is_err());
    let bad_raw = second_record(&payload);
    assert!(bad_raw.contains("\\ud800"), "{bad_raw}");
    assert_neighbour_kept(&payload, &bad_raw).await;
}

/// A Kinesis event sent to hydrate by mistake fails with `UnsupportedEvent`
/// and writes nothing.
#[tokio::test]
async fn fails_a_kinesis_event_with_a_stable_error_type() {
    let (_, sink, hydrator) = setup();
    let error = invoke(&hydrator, KINESIS_EVENT)
        .await
        .expect_err("not an SNS event");
    assert!(!error.is_retryable());
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "UnsupportedEvent");
    assert!(
        diagnostic.error_message.contains("aws:kinesis"),
        "{}",
        diagnostic.error_message
    );
    assert!(sink.bodies().is_empty());
}

/// A JSON string (an event serialised twice, say) fails with
/// `UnsupportedEvent` and writes nothing.
#[tokio::test]
async fn fails_a_json_string_with_a_stable_error_type() {
    let (_, sink, hydrator) = setup();
    let payload = serde_json::to_string(KINESIS).expect("a JSON string");
    let error = invoke(&hydrator, &payload).await.expect_err("not an event");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "UnsupportedEvent");
    assert!(
        diagnostic.error_message.contains("a string"),
        "{}",
        diagnostic.error_message
    );
    assert!(sink.bodies().is_empty());
}

/// The input: an SNS message of 250 KiB of U+0001, six bytes a
/// character once JSON-escaped, reaches the DLQ as `unparseable` in parts
/// and reads back as the same text.
#[tokio::test]
async fn writes_unparseable_text_that_escapes_big_in_parts() {
    let (_, sink, hydrator) = setup();
    let text = "\u{1}".repeat(250 * 1024);
    let summary = hydrator
        .handle(
            fixtures::sns_event(&[&text]),
            tokio::time::Instant::now() + Duration::from_secs(600),
        )
        .await
        .expect("written");
    assert_eq!(summary.failures[0].status, HydrationStatus::Unparseable);
    let bodies = sink.bodies();
    assert!(bodies.len() >= 2, "{} messages", bodies.len());
    let failures: Vec<HydratedFailure> = assemble(bodies.iter().map(String::as_str))
        .into_iter()
        .map(|failure| failure.expect("whole failures"))
        .collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].raw.as_deref(), Some(text.as_str()));
}
