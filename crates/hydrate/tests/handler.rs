//! The hydrate handler over in-memory fakes (a Kinesis stream and a
//! recording DLQ sink), fed with the SNS events of `events/`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::fixtures::{
    self, BAD_SEQUENCE_NUMBER, DEMO_STREAM_ARN, DYNAMODB, FOREIGN_STREAM, KINESIS, NO_BATCH_INFO,
    NOT_JSON, RECORD_AGE_EXCEEDED, Range,
};
use hydrate::{DeliveryError, HydrateError, Hydrator, handler};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use streamdlq_core::dlq::{HydratedFailure, RecordingSink, SQS_MESSAGE_LIMIT};
use streamdlq_core::fake::{ALWAYS, FakeCalls, FakeDynamoDbStream, FakeStream};
use streamdlq_core::{HydrateOptions, HydrationStatus, ReadError, SinkError, assemble};
use tokio::time::Instant;

const SHARD: &str = "shardId-000000000001";
const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/streamdlq-dlq";

type FakeHydrator = Hydrator<FakeStream, RecordingSink>;

/// A stream of 10 records and a hydrator allowed to read it (and the
/// fixtures' demo stream), writing to a recording sink.
fn setup(extra: &[(&str, &str)]) -> (FakeStream, RecordingSink, FakeHydrator) {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD, 10);
    let sink = RecordingSink::new();
    let config = fixtures::config(QUEUE, &[FakeStream::ARN, DEMO_STREAM_ARN], extra);
    let hydrator = Hydrator::new(stream.clone(), sink.clone(), config);
    (stream, sink, hydrator)
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

/// The OnFailure message for `positions` of the fake shard.
fn failure_for(stream: &FakeStream, positions: std::ops::RangeInclusive<usize>) -> String {
    fixtures::failure_message(KINESIS, &Range::from(&stream.batch(SHARD, positions)))
}

/// Everything the sink received, read back as a DLQ reader would.
fn dlq(sink: &RecordingSink) -> Vec<HydratedFailure> {
    let bodies = sink.bodies();
    assemble(bodies.iter().map(String::as_str))
        .into_iter()
        .map(|failure| failure.expect("the DLQ holds whole failures"))
        .collect()
}

fn only(failures: Vec<HydratedFailure>) -> HydratedFailure {
    assert_eq!(failures.len(), 1, "{failures:#?}");
    failures.into_iter().next().expect("one failure")
}

/// A failure whose range is in the stream reaches the DLQ complete, with
/// the records byte-exact and in order and the failure record verbatim.
#[tokio::test(start_paused = true)]
async fn hydrates_a_failed_range_into_the_dlq() {
    let (stream, sink, hydrator) = setup(&[]);
    let message = failure_for(&stream, 3..=6);

    let summary = hydrator
        .handle(fixtures::sns_event(&[&message]), far_deadline())
        .await
        .expect("written");

    assert_eq!(summary.failures.len(), 1);
    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Complete);
    assert_eq!((entry.expected, entry.found, entry.parts), (4, 4, 1));
    assert_eq!(entry.reason, None);
    let failure = only(dlq(&sink));
    assert_eq!(failure.id, entry.id);
    assert_eq!(failure.failure.as_deref(), Some(message.as_str()));
    assert_eq!(failure.records, stream.shard_records(SHARD)[3..=6].to_vec());
    assert!(
        sink.messages()
            .iter()
            .all(|m| m.size() <= SQS_MESSAGE_LIMIT)
    );
}

/// A record that expired before it was invoked (no responseContext) is
/// hydrated like any other failure.
#[tokio::test(start_paused = true)]
async fn hydrates_a_record_age_exceeded_failure() {
    let (stream, sink, hydrator) = setup(&[]);
    let range = Range::from(&stream.batch(SHARD, 7..=7));
    let message = fixtures::failure_message(RECORD_AGE_EXCEEDED, &range);

    let summary = hydrator
        .handle(fixtures::sns_event(&[message]), far_deadline())
        .await
        .expect("written");

    assert_eq!(summary.failures[0].status, HydrationStatus::Complete);
    assert_eq!(
        only(dlq(&sink)).records,
        stream.shard_records(SHARD)[7..=7].to_vec()
    );
}

