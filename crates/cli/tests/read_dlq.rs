//! `read-dlq` against moto: shows whole failures without consuming them,
//! prints JSON lines scripts can parse, and handles foreign messages and
//! missing queues with one clear line.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{FULL, TestEnv, cli, onfailure, stderr, stdout};
use streamdlq_cli::commands::read_dlq::read_dlq;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::put::PutEntry;
use streamdlq_cli::queue::{FailureFilter, ScanOptions};
use streamdlq_core::HydrationStatus;

/// Puts `count` records (binary or elements) into a one-shard stream and
/// sends them to the DLQ as one failure of `status`, in parts of `limit`.
async fn failure_in_dlq(
    env: &TestEnv,
    queue_url: &str,
    stream_suffix: &str,
    binary: bool,
    status: HydrationStatus,
    limit: usize,
) -> (String, String, usize) {
    let (_, arn) = env.stream(stream_suffix, 1).await;
    env.put(
        &arn,
        generate(&Generate {
            count: 12,
            size: Some(400),
            poison_pill: None,
            binary,
            partition_keys: 2,
        }),
    )
    .await;
    let (shard, records) = env
        .read_stream(&arn)
        .await
        .into_iter()
        .next()
        .expect("one shard");
    let failure = onfailure(&arn, &shard, &records, stream_suffix);
    let (id, messages) = env
        .send_failure(queue_url, &failure, status, records, limit)
        .await;
    (arn, id, messages)
}

/// Reading the DLQ twice shows the same failures and leaves the queue
/// depth exactly as it was: every message visible, none in flight.
#[tokio::test]
async fn leaves_the_queue_depth_unchanged() {
    let env = TestEnv::new("read-depth").await;
    let queue = env.queue("dlq").await;
    let (_, _, parts) =
        failure_in_dlq(&env, &queue, "a", true, HydrationStatus::Complete, 2048).await;
    assert!(parts > 1, "a failure in several parts");
    let before = env.depth(&queue).await;
    assert_eq!((before.visible, before.in_flight), (parts as u64, 0));

    for _ in 0..2 {
        let contents = read_dlq(
            &env.dlq(&queue),
            &FailureFilter::default(),
            &ScanOptions::default(),
            None,
        )
        .await
        .expect("read");
        assert_eq!(contents.inventory.failures.len(), 1);
        assert_eq!(contents.messages, parts);
        let after = env.depth(&queue).await;
        assert_eq!(after, before, "nothing consumed, nothing left hidden");
    }
}

