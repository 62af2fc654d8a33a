//! The demo table against a whole [`Stack`] on moto's DynamoDB and
//! DynamoDB Streams: items put through the real SDK, the table stream's
//! mapping driving the table processor in process, its OnFailure record
//! (`DDBStreamBatchInfo`) hydrated by the real hydrate function from the
//! table's stream into the DLQ.

mod demo_stack;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use demo_stack::{first_dlq_bodies, processed, start};
use serde_json::Value;
use streamdlq_core::dynamodb::{AttributeValue, DynamoDbRecord};
use streamdlq_core::{
    DynamoDbShardReader, HydrationStatus, IteratorStart, ShardLister, ShardReader, assemble,
};
use streamdlq_local::Stack;
use streamdlq_local::esm::EsmStats;

/// An element item; `mass` as a string makes it the poison pill.
fn element(number: u32, name: &str, symbol: &str, mass: SdkValue) -> HashMap<String, SdkValue> {
    HashMap::from([
        ("AtomicNumber".to_owned(), SdkValue::N(number.to_string())),
        ("Element".to_owned(), SdkValue::S(name.to_owned())),
        ("Symbol".to_owned(), SdkValue::S(symbol.to_owned())),
        ("AtomicMass".to_owned(), mass),
    ])
}

fn invocations(stats: &EsmStats) -> u64 {
    stats.shards.values().map(|shard| shard.invocations).sum()
}

/// Every record of the table's stream, read straight from moto.
async fn stream_records(stack: &Stack, stream_arn: &str) -> Vec<DynamoDbRecord> {
    let reader = DynamoDbShardReader::new(stack.clients().dynamodb_streams.clone());
    let mut records = Vec::new();
    for shard in reader
        .list_shards(stream_arn)
        .await
        .expect("DescribeStream")
    {
        let mut iterator = reader
            .shard_iterator(stream_arn, &shard.shard_id, &IteratorStart::TrimHorizon)
            .await
            .expect("iterator");
        loop {
            let page = reader
                .records(stream_arn, &iterator, 1000)
                .await
                .expect("GetRecords");
            let empty = page.records.is_empty();
            records.extend(page.records);
            match page.next_iterator {
                Some(next) if !empty => iterator = next,
                _ => break,
            }
        }
    }
    records
}

/// Items with a poison item in the middle: the table processor fails it
/// alone (bisection, then its retries), and the DLQ holds exactly its
/// stream record, keys, event name and new image exact, under a
/// `DDBStreamBatchInfo` OnFailure record of one record.
#[tokio::test]
async fn the_dlq_receives_exactly_the_poison_item_with_its_image() {
    let stack = start("table-pill").await;
    let table = stack
        .resources()
        .table
        .clone()
        .expect("the demo has a table");
    let items = [
        element(1, "Hydrogen", "H", SdkValue::N("1.008".to_owned())),
        element(2, "Helium", "He", SdkValue::N("4.0026".to_owned())),
        element(5, "Boron", "B", SdkValue::S("10.811".to_owned())),
        element(6, "Carbon", "C", SdkValue::N("12.011".to_owned())),
        element(7, "Nitrogen", "N", SdkValue::N("14.007".to_owned())),
    ];
    for item in &items {
        stack
            .clients()
            .dynamodb
            .put_item()
            .table_name(&table.name)
            .set_item(Some(item.clone()))
            .send()
            .await
            .expect("put item");
    }

    let bodies = first_dlq_bodies(&stack).await;

    let failures = assemble(bodies.iter().map(String::as_str));
    assert_eq!(failures.len(), 1, "one failure");
    let failure = failures.into_iter().next().expect("one").expect("readable");
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert!(failure.records.is_empty(), "no Kinesis records");
    assert_eq!(failure.dynamodb_records.len(), 1, "exactly the poison item");
    let hydrated = &failure.dynamodb_records[0];

    // Exactly the stream's own record of the poison item.
    let pill = stream_records(&stack, &table.stream_arn)
        .await
        .into_iter()
        .find(|record| {
            record
                .dynamodb
                .keys
                .as_ref()
                .and_then(|keys| keys.get("AtomicNumber"))
                == Some(&AttributeValue::N("5".to_owned()))
        })
        .expect("the pill's stream record");
    assert_eq!(hydrated, &pill, "the stream record, exact");
    assert_eq!(hydrated.event_name, "INSERT");
    let image = hydrated.dynamodb.new_image.as_ref().expect("NewImage");
    assert_eq!(image["AtomicMass"], AttributeValue::S("10.811".to_owned()));
    assert_eq!(image["Element"], AttributeValue::S("Boron".to_owned()));

    let on_failure: Value =
        serde_json::from_str(failure.failure.as_deref().expect("the OnFailure record"))
            .expect("JSON");
    let info = &on_failure["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["streamArn"], table.stream_arn.as_str());
    assert_eq!(
        info["startSequenceNumber"],
        pill.dynamodb.sequence_number.as_str()
    );
    assert!(
        info["approximateArrivalOfFirstRecord"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z') && !time.contains('.')),
        "arrival times without milliseconds: {info}"
    );
    // Alone after bisection, the pill is answered with a partial failure
    // (functionError null) and retried three times: four invocations.
    assert_eq!(
        on_failure["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(on_failure["responseContext"]["functionError"], Value::Null);
    assert_eq!(on_failure["requestContext"]["approximateInvokeCount"], 4);

    let esm = stack.table_esm().expect("the table's mapping");
    let stats = esm
        .wait_for(Duration::from_secs(10), |stats| {
            processed(stats) == items.len() as u64 - 1
        })
        .await
        .expect("every other item processed");
    assert_eq!(stats.failure_records(), 1, "{stats:?}");
    eprintln!(
        "table mapping: {} invocations for {} items, {} OnFailure record",
        invocations(&stats),
        items.len(),
        stats.failure_records()
    );
    assert!(invocations(&stats) >= 5, "{stats:?}");
    // The Kinesis mapping saw nothing.
    assert_eq!(stack.esm().stats().failure_records(), 0);
    stack.stop().await.expect("stops");
}
