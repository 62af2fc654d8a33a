//! Resource discovery: through `--stack` (CloudFormation outputs read with
//! the standard AWS configuration, here `AWS_ENDPOINT_URL` pointing at
//! moto's CloudFormation), through the local stack's state file, and the
//! precedence of a flag over the environment of a running stack.

mod common;

use std::path::PathBuf;

use common::{TestEnv, cli, stderr, stdout};

/// The outputs `infra/template.yaml` declares, on a small stack.
fn template(queue: &str) -> String {
    serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}}
        },
        "Outputs": {
            "DlqUrl": {"Value": {"Ref": "Dlq"}},
            "StreamName": {"Value": "not-used-by-read-dlq"},
            "ProcessorFunctionName": {"Value": "streamdlq-processor"}
        }
    })
    .to_string()
}

fn aws_env(env: &TestEnv) -> [(&'static str, String); 3] {
    [
        (
            "AWS_ENDPOINT_URL",
            env.emulators.moto().endpoint_url().to_owned(),
        ),
        ("AWS_ACCESS_KEY_ID", "streamdlq-local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "streamdlq-local".to_owned()),
    ]
}

/// `--stack NAME` finds the DLQ in the stack's outputs, even with a local
/// stack state next to it (a named stack wins).
#[tokio::test]
async fn finds_the_dlq_in_the_stack_outputs() {
    let env = TestEnv::new("stack").await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&env.emulators.moto_config());
    let stack = format!("{}-stack", env.prefix);
    let queue_name = format!("{}-dlq", env.prefix);
    cloudformation
        .create_stack()
        .stack_name(&stack)
        .template_body(template(&queue_name))
        .send()
        .await
        .expect("create stack");
    let queue_url = env
        .sqs
        .get_queue_url()
        .queue_name(&queue_name)
        .send()
        .await
        .expect("the stack created the queue")
        .queue_url
        .expect("url");
    let sent = env.send_foreign(&queue_url, "from the stack's queue").await;
    // A local state pointing elsewhere must not be used.
    let state = env.state_file(
        ("s", "arn:aws:kinesis:us-east-1:000000000000:stream/s"),
        "http://127.0.0.1:1/none",
    );
    let dir = state.parent().expect("dir").to_owned();
    std::fs::create_dir_all(dir.join(".streamdlq")).expect("dir");
    std::fs::copy(&state, dir.join(".streamdlq/state.json")).expect("state");

    let vars = aws_env(&env);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = cli(&dir, &["read-dlq", "--stack", &stack], &vars);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!(
            "note: message {sent} is not a streamdlq DLQ message"
        )),
        "{}",
        stdout(&output)
    );
}

/// A stack that does not exist is one clear line and exit code 2.
#[tokio::test]
async fn reports_a_missing_stack_in_one_line() {
    let env = TestEnv::new("stack-missing").await;
    let dir = common::temp_dir("stack-missing");
    let vars = aws_env(&env);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stack = format!("{}-nope", env.prefix);

    let output = cli(&dir, &["read-dlq", "--stack", &stack], &vars);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!("error: stack {stack} does not exist: check --stack and the AWS region\n")
    );
}

/// The local stack's state file is found from the working directory.
#[tokio::test]
async fn finds_the_local_state_from_the_working_directory() {
    let env = TestEnv::new("state").await;
    let queue = env.queue("dlq").await;
    let sent = env.send_foreign(&queue, "local").await;
    let state = env.state_file(
        ("s", "arn:aws:kinesis:us-east-1:000000000000:stream/s"),
        &queue,
    );
    let root = state.parent().expect("dir").to_owned();
    std::fs::create_dir_all(root.join(".streamdlq")).expect("dir");
    std::fs::copy(&state, root.join(".streamdlq/state.json")).expect("state");
    let nested = root.join("a/b");
    std::fs::create_dir_all(&nested).expect("nested");

    let output = cli(&nested, &["read-dlq"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains(&format!("note: message {sent} ")));
}

/// A running local stack (the shared emulators) whose state file is in
/// `.streamdlq/` of a fresh directory, and the variables
/// `eval "$(streamdlq local up)"` would have exported for it.
fn running_stack(
    env: &TestEnv,
    stream: (&str, &str),
    dlq: &str,
) -> (PathBuf, Vec<(&'static str, String)>) {
    let state = env.local_state(stream, dlq);
    let dir = common::temp_dir(&env.prefix);
    state
        .save_to(&dir.join(".streamdlq/state.json"))
        .expect("state file");
    (dir, state.exports())
}

async fn records_in(env: &TestEnv, stream_arn: &str) -> usize {
    env.read_stream(stream_arn)
        .await
        .values()
        .map(Vec::len)
        .sum()
}

/// After `eval "$(streamdlq local up)"`, an explicit `--stream-name` wins
/// over the exported `STREAMDLQ_STREAM_ARN`: the records go to the named
/// stream and none to the stack's.
#[tokio::test]
async fn a_stream_name_flag_wins_over_the_exports_of_a_running_stack() {
    let env = TestEnv::new("flag-wins").await;
    let (stack_name, stack_arn) = env.stream("stack", 1).await;
    let (named, named_arn) = env.stream("named", 1).await;
    let dlq = env.queue("dlq").await;
    let (dir, exports) = running_stack(&env, (&stack_name, &stack_arn), &dlq);
    let vars: Vec<(&str, &str)> = exports.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let output = cli(
        &dir,
        &["put-records", "--count", "3", "--stream-name", &named],
        &vars,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(records_in(&env, &named_arn).await, 3);
    assert_eq!(
        records_in(&env, &stack_arn).await,
        0,
        "nothing in the stack's stream"
    );
}

/// With the same exports, a `--stream-name` that does not exist is a clear
/// error naming it, and the stack's stream is left alone.
#[tokio::test]
async fn a_missing_named_stream_is_an_error_not_the_exported_one() {
    let env = TestEnv::new("flag-missing").await;
    let (stack_name, stack_arn) = env.stream("stack", 1).await;
    let dlq = env.queue("dlq").await;
    let (dir, exports) = running_stack(&env, (&stack_name, &stack_arn), &dlq);
    let vars: Vec<(&str, &str)> = exports.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let missing = format!("{}-nope", env.prefix);

    let output = cli(
        &dir,
        &["put-records", "--count", "3", "--stream-name", &missing],
        &vars,
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim_end(),
        format!(
            "error: 3 records were not written: cannot put records into {missing}: stream {missing} does not exist"
        )
    );
    assert_eq!(
        records_in(&env, &stack_arn).await,
        0,
        "nothing in the stack's stream"
    );
}

/// A state file left by a stack whose processes are gone is refused, with
/// the command that starts one, instead of sending requests to dead ports.
#[tokio::test]
async fn refuses_the_state_of_a_stopped_stack() {
    let env = TestEnv::new("stopped").await;
    let mut state = env.local_state(
        ("s", "arn:aws:kinesis:us-east-1:000000000000:stream/s"),
        "http://127.0.0.1:1/none",
    );
    let mut exited = std::process::Command::new("true").spawn().expect("true");
    exited.wait().expect("true exits");
    for process in &mut state.processes {
        process.pid = exited.id();
    }
    let dir = common::temp_dir(&env.prefix);
    let path = dir.join(".streamdlq/state.json");
    state.save_to(&path).expect("state file");

    let output = cli(&dir, &["read-dlq"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim_end(),
        format!(
            "error: the local stack in {} is not running: run `streamdlq local up`",
            path.display()
        )
    );
}
