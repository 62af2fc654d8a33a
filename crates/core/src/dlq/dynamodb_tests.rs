//! DynamoDB Streams failures through the DLQ format and back: the stream
//! records exact, images included, whole or in fragments.

use crate::dlq::{DlqMessage, FailureSource, SQS_MESSAGE_LIMIT, assemble, build_parts};
use crate::dynamodb::{AttributeValue, DynamoDbRecord, EpochTime, Item, StreamChange};
use crate::failure::{FailureRecord, StreamSource};
use crate::hydration::{Hydration, HydrationStatus};
use crate::sequence::SequenceNumber;

const DYNAMODB_FAILURE: &str = include_str!("../../../../events/onfailure-dynamodb.json");

fn failure() -> FailureRecord {
    let record = FailureRecord::parse(DYNAMODB_FAILURE).expect("failure record");
    assert_eq!(record.source, StreamSource::DynamoDb);
    record
}

/// A MODIFY of item `n` whose images carry `payload` bytes each.
fn change(n: u32, payload: Vec<u8>) -> DynamoDbRecord {
    let key: Item = [("pk".to_owned(), AttributeValue::S(format!("item-{n}")))].into();
    let mut new_image = key.clone();
    new_image.insert("blob".to_owned(), AttributeValue::B(payload.clone()));
    new_image.insert("n".to_owned(), AttributeValue::N("10.500".to_owned()));
    new_image.insert(
        "nested".to_owned(),
        AttributeValue::M(
            [(
                "list".to_owned(),
                AttributeValue::L(vec![AttributeValue::Null(true), AttributeValue::Bool(true)]),
            )]
            .into(),
        ),
    );
    let mut old_image = key.clone();
    old_image.insert(
        "text".to_owned(),
        AttributeValue::S("\"quoted\"\n\u{0}é".to_owned()),
    );
    DynamoDbRecord {
        event_id: format!("{n:032x}"),
        event_name: "MODIFY".to_owned(),
        event_version: "1.1".to_owned(),
        event_source: "aws:dynamodb".to_owned(),
        aws_region: "eu-west-1".to_owned(),
        dynamodb: StreamChange {
            approximate_creation_date_time: Some(EpochTime(1_795_428_841_000)),
            keys: Some(key),
            new_image: Some(new_image),
            old_image: Some(old_image),
            sequence_number: SequenceNumber::parse(&format!("1111000000000194405615{n:02}"))
                .expect("digits"),
            size_bytes: Some(payload.len() as u64 + 60),
            stream_view_type: Some("NEW_AND_OLD_IMAGES".to_owned()),
        },
        user_identity: None,
    }
}

fn complete(records: Vec<DynamoDbRecord>) -> Hydration<DynamoDbRecord> {
    Hydration {
        status: HydrationStatus::Complete,
        expected: records.len() as u32,
        records,
        reason: None,
    }
}

fn build(hydration: &Hydration<DynamoDbRecord>, limit: usize) -> Vec<DlqMessage> {
    let failure = failure();
    let messages = build_parts(&FailureSource::Record(&failure), hydration, limit).expect("parts");
    for message in &messages {
        assert!(message.size() <= limit, "{} > {limit}", message.size());
    }
    messages
}

fn round_trip(hydration: &Hydration<DynamoDbRecord>, limit: usize) -> usize {
    let messages = build(hydration, limit);
    let mut results = assemble(messages.iter().map(|m| m.body.as_str()));
    assert_eq!(results.len(), 1);
    let failure = results.remove(0).expect("assembled");
    assert_eq!(failure.dynamodb_records, hydration.records, "records exact");
    assert!(failure.records.is_empty(), "no Kinesis records");
    assert_eq!(failure.failure.as_deref(), Some(DYNAMODB_FAILURE.trim()));
    messages.len()
}

/// Stream records come back exact, with every attribute type and all 256
/// byte values in a binary attribute.
#[test]
fn round_trips_dynamodb_records_exactly() {
    let all: Vec<u8> = (0..=255).collect();
    let hydration = complete(vec![
        change(1, all.clone()),
        change(2, all),
        change(3, vec![]),
    ]);
    assert_eq!(round_trip(&hydration, SQS_MESSAGE_LIMIT), 1);
}

/// An entry is the Lambda event's record plus `sequenceNumber` and
/// `approximateCreationDateTime`: `eventSource` tells it apart, and it has
/// no `partitionKey` or `data` an older reader could misread.
#[test]
fn writes_the_stream_record_as_the_lambda_event_carries_it() {
    let record = change(7, vec![1, 2, 3]);
    let messages = build(&complete(vec![record.clone()]), SQS_MESSAGE_LIMIT);
    let body: serde_json::Value = serde_json::from_str(&messages[0].body).expect("json");
    let entry = &body["records"][0];
    assert_eq!(entry["sequenceNumber"], "111100000000019440561507");
    assert_eq!(entry["approximateCreationDateTime"], 1_795_428_841);
    assert_eq!(entry["eventSource"], "aws:dynamodb");
    assert_eq!(entry["eventName"], "MODIFY");
    assert_eq!(entry["dynamodb"]["NewImage"]["blob"]["B"], "AQID");
    assert_eq!(entry["dynamodb"]["NewImage"]["n"]["N"], "10.500");
    assert_eq!(
        entry["dynamodb"]["SequenceNumber"],
        "111100000000019440561507"
    );
    assert!(entry.get("partitionKey").is_none() && entry.get("data").is_none());
}

/// A 400 KB item (the DynamoDB maximum) in the new image fits in one part.
#[test]
fn carries_a_400_kb_item_in_one_part() {
    let big: Vec<u8> = (0..400 * 1000 - 200)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    let mut record = change(1, big);
    record.dynamodb.old_image = None;
    let hydration = complete(vec![record]);
    let messages = build(&hydration, SQS_MESSAGE_LIMIT);
    assert_eq!(messages.len(), 1);
    round_trip(&hydration, SQS_MESSAGE_LIMIT);
}

/// A record too big for one message is cut into fragments of its JSON
/// text and joined back exact; its neighbours are untouched.
#[test]
fn carries_an_oversized_record_in_fragments() {
    let all: Vec<u8> = (0..=255).cycle().take(20_000).collect();
    let hydration = complete(vec![change(1, vec![9]), change(2, all), change(3, vec![8])]);
    let parts = round_trip(&hydration, 4096);
    assert!(parts > 5, "only {parts} parts");
}

/// Hydrating the same failure twice writes the same bytes (map keys are
/// sorted), so a retried hydration is recognised as a duplicate.
#[test]
fn writes_the_same_bytes_every_time() {
    let hydration = complete(vec![change(1, vec![1; 100]), change(2, vec![2; 100])]);
    assert_eq!(build(&hydration, 2048), build(&hydration, 2048));
}
