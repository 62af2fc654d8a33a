//! The event is the one AWS delivers, field for field.

use aws_lambda_events::event::kinesis::KinesisEvent;
use base64::Engine as _;
use serde_json::Value;

use super::*;
use crate::batch::KinesisBatch;
use crate::sequence::SequenceNumber;

const VALID: &str = include_str!("../../../../../events/kinesis-batch-valid.json");
const SHARD: &str = "shardId-000000000000";

fn source() -> KinesisEventSource {
    KinesisEventSource {
        stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo".to_owned(),
        region: "us-east-1".to_owned(),
        invoke_identity_arn: Some(
            "arn:aws:iam::123456789012:role/streamdlq-processor-role".to_owned(),
        ),
    }
}

/// The records of a real event, as a shard read would return them.
fn records_of(event: &Value) -> Vec<StreamRecord> {
    event["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|record| {
            let kinesis = &record["kinesis"];
            StreamRecord {
                sequence_number: SequenceNumber::parse(
                    kinesis["sequenceNumber"].as_str().expect("sequence number"),
                )
                .expect("digits"),
                partition_key: kinesis["partitionKey"].as_str().expect("key").to_owned(),
                approximate_arrival_millis: Some(
                    (kinesis["approximateArrivalTimestamp"]
                        .as_f64()
                        .expect("arrival")
                        * 1000.0)
                        .round() as i64,
                ),
                data: STANDARD
                    .decode(kinesis["data"].as_str().expect("data"))
                    .expect("base64"),
            }
        })
        .collect()
}

fn generated(count: usize, size: usize) -> Vec<StreamRecord> {
    (0..count)
        .map(|n| StreamRecord {
            sequence_number: SequenceNumber::parse(&format!(
                "4965695925209453244739117821838627129840653243653218{n:04}"
            ))
            .expect("seq"),
            partition_key: format!("key-{n}"),
            approximate_arrival_millis: Some(1_795_428_897_512 + n as i64),
            data: vec![n as u8; size],
        })
        .collect()
}

/// Rebuilding the fixture's records gives the fixture back, field for
/// field, `invokeIdentityArn` and `awsRegion` included.
#[test]
fn builds_the_event_aws_delivers() {
    let fixture: Value = serde_json::from_str(VALID).expect("fixture");
    let records = records_of(&fixture);

    let event: Value = serde_json::from_str(&source().event(SHARD, &records)).expect("json");

    assert_eq!(event, fixture);
}

/// aws_lambda_events reads the event, every byte and the arrival time
/// intact, with `eventID` as `shardId:sequenceNumber`.
#[test]
fn deserialises_as_an_aws_lambda_events_kinesis_event() {
    let all_bytes: Vec<u8> = (0..=255).collect();
    let record = StreamRecord {
        sequence_number: SequenceNumber::parse(
            "49656959252094532447391178218386271298406532436532183042",
        )
        .expect("digits"),
        partition_key: "pk".to_owned(),
        approximate_arrival_millis: Some(1_795_428_897_512),
        data: all_bytes.clone(),
    };

    let text = source().event("shardId-000000000001", &[record]);
    let parsed: KinesisEvent = serde_json::from_str(&text).expect("kinesis event");

    let only = &parsed.records[0];
    assert_eq!(only.kinesis.data.0, all_bytes);
    assert_eq!(
        only.event_id.as_deref(),
        Some("shardId-000000000001:49656959252094532447391178218386271298406532436532183042")
    );
    assert!(text.contains("\"approximateArrivalTimestamp\":1795428897.512"));
}

/// The batch helper of consumers reads the event with every identity field.
#[test]
fn reads_back_as_a_kinesis_batch() {
    let input = generated(3, 5);
    let batch: KinesisBatch = serde_json::from_str(&source().event(SHARD, &input)).expect("batch");
    let contexts: Vec<_> = batch.records().collect();
    assert_eq!(contexts.len(), 3);
    assert_eq!(contexts[1].sequence_number, input[1].sequence_number);
    assert_eq!(contexts[1].partition_key, "key-1");
    assert_eq!(contexts[1].shard_id.as_deref(), Some(SHARD));
    assert_eq!(
        contexts[1].approximate_arrival_millis,
        Some(1_795_428_897_513)
    );
}

/// Events stay under the byte and record limits and keep the order.
#[test]
fn cuts_large_batches_into_ordered_events() {
    let input = generated(10, 1_000);
    let events = source().events(SHARD, &input, 4, 3_000);
    assert!(events.len() >= 4, "{}", events.len());
    let mut next = 0;
    for event in &events {
        assert!(event.body.len() <= 3_000);
        assert!(event.records.len() <= 4);
        assert_eq!(event.records.start, next);
        next = event.records.end;
        serde_json::from_str::<Value>(&event.body).expect("json");
    }
    assert_eq!(next, 10);
    let whole = source().events(SHARD, &input, 4, SYNC_INVOKE_PAYLOAD_LIMIT);
    assert_eq!(whole.len(), 3);
}

/// An event of one piece is the same JSON as the unsplit event.
#[test]
fn one_piece_is_the_whole_event() {
    let input = generated(3, 10);
    let events = source().events(SHARD, &input, 100, SYNC_INVOKE_PAYLOAD_LIMIT);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body, source().event(SHARD, &input));
}

/// The size estimate is never below what a record really adds.
#[test]
fn estimates_event_size_from_above() {
    let fixture: Value = serde_json::from_str(VALID).expect("fixture");
    let records = records_of(&fixture);
    let actual = source().event(SHARD, &records).len();
    let estimate: usize = records.iter().map(estimated_kinesis_event_bytes).sum();
    assert!(estimate >= actual, "{estimate} < {actual}");
}
