//! What a user sees when something they can cause goes wrong: one line on
//! stderr with the next step, no SDK internals, and no long retries.

mod common;

use std::process::Command;

use common::{cli, stderr, temp_dir};

/// A port on this machine that nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// After `local down` with the exports still set, every command says in
/// one line that the local stack is down and what to do, instead of an
/// SDK `Debug` dump after retries.
#[test]
fn a_stopped_local_stack_is_one_line_with_the_next_step() {
    let dir = temp_dir("stack-down");
    let endpoint = format!("http://127.0.0.1:{}", dead_port());
    let queue = format!("{endpoint}/000000000000/streamdlq-DeadLetterQueue");
    let exports = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ENDPOINT_URL_KINESIS", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("STREAMDLQ_STREAM_NAME", "streamdlq-Stream"),
        ("STREAMDLQ_DLQ_URL", queue.as_str()),
    ];
    let expected = format!(
        "error: nothing answers at {endpoint}: the local stack is down; run `streamdlq local \
         up`, or unset the exports `streamdlq local down` printed\n"
    );
    for args in [
        &["read-dlq"][..],
        &["put-records", "--count", "3"],
        &["replay", "--dry-run"],
        &["delete", "--status", "rejected", "--yes"],
        &["export", "--out", "out"],
    ] {
        let output = cli(&dir, args, &exports);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&output), expected, "{args:?}");
    }
}

/// With no region configured, the SDK's warnings (the region looked up on
/// EC2 metadata) stay out of stderr: the user sees the one error line.
#[test]
fn sdk_warnings_stay_out_of_stderr_unless_asked_for() {
    let dir = temp_dir("no-region");
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_streamdlq"));
        command
            .args([
                "read-dlq",
                "--aws",
                "--queue-url",
                "https://sqs.invalid/1/q",
            ])
            .args(extra)
            .current_dir(&dir);
        for (name, _) in std::env::vars() {
            if name.starts_with("STREAMDLQ_") || name.starts_with("AWS_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .env(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                format!("http://127.0.0.1:{}", dead_port()),
            )
            .env("AWS_CONFIG_FILE", dir.join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
            .output()
            .expect("runs")
    };
    let quiet = run(&[]);
    assert_eq!(quiet.status.code(), Some(2));
    let text = stderr(&quiet);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("error: "), "{text}");

    let verbose = run(&["-v"]);
    assert!(
        stderr(&verbose).lines().count() > 1,
        "-v shows the SDK's warnings: {}",
        stderr(&verbose)
    );
}
