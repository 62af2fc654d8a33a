//! The template source: a SAM or CloudFormation template, read offline.
//!
//! Mappings come from SAM functions' `Kinesis`/`DynamoDB` events and from
//! plain `AWS::Lambda::EventSourceMapping` resources; hydrate functions are
//! the functions whose environment sets `ALLOWED_STREAM_ARNS`, consuming what
//! their SAM `SNS`/`SQS` events, SNS subscriptions and SQS mappings name.
//! Settings a template leaves out get the AWS default. `!Ref` to a parameter
//! reads its `Default`; the short-form tags and intrinsics are read by the
//! local stack's template reader, which also reads a nested application with
//! a local `Location` (`infra/template.yaml` nests `infra/hydrator.yaml`)
//! into the template that nests it, so the whole stack is audited: findings
//! about the hydrate function come from the nested template.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_norway::{Mapping, Value};
use streamdlq_local::template::nested;
use streamdlq_local::template::value::{mapping, reference, scalar, static_scalar};

use super::model::{
    DestinationKind, HydrateFunction, Location, OnFailureDestination, ResourceInventory,
    StreamKind, StreamMapping,
};

const SAM_FUNCTION: &str = "AWS::Serverless::Function";
const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
const MAPPING: &str = "AWS::Lambda::EventSourceMapping";
const KINESIS_STREAM: &str = "AWS::Kinesis::Stream";
const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// Reads a template file, and the nested applications it names.
pub fn load_template(path: &Path) -> anyhow::Result<ResourceInventory> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read template {}", path.display()))?;
    read_template_at(&text, path.parent())
        .with_context(|| format!("cannot audit template {}", path.display()))
}

/// Reads template text (YAML or JSON) that nests no application.
pub fn read_template(text: &str) -> anyhow::Result<ResourceInventory> {
    read_template_at(text, None)
}

/// Reads template text whose nested applications are relative to
/// `base_dir` (the template's directory).
pub fn read_template_at(text: &str, base_dir: Option<&Path>) -> anyhow::Result<ResourceInventory> {
    let root: Value = serde_norway::from_str(text).context("not YAML or JSON")?;
    let root = nested::flatten(root, base_dir)?;
    let Some(resources) = root.get("Resources").and_then(mapping) else {
        bail!("the template has no Resources section");
    };
    let template = Template {
        parameters: parameter_defaults(&root),
        resources,
    };
    let mut inventory = ResourceInventory::default();
    for (id, resource) in template.resources() {
        match resource_type(resource) {
            SAM_FUNCTION => {
                for (event_id, event) in sam_events(resource) {
                    let event_type = event.get("Type").and_then(Value::as_str).unwrap_or("");
                    let kind = match event_type {
                        "Kinesis" => StreamKind::Kinesis,
                        "DynamoDB" => StreamKind::DynamoDb,
                        _ => continue,
                    };
                    let properties = event.get("Properties").unwrap_or(&Value::Null);
                    let path = format!("{id}.Events.{event_id}");
                    match template.mapping(path.clone(), id, kind, properties) {
                        Some(mapping) => inventory.mappings.push(mapping),
                        None => inventory
                            .notes
                            .push(format!("{path}: no Stream the audit can read; skipped")),
                    }
                }
            }
            MAPPING => {
                let properties = resource.get("Properties").unwrap_or(&Value::Null);
                let Some(source) = properties.get("EventSourceArn") else {
                    continue;
                };
                let Some(kind) = template.stream_kind(source) else {
                    continue; // SQS, Kafka, MQ: not a stream
                };
                let function = properties
                    .get("FunctionName")
                    .and_then(|name| template.key(name))
                    .unwrap_or_default();
                if let Some(mapping) = template.mapping(id.to_owned(), &function, kind, properties)
                {
                    inventory.mappings.push(mapping);
                }
            }
            _ => {}
        }
    }
    inventory.hydrators = template.hydrators();
    Ok(inventory)
}

struct Template<'a> {
    parameters: BTreeMap<String, String>,
    resources: &'a Mapping,
}

impl<'a> Template<'a> {
    fn resources(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.resources
            .iter()
            .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
    }

