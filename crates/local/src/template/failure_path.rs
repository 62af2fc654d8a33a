//! The failure path as the template wires it: which resource the
//! processor's mapping sends OnFailure records to ([`FailureTarget`]: an
//! SNS topic, an SQS queue or an S3 bucket), and how that resource hands
//! them to the hydrate function ([`HydrateTrigger`]: its SNS, SQS or S3
//! event). Both must name the same resource: the local stack refuses a
//! template whose failures would reach nothing.

use serde_norway::Value;

use super::error::TemplateError;
use super::limits;
use super::value::{Reference, reference};
use super::{Resource, SNS_SUBSCRIPTION, SNS_TOPIC, SQS_QUEUE, TemplateResources, ids};
use crate::template::kinesis_event::Destination;

const S3_BUCKET: &str = "AWS::S3::Bucket";

/// SQS `VisibilityTimeout`: 0..=43,200 seconds.
const VISIBILITY_TIMEOUT: std::ops::RangeInclusive<i64> = 0..=43_200;

/// SQS event source `BatchSize`: 1..=10,000, default 10.
const SQS_BATCH_SIZE: std::ops::RangeInclusive<i64> = 1..=10_000;

/// The resource the processor's mapping sends OnFailure records to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureTarget {
    /// An `AWS::SNS::Topic`.
    Topic { logical_id: String },
    /// An `AWS::SQS::Queue`, with the attributes the local stack gives it.
    Queue {
        logical_id: String,
        /// `VisibilityTimeout` in seconds, if set.
        visibility_timeout: Option<u32>,
        /// `MessageRetentionPeriod` in seconds, if set.
        message_retention_period: Option<u32>,
    },
    /// An `AWS::S3::Bucket`.
    Bucket { logical_id: String },
}

impl FailureTarget {
    /// The target's logical id.
    pub fn logical_id(&self) -> &str {
        match self {
            Self::Topic { logical_id }
            | Self::Queue { logical_id, .. }
            | Self::Bucket { logical_id } => logical_id,
        }
    }

    /// `SNS`, `SQS` or `S3`, as `DestinationConfig` spells the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Topic { .. } => "SNS",
            Self::Queue { .. } => "SQS",
            Self::Bucket { .. } => "S3",
        }
    }
}

/// How the hydrate function receives the OnFailure records: its event of
/// the failure target's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HydrateTrigger {
    /// `Type: SNS`: an async invocation per notification.
    Sns { topic: Reference },
    /// `Type: SQS`: an event source mapping on the queue, invoking with
    /// batches of messages.
    Sqs {
        queue: Reference,
        /// `BatchSize`, default 10.
        batch_size: u32,
        /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
        report_batch_item_failures: bool,
    },
    /// `Type: S3`: an async invocation per object-created notification.
    S3 { bucket: Reference },
}

impl HydrateTrigger {
    /// The resource the trigger consumes.
    pub fn source(&self) -> &Reference {
        match self {
            Self::Sns { topic } => topic,
            Self::Sqs { queue, .. } => queue,
            Self::S3 { bucket } => bucket,
        }
    }

    /// `SNS`, `SQS` or `S3`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sns { .. } => "SNS",
            Self::Sqs { .. } => "SQS",
            Self::S3 { .. } => "S3",
        }
    }
}

