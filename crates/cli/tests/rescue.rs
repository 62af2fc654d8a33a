//! `hydrate --from-queue`, the rescue, against kinesis-local and moto:
//! metadata-only OnFailure records in a queue (raw and SNS-wrapped) become
//! hydrated failures in the DLQ, byte-exact; a source message is deleted
//! only once its failure was written; refused streams and dry runs leave
//! the queue as it was; a second run does nothing.

mod common;

use std::collections::BTreeMap;

use common::{TestEnv, cli, onfailure, stderr, stdout};
use streamdlq_cli::commands::read_dlq::read_dlq;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::queue::{FailureEntry, FailureFilter, ScanOptions};
use streamdlq_core::{HydrationStatus, StreamRecord};

/// Puts `count` binary records into a one-shard stream; returns its name,
/// ARN, shard id and the records as read back.
async fn stream_with_records(
    env: &TestEnv,
    suffix: &str,
    count: usize,
) -> (String, String, String, Vec<StreamRecord>) {
    let (name, arn) = env.stream(suffix, 1).await;
    env.put(
        &arn,
        generate(&Generate {
            count,
            size: Some(300),
            poison_pill: None,
            binary: true,
            partition_keys: 4,
        }),
    )
    .await;
    let (shard, records) = env
        .read_stream(&arn)
        .await
        .into_iter()
        .next()
        .expect("one shard");
    assert_eq!(records.len(), count);
    (name, arn, shard, records)
}

/// The SNS notification a queue subscribed to a topic without raw delivery
/// receives.
fn sns_wrapped(record: &str, n: usize) -> String {
    serde_json::json!({
        "Type": "Notification",
        "MessageId": format!("6a1f0d5e-0000-4000-8000-{n:012}"),
        "TopicArn": "arn:aws:sns:us-east-1:000000000000:streamdlq-failures",
        "Message": record,
        "Timestamp": "2026-11-23T10:15:42.400Z",
        "SignatureVersion": "1",
    })
    .to_string()
}

/// Every whole failure in the DLQ, by id, read without consuming it.
async fn dlq_failures(env: &TestEnv, queue: &str) -> BTreeMap<String, FailureEntry> {
    let contents = read_dlq(
        &env.dlq(queue),
        &FailureFilter::default(),
        &ScanOptions::default(),
        None,
    )
    .await
    .expect("read the DLQ");
    assert!(
        contents.inventory.notes.is_empty(),
        "only whole streamdlq failures"
    );
    contents
        .inventory
        .failures
        .into_iter()
        .map(|failure| (failure.hydrated.id.clone(), failure))
        .collect()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).expect("one JSON summary")
}

