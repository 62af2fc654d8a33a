//! What the local event source mapping relies on when it polls a table
//! stream, checked against moto's DynamoDB Streams (server mode) through
//! the same adapter the mapping uses (`DynamoDbShardReader`, as
//! `ShardLister` and `ShardReader`).
//!
//! Where moto differs from AWS for polling, and how the mapping copes:
//! - DescribeStream lists one open shard per table stream, without parent
//!   and without `EndingSequenceNumber`, and moto has no shard rollover
//!   (AWS closes a table stream's shard after some hours and opens a child
//!   naming it as parent). The mapping's lineage handles both; a closed
//!   shard's end is tested over the in-memory fake (`esm_fake_stream`).
//! - An iterator past the newest record answers empty pages with a next
//!   iterator for ever, as an open shard on AWS does: the mapping waits
//!   its poll interval between such pages (AWS has no `MillisBehindLatest`
//!   for table streams either).
//! - Iterator expiry (15 minutes on AWS) is out of a test's reach here, and
//!   moto keeps records for ever (AWS: 24 hours); the mapping's refresh
//!   from `AFTER_SEQUENCE_NUMBER` is checked below and its expiry path over
//!   the fake.
//! - LATEST, TRIM_HORIZON and AFTER_SEQUENCE_NUMBER behave as on AWS
//!   (checked below).
//! - Sequence numbers are 22 digits and consecutive (AWS: up to 40, with
//!   gaps); the mapping orders them numerically either way.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as SdkValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use streamdlq_core::dynamodb::{AttributeValue, DynamoDbRecord};
use streamdlq_core::{DynamoDbShardReader, IteratorStart, ShardLister, ShardReader};
use streamdlq_emulators::Emulators;

struct Table {
    dynamodb: aws_sdk_dynamodb::Client,
    reader: DynamoDbShardReader,
    name: String,
    stream_arn: String,
}

impl Table {
    async fn create(name: &str) -> Self {
        let emulators = Emulators::shared().await.expect("emulators start");
        let config = emulators.moto_config();
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let name = format!("{name}-{}", uuid_suffix());
        let output = dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key"),
            )
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .expect("stream"),
            )
            .send()
            .await
            .expect("CreateTable");
        let stream_arn = output
            .table_description
            .and_then(|table| table.latest_stream_arn)
            .expect("LatestStreamArn");
        Self {
            dynamodb,
            reader: DynamoDbShardReader::new(aws_sdk_dynamodbstreams::Client::new(&config)),
            name,
            stream_arn,
        }
    }

    async fn put(&self, pk: &str) {
        self.dynamodb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(HashMap::from([(
                "pk".to_owned(),
                SdkValue::S(pk.to_owned()),
            )])))
            .send()
            .await
            .expect("PutItem");
    }

    async fn shard(&self) -> String {
        let shards = self
            .reader
            .list_shards(&self.stream_arn)
            .await
            .expect("DescribeStream");
        assert_eq!(shards.len(), 1, "{shards:?}");
        shards[0].shard_id.clone()
    }

    async fn iterator(&self, start: IteratorStart) -> String {
        let shard = self.shard().await;
        self.reader
            .shard_iterator(&self.stream_arn, &shard, &start)
            .await
            .expect("GetShardIterator")
    }
}

fn uuid_suffix() -> String {
    format!("{:08x}", fastrand::u32(..))
}

fn keys(records: &[DynamoDbRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| match record.dynamodb.keys.as_ref()?.get("pk")? {
            AttributeValue::S(pk) => Some(pk.clone()),
            _ => None,
        })
        .collect()
}

/// A new table stream has one open shard without parents: the mapping
/// starts one poller for it.
#[tokio::test]
async fn lists_one_open_shard_without_parents() {
    let table = Table::create("lister").await;
    let shards = table
        .reader
        .list_shards(&table.stream_arn)
        .await
        .expect("DescribeStream");
    assert_eq!(shards.len(), 1, "{shards:?}");
    assert!(!shards[0].is_closed(), "{shards:?}");
    assert_eq!(shards[0].parents().count(), 0, "{shards:?}");
}

/// TRIM_HORIZON starts at the first record; LATEST only sees records put
/// after the iterator was taken, as on AWS.
#[tokio::test]
async fn latest_sees_only_later_records_and_trim_horizon_all() {
    let table = Table::create("positions").await;
    table.put("before").await;
    let latest = table.iterator(IteratorStart::Latest).await;
    table.put("after").await;

    let page = table
        .reader
        .records(&table.stream_arn, &latest, 100)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["after"]);

    let horizon = table.iterator(IteratorStart::TrimHorizon).await;
    let page = table
        .reader
        .records(&table.stream_arn, &horizon, 100)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["before", "after"]);
}

/// Past the newest record, an open shard answers empty pages that still
/// carry a next iterator, and that iterator sees records put later: the
/// mapping keeps polling it.
#[tokio::test]
async fn an_open_shard_answers_empty_pages_with_a_next_iterator() {
    let table = Table::create("quiet").await;
    table.put("one").await;
    let mut iterator = table.iterator(IteratorStart::TrimHorizon).await;
    let page = table
        .reader
        .records(&table.stream_arn, &iterator, 100)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["one"]);
    iterator = page
        .next_iterator
        .expect("an open shard has a next iterator");
    for _ in 0..3 {
        let page = table
            .reader
            .records(&table.stream_arn, &iterator, 100)
            .await
            .expect("GetRecords");
        assert!(page.records.is_empty(), "{:?}", page.records);
        iterator = page.next_iterator.expect("still a next iterator");
    }
    table.put("two").await;
    let page = table
        .reader
        .records(&table.stream_arn, &iterator, 100)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["two"]);
}

/// AFTER_SEQUENCE_NUMBER of the last record read resumes right after it:
/// what the mapping does when an iterator expires.
#[tokio::test]
async fn resumes_after_the_last_record_read() {
    let table = Table::create("resume").await;
    for pk in ["a", "b", "c"] {
        table.put(pk).await;
    }
    let iterator = table.iterator(IteratorStart::TrimHorizon).await;
    let page = table
        .reader
        .records(&table.stream_arn, &iterator, 1)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["a"]);
    let after = IteratorStart::After(page.records[0].dynamodb.sequence_number.clone());
    let iterator = table.iterator(after).await;
    let page = table
        .reader
        .records(&table.stream_arn, &iterator, 100)
        .await
        .expect("GetRecords");
    assert_eq!(keys(&page.records), ["b", "c"]);
}
