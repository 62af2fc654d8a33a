//! Every failure destination's delivery end to end against the emulators:
//! records put into kinesis-local, the OnFailure record delivered the way
//! each destination delivers it (an SQS queue in moto, raw and through a
//! real moto SNS subscription; an object in a moto S3 bucket with the
//! batch as its payload), the real SDK clients and the real handler, and
//! the DLQ in moto's SQS read back with `assemble`, byte-exact.

mod common;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::QueueAttributeName;
use common::emulator::{self, Aws, Put, Stream};
use common::fixtures::{self, KINESIS, Range};
use hydrate::{HydrateError, HydrateSummary, Hydrator, S3ObjectSource, handler};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use serde_json::value::RawValue;
use streamdlq_core::dlq::{HydratedFailure, RecordsFrom, SQS_MESSAGE_LIMIT};
use streamdlq_core::{
    DynamoDbShardReader, HydrationStatus, KinesisEventSource, KinesisShardReader, SequenceNumber,
    SqsDlqSink, StreamRecord, UnknownRetention, assemble,
};
use streamdlq_emulators::Emulators;

const S3_EVENT: &str = include_str!("../../../events/s3-event-onfailure-object.json");

type EmulatorHydrator =
    Hydrator<KinesisShardReader, SqsDlqSink, UnknownRetention, DynamoDbShardReader, S3ObjectSource>;

/// The emulators' clients, S3 and SNS included.
struct Clients {
    aws: Aws,
    s3: aws_sdk_s3::Client,
    sns: aws_sdk_sns::Client,
}

async fn clients() -> Clients {
    let emulators = Emulators::shared().await.expect("emulators start");
    let moto = emulators.moto_config();
    Clients {
        aws: emulator::aws().await,
        s3: hydrate::clients::s3(&moto),
        sns: aws_sdk_sns::Client::new(&moto),
    }
}

/// A hydrator over the emulators as the Lambda binary builds it: Kinesis,
/// the DLQ, and GetObject for S3 failure destinations.
fn hydrator(clients: &Clients, dlq_url: &str, streams: &[&str]) -> EmulatorHydrator {
    Hydrator::new(
        KinesisShardReader::new(clients.aws.kinesis.clone()),
        SqsDlqSink::new(clients.aws.sqs.clone(), dlq_url),
        fixtures::config(dlq_url, streams, &[]),
    )
    .with_objects(S3ObjectSource::new(clients.s3.clone()))
}

/// Runs the handler on a raw payload, as the Lambda runtime hands it over.
async fn invoke(
    hydrator: &EmulatorHydrator,
    payload: String,
) -> Result<HydrateSummary, HydrateError> {
    let raw = RawValue::from_string(payload).expect("the payload is JSON");
    let event = LambdaEvent::new(raw, emulator::context(Duration::from_secs(120)));
    handler(hydrator, event).await
}

/// The OnFailure record for `puts` of shard `shard`, every one of them failed.
fn failure_for(stream: &Stream, shard: usize, puts: &[Put]) -> String {
    fixtures::failure_message(
        KINESIS,
        &Range {
            stream_arn: stream.arn.clone(),
            shard_id: stream.shards[shard].id.clone(),
            start: puts[0].sequence_number.clone(),
            end: puts[puts.len() - 1].sequence_number.clone(),
            batch_size: u32::try_from(puts.len()).expect("fits"),
        },
    )
}

/// Drains the DLQ of `messages` messages, each within the SQS limit, and
/// reads them back into failures.
async fn read_dlq(aws: &Aws, dlq_url: &str, messages: usize) -> Vec<HydratedFailure> {
    let received = emulator::drain(&aws.sqs, dlq_url, messages).await;
    assert_eq!(received.len(), messages, "messages in the DLQ");
    for message in &received {
        assert!(message.size <= SQS_MESSAGE_LIMIT, "{} bytes", message.size);
    }
    assemble(received.iter().map(|m| m.body.as_str()))
        .into_iter()
        .map(|failure| failure.expect("the failure reads back whole"))
        .collect()
}

/// Sequence number, partition key and bytes of each record.
fn contents(records: &[StreamRecord]) -> Vec<Put> {
    records
        .iter()
        .map(|record| Put {
            sequence_number: record.sequence_number.to_string(),
            partition_key: record.partition_key.clone(),
            data: record.data.clone(),
        })
        .collect()
}

fn keyed(prefix: &str, count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|n| {
            (
                format!("{prefix}-{n}"),
                format!("{prefix} record {n}").into_bytes(),
            )
        })
        .collect()
}

fn borrowed(records: &[(String, Vec<u8>)]) -> Vec<(&str, Vec<u8>)> {
    records
        .iter()
        .map(|(key, data)| (key.as_str(), data.clone()))
        .collect()
}

