//! The live source: the mappings the Lambda API lists (every one, or those
//! of one CloudFormation stack), each stream's retention, and the hydrate
//! functions with the topics and queues they consume.
//!
//! - `ListEventSourceMappings` gives every mapping with its settings, AWS
//!   defaults included; only Kinesis and DynamoDB Streams sources are kept.
//! - Retention: `DescribeStreamSummary` through the core Kinesis adapter
//!   (the same call the hydrate function makes); DynamoDB Streams keep 24 h.
//! - Hydrate functions: `ListFunctions`, those whose environment sets
//!   `ALLOWED_STREAM_ARNS`; they consume the SQS queues mapped to them and
//!   the SNS topics (`ListSubscriptionsByTopic`) that invoke them.
//!
//! Anything that cannot be read (a denied DescribeStreamSummary, a topic
//! in another account) becomes a note in the report, never a silent pass.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context as _;
use aws_config::SdkConfig;
use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionResponseType};
use streamdlq_core::KinesisShardReader;
use streamdlq_core::retention::StreamRetention as _;

use super::model::{
    DestinationKind, HydrateFunction, Location, OnFailureDestination, ResourceInventory,
    StreamKind, StreamMapping,
};
use crate::aws_error;

/// The SDK clients of the live source.
#[derive(Debug, Clone)]
pub struct LiveSource {
    lambda: aws_sdk_lambda::Client,
    kinesis: KinesisShardReader,
    sns: aws_sdk_sns::Client,
    cloudformation: aws_sdk_cloudformation::Client,
}

impl LiveSource {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            lambda: aws_sdk_lambda::Client::new(config),
            kinesis: KinesisShardReader::new(aws_sdk_kinesis::Client::new(config)),
            sns: aws_sdk_sns::Client::new(config),
            cloudformation: aws_sdk_cloudformation::Client::new(config),
        }
    }

    /// Every stream mapping of the account and region, or of `stack` only.
    pub async fn read(&self, stack: Option<&str>) -> anyhow::Result<ResourceInventory> {
        let all = self.all_mappings().await?;
        let wanted = match stack {
            Some(name) => Some(self.stack_mapping_ids(name).await?),
            None => None,
        };
        let mut inventory = ResourceInventory::default();
        for configuration in &all {
            let uuid = configuration.uuid().unwrap_or_default();
            if wanted.as_ref().is_some_and(|ids| !ids.contains(uuid)) {
                continue;
            }
            let Some(mut mapping) = stream_mapping(configuration) else {
                continue;
            };
            match self.retention(&mapping).await {
                Ok(retention) => mapping.retention = Some(retention),
                Err(note) => inventory.notes.push(note),
            }
            inventory.mappings.push(mapping);
        }
        inventory.hydrators = self.hydrators(&all, &inventory.mappings).await?;
        Ok(inventory)
    }

    async fn all_mappings(&self) -> anyhow::Result<Vec<EventSourceMappingConfiguration>> {
        let mut mappings = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .lambda
                .list_event_source_mappings()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|error| anyhow::anyhow!(aws_error::describe(&error)))
                .context("ListEventSourceMappings failed")?;
            mappings.extend(output.event_source_mappings().iter().cloned());
            match output.next_marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
                _ => return Ok(mappings),
            }
        }
    }

    /// The UUIDs of the stack's `AWS::Lambda::EventSourceMapping` resources
    /// (SAM events become those too).
    async fn stack_mapping_ids(&self, stack: &str) -> anyhow::Result<BTreeSet<String>> {
        let mut ids = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .cloudformation
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| anyhow::anyhow!(aws_error::describe(&error)))
                .with_context(|| format!("cannot list the resources of stack {stack}"))?;
            ids.extend(
                output
                    .stack_resource_summaries()
                    .iter()
                    .filter(|resource| {
                        resource.resource_type() == Some("AWS::Lambda::EventSourceMapping")
                    })
                    .filter_map(|resource| resource.physical_resource_id().map(str::to_owned)),
            );
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(ids),
            }
        }
    }

    /// The stream's retention, read from the stream itself.
    async fn retention(&self, mapping: &StreamMapping) -> Result<Duration, String> {
        match mapping.kind {
            StreamKind::DynamoDb => Ok(StreamKind::DYNAMODB_RETENTION),
            StreamKind::Kinesis => self
                .kinesis
                .retention_period(&mapping.stream)
                .await
                .map_err(|error| {
                    format!(
                        "{}: retention of {} unknown ({error}); retention checks skipped",
                        mapping.label(),
                        mapping.stream
                    )
                }),
        }
    }

    /// The functions with an allowlist, and what invokes them: SQS queues
    /// mapped to them, and the mappings' SNS destinations subscribed to them.
    async fn hydrators(
        &self,
        all: &[EventSourceMappingConfiguration],
        mappings: &[StreamMapping],
    ) -> anyhow::Result<Vec<HydrateFunction>> {
        let mut hydrators = self.hydrate_functions().await?;
        for configuration in all {
            let (Some(function), Some(source)) = (
                configuration.function_arn(),
                configuration.event_source_arn(),
            ) else {
                continue;
            };
            if DestinationKind::of_arn(source) != DestinationKind::Sqs {
                continue;
            }
            if let Some(hydrator) = hydrators
                .iter_mut()
                .find(|h| same_function(&h.function, function))
            {
                hydrator.consumes.push(source.to_owned());
            }
        }
        let topics: BTreeSet<&str> = mappings
            .iter()
            .filter_map(|mapping| mapping.on_failure.as_ref())
            .filter(|destination| destination.kind == DestinationKind::Sns)
            .map(|destination| destination.target.as_str())
            .collect();
        for topic in topics {
            for endpoint in self.lambda_subscribers(topic).await? {
                if let Some(hydrator) = hydrators
                    .iter_mut()
                    .find(|h| same_function(&h.function, &endpoint))
                {
                    hydrator.consumes.push(topic.to_owned());
                }
            }
        }
        Ok(hydrators)
    }

    async fn hydrate_functions(&self) -> anyhow::Result<Vec<HydrateFunction>> {
        let mut hydrators = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .lambda
                .list_functions()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|error| anyhow::anyhow!(aws_error::describe(&error)))
                .context("ListFunctions failed")?;
            for function in output.functions() {
                let variables = function
                    .environment()
                    .and_then(|environment| environment.variables());
                let Some(allowlist) =
                    variables.and_then(|v| v.get(hydrate::StreamAllowlist::VARIABLE))
                else {
                    continue;
                };
                hydrators.push(HydrateFunction {
                    function: function.function_arn().unwrap_or_default().to_owned(),
                    allowed_streams: Some(
                        hydrate::StreamAllowlist::parse(allowlist)
                            .arns()
                            .map(str::to_owned)
                            .collect(),
                    ),
                    consumes: Vec::new(),
                });
            }
            match output.next_marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
                _ => return Ok(hydrators),
            }
        }
    }

    /// The function ARNs a topic invokes.
    async fn lambda_subscribers(&self, topic: &str) -> anyhow::Result<Vec<String>> {
        let mut endpoints = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(topic)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| anyhow::anyhow!(aws_error::describe(&error)))
                .with_context(|| format!("cannot list the subscriptions of {topic}"))?;
            endpoints.extend(
                output
                    .subscriptions()
                    .iter()
                    .filter(|subscription| subscription.protocol() == Some("lambda"))
                    .filter_map(|subscription| subscription.endpoint().map(str::to_owned)),
            );
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(endpoints),
            }
        }
    }
}

