//! DynamoDB Streams failures in the DLQ: `read-dlq` shows their event
//! names, keys and images (and `--json` carries the stream records),
//! `replay` into a stream refuses them with what to do instead, and
//! `replay --to-function` hands the function the DynamoDB Streams event and
//! reads its answer with the shared verdict.

mod common;

use common::{FULL, TestEnv, cli, stderr, stdout};
use indicatif::ProgressBar;
use streamdlq_cli::queue::ScanOptions;
use streamdlq_cli::replay::{
    FunctionReplayOptions, Interrupt, ReplaySession, SelectOptions, replay_to_function, select,
};
use streamdlq_core::dlq::{DlqSink, FailureSource, SqsDlqSink, build_parts};
use streamdlq_core::{DynamoDbRecord, FailureRecord, Hydration, HydrationStatus, SequenceNumber};
use streamdlq_emulators::invoke_server::{Answer, InvokeServer};
use streamdlq_local::InvokeApiFunction;

const FAILURE: &str = include_str!("../../../events/onfailure-dynamodb.json");
const RECORD: &str = include_str!("../../../events/dynamodb-stream-record.json");
const TABLE_STREAM_ARN: &str =
    "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000";

/// The three stream records of the fixture failure's range: an update, an
/// insert and a delete of the same item.
fn stream_records() -> Vec<DynamoDbRecord> {
    let template: DynamoDbRecord = serde_json::from_str(RECORD).expect("record");
    let failure = FailureRecord::parse(FAILURE).expect("failure");
    let numbers = [
        failure.batch.start_sequence_number.to_string(),
        "111100000000019440561634".to_owned(),
        failure.batch.end_sequence_number.to_string(),
    ];
    numbers
        .iter()
        .zip(["MODIFY", "INSERT", "REMOVE"])
        .map(|(number, event_name)| {
            let mut record = template.clone();
            record.event_name = event_name.to_owned();
            record.event_id = format!("id-{number}");
            record.dynamodb.sequence_number = SequenceNumber::parse(number).expect("digits");
            record
        })
        .collect()
}

/// A queue holding the fixture's DynamoDB failure, hydrated complete.
async fn dynamodb_failure_in_dlq(env: &TestEnv) -> String {
    let queue = env.queue("dlq").await;
    let record = FailureRecord::parse(FAILURE).expect("failure");
    let hydration = Hydration {
        status: HydrationStatus::Complete,
        expected: 3,
        records: stream_records(),
        reason: None,
    };
    let messages = build_parts(&FailureSource::Record(&record), &hydration, FULL).expect("parts");
    SqsDlqSink::new(env.sqs.clone(), &queue)
        .send(&messages)
        .await
        .expect("sent");
    queue
}

/// `read-dlq` shows each record's event name, keys and images, and
/// `--json` carries the stream records exactly as the Lambda event does.
#[tokio::test]
async fn read_dlq_shows_event_names_keys_and_images() {
    let env = TestEnv::new("ddb-read").await;
    let queue = dynamodb_failure_in_dlq(&env).await;
    let (name, arn) = env.stream("unused", 1).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let text = cli(
        &dir,
        &["read-dlq", "--full", "--state-file", "state.json"],
        &[],
    );
    assert!(text.status.success(), "{}", stderr(&text));
    let shown = stdout(&text);
    assert!(shown.contains("complete, 3 of 3 records"), "{shown}");
    assert!(
        shown.contains("MODIFY  keys {\"Symbol\":{\"S\":\"B\"}}"),
        "{shown}"
    );
    assert!(
        shown.contains("new json {\"AtomicMass\":{\"N\":\"10.811\"}"),
        "{shown}"
    );
    assert!(
        shown.contains("old json {\"AtomicMass\":{\"S\":\"10.811\"}"),
        "{shown}"
    );

    let json = cli(
        &dir,
        &["read-dlq", "--json", "--state-file", "state.json"],
        &[],
    );
    assert!(json.status.success(), "{}", stderr(&json));
    let line: serde_json::Value =
        serde_json::from_str(stdout(&json).trim()).expect("one JSON line");
    let records = line["dynamodbRecords"].as_array().expect("dynamodbRecords");
    assert_eq!(records.len(), 3);
    let expected: Vec<serde_json::Value> = stream_records()
        .iter()
        .map(|record| serde_json::to_value(record).expect("json"))
        .collect();
    assert_eq!(records, &expected);
    assert_eq!(line["records"], serde_json::json!([]));
    assert_eq!(env.depth(&queue).await.visible, 1, "nothing consumed");
}