impl TemplateResources<'_> {
    /// The type of resource `logical_id`, if the template has it.
    fn type_of(&self, logical_id: &str) -> Option<&str> {
        self.resources?
            .get(logical_id)?
            .get("Type")
            .and_then(Value::as_str)
    }

    /// The resource the mapping's OnFailure destination names, checked
    /// against its `Type`; `None` without a destination.
    pub(super) fn failure_target(
        &self,
        destination: Option<&Destination>,
    ) -> Result<Option<FailureTarget>, TemplateError> {
        let Some(destination) = destination else {
            return Ok(None);
        };
        let logical_id = destination.target.logical_id.clone();
        let expected = match destination.kind.as_str() {
            "SNS" => SNS_TOPIC,
            "SQS" => SQS_QUEUE,
            _ => S3_BUCKET,
        };
        let found = self.type_of(&logical_id);
        if found != Some(expected) {
            return Err(TemplateError::invalid(
                ids::PROCESSOR_FUNCTION,
                "DestinationConfig.OnFailure.Destination",
                format!(
                    "is {}, which is not an {expected} of the template (Type: {})",
                    destination.target, destination.kind
                ),
            ));
        }
        Ok(Some(match expected {
            SNS_TOPIC => FailureTarget::Topic { logical_id },
            SQS_QUEUE => {
                let queue = self.resource(&logical_id);
                FailureTarget::Queue {
                    visibility_timeout: queue.number("VisibilityTimeout", VISIBILITY_TIMEOUT)?,
                    message_retention_period: queue
                        .number("MessageRetentionPeriod", limits::MESSAGE_RETENTION)?,
                    logical_id,
                }
            }
            _ => FailureTarget::Bucket { logical_id },
        }))
    }

    /// A resource known to exist, for reading its properties.
    fn resource(&self, logical_id: &str) -> Resource<'_> {
        let properties = self
            .resources
            .and_then(|resources| resources.get(logical_id))
            .and_then(|resource| resource.get("Properties"))
            .and_then(super::value::mapping);
        Resource {
            // Errors name the processor: it is its destination being read.
            logical_id: ids::PROCESSOR_FUNCTION,
            properties,
            parameters: self.parameters,
        }
    }
}

impl Resource<'_> {
    /// The function's SNS, SQS or S3 event: the first of those kinds, or
    /// else the topic of a plain `AWS::SNS::Subscription` (`Protocol:
    /// lambda`) whose endpoint is the function, which is how hydrator.yaml
    /// subscribes it (SAM cannot make one event conditional).
    pub(super) fn hydrate_trigger(
        &self,
        template: &TemplateResources<'_>,
    ) -> Result<HydrateTrigger, TemplateError> {
        for kind in ["SNS", "SQS", "S3"] {
            let Ok((_, event)) = self.event(kind) else {
                continue;
            };
            return match kind {
                "SNS" => Ok(HydrateTrigger::Sns {
                    topic: event.reference_to("Topic", "SNS event Topic")?,
                }),
                "SQS" => Ok(HydrateTrigger::Sqs {
                    queue: event.reference_to("Queue", "SQS event Queue")?,
                    batch_size: event.number("BatchSize", SQS_BATCH_SIZE)?.unwrap_or(10),
                    report_batch_item_failures: event
                        .property(&["FunctionResponseTypes"])
                        .and_then(Value::as_sequence)
                        .is_some_and(|types| {
                            types
                                .iter()
                                .any(|item| item.as_str() == Some("ReportBatchItemFailures"))
                        }),
                }),
                _ => Ok(HydrateTrigger::S3 {
                    bucket: event.reference_to("Bucket", "S3 event Bucket")?,
                }),
            };
        }
        if let Some(topic) = self.subscribed_topic(template) {
            return Ok(HydrateTrigger::Sns { topic });
        }
        Err(TemplateError::missing(
            self.logical_id,
            "an SNS, SQS or S3 event, or an SNS subscription with the function as endpoint",
        ))
    }

    /// The topic of an `AWS::SNS::Subscription` delivering to this function.
    fn subscribed_topic(&self, template: &TemplateResources<'_>) -> Option<Reference> {
        template
            .resources
            .into_iter()
            .flatten()
            .map(|(_, resource)| resource)
            .filter(|resource| {
                resource.get("Type").and_then(Value::as_str) == Some(SNS_SUBSCRIPTION)
            })
            .filter_map(|resource| resource.get("Properties"))
            .find(|properties| {
                properties.get("Protocol").and_then(Value::as_str) == Some("lambda")
                    && properties
                        .get("Endpoint")
                        .and_then(reference)
                        .is_some_and(|endpoint| endpoint.logical_id == self.logical_id)
            })
            .and_then(|properties| properties.get("TopicArn").and_then(reference))
    }

    fn reference_to(&self, name: &str, what: &str) -> Result<Reference, TemplateError> {
        self.property(&[name])
            .and_then(reference)
            .ok_or_else(|| TemplateError::missing(self.logical_id, what))
    }
}

