//! The processor's Lambda handler over the `events/` fixtures: what the
//! event source mapping gets back, and what reaches the sink.

use std::sync::Mutex;

use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use processor::{
    BatchError, Element, ElementHandler, ElementSink, ElementSinkError, SchemaMode, handle,
};
use serde_json::Value;
use streamdlq_core::batch::{FailureKind, KinesisBatch, RecordContext, process_batch};

const VALID: &str = include_str!("../../../events/kinesis-batch-valid.json");
const POISON_PILL: &str = include_str!("../../../events/kinesis-batch-poison-pill.json");
const POISON_PILL_RESPONSE: &str =
    include_str!("../../../events/kinesis-batch-response-poison-pill.json");
const EMPTY: &str = include_str!("../../../events/kinesis-batch-empty.json");
const INVALID_BASE64: &str = include_str!("../../../events/kinesis-batch-invalid-base64.json");
const NOT_JSON: &str = include_str!("../../../events/kinesis-batch-not-json.json");
const NON_UTF8: &str = include_str!("../../../events/kinesis-batch-non-utf8.json");

/// Keeps every element it is given; can be told to be unavailable.
#[derive(Default)]
struct RecordingSink {
    accepted: Mutex<Vec<(String, Element<'static>)>>,
    unavailable_for: Option<&'static str>,
}

impl RecordingSink {
    fn symbols(&self) -> Vec<String> {
        self.accepted
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|(_, element)| element.symbol.to_string())
            .collect()
    }
}

impl ElementSink for RecordingSink {
    async fn accept(
        &self,
        record: &RecordContext,
        element: &Element<'_>,
    ) -> Result<(), ElementSinkError> {
        if self.unavailable_for == Some(&*element.symbol) {
            return Err(ElementSinkError::Unavailable(
                "table is throttling".to_owned(),
            ));
        }
        self.accepted.lock().expect("not poisoned").push((
            record.sequence_number.to_string(),
            element.clone().into_owned(),
        ));
        Ok(())
    }
}

fn lambda_event(json: &str) -> LambdaEvent<KinesisBatch> {
    let batch = serde_json::from_str(json).expect("fixture is a Kinesis event");
    LambdaEvent::new(batch, Context::default())
}

fn sequence_number(json: &str, position: usize) -> String {
    let event: Value = serde_json::from_str(json).expect("fixture is JSON");
    event["Records"][position]["kinesis"]["sequenceNumber"]
        .as_str()
        .expect("sequence number")
        .to_owned()
}

async fn respond(handler: &ElementHandler<RecordingSink>, json: &str) -> String {
    let response = handle(handler, lambda_event(json))
        .await
        .expect("record failures are reported, not thrown");
    serde_json::to_string(&response).expect("response serialises")
}

