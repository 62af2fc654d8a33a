//! `infra/template.yaml`, read by the local stack: the single source of truth
//! for what the stack holds and how its event source mapping and async
//! invocations behave. Nothing here repeats a setting of the template.
//!
//! The template nests `infra/hydrator.yaml` (the failure topic, the hydrate
//! function and its queues) as an `AWS::Serverless::Application`; [`nested`]
//! reads it into the parent, so everything below sees one template with the
//! same logical ids.
//!
//! CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, `!If`…) are
//! kept as tagged YAML values; the local stack resolves only what it needs
//! (see [`value`]) and ignores the rest (KMS keys, roles, alarms), which have
//! no local counterpart.
//!
//! # Layout
//!
//! - [`nested`]: nested applications with a local `Location`, read into the
//!   template that nests them (parameters passed, conditions decided,
//!   outputs resolved).
//! - [`value`]: literals and the intrinsics `Ref`, `GetAtt`, `Sub` and `Join`.
//! - [`kinesis_event`]: [`KinesisEventSpec`], the processor's Kinesis event:
//!   its stream, its OnFailure destination and its [`EsmSettings`], read
//!   from the event's properties by the ESM's own reader.
//! - [`table`]: [`TableSpec`], the demo table (key, stream view) and the
//!   DynamoDB Streams mapping of `TableProcessorFunction` on its stream,
//!   both optional.
//! - [`failure_path`]: [`FailureTarget`], the resource the mapping sends
//!   OnFailure records to (topic, queue or bucket), and [`HydrateTrigger`],
//!   the hydrate function's event on it.
//! - [`limits`]: AWS's ranges for the other properties read here.
//! - [`error`]: [`TemplateError`], what is missing or out of range.

pub mod error;
pub mod failure_path;
pub mod kinesis_event;
pub mod limits;
pub mod nested;
pub mod table;
pub mod value;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_norway::{Mapping, Value};

pub use error::TemplateError;
pub use failure_path::{FailureTarget, HydrateTrigger};
pub use kinesis_event::{Destination, KinesisEventSpec};
pub use table::{KeyAttribute, TableSpec};
pub use value::{Reference, TemplateValue};

use crate::esm::{EsmSettings, MappingProperties, PropertyValue};
use kinesis_event::MAPPING_DESTINATION_TYPES;
use value::{mapping, reference, static_scalar};

/// The logical ids the local stack reads: an interface shared with the
/// template, the CLI and the deployment.
pub mod ids {
    pub const STREAM: &str = "Stream";
    pub const PROCESSOR_FUNCTION: &str = "ProcessorFunction";
    pub const FAILURE_TOPIC: &str = "FailureTopic";
    pub const HYDRATE_FUNCTION: &str = "HydrateFunction";
    pub const TABLE: &str = "Table";
    pub const TABLE_PROCESSOR_FUNCTION: &str = "TableProcessorFunction";
    pub const DEAD_LETTER_QUEUE: &str = "DeadLetterQueue";
    pub const HYDRATE_FAILURE_QUEUE: &str = "HydrateFailureQueue";
}

const KINESIS_STREAM: &str = "AWS::Kinesis::Stream";
const SNS_TOPIC: &str = "AWS::SNS::Topic";
const SQS_QUEUE: &str = "AWS::SQS::Queue";
const SNS_SUBSCRIPTION: &str = "AWS::SNS::Subscription";
const FUNCTION: &str = "AWS::Serverless::Function";
const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// The Kinesis stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// `ShardCount` (provisioned mode), parameters resolved to their defaults.
    pub shard_count: u32,
    /// `RetentionPeriodHours`, default 24.
    pub retention_period_hours: u32,
}

/// An SQS queue and the attributes the local stack gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: &'static str,
    /// `MaximumMessageSize` in bytes, if set.
    pub maximum_message_size: Option<u32>,
    /// `MessageRetentionPeriod` in seconds, if set.
    pub message_retention_period: Option<u32>,
}