/// The rescue: 50 metadata-only records, raw and SNS-wrapped, two of them
/// for ranges that cannot be read whole (one trimmed, one of a stream that
/// no longer exists), become 50 failures in the DLQ with those statuses and
/// the records byte-exact; the source queue ends empty, and a second run
/// does nothing.
#[tokio::test]
async fn rescues_fifty_records_into_the_dlq_and_a_second_run_does_nothing() {
    let env = TestEnv::new("rescue-fifty").await;
    let (name, arn, shard, records) = stream_with_records(&env, "s", 480).await;
    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    let gone = format!(
        "arn:aws:kinesis:us-east-1:000000000000:stream/{}-gone",
        env.prefix
    );

    let mut expected = BTreeMap::new();
    for (n, chunk) in records.chunks(10).enumerate() {
        let record = onfailure(&arn, &shard, chunk, &format!("request-{n}"));
        let body = if n % 2 == 0 {
            record
        } else {
            sns_wrapped(&record, n)
        };
        env.send_foreign(&source, &body).await;
        expected.insert(chunk[0].sequence_number.as_str().to_owned(), chunk.to_vec());
    }
    // Trimmed: the range starts before the oldest record the shard keeps.
    let shard_start = env
        .kinesis
        .list_shards()
        .stream_arn(&arn)
        .send()
        .await
        .expect("shards")
        .shards
        .unwrap_or_default()[0]
        .sequence_number_range
        .clone()
        .expect("range")
        .starting_sequence_number;
    let trimmed = onfailure(&arn, &shard, &records[..10], "request-trimmed")
        .replace(records[0].sequence_number.as_str(), &shard_start);
    env.send_foreign(&source, &sns_wrapped(&trimmed, 99)).await;
    // Unreadable: its stream was deleted since.
    let unreadable = onfailure(&gone, &shard, &records[..10], "request-gone");
    env.send_foreign(&source, &unreadable).await;
    assert_eq!(env.depth(&source).await.visible, 50);

    let state = env.state_file((&name, &arn), &dlq);
    let dir = state.parent().expect("dir").to_owned();
    let args = [
        "hydrate",
        "--from-queue",
        &source,
        "--allow-stream",
        &arn,
        "--allow-stream",
        &gone,
        "--json",
        "--state-file",
        "state.json",
    ];
    let summary = json(&cli(&dir, &args, &[]));
    assert_eq!(summary["messages"], 50);
    assert_eq!(
        summary["failures"],
        serde_json::json!({"complete": 48, "partial": 1, "unavailable": 1})
    );
    assert_eq!(summary["records"], 480 + 10);
    assert_eq!(summary["deleted"], 50);
    assert_eq!(summary["left"], 0);

    let failures = dlq_failures(&env, &dlq).await;
    assert_eq!(failures.len(), 50);
    let mut statuses = BTreeMap::new();
    for failure in failures.values() {
        *statuses.entry(failure.status().as_str()).or_insert(0) += 1;
        let batch = &failure.record.as_ref().expect("a record").batch;
        match failure.status() {
            HydrationStatus::Complete => {
                let want = &expected[batch.start_sequence_number.as_str()];
                assert!(
                    failure.hydrated.records == *want,
                    "records byte-exact, keys and arrival kept"
                );
            }
            HydrationStatus::Partial => {
                let reason = failure.hydrated.hydration.reason.as_deref().unwrap_or("");
                assert!(reason.contains("range trimmed by retention"), "{reason}");
            }
            HydrationStatus::Unavailable => assert_eq!(batch.stream_arn, gone),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(statuses.len(), 3);
    let depth = env.depth(&source).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (0, 0),
        "source queue empty"
    );

    let again = json(&cli(&dir, &args, &[]));
    assert_eq!(again["messages"], 0);
    assert_eq!(again["deleted"], 0);
    assert_eq!(dlq_failures(&env, &dlq).await.len(), 50, "nothing new");
}

/// A body that is not an OnFailure record reaches the DLQ as
/// `unparseable` with its text, and then leaves the source queue.
#[tokio::test]
async fn keeps_a_body_that_is_not_a_record_as_unparseable() {
    let env = TestEnv::new("rescue-unparseable").await;
    let (name, arn, _, _) = stream_with_records(&env, "s", 1).await;
    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    env.send_foreign(&source, "{\"hello\": \"not a failure\"}")
        .await;
    let state = env.state_file((&name, &arn), &dlq);
    let dir = state.parent().expect("dir").to_owned();

    let summary = json(&cli(
        &dir,
        &[
            "hydrate",
            "--from-queue",
            &source,
            "--allow-stream",
            &arn,
            "--json",
            "--state-file",
            "state.json",
        ],
        &[],
    ));

    assert_eq!(summary["failures"], serde_json::json!({"unparseable": 1}));
    assert_eq!(summary["deleted"], 1);
    let failures = dlq_failures(&env, &dlq).await;
    let failure = failures.values().next().expect("one failure");
    assert_eq!(failure.status(), HydrationStatus::Unparseable);
    assert_eq!(
        failure.hydrated.raw.as_deref(),
        Some("{\"hello\": \"not a failure\"}")
    );
    assert_eq!(env.depth(&source).await.visible, 0);
}

/// A record of a stream not on the allowlist is refused with the reason,
/// nothing is read or written for it, it is back in the source queue,
/// visible, when the run ends, and the exit code says failures still wait.
#[tokio::test]
async fn refuses_streams_not_allowed_and_leaves_their_messages() {
    let env = TestEnv::new("rescue-refused").await;
    let (name, arn, shard, records) = stream_with_records(&env, "s", 20).await;
    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    env.send_foreign(&source, &onfailure(&arn, &shard, &records[..10], "a"))
        .await;
    let other = format!(
        "arn:aws:kinesis:us-east-1:000000000000:stream/{}-other",
        env.prefix
    );
    env.send_foreign(&source, &onfailure(&other, &shard, &records[10..], "b"))
        .await;
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
        &[("ALLOWED_STREAM_ARNS", &arn)],
    );
    assert_eq!(output.status.code(), Some(2), "refusals are not success");
    assert!(
        stderr(&output).contains("1 message of streams not allowed stays in the source queue"),
        "{}",
        stderr(&output)
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("summary");

    assert_eq!(summary["failures"], serde_json::json!({"complete": 1}));
    assert_eq!(summary["deleted"], 1);
    assert_eq!(summary["left"], 1);
    assert_eq!(summary["refused"][0]["streamArn"], other.as_str());
    let reason = summary["refused"][0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains(&format!("--allow-stream {other}")),
        "{reason}"
    );
    assert_eq!(dlq_failures(&env, &dlq).await.len(), 1);
    let depth = env.depth(&source).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (1, 0),
        "released, visible"
    );
}