fn failure_at(sequence_number: &str) -> String {
    format!(r#"{{"batchItemFailures":[{{"itemIdentifier":"{sequence_number}"}}]}}"#)
}

fn strict() -> ElementHandler<RecordingSink> {
    ElementHandler::new(RecordingSink::default(), SchemaMode::Strict)
}

/// Five valid elements: all reach the sink in order, nothing is reported.
#[tokio::test]
async fn all_valid_records_answer_empty_batch_item_failures() {
    let handler = strict();
    assert_eq!(
        respond(&handler, VALID).await,
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(handler.sink().symbols(), ["H", "He", "Li", "Be", "B"]);
}

/// The poison pill at position 2 is reported by exactly its sequence
/// number, and the sink never sees the records after it.
#[tokio::test]
async fn reports_the_poison_pill_and_nothing_after_it() {
    let handler = strict();
    assert_eq!(
        respond(&handler, POISON_PILL).await,
        failure_at(&sequence_number(POISON_PILL, 2))
    );
    assert_eq!(handler.sink().symbols(), ["Li", "Be"]);
}

/// The serialized response is byte for byte the AWS shape in the golden file.
#[tokio::test]
async fn poison_pill_response_matches_the_golden_file() {
    let response = handle(&strict(), lambda_event(POISON_PILL))
        .await
        .expect("reported, not thrown");
    let pretty = serde_json::to_string_pretty(&response).expect("response serialises");
    assert_eq!(pretty, POISON_PILL_RESPONSE.trim_end());
}

/// Invalid base64, text that is not JSON and bytes that are not UTF-8 each
/// fail at their own record (position 1); only the record before it is
/// processed.
#[tokio::test]
async fn undecodable_records_fail_at_that_record() {
    for fixture in [INVALID_BASE64, NOT_JSON, NON_UTF8] {
        let handler = strict();
        assert_eq!(
            respond(&handler, fixture).await,
            failure_at(&sequence_number(fixture, 1))
        );
        assert_eq!(handler.sink().symbols(), ["H"]);
    }
}

/// The poison pill first in its batch (the retried rest after the partial
/// answer) fails the invocation with a stable `errorType` and a message
/// naming the record, so that the ESM bisects; the sink sees nothing.
#[tokio::test]
async fn poison_pill_at_the_head_fails_the_invocation_with_a_stable_error_type() {
    let mut event: Value = serde_json::from_str(POISON_PILL).expect("fixture");
    event["Records"].as_array_mut().expect("Records").drain(..2);
    let handler = strict();

    let error = handle(&handler, lambda_event(&event.to_string()))
        .await
        .expect_err("a function error");

    assert!(matches!(error, BatchError::PoisonAtHead(_)));
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "StreamDlq.PoisonRecordAtHead");
    let pill = sequence_number(POISON_PILL, 2);
    assert_eq!(
        diagnostic.error_message,
        format!(
            "poison record at the head of a batch of 3: shard shardId-000000000000, \
             sequence number {pill}: record does not match the element schema (line 1, column 70)"
        )
    );
    assert!(handler.sink().symbols().is_empty());
}

/// A record whose `partitionKey` is a number (record 3) fails from that
/// record; the records before it reach the sink, the event stays readable.
#[tokio::test]
async fn malformed_partition_key_fails_from_that_record() {
    let mut event: Value = serde_json::from_str(VALID).expect("fixture");
    event["Records"][2]["kinesis"]["partitionKey"] = serde_json::json!(3);
    let handler = strict();

    let answer = respond(&handler, &event.to_string()).await;

    assert_eq!(answer, failure_at(&sequence_number(VALID, 2)));
    assert_eq!(handler.sink().symbols(), ["H", "He"]);
}

/// An empty event succeeds and touches nothing.
#[tokio::test]
async fn empty_batch_succeeds() {
    let handler = strict();
    assert_eq!(
        respond(&handler, EMPTY).await,
        r#"{"batchItemFailures":[]}"#
    );
    assert!(handler.sink().symbols().is_empty());
}

/// Switched to lenient mode (the fix), the same batch is processed whole,
/// the pill's mass read from its string.
#[tokio::test]
async fn lenient_mode_processes_the_poison_pill_batch() {
    let handler = ElementHandler::new(RecordingSink::default(), SchemaMode::Lenient);
    assert_eq!(
        respond(&handler, POISON_PILL).await,
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(handler.sink().symbols(), ["Li", "Be", "B", "C", "N"]);
    let accepted = handler.sink().accepted.lock().expect("not poisoned");
    assert_eq!(accepted[2].1.atomic_mass, 10.811);
    assert_eq!(accepted[2].0, sequence_number(POISON_PILL, 2));
}

/// Lenient mode skips nothing: a record that is not JSON is still poison.
#[tokio::test]
async fn lenient_mode_still_reports_records_that_are_not_json() {
    let handler = ElementHandler::new(RecordingSink::default(), SchemaMode::Lenient);
    assert_eq!(
        respond(&handler, NOT_JSON).await,
        failure_at(&sequence_number(NOT_JSON, 1))
    );
}

/// Schema errors are poison; an unavailable sink is transient. Both stop
/// the shard at that record.
#[tokio::test]
async fn classifies_poison_and_sink_outages() {
    let batch = |json| serde_json::from_str::<KinesisBatch>(json).expect("fixture");

    let outcome = process_batch(batch(POISON_PILL), &strict()).await;
    assert_eq!(outcome.failures[0].cause.kind(), FailureKind::Poison);

    let sink = RecordingSink {
        unavailable_for: Some("Be"),
        ..RecordingSink::default()
    };
    let handler = ElementHandler::new(sink, SchemaMode::Strict);
    let outcome = process_batch(batch(VALID), &handler).await;
    assert_eq!(outcome.failures[0].cause.kind(), FailureKind::Transient);
    assert_eq!(
        outcome.failures[0].record.sequence_number.as_str(),
        sequence_number(VALID, 3)
    );
    assert_eq!(handler.sink().symbols(), ["H", "He", "Li"]);
}

/// The handler's future can move across threads, so the local stack can
/// run it on a multi-threaded runtime or in a spawned task.
#[tokio::test]
async fn handler_future_is_send() {
    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    let handler = strict();
    let response = assert_send(handle(&handler, lambda_event(VALID)))
        .await
        .expect("reported, not thrown");
    assert!(response.batch_item_failures.is_empty());
}

/// With a metric writer, each batch writes one EMF line: the records the
/// handler completed and the records sent back for retry (the pill at
/// position 2 and the two after it), by stream name.
#[tokio::test]
async fn writes_one_metric_line_per_batch_with_processed_and_failed_records() {
    let metrics = streamdlq_core::metrics::CapturedMetrics::default();
    let handler = strict().with_metrics(std::sync::Arc::new(metrics.clone()));
    handle(&handler, lambda_event(POISON_PILL))
        .await
        .expect("a pill after good records is a partial answer");
    let lines = metrics.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line: Value = serde_json::from_str(&lines[0]).expect("an EMF line is JSON");
    assert_eq!(line["RecordsProcessed"], 2.0);
    assert_eq!(line["RecordsFailed"], 3.0);
    let stream_arn = serde_json::from_str::<Value>(POISON_PILL).expect("fixture")["Records"][0]
        ["eventSourceARN"]
        .as_str()
        .expect("stream ARN")
        .to_owned();
    assert_eq!(
        line["StreamName"],
        streamdlq_core::metrics::stream_name(&stream_arn)
    );
    let directives = &line["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directives["Namespace"], streamdlq_core::metrics::NAMESPACE);
}

/// Without a metric writer (in process, where standard output belongs to the
/// caller) nothing is written anywhere.
#[tokio::test]
async fn writes_no_metric_line_without_a_writer() {
    let handler = strict();
    assert!(handler.metrics().is_none());
    handle(&handler, lambda_event(VALID)).await.expect("valid");
}