    fn type_of(&self, logical_id: &str) -> Option<&'a str> {
        self.resources.get(logical_id).map(resource_type)
    }

    /// What a link names: a logical id (`!Ref X`, `!GetAtt X.Arn`), a
    /// parameter's default, or a literal ARN.
    fn key(&self, value: &Value) -> Option<String> {
        match reference(value) {
            Some(reference) if reference.attribute.is_none() => {
                match self.parameters.get(&reference.logical_id) {
                    Some(default) => Some(default.clone()),
                    None => Some(reference.logical_id),
                }
            }
            Some(reference) => Some(reference.logical_id),
            None => scalar(value),
        }
    }

    fn number(&self, properties: &Value, name: &str) -> Option<i64> {
        properties
            .get(name)
            .and_then(|value| static_scalar(value, &self.parameters))
            .and_then(|text| text.trim().parse().ok())
    }

    fn flag(&self, properties: &Value, name: &str) -> Option<bool> {
        properties
            .get(name)
            .and_then(|value| static_scalar(value, &self.parameters))
            .map(|text| text.trim().eq_ignore_ascii_case("true"))
    }

    fn stream_kind(&self, source: &Value) -> Option<StreamKind> {
        if let Some(reference) = reference(source) {
            return match self.type_of(&reference.logical_id) {
                Some(KINESIS_STREAM) => Some(StreamKind::Kinesis),
                Some(DYNAMODB_TABLE) => Some(StreamKind::DynamoDb),
                _ => None,
            };
        }
        StreamKind::of_arn(&self.key(source)?)
    }

    /// The stream's retention when the template declares the stream.
    fn retention(&self, kind: StreamKind, stream: &str) -> Option<Duration> {
        match (kind, self.type_of(stream)) {
            (StreamKind::DynamoDb, _) => Some(StreamKind::DYNAMODB_RETENTION),
            (StreamKind::Kinesis, Some(KINESIS_STREAM)) => {
                let properties = self.resources.get(stream)?.get("Properties");
                let hours = properties
                    .and_then(|properties| self.number(properties, "RetentionPeriodHours"))
                    .unwrap_or(24);
                Some(Duration::from_secs(u64::try_from(hours).ok()? * 3600))
            }
            _ => None,
        }
    }

    /// One mapping's settings (SAM event properties and mapping properties
    /// share their names), AWS defaults where absent.
    fn mapping(
        &self,
        path: String,
        function: &str,
        kind: StreamKind,
        properties: &Value,
    ) -> Option<StreamMapping> {
        let source = properties
            .get("Stream")
            .or_else(|| properties.get("EventSourceArn"))?;
        let stream = self.key(source)?;
        let mut mapping =
            StreamMapping::with_defaults(Location::Template { path }, function, kind, &stream);
        mapping.retention = self.retention(kind, &stream);
        if let Some(retries) = self.number(properties, "MaximumRetryAttempts") {
            mapping.maximum_retry_attempts = retries;
        }
        if let Some(age) = self.number(properties, "MaximumRecordAgeInSeconds") {
            mapping.maximum_record_age_seconds = age;
        }
        if let Some(bisect) = self.flag(properties, "BisectBatchOnFunctionError") {
            mapping.bisect_batch_on_function_error = bisect;
        }
        if let Some(factor) = self.number(properties, "ParallelizationFactor") {
            mapping.parallelization_factor = factor;
        }
        mapping.tumbling_window_seconds = self
            .number(properties, "TumblingWindowInSeconds")
            .filter(|seconds| *seconds > 0);
        mapping.report_batch_item_failures = properties
            .get("FunctionResponseTypes")
            .and_then(Value::as_sequence)
            .is_some_and(|types| {
                types
                    .iter()
                    .any(|kind| kind.as_str() == Some("ReportBatchItemFailures"))
            });
        mapping.on_failure = properties
            .get("DestinationConfig")
            .and_then(|config| config.get("OnFailure"))
            .and_then(|on_failure| self.destination(on_failure));
        Some(mapping)
    }

    fn destination(&self, on_failure: &Value) -> Option<OnFailureDestination> {
        let target_value = on_failure.get("Destination")?;
        let target = self.key(target_value)?;
        let declared = on_failure.get("Type").and_then(Value::as_str);
        let referenced = reference(target_value).and_then(|r| self.type_of(&r.logical_id));
        let kind = match (declared, referenced) {
            (Some("SNS"), _) | (_, Some("AWS::SNS::Topic")) => DestinationKind::Sns,
            (Some("SQS"), _) | (_, Some("AWS::SQS::Queue")) => DestinationKind::Sqs,
            (Some("S3"), _) | (_, Some("AWS::S3::Bucket")) => DestinationKind::S3,
            _ => DestinationKind::of_arn(&target),
        };
        Some(OnFailureDestination { kind, target })
    }

    /// Every function with an allowlist, and the topics and queues it consumes.
    fn hydrators(&self) -> Vec<HydrateFunction> {
        let mut hydrators: Vec<HydrateFunction> = self
            .resources()
            .filter(|(_, resource)| {
                matches!(resource_type(resource), SAM_FUNCTION | LAMBDA_FUNCTION)
            })
            .filter_map(|(id, resource)| {
                let allowlist = resource
                    .get("Properties")?
                    .get("Environment")?
                    .get("Variables")?
                    .get(hydrate::StreamAllowlist::VARIABLE)?;
                let consumes = sam_events(resource)
                    .filter_map(|(_, event)| {
                        let properties = event.get("Properties")?;
                        match event.get("Type").and_then(Value::as_str)? {
                            "SNS" => self.key(properties.get("Topic")?),
                            "SQS" => self.key(properties.get("Queue")?),
                            _ => None,
                        }
                    })
                    .collect();
                Some(HydrateFunction {
                    function: id.to_owned(),
                    allowed_streams: self.allowlist(allowlist),
                    consumes,
                })
            })
            .collect();
        for (consumer, source) in self.subscriptions_and_queue_mappings() {
            if let Some(hydrator) = hydrators.iter_mut().find(|h| h.function == consumer) {
                hydrator.consumes.push(source);
            }
        }
        hydrators
    }

    /// (function, topic or queue) for every SNS subscription of a function
    /// and every mapping of an SQS queue to a function.
    fn subscriptions_and_queue_mappings(&self) -> Vec<(String, String)> {
        let mut links = Vec::new();
        for (id, resource) in self.resources() {
            let properties = resource.get("Properties").unwrap_or(&Value::Null);
            match resource_type(resource) {
                "AWS::SNS::Subscription" if is_lambda(properties) => {
                    if let (Some(function), Some(topic)) = (
                        properties.get("Endpoint").and_then(|v| self.key(v)),
                        properties.get("TopicArn").and_then(|v| self.key(v)),
                    ) {
                        links.push((function, topic));
                    }
                }
                "AWS::SNS::Topic" => {
                    let inline = properties.get("Subscription").and_then(Value::as_sequence);
                    for subscription in inline.into_iter().flatten() {
                        if is_lambda(subscription)
                            && let Some(function) =
                                subscription.get("Endpoint").and_then(|v| self.key(v))
                        {
                            links.push((function, id.to_owned()));
                        }
                    }
                }
                MAPPING => {
                    let queue = properties.get("EventSourceArn").and_then(|source| {
                        let target = self.key(source)?;
                        let is_queue = self.type_of(&target) == Some("AWS::SQS::Queue")
                            || DestinationKind::of_arn(&target) == DestinationKind::Sqs;
                        is_queue.then_some(target)
                    });
                    if let (Some(queue), Some(function)) = (
                        queue,
                        properties.get("FunctionName").and_then(|v| self.key(v)),
                    ) {
                        links.push((function, queue));
                    }
                }
                _ => {}
            }
        }
        links
    }

    /// The allowlist's streams: a reference, a literal list, or `!Join`.
    fn allowlist(&self, value: &Value) -> Option<Vec<String>> {
        if reference(value).is_some() {
            let key = self.key(value)?;
            return Some(
                hydrate::StreamAllowlist::parse(&key)
                    .arns()
                    .map(str::to_owned)
                    .collect(),
            );
        }
        if let Some(text) = scalar(value) {
            return Some(
                hydrate::StreamAllowlist::parse(&text)
                    .arns()
                    .map(str::to_owned)
                    .collect(),
            );
        }
        let join = join_arguments(value)?;
        match join {
            [separator, Value::Sequence(items)] if separator.as_str() == Some(",") => {
                items.iter().map(|item| self.key(item)).collect()
            }
            _ => None,
        }
    }
}

