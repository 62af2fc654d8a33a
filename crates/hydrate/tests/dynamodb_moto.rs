//! DynamoDB Streams failures end to end against moto in server mode: a
//! table with a `NEW_AND_OLD_IMAGES` stream, items written, updated and
//! deleted through the real SDK, an OnFailure record (`DDBStreamBatchInfo`)
//! for a sub-range, the real hydrator reading it through
//! aws-sdk-dynamodbstreams, and the DLQ in moto's SQS read back with
//! `assemble`.
//!
//! Where moto's DynamoDB Streams differs from AWS (moto 5.2.5, checked by
//! these tests where it matters, worked around where it does not):
//! - sequence numbers are 22 digits and consecutive (AWS: 21 to 40 digits
//!   with gaps); the engine orders them numerically either way;
//! - `ApproximateCreationDateTime` carries milliseconds (AWS rounds it to
//!   the second); the DLQ keeps whatever precision the stream gave;
//! - `eventVersion` is `1.0` (AWS: `1.1`); the record keeps moto's value,
//!   and a replay to a function writes `1.1` as the ESM does;
//! - `SizeBytes` is moto's own estimate, not AWS's count; it is carried
//!   as read and only used for metrics;
//! - GetRecords accepts a `Limit` above 1,000 and GetShardIterator an
//!   unknown stream ARN without an error; the engine never relies on
//!   either (it asks for at most 1,000 and reads only allowed streams);
//! - there is no retention: records are never trimmed, so
//!   `TrimmedDataAccessException` is tested over the in-memory fake
//!   (`streamdlq_core::fake::FakeDynamoDbStream`) instead;
//! - an open shard answers empty pages with a next iterator forever past
//!   its newest record, as AWS does: the quiet-tip rule ends the read.

mod common;

use std::time::Duration;

use common::emulator::{self, Aws, unique};
use common::fixtures::{self, DYNAMODB, Range};
use common::table::{TableStream, key};
use hydrate::Hydrator;
use streamdlq_core::dynamodb::{AttributeValue, DynamoDbRecord, Item};
use streamdlq_core::{
    DynamoDbShardReader, HydrationStatus, KinesisShardReader, SqsDlqSink, assemble,
};
use streamdlq_emulators::Emulators;
use tokio::time::Instant;

/// SDK clients for moto's DynamoDB and DynamoDB Streams.
struct Tables {
    dynamodb: aws_sdk_dynamodb::Client,
    streams: aws_sdk_dynamodbstreams::Client,
}

