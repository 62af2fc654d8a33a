//! `replay` into a stream, against kinesis-local and moto: byte-exact,
//! keys and order kept, nothing deleted before its records were accepted,
//! nothing lost when a run stops, clear errors for bad input.

mod common;

use std::sync::Mutex;

use common::{FULL, TestEnv, cli, fail_every_shard, onfailure, payloads, stderr, stdout};
use indicatif::ProgressBar;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::put::{
    EntryResult, KinesisStreamWriter, PutEntry, PutError, PutOptions, StreamWriter,
};
use streamdlq_cli::queue::{DlqQueue, ScanOptions};
use streamdlq_cli::replay::{
    Interrupt, ReplaySession, SelectOptions, Target, replay_to_streams, select,
};
use streamdlq_cli::stream::StreamId;
use streamdlq_core::HydrationStatus;

fn binary_records(count: usize, keys: usize) -> Vec<PutEntry> {
    generate(&Generate {
        count,
        size: Some(700),
        poison_pill: None,
        binary: true,
        partition_keys: keys,
    })
}

/// Records per partition key, in stream order.
fn by_key(records: &[(String, Vec<u8>)], key: &str) -> Vec<Vec<u8>> {
    records
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, data)| data.clone())
        .collect()
}

/// Replaying to the origin stream puts every binary record back byte-exact,
/// with its partition key, after the originals and in the same order per
/// shard; the DLQ ends empty.
#[tokio::test]
async fn replays_binary_records_byte_exact_in_order_to_their_stream() {
    let env = TestEnv::new("replay-origin").await;
    let (name, arn) = env.stream("s", 2).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(300, 5)).await;
    // Small parts: every failure spans several messages, some records fragments.
    let original = fail_every_shard(&env, &arn, &queue, 4096).await;
    let parts = env.depth(&queue).await.visible;
    assert!(parts > 4, "several parts per failure");
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &["replay", "--json", "--state-file", "state.json"],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    assert_eq!(summary["records"], 300);
    assert_eq!(summary["failures"], original.len());
    assert_eq!(summary["deletedMessages"], parts);
    assert_eq!(summary["calls"], 1, "300 records fit one PutRecords call");

    let after = env.read_stream(&arn).await;
    for (shard, before) in &original {
        let now = &after[shard];
        assert_eq!(
            now.len(),
            2 * before.len(),
            "{shard}: originals and replays"
        );
        assert!(
            payloads(&now[before.len()..]) == payloads(before),
            "{shard}: replayed records are byte-exact, keys and order kept"
        );
    }
    let depth = env.depth(&queue).await;
    assert_eq!((depth.visible, depth.in_flight), (0, 0), "the DLQ is empty");
}

/// `--to-stream` sends everything to another stream, keeping each key's
/// order; the origin stream is left alone.
#[tokio::test]
async fn replays_to_another_stream() {
    let env = TestEnv::new("replay-other").await;
    let (name, arn) = env.stream("origin", 2).await;
    let (other_name, other_arn) = env.stream("other", 1).await;
    let queue = env.queue("dlq").await;
    let entries = env.put(&arn, binary_records(50, 3)).await;
    fail_every_shard(&env, &arn, &queue, FULL).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &[
            "replay",
            "--to-stream",
            &other_name,
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("replayed 2 failures (50 records) to stream "),
        "{}",
        stdout(&output)
    );

    let replayed: Vec<_> = env
        .read_stream(&other_arn)
        .await
        .into_values()
        .flatten()
        .collect();
    let replayed = payloads(&replayed);
    let input: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|e| (e.partition_key.clone(), e.data.clone()))
        .collect();
    assert_eq!(replayed.len(), 50);
    for key in ["periodic-table-0", "periodic-table-1", "periodic-table-2"] {
        assert!(
            by_key(&replayed, key) == by_key(&input, key),
            "order of {key}"
        );
    }
    let origin: usize = env.read_stream(&arn).await.values().map(Vec::len).sum();
    assert_eq!(origin, 50, "nothing went back to the origin stream");
    assert_eq!(env.depth(&queue).await.visible, 0);
}

/// Wraps the Kinesis writer: fails chosen entries, can stop the run at a
/// call, and checks before every call that no failure's messages were
/// deleted while any of its records was still unaccepted.
struct Watched<F> {
    inner: KinesisStreamWriter,
    fail: F,
    /// A non-retryable error from this call on: the run stops there.
    stop_at: Option<usize>,
    dlq: DlqQueue,
    /// Records per failure in replay order, and the messages of each.
    failures: Vec<(usize, u64)>,
    state: Mutex<WatchState>,
}