/// The mapping's destination and the hydrate function's trigger name the
/// same resource, with matching kinds. `target` is `None` without a
/// destination: nothing then reaches hydrate, which the local stack refuses
/// (the template alone may omit it, the stack cannot run without it).
pub fn check_wiring(
    target: Option<&FailureTarget>,
    trigger: &HydrateTrigger,
) -> Result<(), TemplateError> {
    let Some(target) = target else {
        return Err(TemplateError::missing(
            ids::PROCESSOR_FUNCTION,
            "Kinesis event DestinationConfig.OnFailure",
        ));
    };
    if target.kind() != trigger.kind() || target.logical_id() != trigger.source().logical_id {
        return Err(TemplateError::invalid(
            ids::HYDRATE_FUNCTION,
            "Events",
            format!(
                "must consume the mapping's OnFailure destination ({} {}), not {} {}",
                target.kind(),
                target.logical_id(),
                trigger.kind(),
                trigger.source()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::StackTemplate;

    const SQS: &str = include_str!("../../tests/fixtures/template-sqs-destination.yaml");
    const S3: &str = include_str!("../../tests/fixtures/template-s3-destination.yaml");

    /// A queue destination is read with its attributes, and hydrate's SQS
    /// event with its batch size and partial batch responses.
    #[test]
    fn reads_a_queue_destination_and_its_sqs_event() {
        let template = StackTemplate::parse(SQS).expect("parses");
        assert_eq!(
            template.failure_target,
            Some(FailureTarget::Queue {
                logical_id: "FailureQueue".to_owned(),
                visibility_timeout: Some(1080),
                message_retention_period: Some(1_209_600),
            })
        );
        assert_eq!(
            template.hydrate.trigger,
            HydrateTrigger::Sqs {
                queue: Reference::attribute("FailureQueue", "Arn"),
                batch_size: 10,
                report_batch_item_failures: true,
            }
        );
    }

    /// A bucket destination is read, and hydrate's S3 event on it.
    #[test]
    fn reads_a_bucket_destination_and_its_s3_event() {
        let template = StackTemplate::parse(S3).expect("parses");
        assert_eq!(
            template.failure_target,
            Some(FailureTarget::Bucket {
                logical_id: "FailureBucket".to_owned()
            })
        );
        assert_eq!(
            template.hydrate.trigger,
            HydrateTrigger::S3 {
                bucket: Reference::to("FailureBucket")
            }
        );
    }

    /// The demo template's wiring: the topic, both ends.
    #[test]
    fn accepts_the_demo_templates_topic() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
        let template =
            StackTemplate::load(&path).expect("the demo template and its hydrator parse");
        check_wiring(template.failure_target.as_ref(), &template.hydrate.trigger)
            .expect("topic to topic");
    }

    /// A destination whose Type does not match its resource is refused.
    #[test]
    fn refuses_a_destination_of_the_wrong_kind() {
        let text = SQS.replace(
            "Type: SQS\n                Destination",
            "Type: SNS\n                Destination",
        );
        let error = StackTemplate::parse(&text).expect_err("SNS type on a queue");
        assert!(
            error.to_string().contains("not an AWS::SNS::Topic"),
            "{error}"
        );
    }

    /// Hydrate consuming something else than the destination is refused:
    /// the failures would reach nothing.
    #[test]
    fn refuses_a_hydrate_event_on_another_resource() {
        let text = SQS.replace(
            "Queue: !GetAtt FailureQueue.Arn",
            "Queue: !GetAtt HydrateFailureQueue.Arn",
        );
        let template = StackTemplate::parse(&text).expect("parses");
        let error = check_wiring(template.failure_target.as_ref(), &template.hydrate.trigger)
            .expect_err("wrong queue");
        assert!(
            error
                .to_string()
                .contains("must consume the mapping's OnFailure destination (SQS FailureQueue)"),
            "{error}"
        );
    }
}
