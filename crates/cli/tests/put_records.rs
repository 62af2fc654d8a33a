//! `put-records` against kinesis-local: files and generated records, full
//! calls, partial failures retried in partition-key order, clear errors.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::{TestEnv, cli, payloads, stderr, stdout};
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::input::parse_records;
use streamdlq_cli::put::{
    EntryResult, KinesisStreamWriter, OrderedPut, PutEntry, PutError, PutOptions, StreamWriter,
};
use streamdlq_cli::stream::StreamId;
use streamdlq_core::Backoff;

const WITH_POISON_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");

/// Wraps the Kinesis writer and fails the entries `fail(call, index, entry)`
/// names, without sending them, the way Kinesis fails entries of a call.
struct Flaky<F> {
    inner: KinesisStreamWriter,
    fail: F,
    calls: Mutex<usize>,
}

impl<F: Fn(usize, usize, &PutEntry) -> bool + Sync> StreamWriter for Flaky<F> {
    async fn put_records(
        &self,
        stream: &StreamId,
        entries: &[&PutEntry],
    ) -> Result<Vec<EntryResult>, PutError> {
        let call = {
            let mut calls = self.calls.lock().expect("lock");
            *calls += 1;
            *calls - 1
        };
        let failed: Vec<bool> = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (self.fail)(call, index, entry))
            .collect();
        let passed: Vec<&PutEntry> = entries
            .iter()
            .zip(&failed)
            .filter(|(_, failed)| !**failed)
            .map(|(entry, _)| *entry)
            .collect();
        let mut accepted = if passed.is_empty() {
            Vec::new()
        } else {
            self.inner.put_records(stream, &passed).await?
        }
        .into_iter();
        Ok(failed
            .iter()
            .map(|failed| {
                if *failed {
                    EntryResult::Failed {
                        code: "ProvisionedThroughputExceededException".into(),
                        message: "Rate exceeded for shard (injected)".into(),
                    }
                } else {
                    accepted.next().expect("one result per sent entry")
                }
            })
            .collect())
    }
}

fn elements(count: usize, keys: usize, size: Option<usize>) -> Vec<PutEntry> {
    generate(&Generate {
        count,
        size,
        poison_pill: None,
        binary: false,
        partition_keys: keys,
    })
}

fn by_key(entries: &[PutEntry], key: &str) -> Vec<Vec<u8>> {
    entries
        .iter()
        .filter(|entry| entry.partition_key == key)
        .map(|entry| entry.data.clone())
        .collect()
}

