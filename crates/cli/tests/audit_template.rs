//! `streamdlq audit --template`: each test template raises exactly its
//! finding, `infra/template.yaml` is clean at the default level, and the
//! serverless-patterns layout raises the one mistake.

use std::path::{Path, PathBuf};
use std::process::Command;

use streamdlq_cli::audit::template::load_template;
use streamdlq_cli::audit::{Check, Severity, audit};

fn templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/audit")
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The checks a test template raises.
fn checks_of(name: &str) -> Vec<Check> {
    let inventory = load_template(&templates().join(format!("{name}.yaml"))).expect("template");
    assert!(!inventory.mappings.is_empty(), "{name}: no mapping read");
    audit(&inventory)
        .into_iter()
        .map(|finding| finding.check)
        .collect()
}

/// The template that keeps every rule raises nothing.
#[test]
fn clean_template_raises_nothing() {
    assert_eq!(checks_of("clean"), Vec::<Check>::new());
}

/// Each finding's template raises exactly that finding, named by its id.
#[test]
fn each_finding_template_raises_exactly_its_finding() {
    let all = [
        Check::NoOnFailureDestination,
        Check::UnhydratedDestination,
        Check::UnlimitedRetries,
        Check::AllowlistLacksStream,
        Check::UnboundedRecordAge,
        Check::RecordAgeBeyondRetention,
        Check::BisectOff,
        Check::NoPartialBatchResponse,
        Check::ParallelBatchesPerShard,
        Check::ShortRetention,
        Check::TumblingWindowWithPartialBatch,
    ];
    for check in all {
        assert_eq!(checks_of(check.id()), [check], "{}.yaml", check.id());
    }
}

/// Plain CloudFormation: an `AWS::Lambda::EventSourceMapping`, a hydrate
/// function behind an `AWS::SNS::Subscription`, an allowlist built with
/// `!Join` and a retention from a parameter's default.
#[test]
fn reads_plain_cloudformation_mappings_and_subscriptions() {
    assert_eq!(checks_of("plain-cloudformation"), [Check::UnlimitedRetries]);
}

/// The serverless-patterns layout (an SQS OnFailure queue, nothing reading
/// the records back) raises the one mistake as an error.
#[test]
fn serverless_patterns_sqs_destination_raises_the_one_mistake() {
    let inventory = load_template(&templates().join("serverless-patterns-sqs-destination.yaml"))
        .expect("template");
    let findings = audit(&inventory);
    let mistake = findings
        .iter()
        .find(|finding| finding.check == Check::UnhydratedDestination)
        .expect("unhydrated destination found");
    assert_eq!(mistake.severity, Severity::Error);
    assert_eq!(mistake.mapping, "ConsumerFunction.Events.Stream");
    assert!(mistake.why.contains("metadata only"), "{}", mistake.why);
}

fn streamdlq(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_streamdlq"))
        .args(args)
        .current_dir(repository())
        .output()
        .expect("streamdlq runs")
}

/// `infra/template.yaml` audits clean at the default level (the 24 h
/// retention of its stream and of its table's stream are warnings), so CI
/// can run the audit on every change.
#[test]
fn infra_template_audits_clean_at_the_default_level() {
    let output = streamdlq(&["audit", "--template", "infra/template.yaml", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json report");
    assert_eq!(report["errors"], 0);
    assert_eq!(report["mappings"], 2, "the stream's and the table's");
    assert_eq!(report["hydrators"], 1);
    let checks: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["check"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(checks, ["short-retention", "short-retention"]);
}

/// The demo stack's hydrate function lives in the nested hydrator
/// (`infra/hydrator.yaml`): the audit reads it through the application, with
/// the demo's stream and table stream as its allowlist and the topic both
/// mappings send to.
#[test]
fn audits_the_hydrator_nested_in_the_demo_stack() {
    let inventory = load_template(&repository().join("infra/template.yaml")).expect("template");
    let [hydrator] = inventory.hydrators.as_slice() else {
        panic!("one hydrate function: {:?}", inventory.hydrators);
    };
    assert_eq!(hydrator.function, "HydrateFunction");
    assert_eq!(
        hydrator.allowed_streams,
        Some(vec!["Stream".to_owned(), "Table".to_owned()])
    );
    assert_eq!(hydrator.consumes, ["FailureTopic"]);
    assert_eq!(inventory.mappings.len(), 2, "{:?}", inventory.mappings);
    for mapping in &inventory.mappings {
        let destination = mapping
            .on_failure
            .as_ref()
            .expect("an OnFailure destination");
        assert_eq!(destination.target, "FailureTopic");
    }
}

/// `--fail-on warning` turns the warnings into exit code 1.
#[test]
fn fail_on_warning_exits_with_one_on_warnings() {
    let output = streamdlq(&[
        "audit",
        "--template",
        "infra/template.yaml",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("short-retention"), "{stdout}");
    assert!(stdout.contains("0 errors, 2 warnings"), "{stdout}");
}

/// An error-level finding exits with 1; the table names the fix.
#[test]
fn error_finding_exits_with_one_and_shows_the_fix() {
    let path = templates().join("unlimited-retries.yaml");
    let output = streamdlq(&["audit", "--template", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("set MaximumRetryAttempts: 3 on Processor.Events.Kinesis"),
        "{stdout}"
    );
}

/// A template that cannot be read is an error (exit 2), never a clean pass.
#[test]
fn unreadable_template_exits_with_two() {
    let output = streamdlq(&["audit", "--template", "no/such/template.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read template"),
        "{stderr}"
    );
}
