//! Nested applications, over the real `infra/hydrator.yaml` nested by small
//! parent templates.

use std::path::PathBuf;

use serde_norway::Value;

use super::flatten;
use crate::template::TemplateError;
use crate::template::value::{Reference, reference};

fn infra() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra")
}

/// A parent that nests hydrator.yaml as `Hydrator` with `parameters` (YAML
/// lines at the Parameters' indentation) and `extra` resources.
fn parent(parameters: &str, extra: &str) -> String {
    format!(
        r#"
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {{ShardCount: 1}}
  Hydrator:
    Type: AWS::Serverless::Application
    Properties:
      Location: hydrator.yaml
      Parameters:
        AllowedStreamArns: !GetAtt Stream.Arn
{parameters}
{extra}
"#
    )
}

fn flattened(text: &str) -> Result<Value, TemplateError> {
    flatten(serde_norway::from_str(text).expect("yaml"), Some(&infra()))
}

fn resource<'a>(root: &'a Value, id: &str) -> Option<&'a Value> {
    root.get("Resources")?.get(id)
}

fn property<'a>(root: &'a Value, id: &str, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(resource(root, id)?.get("Properties")?, |value, key| {
            value.get(*key)
        })
}

/// The default failure source creates the topic and subscribes hydrate to
/// it; the queue and bucket sources' resources are left out.
#[test]
fn default_source_creates_and_subscribes_the_topic() {
    let root = flattened(&parent("", "")).expect("flattens");
    assert!(
        resource(&root, "Hydrator").is_none(),
        "the application is replaced by its resources"
    );
    assert_eq!(
        resource(&root, "FailureTopic")
            .and_then(|topic| topic.get("Type"))
            .and_then(Value::as_str),
        Some("AWS::SNS::Topic")
    );
    assert_eq!(
        property(&root, "FailureSubscription", &["TopicArn"]).and_then(reference),
        Some(Reference::to("FailureTopic"))
    );
    assert!(
        resource(&root, "FailureSubscription")
            .and_then(|r| r.get("Condition"))
            .is_none()
    );
    for absent in ["FailureQueueMapping", "FailureBucketInvokesHydrate"] {
        assert!(
            resource(&root, absent).is_none(),
            "{absent} is not deployed"
        );
    }
}

/// A passed parameter decides the conditions: an existing queue is
/// consumed, and no topic is created.
#[test]
fn passed_parameters_decide_which_resources_exist() {
    let arn = "arn:aws:sqs:us-east-1:123456789012:failures";
    let root = flattened(&parent(
        &format!("        FailureSource: ExistingQueue\n        ExistingQueueArn: {arn}"),
        "",
    ))
    .expect("flattens");
    assert!(resource(&root, "FailureTopic").is_none());
    assert!(resource(&root, "FailureSubscription").is_none());
    assert_eq!(
        property(&root, "FailureQueueMapping", &["EventSourceArn"]).and_then(Value::as_str),
        Some(arn)
    );
    // No DataKeyArn passed: the hydrator makes a key of its own.
    assert!(resource(&root, "HydratorKey").is_some());
}

/// A list parameter given one reference becomes a list of it; a resource's
/// attribute passed for a key is never empty, so no key of its own is made.
#[test]
fn references_from_the_parent_replace_parameters() {
    let root = flattened(&parent(
        "        DataKeyArn: !GetAtt Key.Arn",
        "  Key: {Type: AWS::KMS::Key}",
    ))
    .expect("flattens");
    let allowlist = property(
        &root,
        "HydrateFunction",
        &["Environment", "Variables", "ALLOWED_STREAM_ARNS"],
    )
    .expect("the allowlist");
    let crate::template::TemplateValue::Join(separator, items) =
        crate::template::TemplateValue::read(allowlist).expect("a value")
    else {
        panic!("the allowlist is a join: {allowlist:?}");
    };
    assert_eq!(separator, ",");
    assert_eq!(
        items,
        [crate::template::TemplateValue::Reference(
            Reference::attribute("Stream", "Arn")
        )]
    );
    assert!(resource(&root, "HydratorKey").is_none());
    assert_eq!(
        property(&root, "DeadLetterQueue", &["KmsMasterKeyId"]).and_then(reference),
        Some(Reference::attribute("Key", "Arn"))
    );
}

/// The parent's `!GetAtt Hydrator.Outputs.X` and `${Hydrator.Outputs.X}`
/// become what the output names.
#[test]
fn parent_reads_nested_outputs() {
    let extra = r#"
Outputs:
  DlqUrl:
    Value: !GetAtt Hydrator.Outputs.DlqUrl
  Named:
    Value: !Sub "queue ${Hydrator.Outputs.DlqName} of ${AWS::StackName}""#;
    let root = flattened(&parent("", extra)).expect("flattens");
    let outputs = root.get("Outputs").expect("outputs");
    assert_eq!(
        outputs
            .get("DlqUrl")
            .and_then(|o| o.get("Value"))
            .and_then(reference),
        Some(Reference::to("DeadLetterQueue"))
    );
    let named = crate::template::TemplateValue::read(
        outputs
            .get("Named")
            .and_then(|o| o.get("Value"))
            .expect("value"),
    );
    assert_eq!(
        named,
        Some(crate::template::TemplateValue::Sub(
            "queue ${DeadLetterQueue.QueueName} of ${AWS::StackName}".to_owned()
        ))
    );
}

/// An output whose condition is false where it is deployed is an error that
/// names it, not a silent empty value.
#[test]
fn names_an_output_the_nested_stack_does_not_have() {
    let extra = "Outputs:\n  Topic:\n    Value: !GetAtt Hydrator.Outputs.TopicArn";
    let error = flattened(&parent(
        "        FailureSource: ExistingTopic\n        ExistingTopicArn: arn:aws:sns:us-east-1:123456789012:t",
        extra,
    ))
    .expect_err("no topic output");
    assert!(
        error
            .to_string()
            .contains("Hydrator: has no output TopicArn"),
        "{error}"
    );
}

/// Nested resources keep their logical ids, so a clash with the parent is
/// refused.
#[test]
fn refuses_a_nested_resource_with_a_parent_resource_id() {
    let error =
        flattened(&parent("", "  DeadLetterQueue: {Type: AWS::SQS::Queue}")).expect_err("clash");
    assert!(error.to_string().contains("DeadLetterQueue"), "{error}");
}

/// A parameter the nested template does not declare, or a required one not
/// passed, is named.
#[test]
fn refuses_parameters_the_nested_template_does_not_take() {
    let error = flattened(&parent("        ShardCount: 2", "")).expect_err("unknown");
    assert!(error.to_string().contains("passes ShardCount"), "{error}");
    let text = parent("", "").replace("        AllowedStreamArns: !GetAtt Stream.Arn\n", "");
    let error = flattened(&text).expect_err("required");
    assert!(
        error
            .to_string()
            .contains("AllowedStreamArns has no default"),
        "{error}"
    );
}

/// Without the template's path, a nested Location cannot be read.
#[test]
fn needs_the_template_path_for_a_nested_location() {
    let root = serde_norway::from_str(&parent("", "")).expect("yaml");
    let error = flatten(root, None).expect_err("no base dir");
    assert!(
        error
            .to_string()
            .contains("read the template from its path"),
        "{error}"
    );
}