/// A stream not on the allowlist is never read: not one Kinesis call, and
/// the failure still reaches the DLQ as `rejected`.
#[tokio::test(start_paused = true)]
async fn rejects_a_foreign_stream_without_calling_kinesis() {
    let (stream, sink, hydrator) = setup(&[]);

    let summary = hydrator
        .handle(fixtures::fixture_event(FOREIGN_STREAM), far_deadline())
        .await
        .expect("written");

    assert_eq!(stream.calls(), FakeCalls::default());
    assert_eq!(summary.failures[0].status, HydrationStatus::Rejected);
    let failure = only(dlq(&sink));
    assert_eq!(failure.hydration.status, HydrationStatus::Rejected);
    assert_eq!(failure.hydration.expected, 3);
    assert!(failure.records.is_empty());
    assert_eq!(
        failure.failure.as_deref(),
        Some(fixtures::message(FOREIGN_STREAM).as_str())
    );
    let reason = failure.hydration.reason.expect("a reason");
    assert!(reason.contains("someone-elses-stream"), "{reason}");
    assert!(reason.contains("ALLOWED_STREAM_ARNS"), "{reason}");
}

/// An empty allowlist rejects every stream, including the configured one.
#[tokio::test(start_paused = true)]
async fn rejects_every_stream_when_the_allowlist_is_empty() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD, 3);
    let sink = RecordingSink::new();
    let hydrator = Hydrator::new(
        stream.clone(),
        sink.clone(),
        fixtures::config(QUEUE, &[], &[]),
    );

    let summary = hydrator
        .handle(
            fixtures::sns_event(&[failure_for(&stream, 0..=2)]),
            far_deadline(),
        )
        .await
        .expect("written");

    assert_eq!(summary.failures[0].status, HydrationStatus::Rejected);
    assert_eq!(stream.calls(), FakeCalls::default());
}

/// Messages that are not OnFailure records reach the DLQ as `unparseable`
/// with their raw text, byte for byte.
#[tokio::test(start_paused = true)]
async fn keeps_the_raw_text_of_unparseable_messages() {
    for fixture in [NOT_JSON, NO_BATCH_INFO, BAD_SEQUENCE_NUMBER] {
        let (stream, sink, hydrator) = setup(&[]);

        let summary = hydrator
            .handle(fixtures::fixture_event(fixture), far_deadline())
            .await
            .expect("written");

        assert_eq!(summary.failures[0].status, HydrationStatus::Unparseable);
        assert_eq!(stream.calls(), FakeCalls::default());
        let failure = only(dlq(&sink));
        assert_eq!(failure.raw, Some(fixtures::message(fixture)));
        assert_eq!(failure.failure, None);
        assert_eq!(failure.hydration.status, HydrationStatus::Unparseable);
        let reason = failure.hydration.reason.expect("a reason");
        assert!(reason.starts_with("not an OnFailure record"), "{reason}");
    }
}

/// A hydrator built without a DynamoDB Streams reader keeps DynamoDB
/// Streams failures as `unavailable`, failure record verbatim, reason
/// saying why; no Kinesis call is made for them.
#[tokio::test(start_paused = true)]
async fn keeps_dynamodb_streams_failures_as_unavailable_without_a_table_stream_reader() {
    let (stream, sink, hydrator) = setup(&[]);

    let summary = hydrator
        .handle(fixtures::fixture_event(DYNAMODB), far_deadline())
        .await
        .expect("written");

    assert_eq!(stream.calls(), FakeCalls::default());
    assert_eq!(summary.failures[0].status, HydrationStatus::Unavailable);
    let failure = only(dlq(&sink));
    assert_eq!(
        failure.failure.as_deref(),
        Some(fixtures::message(DYNAMODB).as_str())
    );
    let reason = failure.hydration.reason.expect("a reason");
    assert!(reason.contains("DynamoDB Streams"), "{reason}");
    assert!(reason.contains("no DynamoDB Streams reader"), "{reason}");
}