#[derive(Default)]
struct WatchState {
    calls: usize,
    accepted: usize,
    messages_at_start: u64,
}

impl<F: Fn(usize, usize) -> bool + Sync> StreamWriter for Watched<F> {
    async fn put_records(
        &self,
        stream: &StreamId,
        entries: &[&PutEntry],
    ) -> Result<Vec<EntryResult>, PutError> {
        let (call, accepted) = {
            let mut state = self.state.lock().expect("lock");
            state.calls += 1;
            (state.calls - 1, state.accepted)
        };
        // Failures are replayed in order, so the ones whose records are all
        // accepted are a prefix of the list; only their messages may be gone.
        let mut records = 0;
        let mut deletable = 0;
        for (count, messages) in &self.failures {
            records += count;
            if records <= accepted {
                deletable += messages;
            }
        }
        let depth = self.dlq.depth().await.expect("depth");
        let start = self.state.lock().expect("lock").messages_at_start;
        let deleted = start - (depth.visible + depth.in_flight);
        assert!(
            deleted <= deletable,
            "call {call}: {deleted} messages deleted, only {deletable} belong to failures that were fully accepted"
        );
        if self.stop_at.is_some_and(|stop| call >= stop) {
            return Err(PutError::AccessDenied(
                "injected: the run stops here".into(),
            ));
        }
        let failed: Vec<bool> = (0..entries.len())
            .map(|index| (self.fail)(call, index))
            .collect();
        let passed: Vec<&PutEntry> = entries
            .iter()
            .zip(&failed)
            .filter(|(_, f)| !**f)
            .map(|(e, _)| *e)
            .collect();
        let mut results = if passed.is_empty() {
            Vec::new()
        } else {
            self.inner.put_records(stream, &passed).await?
        }
        .into_iter();
        let answer: Vec<EntryResult> = failed
            .iter()
            .map(|failed| {
                if *failed {
                    EntryResult::Failed {
                        code: "ProvisionedThroughputExceededException".into(),
                        message: "injected".into(),
                    }
                } else {
                    results.next().expect("a result per sent entry")
                }
            })
            .collect();
        let newly = answer
            .iter()
            .filter(|r| matches!(r, EntryResult::Accepted { .. }))
            .count();
        self.state.lock().expect("lock").accepted += newly;
        Ok(answer)
    }
}

/// Twelve failures of 100 records each in the DLQ of a one-shard stream.
async fn twelve_failures(env: &TestEnv) -> (String, String, Vec<(usize, u64)>) {
    let (_, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(1_200, 7)).await;
    let records = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let mut failures = Vec::new();
    for (n, chunk) in records.chunks(100).enumerate() {
        let failure = onfailure(&arn, "shardId-000000000000", chunk, &format!("r-{n}"));
        let (_, messages) = env
            .send_failure(
                &queue,
                &failure,
                HydrationStatus::Complete,
                chunk.to_vec(),
                32 * 1024,
            )
            .await;
        failures.push((chunk.len(), messages as u64));
    }
    (arn, queue, failures)
}