/// `--dry-run` reports each range with its stream's retention and margin,
/// writes and deletes nothing, and leaves every message visible.
#[tokio::test]
async fn dry_run_reports_retention_and_changes_nothing() {
    let env = TestEnv::new("rescue-dry").await;
    let (name, arn, shard, records) = stream_with_records(&env, "s", 10).await;
    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    // The range arrived an hour ago: 23 hours left of a 24-hour retention.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let hour_ago = aws_smithy_types::DateTime::from_secs(i64::try_from(now).expect("now") - 3600)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .expect("a timestamp");
    let record =
        onfailure(&arn, &shard, &records, "a").replace("2026-11-23T10:14:57.512Z", &hour_ago);
    env.send_foreign(&source, &sns_wrapped(&record, 1)).await;
    env.send_foreign(&source, "garbage").await;
    let state = env.state_file((&name, &arn), &dlq);
    let dir = state.parent().expect("dir").to_owned();

    let summary = json(&cli(
        &dir,
        &[
            "hydrate",
            "--from-queue",
            &source,
            "--allow-stream",
            &arn,
            "--dry-run",
            "--json",
            "--state-file",
            "state.json",
        ],
        &[],
    ));

    assert_eq!(summary["dryRun"], true);
    assert_eq!(
        summary["failures"],
        serde_json::json!({"hydrate": 1, "unparseable": 1})
    );
    assert_eq!(summary["deleted"], 0);
    let planned = summary["planned"]
        .as_array()
        .expect("a plan")
        .iter()
        .find(|p| p["action"] == "hydrate")
        .expect("the range");
    assert_eq!(planned["streamArn"], arn.as_str());
    assert_eq!(planned["snsWrapped"], true);
    assert_eq!(planned["retentionSeconds"], 24 * 3600);
    let left = planned["retentionLeftSeconds"].as_i64().expect("a margin");
    assert!((23 * 3600 - 120..=23 * 3600).contains(&left), "{left}");
    assert_eq!(summary["calls"]["getRecords"], 0, "no range read");
    assert_eq!(env.depth(&dlq).await.visible, 0, "nothing written");
    let depth = env.depth(&source).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (2, 0),
        "all visible again"
    );
}

/// Without an allowlist nothing may be read: the command says how to
/// allow a stream before it touches any queue.
#[tokio::test]
async fn refuses_to_start_without_an_allowlist() {
    let dir = common::temp_dir("rescue-no-allowlist");
    let output = cli(
        &dir,
        &[
            "hydrate",
            "--from-queue",
            "http://127.0.0.1:1/000000000000/q",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: no stream may be read: pass --allow-stream ARN (repeatable) or set ALLOWED_STREAM_ARNS"
    );
}