/// The poison-pill test file goes in as one call, every record in file
/// order, and the JSON summary says so.
#[tokio::test]
async fn puts_a_record_file_in_order_in_one_call() {
    let env = TestEnv::new("put-file").await;
    let (name, arn) = env.stream("s", 1).await;
    let state = env.state_file((&name, &arn), "http://127.0.0.1:1/unused");
    let dir = state.parent().expect("dir").to_owned();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/test-records-with-poison-pill.json"
    );

    let output = cli(
        &dir,
        &[
            "put-records",
            "--file",
            file,
            "--json",
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    let expected = parse_records(WITH_POISON_PILL).expect("file");
    assert_eq!(summary["records"], expected.len());
    assert_eq!(summary["calls"], 1);
    assert_eq!(summary["retries"], 0);
    assert_eq!(summary["stream"], arn);

    let shards = env.read_stream(&arn).await;
    let records: Vec<_> = shards.values().flatten().cloned().collect();
    assert_eq!(
        payloads(&records),
        expected
            .iter()
            .map(|e| (e.partition_key.clone(), e.data.clone()))
            .collect::<Vec<_>>()
    );
}

/// 1,200 generated records take ceil(1200/500) = 3 calls and keep each
/// partition key's order across shards.
#[tokio::test]
async fn puts_generated_records_in_full_calls() {
    let env = TestEnv::new("put-generated").await;
    let (name, arn) = env.stream("s", 2).await;
    let state = env.state_file((&name, &arn), "http://127.0.0.1:1/unused");
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &[
            "put-records",
            "--count",
            "1200",
            "--partition-keys",
            "3",
            "--size",
            "300",
            "--json",
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON summary");
    assert_eq!(summary["records"], 1200);
    assert_eq!(summary["calls"], 3);
    let shard_total: u64 = summary["shards"]
        .as_object()
        .expect("shards")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert_eq!(shard_total, 1200);

    let records: Vec<_> = env
        .read_stream(&arn)
        .await
        .into_values()
        .flatten()
        .collect();
    assert_eq!(records.len(), 1200);
    let expected = elements(1200, 3, Some(300));
    for key in ["periodic-table-0", "periodic-table-1", "periodic-table-2"] {
        let got: Vec<Vec<u8>> = records
            .iter()
            .filter(|r| r.partition_key == key)
            .map(|r| r.data.clone())
            .collect();
        assert!(got == by_key(&expected, key), "order of {key}");
    }
}

/// A throttled shard fails the tail of each of the first calls: only the
/// failed records are put again, and every key keeps its order.
#[tokio::test]
async fn retries_throttled_tails_in_partition_key_order() {
    let env = TestEnv::new("put-throttled").await;
    let (_, arn) = env.stream("s", 2).await;
    let entries = elements(1_100, 4, None);
    let writer = Flaky {
        inner: KinesisStreamWriter::new(env.kinesis.clone()),
        fail: |call: usize, index: usize, _: &PutEntry| call < 3 && index >= 150,
        calls: Mutex::new(0),
    };
    let mut put = OrderedPut::new(
        StreamId::Arn(arn.clone()),
        entries.clone(),
        PutOptions::default(),
    )
    .expect("valid");
    put.finish(&writer, |_| {}).await.expect("all accepted");
    let report = put.report();
    assert_eq!(report.records, 1_100);
    assert!(report.retries > 0);
    assert_eq!(report.out_of_order, 0);

    let records: Vec<_> = env
        .read_stream(&arn)
        .await
        .into_values()
        .flatten()
        .collect();
    assert_eq!(records.len(), 1_100, "nothing lost, nothing doubled");
    for key in 0..4 {
        let key = format!("periodic-table-{key}");
        let got: Vec<Vec<u8>> = records
            .iter()
            .filter(|r| r.partition_key == key)
            .map(|r| r.data.clone())
            .collect();
        assert!(got == by_key(&entries, &key), "order of {key}");
    }
}

/// With --strict-order, failures anywhere in a call cannot reorder a key.
#[tokio::test]
async fn strict_order_survives_failures_in_the_middle_of_calls() {
    let env = TestEnv::new("put-strict").await;
    let (_, arn) = env.stream("s", 1).await;
    let entries = elements(120, 8, None);
    let writer = Flaky {
        inner: KinesisStreamWriter::new(env.kinesis.clone()),
        fail: |call: usize, index: usize, _: &PutEntry| (call * 7 + index).is_multiple_of(5),
        calls: Mutex::new(0),
    };
    // Failures in almost every call: keep the backoff short for the test.
    let options = PutOptions {
        strict_order: true,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(20),
        },
        ..PutOptions::default()
    };
    let mut put =
        OrderedPut::new(StreamId::Arn(arn.clone()), entries.clone(), options).expect("valid");
    put.finish(&writer, |_| {}).await.expect("all accepted");
    assert_eq!(put.report().out_of_order, 0);
    assert!(put.report().retries > 0);

    let records: Vec<_> = env
        .read_stream(&arn)
        .await
        .into_values()
        .flatten()
        .collect();
    assert_eq!(records.len(), 120);
    for key in 0..8 {
        let key = format!("periodic-table-{key}");
        let got: Vec<Vec<u8>> = records
            .iter()
            .filter(|r| r.partition_key == key)
            .map(|r| r.data.clone())
            .collect();
        assert!(got == by_key(&entries, &key), "order of {key}");
    }
}

/// A stream that does not exist is one clear error line and exit code 2.
#[tokio::test]
async fn reports_a_missing_stream_in_one_line() {
    let env = TestEnv::new("put-missing").await;
    let state = env.state_file(
        (
            "unused",
            "arn:aws:kinesis:us-east-1:000000000000:stream/unused",
        ),
        "http://127.0.0.1:1/unused",
    );
    let dir = state.parent().expect("dir").to_owned();
    let missing = format!("{}-nope", env.prefix);

    let output = cli(
        &dir,
        &[
            "put-records",
            "--count",
            "3",
            "--stream-name",
            &missing,
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert_eq!(
        error.trim_end(),
        format!(
            "error: 3 records were not written: cannot put records into {missing}: stream {missing} does not exist"
        )
    );
    assert_eq!(error.lines().count(), 1, "{error}");
}

/// Without a file or a count there is nothing to put, and it says how.
#[test]
fn says_what_to_put() {
    let dir = common::temp_dir("put-nothing");
    let output = cli(&dir, &["put-records", "--stream-name", "s"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim_end(),
        "error: nothing to put: pass --file PATH or --count N"
    );
}

/// Inputs that would do nothing or be ignored are refused before anything
/// is written: `--count 0`, and a `--size` smaller than the records.
#[test]
fn refuses_inputs_it_would_ignore() {
    let dir = common::temp_dir("put-ignored");
    let zero = cli(
        &dir,
        &["put-records", "--count", "0", "--stream-name", "s"],
        &[],
    );
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        stderr(&zero).contains("0 records would put nothing"),
        "{}",
        stderr(&zero)
    );
    let small = cli(
        &dir,
        &[
            "put-records",
            "--count",
            "3",
            "--size",
            "10",
            "--stream-name",
            "s",
        ],
        &[],
    );
    assert_eq!(small.status.code(), Some(2));
    assert!(
        stderr(&small).starts_with("error: --size 10 is smaller than the records"),
        "{}",
        stderr(&small)
    );
}