/// Replaying DynamoDB failures into a stream is refused with one line that
/// says why and what to do instead; the DLQ keeps them.
#[tokio::test]
async fn replay_to_a_stream_refuses_dynamodb_failures() {
    let env = TestEnv::new("ddb-replay-stream").await;
    let queue = dynamodb_failure_in_dlq(&env).await;
    let (name, arn) = env.stream("target", 1).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    for args in [
        vec!["replay", "--state-file", "state.json"],
        vec![
            "replay",
            "--to-stream",
            name.as_str(),
            "--state-file",
            "state.json",
        ],
    ] {
        let output = cli(&dir, &args, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
        let error = stderr(&output);
        assert!(error.contains("a table is not a stream"), "{error}");
        assert!(error.contains("--to-function"), "{error}");
    }
    assert_eq!(env.depth(&queue).await.visible, 1, "kept in the DLQ");
    let records: usize = env.read_stream(&arn).await.values().map(Vec::len).sum();
    assert_eq!(records, 0, "nothing was put into the stream");
}

async fn replay_into(
    env: &TestEnv,
    queue: &str,
    endpoint: &str,
) -> streamdlq_cli::replay::FunctionReplayReport {
    let session = ReplaySession::open(env.dlq(queue), &ScanOptions::default())
        .await
        .expect("scan");
    let selection = select(session.inventory(), &SelectOptions::default());
    let (report, error) = replay_to_function(
        &InvokeApiFunction::local(endpoint, "table-processor"),
        session.queue(),
        &selection.chosen,
        FunctionReplayOptions::default(),
        &ProgressBar::hidden(),
        &Interrupt::default(),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    session
        .close(&report.deletions.handles)
        .await
        .expect("release");
    report
}

/// `replay --to-function` invokes the function with the DynamoDB Streams
/// event the mapping would deliver; a `batchItemFailures` answer naming a
/// record keeps the failure, an empty answer deletes it.
#[tokio::test]
async fn replay_to_a_function_delivers_the_dynamodb_streams_event() {
    let env = TestEnv::new("ddb-replay-fn").await;
    let queue = dynamodb_failure_in_dlq(&env).await;
    let records = stream_records();

    let partial = InvokeServer::start(Answer::returning(
        r#"{"batchItemFailures":[{"itemIdentifier":"111100000000019440561634"}]}"#,
    ))
    .await;
    let report = replay_into(&env, &queue, &partial.endpoint).await;
    let received = partial.received();
    partial.stop().await;
    assert_eq!(received.len(), 1);
    let event: serde_json::Value = serde_json::from_slice(&received[0].body).expect("event");
    let delivered = event["Records"].as_array().expect("Records");
    assert_eq!(delivered.len(), 3);
    for (sent, record) in delivered.iter().zip(&records) {
        assert_eq!(sent["eventSource"], "aws:dynamodb");
        assert_eq!(sent["eventVersion"], "1.1");
        assert_eq!(sent["eventSourceARN"], TABLE_STREAM_ARN);
        assert_eq!(sent["eventName"], record.event_name.as_str());
        assert_eq!(
            sent["dynamodb"],
            serde_json::to_value(&record.dynamodb).expect("json")
        );
    }
    assert_eq!((report.failures, report.kept.len()), (0, 1));
    assert!(
        report.kept[0].reason.contains("111100000000019440561634"),
        "{:?}",
        report.kept
    );
    assert_eq!(env.depth(&queue).await.visible, 1, "kept in the DLQ");

    let success = InvokeServer::start(Answer::returning("")).await;
    let report = replay_into(&env, &queue, &success.endpoint).await;
    success.stop().await;
    assert_eq!((report.failures, report.records), (1, 3));
    let depth = env.depth(&queue).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (0, 0),
        "deleted from the DLQ"
    );
}