/// A DynamoDB Streams failure is read from the table's stream, not from
/// Kinesis: its records reach the DLQ exact and in order.
#[tokio::test(start_paused = true)]
async fn hydrates_dynamodb_streams_failures_from_the_table_stream() {
    let (stream, sink, _) = setup(&[]);
    let table = FakeDynamoDbStream::dynamodb(FakeDynamoDbStream::TABLE_STREAM_ARN);
    let table_shard = "shardId-00000001795428000000-a1b2c3d4";
    table.put_many(table_shard, 8);
    let config = fixtures::config(QUEUE, &[FakeDynamoDbStream::TABLE_STREAM_ARN], &[]);
    let hydrator = Hydrator::new(stream.clone(), sink.clone(), config).with_dynamodb(table.clone());
    let message =
        fixtures::failure_message(DYNAMODB, &Range::from(&table.batch(table_shard, 2..=6)));

    let outcome = hydrator.process_message(&message, far_deadline()).await;

    assert_eq!(outcome.summary.status, HydrationStatus::Complete);
    assert_eq!(stream.calls(), FakeCalls::default(), "no Kinesis call");
    let failure = only(dlq(&sink));
    assert_eq!(
        failure.dynamodb_records,
        table.shard_records(table_shard)[2..=6]
    );
    assert!(failure.records.is_empty());
}

/// A stream that cannot be read is not an invocation error: the DLQ gets
/// the failure record as `unavailable`, with the read error as the reason.
#[tokio::test(start_paused = true)]
async fn keeps_the_failure_as_unavailable_when_the_stream_is_unreadable() {
    let (stream, sink, hydrator) = setup(&[]);
    stream.fail_get_records(
        ReadError::AccessDenied("User is not authorized to perform: kinesis:GetRecords".into()),
        ALWAYS,
    );
    let message = failure_for(&stream, 2..=4);

    let summary = hydrator
        .handle(fixtures::sns_event(&[&message]), far_deadline())
        .await
        .expect("an unreadable stream still reaches the DLQ");

    assert_eq!(summary.failures[0].status, HydrationStatus::Unavailable);
    let failure = only(dlq(&sink));
    assert_eq!(failure.failure.as_deref(), Some(message.as_str()));
    assert!(failure.records.is_empty());
    let reason = failure.hydration.reason.expect("a reason");
    assert!(reason.contains("GetRecords failed"), "{reason}");
    assert!(reason.contains("not authorized"), "{reason}");
}

/// When the DLQ refuses one failure, the others of the event are still
/// written, and then the invocation fails naming the one that was not.
#[tokio::test(start_paused = true)]
async fn fails_the_invocation_when_the_dlq_is_unwritable_after_trying_every_record() {
    let (stream, sink, hydrator) = setup(&[]);
    sink.fail_next(SinkError::Request {
        message: "SendMessageBatch: dispatch failure: connection refused".into(),
        retryable: true,
    });
    let messages = [
        failure_for(&stream, 0..=1),
        failure_for(&stream, 2..=3),
        failure_for(&stream, 4..=5),
    ];

    let error = hydrator
        .handle(fixtures::sns_event(&messages), far_deadline())
        .await
        .expect_err("a failure did not reach the DLQ");

    assert_eq!(sink.calls(), 3, "every record was tried");
    let written: Vec<_> = dlq(&sink).into_iter().map(|f| f.records).collect();
    let records = stream.shard_records(SHARD);
    assert_eq!(written, [records[2..=3].to_vec(), records[4..=5].to_vec()]);
    let HydrateError::DlqWriteFailed { total, undelivered } = &error else {
        panic!("expected DlqWriteFailed, got {error}");
    };
    assert_eq!(*total, 3);
    assert_eq!(undelivered.len(), 1);
    assert_eq!(undelivered[0].status, HydrationStatus::Complete);
    assert!(matches!(undelivered[0].error, DeliveryError::Send(_)));
    assert!(error.is_retryable());
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "DlqWriteFailed");
    assert!(
        diagnostic.error_message.contains("connection refused"),
        "{}",
        diagnostic.error_message
    );
}