/// Injected PutRecords partial failures: every record reaches the stream,
/// no message is deleted before all records of its failure were accepted,
/// and the DLQ ends empty.
#[tokio::test]
async fn loses_nothing_and_deletes_nothing_early_under_partial_failures() {
    let env = TestEnv::new("replay-partial").await;
    let (arn, queue, failures) = twelve_failures(&env).await;
    let before = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let total_messages: u64 = failures.iter().map(|(_, m)| m).sum();

    let dlq = env.dlq(&queue);
    let session = ReplaySession::open(dlq.clone(), &ScanOptions::default())
        .await
        .expect("scan");
    let selection = select(
        session.inventory(),
        &SelectOptions {
            to_origin_stream: true,
            ..SelectOptions::default()
        },
    );
    assert_eq!(selection.chosen.len(), 12);
    let writer = Watched {
        inner: KinesisStreamWriter::new(env.kinesis.clone()),
        // Throttled tails and scattered failures in the first calls.
        fail: |call: usize, index: usize| call < 4 && (index >= 300 || index % 37 == 5),
        stop_at: None,
        dlq: dlq.clone(),
        failures: failures.clone(),
        state: Mutex::new(WatchState {
            messages_at_start: total_messages,
            ..WatchState::default()
        }),
    };
    let (report, error) = replay_to_streams(
        &writer,
        &dlq,
        &selection.chosen,
        &Target::Origin,
        &PutOptions::default(),
        &ProgressBar::hidden(),
        &Interrupt::default(),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    let total = report.total();
    assert_eq!(total.records, 1_200);
    assert!(total.retries > 300, "retries {}", total.retries);
    assert!(total.calls > 3);
    assert_eq!(report.deletions.messages as u64, total_messages);
    session
        .close(&report.deletions.handles)
        .await
        .expect("release");

    let after = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let replayed = payloads(&after[before.len()..]);
    assert_eq!(replayed.len(), 1_200, "every record exactly once");
    let mut expected = payloads(&before);
    let mut got = replayed.clone();
    expected.sort();
    got.sort();
    assert!(got == expected, "the same records, byte-exact");
    let depth = env.depth(&queue).await;
    assert_eq!((depth.visible, depth.in_flight), (0, 0));
}

/// A run that stops half way deletes only the failures it completed; the
/// next run replays the rest (duplicating what the first run had accepted
/// of an unfinished failure), so no record is lost and the DLQ ends empty.
#[tokio::test]
async fn resumes_after_a_stopped_run_without_losing_records() {
    let env = TestEnv::new("replay-resume").await;
    let (arn, queue, failures) = twelve_failures(&env).await;
    let before = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let total_messages: u64 = failures.iter().map(|(_, m)| m).sum();
    let dlq = env.dlq(&queue);
    let options = PutOptions {
        limits: streamdlq_cli::put::CallLimits::with_max_records(230),
        ..PutOptions::default()
    };

    let session = ReplaySession::open(dlq.clone(), &ScanOptions::default())
        .await
        .expect("scan");
    let selection = select(
        session.inventory(),
        &SelectOptions {
            to_origin_stream: true,
            ..SelectOptions::default()
        },
    );
    let stopping = Watched {
        inner: KinesisStreamWriter::new(env.kinesis.clone()),
        fail: |_: usize, _: usize| false,
        stop_at: Some(2),
        dlq: dlq.clone(),
        failures: failures.clone(),
        state: Mutex::new(WatchState {
            messages_at_start: total_messages,
            ..WatchState::default()
        }),
    };
    let (report, error) = replay_to_streams(
        &stopping,
        &dlq,
        &selection.chosen,
        &Target::Origin,
        &options,
        &ProgressBar::hidden(),
        &Interrupt::default(),
    )
    .await;
    assert!(error.is_some(), "the run stopped");
    assert_eq!(report.records(), 460, "two calls of 230 went through");
    assert_eq!(
        report.failures, 4,
        "failures 1-4 were completely accepted, 5 in part"
    );
    session
        .close(&report.deletions.handles)
        .await
        .expect("release");
    let left: u64 = failures[4..].iter().map(|(_, m)| m).sum();
    assert_eq!(
        env.depth(&queue).await.visible,
        left,
        "the rest is visible again"
    );

    let output_dir = env.state_file(("s", &arn), &queue);
    let dir = output_dir.parent().expect("dir").to_owned();
    let output = cli(
        &dir,
        &["replay", "--json", "--state-file", "state.json"],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    assert_eq!(summary["failures"], 8);

    let after = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let replayed = payloads(&after[before.len()..]);
    assert_eq!(
        replayed.len(),
        460 + 800,
        "the 60 records of failure 5 accepted before the stop are put again: at least once"
    );
    for record in payloads(&before) {
        assert!(replayed.contains(&record), "no record lost");
    }
    assert_eq!(env.depth(&queue).await.visible, 0);
}

/// `--dry-run` shows what would be replayed and changes nothing.
#[tokio::test]
async fn dry_run_changes_nothing() {
    let env = TestEnv::new("replay-dry").await;
    let (name, arn) = env.stream("s", 2).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(40, 4)).await;
    let shards = fail_every_shard(&env, &arn, &queue, FULL).await;
    let depth = env.depth(&queue).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &[
            "replay",
            "--dry-run",
            "--json",
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["records"], 40);
    assert_eq!(summary["calls"], 1);
    assert_eq!(
        summary["planned"].as_array().expect("planned").len(),
        shards.len()
    );

    let text = cli(
        &dir,
        &["replay", "--dry-run", "--state-file", "state.json"],
        &[],
    );
    assert!(
        stdout(&text).contains("would replay 2 failures (40 records) to stream"),
        "{}",
        stdout(&text)
    );
    assert_eq!(
        env.depth(&queue).await,
        depth,
        "nothing deleted, nothing hidden"
    );
    let records: usize = env.read_stream(&arn).await.values().map(Vec::len).sum();
    assert_eq!(records, 40, "nothing written");
}

/// Only complete failures are replayed by default; partial and unavailable
/// ones stay, and the summary says why. `--include-partial` takes partial.
#[tokio::test]
async fn skips_partial_and_unavailable_failures_and_says_so() {
    let env = TestEnv::new("replay-skip").await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(9, 1)).await;
    let records = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let shard = "shardId-000000000000";
    let send = |chunk: &[streamdlq_core::StreamRecord], status, id: &str| {
        let failure = onfailure(&arn, shard, chunk, id);
        let records = if status == HydrationStatus::Unavailable {
            Vec::new()
        } else {
            chunk.to_vec()
        };
        let env = &env;
        let queue = queue.clone();
        async move {
            env.send_failure(&queue, &failure, status, records, FULL)
                .await
        }
    };
    send(&records[0..3], HydrationStatus::Complete, "a").await;
    send(&records[3..6], HydrationStatus::Partial, "b").await;
    send(&records[6..9], HydrationStatus::Unavailable, "c").await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(&dir, &["replay", "--state-file", "state.json"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("replayed 1 failure (3 records)"), "{text}");
    assert!(
        text.contains("left in the queue: 1 partial (pass --include-partial to replay them), 1 unavailable (no records to replay)"),
        "{text}"
    );
    assert_eq!(env.depth(&queue).await.visible, 2);

    let output = cli(
        &dir,
        &["replay", "--include-partial", "--state-file", "state.json"],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("replayed 1 failure (3 records)"));
    assert_eq!(
        env.depth(&queue).await.visible,
        1,
        "only the unavailable failure is left"
    );
    let after = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    assert!(payloads(&after[9..]) == payloads(&records[0..6]));
}

/// A failure whose stream does not exist stops the replay with one clear
/// line and exit code 2; nothing is deleted, everything is visible again.
#[tokio::test]
async fn stops_at_a_stream_that_does_not_exist_and_deletes_nothing() {
    let env = TestEnv::new("replay-missing").await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(3, 1)).await;
    let records = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let gone = format!(
        "arn:aws:kinesis:us-east-1:000000000000:stream/{}-gone",
        env.prefix
    );
    let failure = onfailure(&gone, "shardId-000000000000", &records, "gone");
    env.send_failure(&queue, &failure, HydrationStatus::Complete, records, FULL)
        .await;
    env.send_foreign(&queue, "not ours").await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(&dir, &["replay", "--state-file", "state.json"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "error: replay stopped; failures not replayed completely stay in the DLQ, run it again: \
             cannot put records into {gone}: stream {gone} does not exist\n"
        )
    );
    assert!(
        stdout(&output).contains("note: message "),
        "{}",
        stdout(&output)
    );
    let depth = env.depth(&queue).await;
    assert_eq!((depth.visible, depth.in_flight), (2, 0), "nothing deleted");
}

