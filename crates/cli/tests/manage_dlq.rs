//! `delete`, `move` and `export` against moto: the DLQ managed by failure.
//! Each test starts from five failures — one `rejected`, one in 3 parts —
//! in a queue of its own.

mod common;

use std::path::PathBuf;

use common::{FULL, TestEnv, cli, onfailure, stderr, stdout};
use streamdlq_cli::commands::read_dlq::read_dlq;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::queue::{FailureFilter, ScanOptions};
use streamdlq_core::dlq::{FailureSource, build_parts};
use streamdlq_core::{FailureRecord, Hydration, HydrationStatus, StreamRecord};

/// The five failures of a test, and where they are.
struct Dlq {
    env: TestEnv,
    queue: String,
    state: PathBuf,
    rejected: String,
    three_parts: String,
    /// Every failure id with its records, as put.
    failures: Vec<(String, Vec<StreamRecord>)>,
}

impl Dlq {
    fn dir(&self) -> PathBuf {
        self.state.parent().expect("dir").to_owned()
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--state-file", "state.json"]);
        cli(&self.dir(), &all, &[])
    }

    async fn ids_in(&self, queue: &str) -> Vec<String> {
        let mut ids: Vec<String> = read_dlq(
            &self.env.dlq(queue),
            &FailureFilter::default(),
            &ScanOptions::default(),
            None,
        )
        .await
        .expect("read")
        .inventory
        .failures
        .into_iter()
        .map(|failure| failure.hydrated.id)
        .collect();
        ids.sort();
        ids
    }
}

/// The smallest message limit that splits `records` into exactly 3 parts.
fn three_part_limit(failure: &str, records: &[StreamRecord]) -> usize {
    let record = FailureRecord::parse(failure).expect("record");
    let hydration = Hydration {
        status: HydrationStatus::Complete,
        expected: record.batch.batch_size,
        reason: None,
        records: records.to_vec(),
    };
    (16..=256)
        .map(|kib| kib * 1024)
        .find(|&limit| {
            build_parts(&FailureSource::Record(&record), &hydration, limit)
                .is_ok_and(|parts| parts.len() == 3)
        })
        .expect("a limit that gives 3 parts")
}

/// Five failures from one stream: complete, complete in 3 parts,
/// rejected, partial, complete.
async fn five_failures(test: &str) -> Dlq {
    let env = TestEnv::new(test).await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(
        &arn,
        generate(&Generate {
            count: 40,
            size: Some(4_000),
            poison_pill: None,
            binary: false,
            partition_keys: 1,
        }),
    )
    .await;
    let (shard, records) = env
        .read_stream(&arn)
        .await
        .into_iter()
        .next()
        .expect("one shard");
    let ranges = [(0, 2), (2, 30), (30, 32), (32, 35), (35, 40)];
    let statuses = [
        HydrationStatus::Complete,
        HydrationStatus::Complete,
        HydrationStatus::Rejected,
        HydrationStatus::Partial,
        HydrationStatus::Complete,
    ];
    let mut failures = Vec::new();
    let (mut rejected, mut three_parts) = (String::new(), String::new());
    for (n, ((start, end), status)) in ranges.into_iter().zip(statuses).enumerate() {
        let slice = &records[start..end];
        let failure = onfailure(&arn, &shard, slice, &format!("{test}-{n}"));
        let kept = if status == HydrationStatus::Rejected {
            Vec::new()
        } else {
            slice.to_vec()
        };
        let limit = if n == 1 {
            three_part_limit(&failure, &kept)
        } else {
            FULL
        };
        let (id, messages) = env
            .send_failure(&queue, &failure, status, kept.clone(), limit)
            .await;
        match n {
            1 => {
                assert_eq!(messages, 3);
                three_parts = id.clone();
            }
            2 => rejected = id.clone(),
            _ => assert_eq!(messages, 1),
        }
        failures.push((id, kept));
    }
    let state = env.state_file((&name, &arn), &queue);
    Dlq {
        env,
        queue,
        state,
        rejected,
        three_parts,
        failures,
    }
}