/// A function ARN, with or without a version or alias qualifier.
fn same_function(function: &str, invoked: &str) -> bool {
    invoked == function
        || invoked
            .strip_prefix(function)
            .is_some_and(|qualifier| qualifier.starts_with(':'))
}

/// The model of one mapping as the Lambda API describes it; `None` for a
/// source that is not a Kinesis or DynamoDB stream.
pub fn stream_mapping(configuration: &EventSourceMappingConfiguration) -> Option<StreamMapping> {
    let stream = configuration.event_source_arn()?;
    let kind = StreamKind::of_arn(stream)?;
    let mut mapping = StreamMapping::with_defaults(
        Location::Live {
            uuid: configuration.uuid().unwrap_or_default().to_owned(),
        },
        configuration.function_arn().unwrap_or_default(),
        kind,
        stream,
    );
    if let Some(retries) = configuration.maximum_retry_attempts() {
        mapping.maximum_retry_attempts = retries.into();
    }
    if let Some(age) = configuration.maximum_record_age_in_seconds() {
        mapping.maximum_record_age_seconds = age.into();
    }
    mapping.bisect_batch_on_function_error = configuration
        .bisect_batch_on_function_error()
        .unwrap_or(false);
    mapping.report_batch_item_failures = configuration
        .function_response_types()
        .contains(&FunctionResponseType::ReportBatchItemFailures);
    if let Some(factor) = configuration.parallelization_factor() {
        mapping.parallelization_factor = factor.into();
    }
    mapping.tumbling_window_seconds = configuration
        .tumbling_window_in_seconds()
        .filter(|seconds| *seconds > 0)
        .map(i64::from);
    mapping.on_failure = configuration
        .destination_config()
        .and_then(|config| config.on_failure())
        .and_then(|on_failure| on_failure.destination())
        .filter(|arn| !arn.is_empty())
        .map(|arn| OnFailureDestination {
            kind: DestinationKind::of_arn(arn),
            target: arn.to_owned(),
        });
    Some(mapping)
}
