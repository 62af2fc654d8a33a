//! The resources of `infra/template.yaml`, created in the emulators: the
//! stream (waited for until `ACTIVE`), the failure topic, the dead-letter
//! queue and the hydrate function's failure queue, with the template's
//! attributes. One more queue has no counterpart on AWS: the delivery queue,
//! subscribed to the topic, through which SNS hands OnFailure records to the
//! local hydrate function (on AWS, SNS invokes the function itself).
//!
//! Physical names follow CloudFormation's `<stack>-<LogicalId>` shape.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_kinesis::types::StreamStatus;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::state::{LocalState, StreamState};
use crate::template::{Reference, StackTemplate, TemplateValue, ids};
use streamdlq_emulators::sdk::{ACCOUNT_ID, REGION};

/// How long a new stream may take to become `ACTIVE`.
const STREAM_ACTIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the stream status is polled.
const STREAM_POLL: Duration = Duration::from_millis(25);

/// The logical name of the local-only delivery queue.
pub const DELIVERY_QUEUE: &str = "HydrateDelivery";

/// SDK clients of the emulators.
#[derive(Debug, Clone)]
pub struct Clients {
    pub kinesis: aws_sdk_kinesis::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Kinesis from `kinesis`, SNS and SQS from `moto`.
    pub fn new(kinesis: &SdkConfig, moto: &SdkConfig) -> Self {
        Self {
            kinesis: aws_sdk_kinesis::Client::new(kinesis),
            sns: aws_sdk_sns::Client::new(moto),
            sqs: aws_sdk_sqs::Client::new(moto),
        }
    }
}

/// An SQS queue that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub name: String,
    pub url: String,
    pub arn: String,
}

/// Everything the local stack created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResources {
    pub stack_name: String,
    pub stream: StreamState,
    pub topic_arn: String,
    pub dead_letter_queue: Queue,
    pub hydrate_failure_queue: Queue,
    /// Subscribed to the topic (raw delivery off: bodies are SNS envelopes).
    pub delivery_queue: Queue,
    pub subscription_arn: String,
    /// Parameters with their defaults, for `!Ref` and `!Sub` in environments.
    pub parameters: BTreeMap<String, String>,
}

/// Creating a resource failed.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// An emulator refused or failed a call.
    #[error("{operation} for {resource} failed")]
    Call {
        operation: &'static str,
        resource: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// An answer lacked a field the API documents.
    #[error("{operation} for {resource} answered without {field}")]
    Incomplete {
        operation: &'static str,
        resource: String,
        field: &'static str,
    },

    /// The stream did not become `ACTIVE`.
    #[error("stream {stream} was not ACTIVE after {timeout:?}")]
    StreamNotActive { stream: String, timeout: Duration },

    /// A function's environment refers to something the local stack lacks.
    #[error(
        "environment variable {name} of {function} refers to {value:?}, which the local stack cannot resolve"
    )]
    Unresolved {
        function: &'static str,
        name: String,
        value: String,
    },
}

impl ResourceError {
    fn call(
        operation: &'static str,
        resource: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Call {
            operation,
            resource: resource.to_owned(),
            source: Box::new(source),
        }
    }
}

