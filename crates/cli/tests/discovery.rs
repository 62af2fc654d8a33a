//! Resource discovery through `--stack`: CloudFormation outputs read with
//! the standard AWS configuration (here `AWS_ENDPOINT_URL` pointing at
//! moto's CloudFormation).

mod common;

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