async fn tables() -> Tables {
    let emulators = Emulators::shared().await.expect("emulators start");
    let config = emulators.moto_config();
    Tables {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        streams: hydrate::clients::dynamodb_streams(&config),
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: &str) -> AttributeValue {
    AttributeValue::N(number.to_owned())
}

fn item(pk: &str, attributes: Vec<(&str, AttributeValue)>) -> Item {
    let mut item = key(pk);
    for (name, value) in attributes {
        item.insert(name.to_owned(), value);
    }
    item
}

/// Hydrates the OnFailure record for `listed[first..=last]` of `table`
/// (reporting `batch_size` records) into a fresh queue and reads it back.
async fn hydrate_range(
    aws: &Aws,
    tables: &Tables,
    table: &TableStream,
    range: (&str, &str, u32),
) -> (
    streamdlq_core::dlq::HydratedFailure,
    hydrate::FailureOutcome,
) {
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let hydrator = Hydrator::new(
        KinesisShardReader::new(aws.kinesis.clone()),
        SqsDlqSink::new(aws.sqs.clone(), &queue_url),
        fixtures::config(&queue_url, &[&table.stream_arn], &[]),
    )
    .with_dynamodb(DynamoDbShardReader::new(tables.streams.clone()));
    let message = fixtures::failure_message(
        DYNAMODB,
        &Range {
            stream_arn: table.stream_arn.clone(),
            shard_id: table.shard_id.clone(),
            start: range.0.to_owned(),
            end: range.1.to_owned(),
            batch_size: range.2,
        },
    );
    let outcome = hydrator
        .process_message(&message, Instant::now() + Duration::from_secs(60))
        .await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let received = emulator::drain(&aws.sqs, &queue_url, outcome.summary.parts).await;
    let mut failures = assemble(received.iter().map(|m| m.body.as_str()));
    assert_eq!(failures.len(), 1, "one failure in the DLQ");
    let failure = failures.remove(0).expect("the failure reads back whole");
    (failure, outcome)
}

/// What the DLQ must hold of one record: event, keys and both images.
fn change(record: &DynamoDbRecord) -> (String, Option<Item>, Option<Item>, Option<Item>) {
    (
        record.event_name.clone(),
        record.dynamodb.keys.clone(),
        record.dynamodb.new_image.clone(),
        record.dynamodb.old_image.clone(),
    )
}

/// Items with string, number, binary (all 256 byte values) and nested map
/// attributes, then an update and a delete: the OnFailure record for a
/// sub-range yields exactly those stream records in the DLQ, in order,
/// with their images exact.
#[tokio::test]
async fn hydrates_a_sub_range_of_a_table_stream_with_exact_images() {
    let (aws, tables) = (emulator::aws().await, tables().await);
    let table = TableStream::create(&tables.dynamodb, &tables.streams, &unique("elements")).await;
    let all_bytes: Vec<u8> = (0..=255).collect();
    let nested = AttributeValue::M(
        [
            ("discovered".to_owned(), n("1808")),
            (
                "by".to_owned(),
                AttributeValue::L(vec![s("Davy"), s("Gay-Lussac"), AttributeValue::Null(true)]),
            ),
            (
                "deeper".to_owned(),
                AttributeValue::M([("ok".to_owned(), AttributeValue::Bool(false))].into()),
            ),
        ]
        .into(),
    );
    let carbon = item("C", vec![("name", s("Carbon")), ("mass", n("12.011"))]);
    let boron = item(
        "B",
        vec![
            ("name", s("Boron — ホウ素 \"5\"")),
            ("mass", n("10.8110000000000000000000000000000000001")),
            ("spectrum", AttributeValue::B(all_bytes.clone())),
            ("history", nested),
        ],
    );
    let boron_updated = {
        let mut updated = boron.clone();
        updated.insert("mass".to_owned(), n("10.81"));
        updated.insert(
            "isotopes".to_owned(),
            AttributeValue::Ns(vec!["10".into(), "11".into()]),
        );
        updated.insert(
            "tags".to_owned(),
            AttributeValue::Ss(vec!["metalloid".into()]),
        );
        updated.insert(
            "blobs".to_owned(),
            AttributeValue::Bs(vec![vec![0], vec![255, 254]]),
        );
        updated
    };
    let neon = item("Ne", vec![("name", s("Neon"))]);

    table.put(&tables.dynamodb, &carbon).await; // 0: before the range
    table.put(&tables.dynamodb, &boron).await; // 1: INSERT
    table.put(&tables.dynamodb, &boron_updated).await; // 2: MODIFY
    table.delete(&tables.dynamodb, "C").await; // 3: REMOVE
    table.put(&tables.dynamodb, &neon).await; // 4: INSERT
    table.put(&tables.dynamodb, &item("O", vec![])).await; // 5: after the range
    let listed = table.list(&tables.streams).await;
    assert_eq!(listed.len(), 6);

    let range = (
        listed[1].sequence_number.as_str(),
        listed[4].sequence_number.as_str(),
        4,
    );
    let (failure, outcome) = hydrate_range(&aws, &tables, &table, range).await;

    assert_eq!(
        outcome.summary.status,
        HydrationStatus::Complete,
        "{:?}",
        outcome.summary.reason
    );
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert!(failure.records.is_empty(), "no Kinesis records");
    let sequence_numbers: Vec<&str> = failure
        .dynamodb_records
        .iter()
        .map(|record| record.dynamodb.sequence_number.as_str())
        .collect();
    let expected: Vec<&str> = listed[1..=4]
        .iter()
        .map(|record| record.sequence_number.as_str())
        .collect();
    assert_eq!(sequence_numbers, expected, "exactly the range, in order");
    let changes: Vec<_> = failure.dynamodb_records.iter().map(change).collect();
    assert_eq!(
        changes,
        [
            (
                "INSERT".to_owned(),
                Some(key("B")),
                Some(boron.clone()),
                None
            ),
            (
                "MODIFY".to_owned(),
                Some(key("B")),
                Some(boron_updated),
                Some(boron)
            ),
            ("REMOVE".to_owned(), Some(key("C")), None, Some(carbon)),
            ("INSERT".to_owned(), Some(key("Ne")), Some(neon), None),
        ]
    );
    for record in &failure.dynamodb_records {
        assert_eq!(record.event_source, "aws:dynamodb");
        assert_eq!(
            record.dynamodb.stream_view_type.as_deref(),
            Some("NEW_AND_OLD_IMAGES")
        );
        assert!(record.dynamodb.approximate_creation_date_time.is_some());
    }
}

/// A failure whose range ends past the open shard's newest record (more
/// records reported than the shard holds after its start) ends at the
/// shard's quiet tip, in well under a second of empty
/// pages, as `partial` with the reason, instead of running to the deadline.
#[tokio::test]
async fn ends_promptly_at_the_tip_of_an_open_table_stream() {
    let (aws, tables) = (emulator::aws().await, tables().await);
    let table = TableStream::create(&tables.dynamodb, &tables.streams, &unique("tip")).await;
    for pk in ["H", "He", "Li"] {
        table.put(&tables.dynamodb, &item(pk, vec![])).await;
    }
    let listed = table.list(&tables.streams).await;
    let started = Instant::now();

    // Ten times the newest sequence number: past every record of the shard.
    let past_the_tip = format!("{}0", listed[2].sequence_number);
    let range = (listed[1].sequence_number.as_str(), past_the_tip.as_str(), 5);
    let (failure, outcome) = hydrate_range(&aws, &tables, &table, range).await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(failure.hydration.status, HydrationStatus::Partial);
    assert_eq!(failure.dynamodb_records.len(), 2);
    let reason = outcome.summary.reason.unwrap_or_default();
    assert!(reason.contains("tip of the open shard"), "{reason}");
}
