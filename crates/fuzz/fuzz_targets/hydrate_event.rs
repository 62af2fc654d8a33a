//! The hydrate function as Lambda runs it: the invocation's bytes read the
//! way `lambda_runtime` reads them into the binary's payload type
//! (`Box<RawValue>`), then `hydrate::handler`, the binary's own entry point,
//! over in-memory Kinesis and DynamoDB streams, an in-memory S3 bucket and
//! an in-memory DLQ. SNS, SQS and S3 events and anything else.
//!
//! Input: the invocation payload, optionally followed by a NUL byte and the
//! bytes every S3 object holds (the failure destination's object, seeded
//! with `events/s3-onfailure-object-kinesis.json` when absent). A payload
//! never holds a raw NUL: JSON forbids control characters outside strings
//! and inside them.
//!
//! Invariant: the invocation either answers with one failure per record of
//! the event, each of them whole in the DLQ (assembled back with the status
//! and record count the answer gives; an SNS message or SQS body's record
//! carried verbatim, or the whole record when it cannot be read as its
//! event's kind), or it fails with the documented `errorType`
//! `UnsupportedEvent`, having written nothing, for a payload that holds no
//! record of a known kind. The in-memory DLQ and bucket never refuse, so
//! `DlqWriteFailed` or an SQS `batchItemFailures` entry is a bug.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use hydrate::{HydrateConfig, Hydrator, ObjectReadError, ObjectSource, handler};
use lambda_runtime::{Context, LambdaEvent};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use streamdlq_core::dlq::{HydratedFailure, RecordingSink};
use streamdlq_core::fake::{FakeDynamoDbStream, FakeStream};
use streamdlq_core::{HydrationStatus, QueueBody, assemble};

const KINESIS_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo";
const KINESIS_SHARD: &str = "shardId-000000000000";
const DYNAMODB_SHARD: &str = "shardId-00000001795428000000-a1b2c3d4";
const OBJECT: &[u8] = include_bytes!("../../../events/s3-onfailure-object-kinesis.json");

fn kinesis() -> &'static FakeStream {
    static STREAM: OnceLock<FakeStream> = OnceLock::new();
    STREAM.get_or_init(|| {
        let stream = FakeStream::new(KINESIS_ARN);
        stream.put_many(KINESIS_SHARD, 5);
        stream
    })
}

fn dynamodb() -> &'static FakeDynamoDbStream {
    static STREAM: OnceLock<FakeDynamoDbStream> = OnceLock::new();
    STREAM.get_or_init(|| {
        let stream = FakeDynamoDbStream::dynamodb(FakeDynamoDbStream::TABLE_STREAM_ARN);
        stream.put_many(DYNAMODB_SHARD, 3);
        stream
    })
}

/// A bucket in which every key holds the same bytes.
#[derive(Clone)]
struct Bucket(Vec<u8>);

impl ObjectSource for Bucket {
    async fn object(
        &self,
        _bucket: &str,
        _key: &str,
        _version_id: Option<&str>,
    ) -> Result<Vec<u8>, ObjectReadError> {
        Ok(self.0.clone())
    }
}

/// What the event holds, read independently of the function: its records,
/// each as its JSON text.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Records")]
    records: Vec<Box<RawValue>>,
}

/// Where a record says it comes from. A typed probe, as duplicate keys make
/// a record unreadable for serde's derived readers.
#[derive(Deserialize)]
struct SourceProbe {
    #[serde(rename = "EventSource", default)]
    upper: Option<String>,
    #[serde(rename = "eventSource", default)]
    lower: Option<String>,
}

/// The source a record names, when it names one.
fn source(record: &RawValue) -> Option<String> {
    serde_json::from_str::<SourceProbe>(record.get())
        .ok()
        .and_then(|probe| probe.upper.or(probe.lower))
}

/// Whether the record names a source the function reads.
fn known(record: &RawValue) -> bool {
    matches!(
        source(record).as_deref(),
        Some("aws:sns" | "aws:sqs" | "aws:s3")
    )
}

