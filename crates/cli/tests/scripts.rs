//! The shell wrappers in `scripts/` run the CLI against a local stack state
//! and pass their arguments through.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{FULL, TestEnv, onfailure, stderr, stdout};
use streamdlq_core::HydrationStatus;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// Runs a script with the built binary and a state file.
fn run(name: &str, args: &[&str], state: &Path) -> Output {
    let mut command = Command::new("bash");
    command.arg(script(name)).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("STREAMDLQ_") || key.starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command
        .env("STREAMDLQ_BIN", env!("CARGO_BIN_EXE_streamdlq"))
        .env("STREAMDLQ_STATE_FILE", state)
        .env("RUST_LOG", "warn")
        .output()
        .expect("bash runs")
}

/// `put-records.sh --poison-pill N` passes the number on: ten generated
/// elements, the Nth a pill (a bare `--poison-pill` is the test file).
#[tokio::test]
async fn put_records_passes_a_poison_pill_number_through() {
    let env = TestEnv::new("scripts-pill").await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    let state = env.state_file((&name, &arn), &queue);

    let put = run("put-records.sh", &["--poison-pill", "3", "--json"], &state);
    assert!(put.status.success(), "{}", stderr(&put));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&put)).expect("JSON");
    assert_eq!(summary["records"], 10);
    let records = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    let pills: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.data.ends_with(br#""AtomicMass":"6.94"}"#))
        .map(|(n, _)| n + 1)
        .collect();
    assert_eq!(pills, vec![3]);
}

/// put-records.sh --poison-pill puts the test file with the poison pill;
/// read-sqs.sh and replay.sh pass their arguments to the CLI.
#[tokio::test]
async fn wrap_the_cli_with_arguments_passed_through() {
    let env = TestEnv::new("scripts").await;
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    let state = env.state_file((&name, &arn), &queue);

    let put = run("put-records.sh", &["--poison-pill", "--json"], &state);
    assert!(put.status.success(), "{}", stderr(&put));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&put)).expect("JSON");
    assert_eq!(summary["records"], 10);
    let records = env
        .read_stream(&arn)
        .await
        .into_values()
        .next()
        .expect("shard");
    assert!(
        records
            .iter()
            .any(|r| r.data.ends_with(br#""AtomicMass":"10.811"}"#)),
        "the poison pill file"
    );

    let generated = run("put-records.sh", &["--count", "3"], &state);
    assert!(generated.status.success(), "{}", stderr(&generated));
    assert!(
        stdout(&generated).starts_with("put 3 records"),
        "{}",
        stdout(&generated)
    );
    let one = run("put-records.sh", &["--count", "1"], &state);
    assert!(
        stdout(&one).starts_with("put 1 record ("),
        "{}",
        stdout(&one)
    );

    let failure = onfailure(&arn, "shardId-000000000000", &records[4..], "scripts");
    env.send_failure(
        &queue,
        &failure,
        HydrationStatus::Complete,
        records[4..].to_vec(),
        FULL,
    )
    .await;
    let read = run("read-sqs.sh", &["--json"], &state);
    assert!(read.status.success(), "{}", stderr(&read));
    let line: serde_json::Value = serde_json::from_str(stdout(&read).trim()).expect("JSON line");
    assert_eq!(line["found"], 6);

    let dry = run("replay.sh", &["--dry-run"], &state);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would replay 1 failure (6 records)"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(env.depth(&queue).await.visible, 1);
}
