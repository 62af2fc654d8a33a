//! The SQS and S3 paths of the hydrate handler over in-memory fakes (a fake
//! stream, a recording DLQ, a map of objects): what is answered when a DLQ
//! write fails, and what becomes of objects that cannot be used.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use common::fixtures::{self, KINESIS, Range};
use hydrate::{
    DeliveryError, HydrateError, HydrateSummary, Hydrator, ObjectReadError, ObjectSource, handler,
};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use serde_json::value::RawValue;
use streamdlq_core::dlq::{HydratedFailure, RecordingSink};
use streamdlq_core::fake::FakeStream;
use streamdlq_core::{DynamoDbShardReader, HydrationStatus, SinkError, UnknownRetention, assemble};

const SHARD: &str = "shardId-000000000001";
const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/streamdlq-dlq";
const OBJECT: &str = include_str!("../../../events/s3-onfailure-object-kinesis.json");
const S3_EVENT: &str = include_str!("../../../events/s3-event-onfailure-object.json");
const SQS_EVENT: &str = include_str!("../../../events/sqs-onfailure-kinesis.json");
/// The stream the `s3-onfailure-object-kinesis.json` fixture names.
const DEMO_STREAM: &str = fixtures::DEMO_STREAM_ARN;

/// What reading one object gives.
type ObjectRead = Result<Vec<u8>, ObjectReadError>;

/// Objects by bucket and key, or the error reading them gives.
#[derive(Debug, Clone, Default)]
struct FakeObjects {
    objects: Arc<Mutex<HashMap<(String, String), ObjectRead>>>,
}

impl FakeObjects {
    fn put(&self, bucket: &str, key: &str, object: ObjectRead) {
        self.objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((bucket.to_owned(), key.to_owned()), object);
    }
}

impl ObjectSource for FakeObjects {
    async fn object(
        &self,
        bucket: &str,
        key: &str,
        _version_id: Option<&str>,
    ) -> Result<Vec<u8>, ObjectReadError> {
        self.objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
            .unwrap_or_else(|| Err(ObjectReadError::NotFound("GetObject: NoSuchKey".to_owned())))
    }
}

type FakeHydrator =
    Hydrator<FakeStream, RecordingSink, UnknownRetention, DynamoDbShardReader, FakeObjects>;

fn setup(streams: &[&str]) -> (FakeStream, RecordingSink, FakeObjects, FakeHydrator) {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD, 10);
    let sink = RecordingSink::new();
    let objects = FakeObjects::default();
    let config = fixtures::config(QUEUE, streams, &[]);
    let hydrator =
        Hydrator::new(stream.clone(), sink.clone(), config).with_objects(objects.clone());
    (stream, sink, objects, hydrator)
}

async fn invoke(hydrator: &FakeHydrator, payload: String) -> Result<HydrateSummary, HydrateError> {
    let raw = RawValue::from_string(payload).expect("the payload is JSON");
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

fn failures(sink: &RecordingSink) -> Vec<HydratedFailure> {
    let bodies = sink.bodies();
    assemble(bodies.iter().map(String::as_str))
        .into_iter()
        .map(|failure| failure.expect("reads back"))
        .collect()
}

/// The SQS fixture with these bodies, one record each, message ids `m-0`…
fn sqs_event(bodies: &[String]) -> String {
    let mut event: Value = serde_json::from_str(SQS_EVENT).expect("fixture is JSON");
    let template = event["Records"][0].clone();
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| {
            let mut record = template.clone();
            record["messageId"] = format!("m-{n}").into();
            record["body"] = body.clone().into();
            record
        })
        .collect();
    event["Records"] = records.into();
    event.to_string()
}

/// The OnFailure record of `FakeStream` positions `first..=last`.
fn failure_of(stream: &FakeStream, first: usize, last: usize) -> String {
    fixtures::failure_message(KINESIS, &Range::from(&stream.batch(SHARD, first..=last)))
}

fn unavailable() -> SinkError {
    SinkError::Request {
        message: "SendMessageBatch: connection refused".into(),
        retryable: true,
    }
}

/// When the DLQ write of one SQS message fails, the answer names exactly
/// that message: the queue keeps it for another try and deletes the other,
/// whose failure was written.
#[tokio::test]
async fn an_sqs_message_whose_dlq_write_failed_is_the_only_one_named() {
    let (stream, sink, _, hydrator) = setup(&[FakeStream::ARN]);
    sink.fail_next(unavailable());
    let payload = sqs_event(&[failure_of(&stream, 0, 2), failure_of(&stream, 3, 4)]);
    let summary = invoke(&hydrator, payload)
        .await
        .expect("answered, not failed");
    assert_eq!(summary.failed_message_ids(), ["m-0"]);
    assert_eq!(summary.failures[1].status, HydrationStatus::Complete);
    assert_eq!(summary.failures[1].parts, 1);
    let written = failures(&sink);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].records.len(), 2);
}