impl QueueSpec {
    /// The attributes for CreateQueue, by their SQS names.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        [
            ("MaximumMessageSize", self.maximum_message_size),
            ("MessageRetentionPeriod", self.message_retention_period),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?.to_string())))
        .collect()
    }
}

/// The processor function and its event source mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorSpec {
    /// `Timeout` in seconds, default 3.
    pub timeout: Duration,
    /// `Environment.Variables`.
    pub environment: Vec<(String, TemplateValue)>,
    /// The Kinesis event.
    pub esm: KinesisEventSpec,
}

/// The hydrate function: its environment and how it is invoked
/// asynchronously by SNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrateSpec {
    /// `Timeout` in seconds, default 3.
    pub timeout: Duration,
    /// `Environment.Variables`, unresolved: names and references.
    pub environment: Vec<(String, TemplateValue)>,
    /// Its SNS, SQS or S3 event: how OnFailure records reach it.
    pub trigger: HydrateTrigger,
    /// `EventInvokeConfig.MaximumRetryAttempts`: 0..=2, default 2.
    pub maximum_retry_attempts: u32,
    /// `EventInvokeConfig.MaximumEventAgeInSeconds`: 60..=21,600, default 21,600.
    pub maximum_event_age: Duration,
    /// `EventInvokeConfig.DestinationConfig.OnFailure`, if any.
    pub on_failure: Option<Destination>,
}

/// What the local stack takes from the template.
#[derive(Debug, Clone, PartialEq)]
pub struct StackTemplate {
    /// Parameters and their defaults, as text.
    pub parameters: BTreeMap<String, String>,
    pub stream: StreamSpec,
    pub dead_letter_queue: QueueSpec,
    pub hydrate_failure_queue: QueueSpec,
    pub processor: ProcessorSpec,
    pub hydrate: HydrateSpec,
    /// The resource the mapping's OnFailure destination names, if any.
    pub failure_target: Option<FailureTarget>,
    /// The demo table and its table processor, if the template has them.
    pub table: Option<TableSpec>,
}

impl StackTemplate {
    /// Reads and parses a template file; nested applications are read from
    /// their `Location`, relative to the file.
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_at(&text, path.parent())
    }

    /// Parses template text that nests no application.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Self::parse_at(text, None)
    }

    /// Parses template text whose nested applications are relative to
    /// `base_dir` (the template's directory).
    pub fn parse_at(text: &str, base_dir: Option<&Path>) -> Result<Self, TemplateError> {
        let root: Value = serde_norway::from_str(text).map_err(TemplateError::Yaml)?;
        let root = nested::flatten(root, base_dir)?;
        let parameters = parameter_defaults(&root);
        let resources = TemplateResources {
            resources: root.get("Resources").and_then(mapping),
            parameters: &parameters,
        };

        let stream = resources.get(ids::STREAM, KINESIS_STREAM)?;
        let stream = StreamSpec {
            shard_count: stream
                .number("ShardCount", limits::SHARD_COUNT)?
                .ok_or_else(|| TemplateError::missing(ids::STREAM, "ShardCount"))?,
            retention_period_hours: stream
                .number("RetentionPeriodHours", limits::RETENTION_HOURS)?
                .unwrap_or(24),
        };
        let dead_letter_queue = resources.queue(ids::DEAD_LETTER_QUEUE)?;
        let hydrate_failure_queue = resources.queue(ids::HYDRATE_FAILURE_QUEUE)?;

        let processor = resources.get(ids::PROCESSOR_FUNCTION, FUNCTION)?;
        let processor = ProcessorSpec {
            timeout: processor.timeout()?,
            environment: processor.environment(),
            esm: processor.kinesis_event()?,
        };
        let hydrate = resources
            .get(ids::HYDRATE_FUNCTION, FUNCTION)?
            .hydrate(&resources)?;
        if let HydrateTrigger::Sns { topic } = &hydrate.trigger
            && topic.logical_id == ids::FAILURE_TOPIC
        {
            resources.get(ids::FAILURE_TOPIC, SNS_TOPIC)?;
        }
        let failure_target = resources.failure_target(processor.esm.on_failure.as_ref())?;
        let table = resources.table(processor.esm.on_failure.as_ref())?;

        Ok(Self {
            parameters,
            stream,
            dead_letter_queue,
            hydrate_failure_queue,
            processor,
            hydrate,
            failure_target,
            table,
        })
    }
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
                value::scalar(parameter.get("Default")?)?,
            ))
        })
        .collect()
}