/// Reading stops at the deadline; what was read still reaches the DLQ,
/// flagged `partial`, and the handler returns by then.
#[tokio::test(start_paused = true)]
async fn stops_reading_at_the_deadline_and_writes_what_it_has() {
    let (stream, sink, hydrator) = setup(&[]);
    stream.set_latency(Duration::from_secs(1)).cap_page_size(1);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(3_500);

    let summary = hydrator
        .handle(
            fixtures::sns_event(&[failure_for(&stream, 0..=9)]),
            deadline,
        )
        .await
        .expect("written");

    assert!(Instant::now() <= deadline, "returned after the deadline");
    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Partial);
    assert_eq!((entry.found, entry.expected), (2, 10));
    let failure = only(dlq(&sink));
    assert_eq!(failure.records, stream.shard_records(SHARD)[0..=1].to_vec());
    let reason = failure.hydration.reason.expect("a reason");
    assert!(reason.contains("deadline reached"), "{reason}");
}

/// The handler takes its deadline from the Lambda context less
/// `DLQ_WRITE_RESERVE_MS`: with no more time left than the reserve, nothing
/// is read and the failure record is written at once.
#[tokio::test(start_paused = true)]
async fn keeps_the_dlq_write_reserve_from_the_context_deadline() {
    let (stream, sink, hydrator) = setup(&[("DLQ_WRITE_RESERVE_MS", "30000")]);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let mut context = Context::default();
    context.deadline = u64::try_from(now_ms).expect("fits") + 20_000;
    let event = LambdaEvent::new(fixtures::sns_event(&[failure_for(&stream, 0..=2)]), context);

    let summary = handler(&hydrator, event).await.expect("written");

    assert_eq!(stream.calls().get_records, 0);
    assert_eq!(summary.failures[0].status, HydrationStatus::Unavailable);
    let reason = only(dlq(&sink)).hydration.reason.expect("a reason");
    assert!(reason.contains("deadline reached after 0 of 3"), "{reason}");
}

/// The engine's tuning reaches the reads: a smaller page size means more
/// GetRecords calls for the same complete range.
#[tokio::test(start_paused = true)]
async fn reads_with_the_configured_engine_options() {
    let (stream, sink, hydrator) = setup(&[]);
    let hydrator = hydrator.with_options(HydrateOptions {
        max_records_per_call: 3,
        ..HydrateOptions::default()
    });

    let outcome = hydrator
        .process_message(&failure_for(&stream, 0..=9), far_deadline())
        .await;

    assert!(outcome.error.is_none());
    assert_eq!(outcome.summary.status, HydrationStatus::Complete);
    assert_eq!(stream.get_records_limits(), [3, 3, 3, 1]);
    assert_eq!(outcome.read.get_records_calls, 4);
    assert_eq!(outcome.sent.messages, 1);
    assert_eq!(only(dlq(&sink)).records.len(), 10);
}

/// A small `MESSAGE_LIMIT_BYTES` splits the failure into several parts,
/// each within the limit, that read back into the same records.
#[tokio::test(start_paused = true)]
async fn splits_into_parts_within_the_configured_message_limit() {
    let stream = FakeStream::new(FakeStream::ARN);
    for n in 0..8 {
        stream.put(SHARD, &format!("pk-{n}"), vec![n as u8; 6_000]);
    }
    let sink = RecordingSink::new();
    let config = fixtures::config(
        QUEUE,
        &[FakeStream::ARN],
        &[("MESSAGE_LIMIT_BYTES", "16384")],
    );
    let hydrator = Hydrator::new(stream.clone(), sink.clone(), config);

    let summary = hydrator
        .handle(
            fixtures::sns_event(&[failure_for(&stream, 0..=7)]),
            far_deadline(),
        )
        .await
        .expect("written");

    assert!(summary.failures[0].parts > 1, "{summary:?}");
    assert_eq!(summary.failures[0].parts, sink.messages().len());
    assert!(sink.messages().iter().all(|m| m.size() <= 16_384));
    assert_eq!(only(dlq(&sink)).records, stream.shard_records(SHARD));
}