// ---------------------------------------------------------------- SQS ----

/// A queue's ARN.
async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .expect("queue arn")
}

/// Receives `count` messages from `queue_url` without deleting them.
async fn receive_all(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    count: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut messages = Vec::new();
    for _ in 0..20 {
        if messages.len() >= count {
            break;
        }
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        messages.extend(received);
    }
    assert_eq!(messages.len(), count, "messages in the failure queue");
    messages
}

/// The SQS event an event source mapping on `queue_arn` would deliver
/// for `messages`.
fn sqs_event(queue_arn: &str, messages: &[aws_sdk_sqs::types::Message]) -> String {
    let records: Vec<Value> = messages
        .iter()
        .map(|message| {
            serde_json::json!({
                "messageId": message.message_id.clone().expect("message id"),
                "receiptHandle": message.receipt_handle.clone().expect("receipt handle"),
                "body": message.body.clone().expect("body"),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body.clone().unwrap_or_default(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}

/// Deletes the messages a partial batch response does not name, as the
/// queue's event source mapping does.
async fn delete_answered(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[aws_sdk_sqs::types::Message],
    summary: &HydrateSummary,
) {
    let keep = summary.failed_message_ids();
    for message in messages {
        let id = message.message_id.as_deref().expect("message id");
        if !keep.contains(&id) {
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle.clone().expect("receipt handle"))
                .send()
                .await
                .expect("delete");
        }
    }
}

/// An OnFailure queue holding one raw record, one delivered through a real
/// SNS subscription without raw delivery (the envelope), and one malformed
/// message: both records are hydrated byte-exact from the stream, the
/// malformed one reaches the DLQ as `unparseable` with its text, no message
/// is named in `batchItemFailures`, and the queue ends empty.
#[tokio::test]
async fn sqs_delivery_hydrates_raw_and_sns_wrapped_bodies_past_a_malformed_one() {
    let clients = clients().await;
    let aws = &clients.aws;
    let stream = Stream::create(&aws.kinesis, 1).await;
    let first = stream
        .put(&aws.kinesis, 0, &borrowed(&keyed("raw", 3)))
        .await;
    let second = stream
        .put(&aws.kinesis, 0, &borrowed(&keyed("wrapped", 2)))
        .await;
    let dlq_url = emulator::create_queue(&aws.sqs).await;
    let failure_queue = emulator::create_queue(&aws.sqs).await;
    let failure_queue_arn = queue_arn(&aws.sqs, &failure_queue).await;

    // The raw OnFailure record, as an ESM with a queue destination sends it.
    aws.sqs
        .send_message()
        .queue_url(&failure_queue)
        .message_body(failure_for(&stream, 0, &first))
        .send()
        .await
        .expect("send raw");
    // The record published to a topic the queue is subscribed to, without
    // raw message delivery: moto delivers the SNS envelope.
    let topic = clients
        .sns
        .create_topic()
        .name(emulator::unique("failures"))
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn");
    clients
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&failure_queue_arn)
        .send()
        .await
        .expect("subscribe");
    clients
        .sns
        .publish()
        .topic_arn(&topic)
        .message(failure_for(&stream, 0, &second))
        .send()
        .await
        .expect("publish");
    let malformed = "{\"KinesisBatchInfo\": {\"shardId\": \"shardId-000000000000\"";
    aws.sqs
        .send_message()
        .queue_url(&failure_queue)
        .message_body(malformed)
        .send()
        .await
        .expect("send malformed");

    let messages = receive_all(&aws.sqs, &failure_queue, 3).await;
    assert!(
        messages.iter().any(|m| m
            .body()
            .is_some_and(|b| b.contains("\"Type\": \"Notification\"")
                || b.contains("\"Type\":\"Notification\""))),
        "one body is an SNS envelope"
    );
    let hydrator = hydrator(&clients, &dlq_url, &[&stream.arn]);
    let summary = invoke(&hydrator, sqs_event(&failure_queue_arn, &messages))
        .await
        .expect("the SQS batch is answered");
    assert_eq!(summary.batch_item_failures, Some(Vec::new()), "{summary:?}");
    assert_eq!(summary.count(HydrationStatus::Complete), 2, "{summary:?}");
    assert_eq!(
        summary.count(HydrationStatus::Unparseable),
        1,
        "{summary:?}"
    );
    delete_answered(&aws.sqs, &failure_queue, &messages, &summary).await;
    assert!(
        emulator::receive(&aws.sqs, &failure_queue, 0)
            .await
            .is_empty()
    );

    let failures = read_dlq(aws, &dlq_url, 3).await;
    let complete: Vec<&HydratedFailure> = failures
        .iter()
        .filter(|f| f.hydration.status == HydrationStatus::Complete)
        .collect();
    let mut carried: Vec<Vec<Put>> = complete.iter().map(|f| contents(&f.records)).collect();
    carried.sort_by_key(Vec::len);
    assert_eq!(carried, [second, first]);
    for failure in complete {
        assert_eq!(failure.hydration.records_from, Some(RecordsFrom::Stream));
    }
    let unparseable = failures
        .iter()
        .find(|f| f.hydration.status == HydrationStatus::Unparseable)
        .expect("the malformed message is in the DLQ");
    assert_eq!(unparseable.raw.as_deref(), Some(malformed));
}

// ----------------------------------------------------------------- S3 ----

/// How the object carries the batch.
#[derive(Debug, Clone, Copy)]
enum PayloadAs {
    Object,
    String,
}

/// A bucket for one test.
async fn create_bucket(s3: &aws_sdk_s3::Client) -> String {
    let bucket = emulator::unique("failures");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    bucket
}

/// The key AWS gives a failed batch's object.
fn destination_key(shard_id: &str, n: usize) -> String {
    format!(
        "aws/lambda/5f1a9c3e-7b2d-4e8f-a6c1-0d9e8b7a6f54/{shard_id}/2026/11/23/\
         2026-11-23T10.15.42-8c3e1f2a-4b5d-4c6e-9f7a-{n:012}"
    )
}

/// The S3 failure destination's object for `puts`: the OnFailure record
/// plus the Kinesis event the function was invoked with, as `payload`.
fn destination_object(
    stream: &Stream,
    shard: usize,
    puts: &[Put],
    payload_as: PayloadAs,
) -> String {
    let records: Vec<StreamRecord> = puts
        .iter()
        .enumerate()
        .map(|(n, put)| StreamRecord {
            sequence_number: SequenceNumber::parse(&put.sequence_number).expect("digits"),
            partition_key: put.partition_key.clone(),
            approximate_arrival_millis: Some(1_795_428_897_512 + i64::try_from(n).expect("fits")),
            data: put.data.clone(),
        })
        .collect();
    let source = KinesisEventSource {
        stream_arn: stream.arn.clone(),
        region: "us-east-1".to_owned(),
        invoke_identity_arn: Some("arn:aws:iam::000000000000:role/processor".to_owned()),
    };
    let event = source.event(&stream.shards[shard].id, &records);
    let mut object: Value =
        serde_json::from_str(&failure_for(stream, shard, puts)).expect("record is JSON");
    object["payload"] = match payload_as {
        PayloadAs::Object => serde_json::from_str(&event).expect("event is JSON"),
        PayloadAs::String => Value::String(event),
    };
    object.to_string()
}

/// The `ObjectCreated:Put` notification of `key` in `bucket`.
fn s3_event(bucket: &str, key: &str, size: usize) -> String {
    let mut event: Value = serde_json::from_str(S3_EVENT).expect("fixture is JSON");
    let s3 = &mut event["Records"][0]["s3"];
    s3["bucket"]["name"] = bucket.into();
    s3["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
    s3["object"]["key"] = key.into();
    s3["object"]["size"] = size.into();
    event.to_string()
}

async fn put_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: String) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .expect("put object");
}

/// Puts `records` into a stream, writes their failure as an S3 failure
/// destination's object and delivers its notification: the DLQ holds
/// exactly the records put, byte-exact, taken from the payload (nothing is
/// re-read from the stream), in `parts` messages.
async fn deliver_object(records: &[(&str, Vec<u8>)], payload_as: PayloadAs, parts: usize) {
    let clients = clients().await;
    let aws = &clients.aws;
    let stream = Stream::create(&aws.kinesis, 1).await;
    let puts = stream.put(&aws.kinesis, 0, records).await;
    let dlq_url = emulator::create_queue(&aws.sqs).await;
    let bucket = create_bucket(&clients.s3).await;
    let key = destination_key(&stream.shards[0].id, 1);
    let object = destination_object(&stream, 0, &puts, payload_as);
    let size = object.len();
    put_object(&clients.s3, &bucket, &key, object).await;

    let hydrator = hydrator(&clients, &dlq_url, &[&stream.arn]);
    let summary = invoke(&hydrator, s3_event(&bucket, &key, size))
        .await
        .expect("the object reaches the DLQ");
    assert_eq!(summary.batch_item_failures, None);
    assert_eq!(summary.count(HydrationStatus::Complete), 1, "{summary:?}");

    let failures = read_dlq(aws, &dlq_url, parts).await;
    let [failure] = failures.as_slice() else {
        panic!("one failure: {failures:?}");
    };
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert_eq!(
        failure.hydration.records_from,
        Some(RecordsFrom::DestinationPayload)
    );
    assert_eq!(contents(&failure.records), puts);
    let record: Value =
        serde_json::from_str(failure.failure.as_deref().expect("failure record")).expect("JSON");
    assert!(
        record.get("payload").is_none(),
        "the payload is not repeated"
    );
    assert_eq!(record["KinesisBatchInfo"]["streamArn"], stream.arn.as_str());
}

/// A payload written as a JSON object: text records, byte-exact.
#[tokio::test]
async fn s3_delivery_takes_the_records_from_a_payload_object() {
    let records = keyed("object", 4);
    deliver_object(&borrowed(&records), PayloadAs::Object, 1).await;
}

/// A payload written as a JSON string holding the event reads the same.
#[tokio::test]
async fn s3_delivery_takes_the_records_from_a_payload_string() {
    let records = keyed("string", 4);
    deliver_object(&borrowed(&records), PayloadAs::String, 1).await;
}

/// A binary record (every byte value, invalid UTF-8) survives the payload's
/// base64 and the DLQ's byte-exact.
#[tokio::test]
async fn s3_delivery_keeps_a_binary_record_byte_exact() {
    let binary: Vec<u8> = (0..=255u8).rev().chain([0xff, 0xfe, 0x00, 0xc3]).collect();
    let records = [
        ("text", b"before the binary one".to_vec()),
        ("binary-\u{2603}", binary),
        ("after", b"{\"json\": true}".to_vec()),
    ];
    deliver_object(&records, PayloadAs::Object, 1).await;
}

/// A 900 KiB record between small ones travels in fragments across two
/// DLQ messages, each within the SQS limit, and joins back byte-exact.
#[tokio::test]
async fn s3_delivery_carries_a_900_kib_record_in_fragments() {
    let big: Vec<u8> = (0..900 * 1024)
        .map(|n: usize| (n.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let records = [
        ("small-0", b"first".to_vec()),
        ("big", big),
        ("small-1", b"last".to_vec()),
    ];
    deliver_object(&records, PayloadAs::String, 2).await;
}

/// A notification for an object that does not exist (deleted, or a wrong
/// key) still reaches the DLQ: `unparseable`, the notification record as
/// its raw text, the reason naming the bucket and key.
#[tokio::test]
async fn s3_delivery_keeps_a_missing_object_as_unparseable_with_its_key() {
    let clients = clients().await;
    let dlq_url = emulator::create_queue(&clients.aws.sqs).await;
    let bucket = create_bucket(&clients.s3).await;
    let key = destination_key("shardId-000000000000", 2);
    let hydrator = hydrator(&clients, &dlq_url, &[]);
    let notification = s3_event(&bucket, &key, 10);
    let summary = invoke(&hydrator, notification.clone())
        .await
        .expect("a missing object is not retried");
    assert_eq!(summary.count(HydrationStatus::Unparseable), 1);

    let failures = read_dlq(&clients.aws, &dlq_url, 1).await;
    let failure = &failures[0];
    assert_eq!(failure.hydration.status, HydrationStatus::Unparseable);
    let reason = failure.hydration.reason.as_deref().expect("reason");
    assert!(reason.contains(&format!("s3://{bucket}/{key}")), "{reason}");
    assert!(reason.contains("not found"), "{reason}");
    let raw: Value = serde_json::from_str(failure.raw.as_deref().expect("raw")).expect("JSON");
    let notified: Value = serde_json::from_str(&notification).expect("JSON");
    assert_eq!(raw, notified["Records"][0]);
}

/// An object that is not an OnFailure record reaches the DLQ as
/// `unparseable` with its text; the reason names the bucket and key.
#[tokio::test]
async fn s3_delivery_keeps_an_object_that_is_not_a_failure_as_unparseable() {
    let clients = clients().await;
    let dlq_url = emulator::create_queue(&clients.aws.sqs).await;
    let bucket = create_bucket(&clients.s3).await;
    let key = destination_key("shardId-000000000000", 3);
    let text = "{\"hello\": \"not an OnFailure record\"}";
    put_object(&clients.s3, &bucket, &key, text.to_owned()).await;
    let hydrator = hydrator(&clients, &dlq_url, &[]);
    invoke(&hydrator, s3_event(&bucket, &key, text.len()))
        .await
        .expect("written to the DLQ");

    let failures = read_dlq(&clients.aws, &dlq_url, 1).await;
    let failure = &failures[0];
    assert_eq!(failure.hydration.status, HydrationStatus::Unparseable);
    assert_eq!(failure.raw.as_deref(), Some(text));
    let reason = failure.hydration.reason.as_deref().expect("reason");
    assert!(reason.contains(&format!("s3://{bucket}/{key}")), "{reason}");
}