fn resource_type(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or("")
}

fn sam_events(resource: &Value) -> impl Iterator<Item = (&str, &Value)> {
    resource
        .get("Properties")
        .and_then(|properties| properties.get("Events"))
        .and_then(mapping)
        .into_iter()
        .flatten()
        .filter_map(|(id, event)| Some((id.as_str()?, event)))
}

fn is_lambda(subscription: &Value) -> bool {
    subscription.get("Protocol").and_then(Value::as_str) == Some("lambda")
}

/// The arguments of `!Join` or `{"Fn::Join": …}`.
fn join_arguments(value: &Value) -> Option<&[Value]> {
    let arguments = match value {
        Value::Tagged(tagged) if tagged.tag == "Join" => &tagged.value,
        Value::Mapping(mapping) if mapping.len() == 1 => mapping.get("Fn::Join")?,
        _ => return None,
    };
    arguments.as_sequence().map(Vec::as_slice)
}

/// `Parameters.<Name>.Default`, as text.
fn parameter_defaults(root: &Value) -> BTreeMap<String, String> {
    root.get("Parameters")
        .and_then(mapping)
        .into_iter()
        .flatten()
        .filter_map(|(name, parameter)| {
            Some((
                name.as_str()?.to_owned(),
                scalar(parameter.get("Default")?)?,
            ))
        })
        .collect()
}