/// The template's `Resources`, read with its parameters at hand.
struct TemplateResources<'a> {
    resources: Option<&'a Mapping>,
    parameters: &'a BTreeMap<String, String>,
}

impl<'a> TemplateResources<'a> {
    fn get(
        &self,
        logical_id: &'static str,
        expected: &'static str,
    ) -> Result<Resource<'a>, TemplateError> {
        let resource = self
            .resources
            .and_then(|resources| resources.get(logical_id))
            .ok_or(TemplateError::MissingResource {
                logical_id,
                expected,
            })?;
        let found = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        if found != expected {
            return Err(TemplateError::WrongType {
                logical_id,
                expected,
                found: found.to_owned(),
            });
        }
        Ok(Resource {
            logical_id,
            properties: resource.get("Properties").and_then(mapping),
            parameters: self.parameters,
        })
    }

    /// The table and its processor's DynamoDB event, when the template has
    /// a `Table`; its OnFailure destination must be `stream_destination`,
    /// the Kinesis mapping's, which the hydrate function consumes.
    fn table(
        &self,
        stream_destination: Option<&Destination>,
    ) -> Result<Option<TableSpec>, TemplateError> {
        if self
            .resources
            .is_none_or(|resources| resources.get(ids::TABLE).is_none())
        {
            return Ok(None);
        }
        let table = self.get(ids::TABLE, DYNAMODB_TABLE)?;
        let types: Vec<(String, String)> = table
            .property(&["AttributeDefinitions"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|attribute| {
                Some((
                    attribute.get("AttributeName")?.as_str()?.to_owned(),
                    value::scalar(attribute.get("AttributeType")?)?,
                ))
            })
            .collect();
        let mut key = Vec::new();
        for element in table
            .property(&["KeySchema"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let name = element
                .get("AttributeName")
                .and_then(Value::as_str)
                .ok_or_else(|| TemplateError::missing(ids::TABLE, "KeySchema AttributeName"))?;
            let attribute_type = types
                .iter()
                .find(|(defined, _)| defined == name)
                .map(|(_, kind)| kind.clone())
                .ok_or_else(|| {
                    TemplateError::invalid(
                        ids::TABLE,
                        "AttributeDefinitions",
                        format!("must define the key attribute {name}"),
                    )
                })?;
            key.push(KeyAttribute {
                name: name.to_owned(),
                attribute_type,
                key_type: element
                    .get("KeyType")
                    .and_then(Value::as_str)
                    .unwrap_or("HASH")
                    .to_owned(),
            });
        }
        if key.is_empty() {
            return Err(TemplateError::missing(ids::TABLE, "KeySchema"));
        }
        let stream_view_type = table
            .property(&["StreamSpecification", "StreamViewType"])
            .and_then(value::scalar)
            .ok_or_else(|| {
                TemplateError::missing(ids::TABLE, "StreamSpecification.StreamViewType")
            })?;
        if !table::STREAM_VIEW_TYPES.contains(&stream_view_type.as_str()) {
            return Err(TemplateError::invalid(
                ids::TABLE,
                "StreamSpecification.StreamViewType",
                format!(
                    "must be one of {}, not {stream_view_type:?}",
                    table::STREAM_VIEW_TYPES.join(", ")
                ),
            ));
        }
        let processor = self.get(ids::TABLE_PROCESSOR_FUNCTION, FUNCTION)?;
        let esm = processor.stream_event("DynamoDB", ids::TABLE)?;
        if esm.on_failure.as_ref() != stream_destination {
            return Err(TemplateError::invalid(
                ids::TABLE_PROCESSOR_FUNCTION,
                "DestinationConfig.OnFailure",
                format!(
                    "must be the Kinesis mapping's destination, which the hydrate function consumes ({})",
                    stream_destination.map_or_else(
                        || "none".to_owned(),
                        |destination| format!("{} {}", destination.kind, destination.target)
                    )
                ),
            ));
        }
        Ok(Some(TableSpec {
            key,
            stream_view_type,
            processor_timeout: processor.timeout()?,
            processor_environment: processor.environment(),
            esm,
        }))
    }

    fn queue(&self, logical_id: &'static str) -> Result<QueueSpec, TemplateError> {
        let queue = self.get(logical_id, SQS_QUEUE)?;
        Ok(QueueSpec {
            logical_id,
            maximum_message_size: queue.number("MaximumMessageSize", limits::MESSAGE_SIZE)?,
            message_retention_period: queue
                .number("MessageRetentionPeriod", limits::MESSAGE_RETENTION)?,
        })
    }
}

/// One resource's properties, read with the template's parameters at hand.
struct Resource<'a> {
    logical_id: &'static str,
    properties: Option<&'a Mapping>,
    parameters: &'a BTreeMap<String, String>,
}