/// `delete --status rejected` removes exactly the rejected failure and
/// its message; the four others stay whole.
#[tokio::test]
async fn delete_by_status_removes_exactly_the_rejected_failure() {
    let dlq = five_failures("delete-status").await;
    let output = dlq.run(&["delete", "--status", "rejected", "--yes", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(summary["failures"].as_array().map(Vec::len), Some(1));
    assert_eq!(summary["failures"][0]["id"], dlq.rejected.as_str());
    assert_eq!(summary["deletedMessages"], 1);

    let mut left: Vec<String> = dlq
        .failures
        .iter()
        .map(|(id, _)| id.clone())
        .filter(|id| *id != dlq.rejected)
        .collect();
    left.sort();
    assert_eq!(dlq.ids_in(&dlq.queue).await, left);
    let depth = dlq.env.depth(&dlq.queue).await;
    assert_eq!((depth.visible, depth.in_flight), (6, 0));
}

/// Without --yes and without a terminal to ask on, delete refuses and
/// deletes nothing; a dry run says what it would delete and keeps it.
#[tokio::test]
async fn delete_refuses_without_yes_and_dry_run_keeps_everything() {
    let dlq = five_failures("delete-ask").await;
    let refused = dlq.run(&["delete", "--status", "rejected"]);
    assert_eq!(refused.status.code(), Some(2));
    let error = stderr(&refused);
    assert!(error.contains("pass --yes"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");

    let dry = dlq.run(&["delete", "--id", &dlq.three_parts[..12], "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would delete 1 failure (3 messages)"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(dlq.env.depth(&dlq.queue).await.visible, 7);

    let unfiltered = dlq.run(&["delete", "--yes"]);
    assert_eq!(unfiltered.status.code(), Some(2));
    assert!(
        stderr(&unfiltered).contains("--all"),
        "{}",
        stderr(&unfiltered)
    );
    assert_eq!(dlq.env.depth(&dlq.queue).await.visible, 7);
}

/// `move --id` of the 3-part failure sends its 3 messages to the other
/// queue, where it reads back whole, and deletes them from the DLQ.
#[tokio::test]
async fn move_by_id_moves_every_part_of_the_failure() {
    let dlq = five_failures("move-id").await;
    let archive = dlq.env.queue("archive").await;
    let output = dlq.run(&[
        "move",
        "--id",
        &dlq.three_parts[..8],
        "--to-queue",
        &archive,
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(summary["sentMessages"], 3);
    assert_eq!(summary["deletedMessages"], 3);

    assert_eq!(dlq.env.depth(&archive).await.visible, 3);
    assert_eq!(dlq.ids_in(&archive).await, vec![dlq.three_parts.clone()]);
    let moved = read_dlq(
        &dlq.env.dlq(&archive),
        &FailureFilter::default(),
        &ScanOptions::default(),
        None,
    )
    .await
    .expect("read the archive");
    let (_, records) = dlq
        .failures
        .iter()
        .find(|(id, _)| *id == dlq.three_parts)
        .expect("the 3-part failure");
    assert_eq!(&moved.inventory.failures[0].hydrated.records, records);
    assert_eq!(dlq.env.depth(&dlq.queue).await.visible, 4);
    assert!(!dlq.ids_in(&dlq.queue).await.contains(&dlq.three_parts));
}

/// `export` writes each failure's JSON and its records' exact bytes, named
/// by sequence number, and leaves the queue depth as it was.
#[tokio::test]
async fn export_writes_the_exact_bytes_and_consumes_nothing() {
    let dlq = five_failures("export").await;
    let before = dlq.env.depth(&dlq.queue).await;
    let out = dlq.dir().join("export");
    let output = dlq.run(&["export", "--out", out.to_str().expect("path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("exported 5 failures"),
        "{}",
        stdout(&output)
    );
    for (id, records) in &dlq.failures {
        let dir = out.join(id);
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("failure.json")).expect("failure.json"),
        )
        .expect("JSON");
        assert_eq!(json["id"], id.as_str());
        assert_eq!(
            json["records"].as_array().map(Vec::len),
            Some(records.len())
        );
        for record in records {
            let bytes = std::fs::read(dir.join(record.sequence_number.as_str())).expect("record");
            assert_eq!(bytes, record.data, "record {}", record.sequence_number);
        }
        let files = std::fs::read_dir(&dir).expect("dir").count();
        assert_eq!(files, records.len() + 1);
    }
    assert_eq!(dlq.env.depth(&dlq.queue).await, before);
}