impl StackResources {
    /// Creates the template's resources and the delivery queue.
    pub async fn create(
        clients: &Clients,
        template: &StackTemplate,
        stack_name: &str,
    ) -> Result<Self, ResourceError> {
        // The same shape as `physical_name`, before `Self` exists.
        let name = |logical_id: &str| format!("{stack_name}-{logical_id}");
        let stream = create_stream(clients, template, &name(ids::STREAM)).await?;

        let topic_name = name(ids::FAILURE_TOPIC);
        let topic_arn = clients
            .sns
            .create_topic()
            .name(&topic_name)
            .send()
            .await
            .map_err(|error| ResourceError::call("CreateTopic", &topic_name, error))?
            .topic_arn
            .ok_or_else(|| ResourceError::Incomplete {
                operation: "CreateTopic",
                resource: topic_name.clone(),
                field: "TopicArn",
            })?;

        let dead_letter_queue = create_queue(
            clients,
            &name(ids::DEAD_LETTER_QUEUE),
            &template.dead_letter_queue.attributes(),
        )
        .await?;
        let hydrate_failure_queue = create_queue(
            clients,
            &name(ids::HYDRATE_FAILURE_QUEUE),
            &template.hydrate_failure_queue.attributes(),
        )
        .await?;
        let delivery_queue = create_queue(
            clients,
            &name(DELIVERY_QUEUE),
            &[(
                "VisibilityTimeout",
                delivery_visibility(template).to_string(),
            )],
        )
        .await?;
        let subscription_arn = clients
            .sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(&delivery_queue.arn)
            .attributes("RawMessageDelivery", "false")
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|error| ResourceError::call("Subscribe", &delivery_queue.name, error))?
            .subscription_arn
            .ok_or_else(|| ResourceError::Incomplete {
                operation: "Subscribe",
                resource: delivery_queue.name.clone(),
                field: "SubscriptionArn",
            })?;

        Ok(Self {
            stack_name: stack_name.to_owned(),
            stream,
            topic_arn,
            dead_letter_queue,
            hydrate_failure_queue,
            delivery_queue,
            subscription_arn,
            parameters: template.parameters.clone(),
        })
    }

    /// The resources of a running stack, from its state (the subscription's
    /// ARN is not kept there and is left empty).
    pub fn from_state(state: &LocalState, template: &StackTemplate) -> Self {
        let queue = |url: &str| {
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            Queue {
                arn: format!("arn:aws:sqs:{}:{ACCOUNT_ID}:{name}", state.region),
                name,
                url: url.to_owned(),
            }
        };
        Self {
            stack_name: state.stack_name.clone(),
            stream: state.stream.clone(),
            topic_arn: state.topic_arn.clone(),
            dead_letter_queue: queue(&state.dlq_url),
            hydrate_failure_queue: queue(&state.hydrate_failure_queue_url),
            delivery_queue: queue(&state.delivery_queue_url),
            subscription_arn: String::new(),
            parameters: template.parameters.clone(),
        }
    }

    /// The physical name of a resource of the stack: `<stack>-<LogicalId>`.
    pub fn physical_name(&self, logical_id: &str) -> String {
        format!("{}-{logical_id}", self.stack_name)
    }

    /// The ARN of a function of the stack (unqualified).
    pub fn function_arn(&self, logical_id: &str) -> String {
        format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}",
            self.physical_name(logical_id)
        )
    }

    /// What `!Ref` or `!GetAtt` of `reference` gives on AWS, for the
    /// resources, parameters and pseudo parameters the local stack has.
    pub fn lookup(&self, reference: &Reference) -> Option<String> {
        let id = reference.logical_id.as_str();
        let queue = match id {
            ids::DEAD_LETTER_QUEUE => Some(&self.dead_letter_queue),
            ids::HYDRATE_FAILURE_QUEUE => Some(&self.hydrate_failure_queue),
            _ => None,
        };
        let attribute = reference.attribute.as_deref();
        match (id, attribute) {
            (ids::STREAM, None) => Some(self.stream.name.clone()),
            (ids::STREAM, Some("Arn")) => Some(self.stream.arn.clone()),
            (ids::FAILURE_TOPIC, None | Some("TopicArn")) => Some(self.topic_arn.clone()),
            (ids::FAILURE_TOPIC, Some("TopicName")) => Some(self.physical_name(id)),
            (_, None | Some("QueueUrl")) if queue.is_some() => queue.map(|q| q.url.clone()),
            (_, Some("Arn")) if queue.is_some() => queue.map(|q| q.arn.clone()),
            (_, Some("QueueName")) if queue.is_some() => queue.map(|q| q.name.clone()),
            (ids::PROCESSOR_FUNCTION | ids::HYDRATE_FUNCTION, None) => Some(self.physical_name(id)),
            (ids::PROCESSOR_FUNCTION | ids::HYDRATE_FUNCTION, Some("Arn")) => {
                Some(self.function_arn(id))
            }
            ("AWS::Region", None) => Some(REGION.to_owned()),
            ("AWS::AccountId", None) => Some(ACCOUNT_ID.to_owned()),
            ("AWS::StackName", None) => Some(self.stack_name.clone()),
            ("AWS::Partition", None) => Some("aws".to_owned()),
            ("AWS::URLSuffix", None) => Some("amazonaws.com".to_owned()),
            (_, None) => self.parameters.get(id).cloned(),
            _ => None,
        }
    }

    /// A function's `Environment.Variables`, resolved against the local
    /// resources: what the function would see on AWS.
    pub fn environment(
        &self,
        function: &'static str,
        variables: &[(String, TemplateValue)],
    ) -> Result<BTreeMap<String, String>, ResourceError> {
        variables
            .iter()
            .map(|(name, value)| {
                let resolved = value
                    .resolve(|reference| self.lookup(reference))
                    .ok_or_else(|| ResourceError::Unresolved {
                        function,
                        name: name.clone(),
                        value: value.to_string(),
                    })?;
                Ok((name.clone(), resolved))
            })
            .collect()
    }
}