/// An SQS message that cannot be named (no `messageId`) and whose failure
/// was not written fails the whole invocation: nothing may be deleted.
#[tokio::test]
async fn an_unnamed_sqs_message_whose_write_failed_fails_the_invocation() {
    let (_, sink, _, hydrator) = setup(&[FakeStream::ARN]);
    sink.fail_next(unavailable());
    let payload = r#"{"Records":[{"eventSource":"aws:sqs","body":"not a record"}]}"#;
    let error = invoke(&hydrator, payload.to_owned())
        .await
        .expect_err("the batch must be retried whole");
    assert_eq!(error.error_type(), "DlqWriteFailed");
}

/// A read of the object that may pass (a throttle, a 5xx) fails the
/// invocation, retryable, so Lambda retries the notification: the DLQ gets
/// no marker for an object that is there.
#[tokio::test]
async fn a_transient_object_read_fails_the_invocation_for_a_retry() {
    let (_, sink, objects, hydrator) = setup(&[DEMO_STREAM]);
    let event: Value = serde_json::from_str(S3_EVENT).expect("JSON");
    let bucket = event["Records"][0]["s3"]["bucket"]["name"]
        .as_str()
        .expect("bucket");
    let key = event["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .expect("key");
    objects.put(
        bucket,
        key,
        Err(ObjectReadError::Transient("GetObject: SlowDown".into())),
    );
    let error = invoke(&hydrator, S3_EVENT.to_owned())
        .await
        .expect_err("retried");
    assert!(error.is_retryable());
    let HydrateError::DlqWriteFailed { undelivered, .. } = &error else {
        panic!("{error}");
    };
    assert!(matches!(undelivered[0].error, DeliveryError::ObjectRead(_)));
    assert!(sink.bodies().is_empty());
}

/// The fixture object delivered through the fixture notification: the
/// records come from the payload, byte-exact, none read from the stream.
#[tokio::test]
async fn an_s3_object_is_normalised_without_reading_the_stream() {
    let (_, sink, objects, hydrator) = setup(&[DEMO_STREAM]);
    let event: Value = serde_json::from_str(S3_EVENT).expect("JSON");
    let bucket = event["Records"][0]["s3"]["bucket"]["name"]
        .as_str()
        .expect("bucket");
    let key = event["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .expect("key");
    objects.put(bucket, key, Ok(OBJECT.as_bytes().to_vec()));
    let summary = invoke(&hydrator, S3_EVENT.to_owned())
        .await
        .expect("written");
    assert_eq!(summary.count(HydrationStatus::Complete), 1, "{summary:?}");
    let written = failures(&sink);
    assert_eq!(written[0].records.len(), 3);
    assert_eq!(
        written[0].records[0].data,
        br#"{"AtomicNumber":1,"Element":"Hydrogen","Symbol":"H","AtomicMass":1.008}"#
    );
}

/// An object of a stream not on the allowlist is `rejected`: its records
/// are not copied into this DLQ (the object keeps them).
#[tokio::test]
async fn an_s3_object_of_a_stream_not_allowed_is_rejected_uncopied() {
    let (_, sink, objects, hydrator) = setup(&[FakeStream::ARN]);
    let event: Value = serde_json::from_str(S3_EVENT).expect("JSON");
    let bucket = event["Records"][0]["s3"]["bucket"]["name"]
        .as_str()
        .expect("bucket");
    let key = event["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .expect("key");
    objects.put(bucket, key, Ok(OBJECT.as_bytes().to_vec()));
    invoke(&hydrator, S3_EVENT.to_owned())
        .await
        .expect("written");
    let written = failures(&sink);
    assert_eq!(written[0].hydration.status, HydrationStatus::Rejected);
    assert!(written[0].records.is_empty());
    let reason = written[0].hydration.reason.as_deref().expect("reason");
    assert!(reason.contains(&format!("s3://{bucket}/{key}")), "{reason}");
}

/// A DynamoDB Streams object keeps the status every DynamoDB failure has
/// today (`unavailable`), and the whole object, payload included.
#[tokio::test]
async fn a_dynamodb_object_is_kept_whole_as_unavailable() {
    let (_, sink, objects, hydrator) = setup(&[DEMO_STREAM]);
    let event: Value = serde_json::from_str(S3_EVENT).expect("JSON");
    let bucket = event["Records"][0]["s3"]["bucket"]["name"]
        .as_str()
        .expect("bucket");
    let key = event["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .expect("key");
    let object = OBJECT.replace("KinesisBatchInfo", "DDBStreamBatchInfo");
    objects.put(bucket, key, Ok(object.into_bytes()));
    invoke(&hydrator, S3_EVENT.to_owned())
        .await
        .expect("written");
    let written = failures(&sink);
    assert_eq!(written[0].hydration.status, HydrationStatus::Unavailable);
    let failure: Value =
        serde_json::from_str(written[0].failure.as_deref().expect("failure")).expect("JSON");
    assert_eq!(
        failure["payload"]["Records"].as_array().map(Vec::len),
        Some(3)
    );
}
