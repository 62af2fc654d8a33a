//! `hydrate --from-queue` for a table's stream, against moto: the
//! metadata-only OnFailure record of a DynamoDB event source mapping
//! (`DDBStreamBatchInfo`) waiting in a queue becomes a failure in the DLQ
//! holding exactly the stream records of its range, read from DynamoDB
//! Streams, and its source message is deleted only then.

mod common;

#[path = "../../hydrate/tests/common/table.rs"]
mod table;

use common::{TestEnv, cli, stderr, stdout};
use streamdlq_cli::commands::read_dlq::read_dlq;
use streamdlq_cli::queue::{FailureFilter, ScanOptions};
use streamdlq_core::HydrationStatus;
use streamdlq_core::dynamodb::AttributeValue;
use table::{TableStream, key};

/// The OnFailure record a DynamoDB event source mapping sends for a batch
/// of `batch_size` records from `start` to `end` of the table's shard.
fn table_onfailure(table: &TableStream, start: &str, end: &str, batch_size: usize) -> String {
    serde_json::json!({
        "requestContext": {
            "requestId": "6f0c3a55-0000-4000-8000-000000000001",
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:table-processor",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "DDBStreamBatchInfo": {
            "shardId": table.shard_id,
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "approximateArrivalOfFirstRecord": "2026-11-23T10:14:01Z",
            "approximateArrivalOfLastRecord": "2026-11-23T10:14:03Z",
            "batchSize": batch_size,
            "streamArn": table.stream_arn
        }
    })
    .to_string()
}

/// Five items put, one updated and one deleted; the OnFailure record for
/// the middle five stream records is rescued from its queue into the DLQ
/// `complete`, with those records' sequence numbers, event names and keys
/// in order and the binary attribute's 256 byte values exact, and the
/// source queue ends empty.
#[tokio::test]
async fn rescues_a_table_streams_failure_from_dynamodb_streams() {
    let env = TestEnv::new("rescue-table").await;
    let moto = env.emulators.moto_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto);
    let streams = aws_sdk_dynamodbstreams::Client::new(&moto);
    let table = TableStream::create(&dynamodb, &streams, &format!("{}-elements", env.prefix)).await;
    let all_bytes: Vec<u8> = (0..=255).collect();
    for n in 0..5 {
        let mut item = key(&format!("element-{n}"));
        item.insert("payload".to_owned(), AttributeValue::B(all_bytes.clone()));
        item.insert("n".to_owned(), AttributeValue::N(n.to_string()));
        table.put(&dynamodb, &item).await;
    }
    let mut updated = key("element-2");
    updated.insert("n".to_owned(), AttributeValue::N("20".to_owned()));
    table.put(&dynamodb, &updated).await;
    table.delete(&dynamodb, "element-3").await;
    let listed = table.list(&streams).await;
    assert_eq!(listed.len(), 7, "5 inserts, an update, a delete");
    let range = &listed[1..6];

    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    let body = table_onfailure(
        &table,
        &range[0].sequence_number,
        &range[range.len() - 1].sequence_number,
        range.len(),
    );
    env.send_foreign(&source, &body).await;
    let (name, arn) = env.stream("unused", 1).await;
    let state = env.state_file((&name, &arn), &dlq);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &[
            "hydrate",
            "--from-queue",
            &source,
            "--json",
            "--state-file",
            "state.json",
        ],
        &[("ALLOWED_STREAM_ARNS", &table.stream_arn)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("summary");
    assert_eq!(summary["failures"], serde_json::json!({"complete": 1}));
    assert_eq!(summary["deleted"], 1);

    let contents = read_dlq(
        &env.dlq(&dlq),
        &FailureFilter::default(),
        &ScanOptions::default(),
        None,
    )
    .await
    .expect("read the DLQ");
    let [failure] = contents.inventory.failures.as_slice() else {
        panic!("one failure in the DLQ");
    };
    assert_eq!(failure.hydrated.hydration.status, HydrationStatus::Complete);
    let records = &failure.hydrated.dynamodb_records;
    let got: Vec<(String, String)> = records
        .iter()
        .map(|record| {
            (
                record.dynamodb.sequence_number.to_string(),
                record.event_name.clone(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = range
        .iter()
        .map(|listed| (listed.sequence_number.clone(), listed.event_name.clone()))
        .collect();
    assert_eq!(got, want, "exactly the range's stream records, in order");
    let inserted = records[0].dynamodb.new_image.as_ref().expect("new image");
    assert_eq!(
        inserted.get("payload"),
        Some(&AttributeValue::B(all_bytes)),
        "binary exact"
    );
    let depth = env.depth(&source).await;
    assert_eq!((depth.visible, depth.in_flight), (0, 0), "source deleted");
}