impl<'a> Resource<'a> {
    fn property(&self, path: &[&str]) -> Option<&'a Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.properties?.get(*first)?, |value, key| value.get(*key))
    }

    /// An integer property within AWS's range; parameters resolved.
    fn integer(
        &self,
        path: &[&str],
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, TemplateError> {
        let Some(value) = self.property(path) else {
            return Ok(None);
        };
        let name = path.join(".");
        let text = static_scalar(value, self.parameters).ok_or_else(|| {
            TemplateError::invalid(
                self.logical_id,
                &name,
                "must be a number or a !Ref to a parameter with a default",
            )
        })?;
        let number: i64 = text.trim().parse().map_err(|_| {
            TemplateError::invalid(
                self.logical_id,
                &name,
                format!("must be a whole number, not {text:?}"),
            )
        })?;
        if range.contains(&number) {
            Ok(Some(number))
        } else {
            Err(TemplateError::invalid(
                self.logical_id,
                &name,
                format!(
                    "is {number}, outside AWS's range {}..={}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A non-negative integer property within AWS's range.
    fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<u32>, TemplateError> {
        self.integer(&[name], range)
            .map(|number| number.and_then(|number| u32::try_from(number).ok()))
    }

    fn timeout(&self) -> Result<Duration, TemplateError> {
        let seconds = self
            .number("Timeout", limits::FUNCTION_TIMEOUT)?
            .unwrap_or(3);
        Ok(Duration::from_secs(seconds.into()))
    }

    fn environment(&self) -> Vec<(String, TemplateValue)> {
        self.property(&["Environment", "Variables"])
            .and_then(mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| {
                Some((name.as_str()?.to_owned(), TemplateValue::read(value)?))
            })
            .collect()
    }

    fn destination(&self, path: &[&str]) -> Result<Option<Destination>, TemplateError> {
        let Some(on_failure) = self.property(path) else {
            return Ok(None);
        };
        let name = path.join(".");
        let target = on_failure
            .get("Destination")
            .and_then(reference)
            .ok_or_else(|| {
                TemplateError::invalid(
                    self.logical_id,
                    &name,
                    "needs a Destination that is a !Ref or !GetAtt of a resource",
                )
            })?;
        let kind = on_failure
            .get("Type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default();
        Ok(Some(Destination { kind, target }))
    }

    /// The function's first event of type `kind`, as a resource-like view of
    /// its properties.
    fn event(&self, kind: &str) -> Result<(String, Resource<'a>), TemplateError> {
        let events = self.property(&["Events"]).and_then(mapping);
        events
            .into_iter()
            .flatten()
            .find(|(_, event)| event.get("Type").and_then(Value::as_str) == Some(kind))
            .and_then(|(name, event)| {
                Some((
                    name.as_str()?.to_owned(),
                    Resource {
                        logical_id: self.logical_id,
                        properties: event.get("Properties").and_then(mapping),
                        parameters: self.parameters,
                    },
                ))
            })
            .ok_or_else(|| TemplateError::missing(self.logical_id, &format!("a {kind} event")))
    }

    fn kinesis_event(&self) -> Result<KinesisEventSpec, TemplateError> {
        self.stream_event("Kinesis", ids::STREAM)
    }

    /// The function's first event of type `kind` (`Kinesis`, `DynamoDB`),
    /// whose `Stream` must refer to `source`.
    fn stream_event(
        &self,
        kind: &str,
        source: &'static str,
    ) -> Result<KinesisEventSpec, TemplateError> {
        let (event_name, event) = self.event(kind)?;
        let field = format!("{kind} event Stream");
        let stream = event
            .property(&["Stream"])
            .and_then(reference)
            .ok_or_else(|| TemplateError::missing(self.logical_id, &field))?;
        if stream.logical_id != source {
            return Err(TemplateError::invalid(
                self.logical_id,
                &field,
                format!("must refer to {source}, not {stream}"),
            ));
        }
        let settings = EsmSettings::read(&event).map_err(|error| TemplateError::Mapping {
            logical_id: self.logical_id.to_owned(),
            event: event_name.clone(),
            error,
        })?;
        let on_failure = event.destination(&["DestinationConfig", "OnFailure"])?;
        if let Some(destination) = &on_failure
            && !MAPPING_DESTINATION_TYPES.contains(&destination.kind.as_str())
        {
            return Err(TemplateError::invalid(
                self.logical_id,
                "DestinationConfig.OnFailure.Type",
                format!(
                    "must be one of {}, not {:?}",
                    MAPPING_DESTINATION_TYPES.join(", "),
                    destination.kind
                ),
            ));
        }
        Ok(KinesisEventSpec {
            event_name,
            stream,
            settings,
            on_failure,
        })
    }

    fn hydrate(&self, template: &TemplateResources<'_>) -> Result<HydrateSpec, TemplateError> {
        let trigger = self.hydrate_trigger(template)?;
        Ok(HydrateSpec {
            timeout: self.timeout()?,
            environment: self.environment(),
            trigger,
            maximum_retry_attempts: self
                .integer(
                    &["EventInvokeConfig", "MaximumRetryAttempts"],
                    limits::ASYNC_RETRY_ATTEMPTS,
                )?
                .map_or(2, |attempts| attempts.unsigned_abs() as u32),
            maximum_event_age: Duration::from_secs(
                self.integer(
                    &["EventInvokeConfig", "MaximumEventAgeInSeconds"],
                    limits::ASYNC_EVENT_AGE,
                )?
                .map_or(21_600, i64::unsigned_abs),
            ),
            on_failure: self.destination(&[
                "EventInvokeConfig",
                "DestinationConfig",
                "OnFailure",
            ])?,
        })
    }
}

/// An event's properties as the ESM's settings reader sees them: scalars
/// with `!Ref` parameters resolved to their defaults.
impl MappingProperties for Resource<'_> {
    fn property(&self, name: &str) -> Option<PropertyValue> {
        let value = Resource::property(self, &[name])?;
        if let Some(items) = value.as_sequence() {
            return Some(
                items
                    .iter()
                    .map(|item| static_scalar(item, self.parameters))
                    .collect::<Option<Vec<_>>>()
                    .map_or_else(
                        || PropertyValue::Unreadable(format!("{items:?}")),
                        PropertyValue::List,
                    ),
            );
        }
        Some(match static_scalar(value, self.parameters) {
            Some(text) => PropertyValue::Scalar(text),
            None => PropertyValue::Unreadable(match value::reference(value) {
                Some(reference) => {
                    format!("{reference} (only literals and parameters with a default are read)")
                }
                None => "a value that is not a literal".to_owned(),
            }),
        })
    }
}

#[cfg(test)]
mod tests;