/// Long enough that a delivery is not handed out twice while the hydrate
/// function still works on it: every attempt's timeout, plus a minute for
/// the retry delays and the failure record (SQS allows at most 12 hours).
fn delivery_visibility(template: &StackTemplate) -> u64 {
    let hydrate = &template.hydrate;
    let attempts = u64::from(hydrate.maximum_retry_attempts) + 1;
    (hydrate.timeout.as_secs() * attempts + 60).min(43_200)
}

async fn create_stream(
    clients: &Clients,
    template: &StackTemplate,
    name: &str,
) -> Result<StreamState, ResourceError> {
    let kinesis = &clients.kinesis;
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(template.stream.shard_count as i32)
        .send()
        .await
        .map_err(|error| ResourceError::call("CreateStream", name, error))?;
    let deadline = Instant::now() + STREAM_ACTIVE_TIMEOUT;
    let arn = loop {
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .map_err(|error| ResourceError::call("DescribeStreamSummary", name, error))?
            .stream_description_summary
            .ok_or_else(|| ResourceError::Incomplete {
                operation: "DescribeStreamSummary",
                resource: name.to_owned(),
                field: "StreamDescriptionSummary",
            })?;
        if summary.stream_status == StreamStatus::Active {
            break summary.stream_arn;
        }
        if Instant::now() >= deadline {
            return Err(ResourceError::StreamNotActive {
                stream: name.to_owned(),
                timeout: STREAM_ACTIVE_TIMEOUT,
            });
        }
        tokio::time::sleep(STREAM_POLL).await;
    };
    if template.stream.retention_period_hours > 24 {
        kinesis
            .increase_stream_retention_period()
            .stream_name(name)
            .retention_period_hours(template.stream.retention_period_hours as i32)
            .send()
            .await
            .map_err(|error| ResourceError::call("IncreaseStreamRetentionPeriod", name, error))?;
    }
    Ok(StreamState {
        name: name.to_owned(),
        arn,
    })
}

async fn create_queue(
    clients: &Clients,
    name: &str,
    attributes: &[(&'static str, String)],
) -> Result<Queue, ResourceError> {
    let sqs = &clients.sqs;
    let mut request = sqs.create_queue().queue_name(name);
    for (attribute, value) in attributes {
        request = request.attributes(QueueAttributeName::from(*attribute), value);
    }
    let url = request
        .send()
        .await
        .map_err(|error| ResourceError::call("CreateQueue", name, error))?
        .queue_url
        .ok_or_else(|| ResourceError::Incomplete {
            operation: "CreateQueue",
            resource: name.to_owned(),
            field: "QueueUrl",
        })?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|error| ResourceError::call("GetQueueAttributes", name, error))?
        .attributes
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| ResourceError::Incomplete {
            operation: "GetQueueAttributes",
            resource: name.to_owned(),
            field: "QueueArn",
        })?;
    Ok(Queue {
        name: name.to_owned(),
        url,
        arn,
    })
}