/// The text a record of an event of `kind` (its first known source)
/// carries that must reach the DLQ: the SNS message, or the SQS body's
/// OnFailure record.
fn expected_text(kind: &str, record: &RawValue) -> Option<String> {
    let value = serde_json::from_str::<Value>(record.get()).ok()?;
    match kind {
        "aws:sns" => value
            .pointer("/Sns/Message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        "aws:sqs" => value
            .get("body")
            .and_then(Value::as_str)
            .map(|body| QueueBody::read(body).text.into_owned()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    // SNS caps a message at 256 KiB, Lambda an event at 256 KiB (async).
    if data.len() > 300 * 1024 {
        return;
    }
    let (payload, object) = match data.iter().position(|&byte| byte == 0) {
        Some(at) => (&data[..at], data[at + 1..].to_vec()),
        None => (data, OBJECT.to_vec()),
    };
    // As lambda_runtime reads an invocation's body into the payload type
    // (no check for trailing bytes, as there). Lambda delivers JSON only.
    let mut reader = serde_json::Deserializer::from_slice(payload);
    let Ok(raw) = <Box<RawValue>>::deserialize(&mut reader) else {
        return;
    };
    let config = HydrateConfig::from_lookup(|name| match name {
        "DLQ_URL" => Some("https://sqs.us-east-1.amazonaws.com/123456789012/dlq".to_owned()),
        "ALLOWED_STREAM_ARNS" => Some(format!(
            "{KINESIS_ARN},{}",
            FakeDynamoDbStream::TABLE_STREAM_ARN
        )),
        // The smallest limit: more parts and fragments per input.
        "MESSAGE_LIMIT_BYTES" => Some("16384".to_owned()),
        _ => None,
    })
    .expect("config");
    let hydrator = Hydrator::new(kinesis().clone(), RecordingSink::new(), config)
        .with_dynamodb(dynamodb().clone())
        .with_objects(Bucket(object));
    let oracle: Option<Vec<Box<RawValue>>> = serde_json::from_str::<Envelope>(raw.get())
        .ok()
        .map(|envelope| envelope.records);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let result = runtime.block_on(handler(
        &hydrator,
        LambdaEvent::new(raw, Context::default()),
    ));
    let bodies = hydrator.sink().bodies();
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            assert_eq!(error.error_type(), "UnsupportedEvent", "{error}");
            assert!(bodies.is_empty(), "a refused event wrote to the DLQ");
            if let Some(records) = &oracle {
                assert!(
                    !records.iter().any(|record| known(record)),
                    "an event with a record of a known kind was refused: {error}"
                );
            }
            return;
        }
    };
    assert!(
        summary.failed_message_ids().is_empty(),
        "the in-memory DLQ took every message, yet messages stay in the queue"
    );
    // Every failure of the answer is whole in the DLQ, as the answer says.
    // One id may come back in several versions: the same failure in two
    // encodings, each read back whole.
    let mut assembled: BTreeMap<String, Vec<HydratedFailure>> = BTreeMap::new();
    for result in assemble(bodies.iter().map(String::as_str)) {
        let failure = result.expect("what the function wrote reads back");
        assembled
            .entry(failure.id.clone())
            .or_default()
            .push(failure);
    }
    let ids: BTreeSet<&str> = summary.failures.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        assembled.keys().map(String::as_str).collect(),
        "the DLQ holds other failures than the answer names"
    );
    for failure in &summary.failures {
        let as_answered = assembled[&failure.id].iter().any(|written| {
            written.hydration.status == failure.status
                && written.record_count() == failure.found
                && written.hydration.found == failure.found
                && if failure.status == HydrationStatus::Unparseable {
                    written.raw.is_some()
                } else {
                    written.failure.is_some()
                }
        });
        assert!(
            as_answered,
            "failure {} is not in the DLQ as answered",
            failure.id
        );
    }
    let Some(records) = oracle else {
        return;
    };
    assert_eq!(
        summary.failures.len(),
        records.len(),
        "one failure per record of the event"
    );
    let kind = records
        .iter()
        .find(|record| known(record))
        .and_then(|record| source(record))
        .unwrap_or_default();
    for (record, failure) in records.iter().zip(&summary.failures) {
        // The message is carried verbatim, or the whole record is, when
        // the function could not read it as its event's kind.
        let Some(text) = expected_text(&kind, record) else {
            continue;
        };
        let carried = assembled[&failure.id].iter().any(|written| {
            let carried = written.failure.as_deref().or(written.raw.as_deref());
            carried.map(str::trim) == Some(text.trim()) || carried == Some(record.get())
        });
        assert!(
            carried,
            "neither the record's message nor the record is in the DLQ verbatim"
        );
    }
});