/// A dry run fails where the real run would (a `--to-stream` that does not
/// exist), `--batch-size 0` is refused, and a dry run into a function
/// promises no deletions: the function's answers decide them.
#[tokio::test]
async fn dry_run_refuses_what_the_run_would_refuse() {
    let env = TestEnv::new("replay-dry-refuse").await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, binary_records(4, 1)).await;
    fail_every_shard(&env, &arn, &queue, FULL).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();
    let missing = format!("{}-nope", env.prefix);

    let output = cli(
        &dir,
        &[
            "replay",
            "--dry-run",
            "--to-stream",
            &missing,
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!("error: stream {missing} does not exist: check --to-stream\n")
    );

    let zero = cli(
        &dir,
        &["replay", "--batch-size", "0", "--to-function", "processor"],
        &[],
    );
    assert_eq!(zero.status.code(), Some(2));

    let function = cli(
        &dir,
        &[
            "replay",
            "--dry-run",
            "--to-function",
            "processor",
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert!(function.status.success(), "{}", stderr(&function));
    let text = stdout(&function);
    assert!(
        text.contains("the function's answers decide which DLQ messages are deleted (at most 1)"),
        "{text}"
    );
    assert!(!text.contains("would delete"), "{text}");
    assert_eq!(env.depth(&queue).await.visible, 1);
}