/// `--json` prints one parseable failure per line, records byte-exact in
/// base64 and decoded when they are JSON; parts are joined.
#[tokio::test]
async fn prints_one_parseable_failure_per_line() {
    let env = TestEnv::new("read-json").await;
    let queue = env.queue("dlq").await;
    let (binary_arn, binary_id, _) =
        failure_in_dlq(&env, &queue, "bin", true, HydrationStatus::Complete, 2048).await;
    let (_, element_id, _) =
        failure_in_dlq(&env, &queue, "json", false, HydrationStatus::Partial, FULL).await;
    let state = env.state_file(("unused", &binary_arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &["read-dlq", "--json", "--state-file", "state.json"],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let binary = lines
        .iter()
        .find(|l| l["id"] == binary_id.as_str())
        .expect("binary failure");
    let element = lines
        .iter()
        .find(|l| l["id"] == element_id.as_str())
        .expect("element failure");

    let expected = env
        .read_stream(&binary_arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let records = binary["records"].as_array().expect("records");
    assert_eq!(records.len(), expected.len());
    for (line, record) in records.iter().zip(&expected) {
        let data = STANDARD
            .decode(line["data"].as_str().expect("data"))
            .expect("base64");
        assert_eq!(data, record.data, "byte-exact");
        assert_eq!(line["sequenceNumber"], record.sequence_number.as_str());
        assert_eq!(line["partitionKey"], record.partition_key.as_str());
        assert!(line.get("json").is_none() && line.get("text").is_none());
    }
    assert_eq!(binary["status"], "complete");
    assert_eq!(binary["condition"], "RetryAttemptsExhausted");
    assert!(binary["messages"].as_u64().expect("messages") > 1);
    assert_eq!(element["status"], "partial");
    assert_eq!(element["records"][0]["json"]["AtomicNumber"], 1);
    assert_eq!(element["failure"]["KinesisBatchInfo"]["batchSize"], 12);
}

/// Filters by status, stream and shard; `--max` stops reading early.
#[tokio::test]
async fn filters_by_status_stream_and_shard() {
    let env = TestEnv::new("read-filter").await;
    let queue = env.queue("dlq").await;
    let (arn_a, id_a, _) =
        failure_in_dlq(&env, &queue, "a", false, HydrationStatus::Complete, FULL).await;
    let (_, id_b, _) =
        failure_in_dlq(&env, &queue, "b", false, HydrationStatus::Partial, FULL).await;
    let read = |filter: FailureFilter, max: Option<usize>| {
        let dlq = env.dlq(&queue);
        async move {
            read_dlq(&dlq, &filter, &ScanOptions::default(), max)
                .await
                .expect("read")
                .inventory
                .failures
                .into_iter()
                .filter(|failure| filter.matches(failure))
                .map(|failure| failure.hydrated.id)
                .collect::<Vec<_>>()
        }
    };
    let partial = FailureFilter {
        statuses: vec![HydrationStatus::Partial],
        ..FailureFilter::default()
    };
    assert_eq!(read(partial, None).await, vec![id_b.clone()]);
    let stream_a = FailureFilter {
        stream: Some(arn_a.rsplit('/').next().expect("name").to_owned()),
        shard: Some("shardId-000000000000".into()),
        ..FailureFilter::default()
    };
    assert_eq!(read(stream_a, None).await, vec![id_a.clone()]);
    let other_shard = FailureFilter {
        shard: Some("shardId-000000000001".into()),
        ..FailureFilter::default()
    };
    assert!(read(other_shard, None).await.is_empty());
    let dlq = env.dlq(&queue);
    let scan = ScanOptions::default();
    let all = read_dlq(&dlq, &FailureFilter::default(), &scan, None)
        .await
        .expect("read");
    assert!(!all.stopped_early);
    let one = read_dlq(&dlq, &FailureFilter::default(), &scan, Some(1))
        .await
        .expect("read");
    assert!(one.stopped_early, "reading stops once one failure is whole");
}

/// A message from another producer is a one-line note naming it; the
/// failures are still shown, the run succeeds and nothing is deleted.
#[tokio::test]
async fn notes_foreign_messages_and_deletes_nothing() {
    let env = TestEnv::new("read-foreign").await;
    let queue = env.queue("dlq").await;
    let foreign = env.send_foreign(&queue, "{\"orderId\": 42}").await;
    let plain = env.send_foreign(&queue, "hello, not JSON").await;
    let (arn, id, parts) =
        failure_in_dlq(&env, &queue, "a", false, HydrationStatus::Complete, FULL).await;
    let state = env.state_file(("unused", &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(&dir, &["read-dlq", "--state-file", "state.json"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "failure {}  complete, 12 of 12 records",
            &id[..12]
        )),
        "{text}"
    );
    assert!(text.contains("json {\"AtomicNumber\":1,"), "{text}");
    assert!(text.contains(&format!(
        "note: message {foreign} is not a streamdlq DLQ message (no \"schema\" field); left in the queue"
    )));
    assert!(text.contains(&format!(
        "note: message {plain} is not a streamdlq DLQ message (not JSON); left in the queue"
    )));
    let depth = env.depth(&queue).await;
    assert_eq!((depth.visible, depth.in_flight), (2 + parts as u64, 0));

    let json = cli(
        &dir,
        &["read-dlq", "--json", "--state-file", "state.json"],
        &[],
    );
    assert!(json.status.success());
    assert_eq!(stdout(&json).lines().count(), 1, "notes stay off stdout");
    assert_eq!(
        stderr(&json)
            .lines()
            .filter(|l| l.starts_with("note: "))
            .count(),
        2
    );
}

/// Payloads show as sent (`20.180` keeps its zero, in text and JSON); the
/// record a partial batch response reported is marked, and each failure
/// says when SQS retention drops it.
#[tokio::test]
async fn shows_payloads_as_sent_and_marks_the_reported_record() {
    let env = TestEnv::new("read-as-sent").await;
    let queue = env.queue("dlq").await;
    let (_, arn) = env.stream("s", 1).await;
    let sent = [
        r#"{"Element": "Neon", "AtomicMass": 20.180}"#,
        r#"{"Element":"Sodium","AtomicMass":22.990}"#,
    ];
    env.put(
        &arn,
        sent.iter()
            .map(|data| PutEntry::new("k", data.as_bytes().to_vec()))
            .collect(),
    )
    .await;
    let (shard, records) = env
        .read_stream(&arn)
        .await
        .into_iter()
        .next()
        .expect("one shard");
    // Retries of a partial batch failure ran out: functionError is null
    // and the range starts at the record the function reported.
    let mut failure: serde_json::Value =
        serde_json::from_str(&onfailure(&arn, &shard, &records, "as-sent")).expect("JSON");
    failure["responseContext"]["functionError"] = serde_json::Value::Null;
    env.send_failure(
        &queue,
        &failure.to_string(),
        HydrationStatus::Complete,
        records.clone(),
        FULL,
    )
    .await;
    let state = env.state_file(("unused", &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(&dir, &["read-dlq", "--state-file", "state.json"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(r#"json {"Element":"Neon","AtomicMass":20.180}"#),
        "{text}"
    );
    let marked: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("<- made the batch fail"))
        .collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].contains(records[0].sequence_number.as_str()),
        "{text}"
    );
    assert!(text.contains("SQS retention drops it in 3d 23h"), "{text}");
    assert!(!text.contains('\x1b'), "no colour off a terminal: {text}");

    let json = cli(
        &dir,
        &["read-dlq", "--json", "--state-file", "state.json"],
        &[],
    );
    let line = stdout(&json);
    assert!(
        line.contains(r#""json":{"Element":"Sodium","AtomicMass":22.990}"#),
        "{line}"
    );
    let value: serde_json::Value = serde_json::from_str(line.trim()).expect("JSON line");
    assert_eq!(
        value["failedSequenceNumber"],
        records[0].sequence_number.as_str()
    );
    assert!(value["retentionLeftSeconds"].as_u64() > Some(3 * 86_400));
}

/// A queue that does not exist is one clear error line and exit code 2,
/// for reading and for replaying.
#[tokio::test]
async fn reports_a_missing_queue_in_one_line() {
    let env = TestEnv::new("read-missing").await;
    let missing = format!(
        "{}/000000000000/{}-nope",
        env.emulators.moto().endpoint_url(),
        env.prefix
    );
    let state = env.state_file(
        ("s", "arn:aws:kinesis:us-east-1:000000000000:stream/s"),
        &missing,
    );
    let dir = state.parent().expect("dir").to_owned();

    for command in ["read-dlq", "replay"] {
        let output = cli(&dir, &[command, "--state-file", "state.json"], &[]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        assert_eq!(
            stderr(&output),
            format!(
                "error: queue {missing} does not exist: check --queue-url or run `streamdlq local up`\n"
            ),
            "{command}"
        );
    }
}

/// With no flag, no environment and no local stack, the error says what
/// to pass or run.
#[test]
fn says_where_to_find_the_dlq() {
    let dir = common::temp_dir("read-nothing");
    let output = cli(&dir, &["read-dlq"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: no DLQ found: pass --queue-url or run `streamdlq local up`\n"
    );
}
