//! The resources of `infra/template.yaml`, created in the emulators: the
//! stream (waited for until `ACTIVE`), the mapping's OnFailure destination
//! (the failure topic, or a queue, or a bucket: whichever the template
//! names), the dead-letter queue and the hydrate function's failure queue,
//! with the template's attributes. For a topic or a bucket one more queue
//! has no counterpart on AWS: the delivery queue, subscribed to the topic or
//! named by the bucket's notification configuration, through which moto
//! hands OnFailure records to the local hydrate function (on AWS, SNS and S3
//! invoke the function themselves). A queue destination needs none: the
//! local SQS event source reads the queue itself.
//!
//! Physical names follow CloudFormation's `<stack>-<LogicalId>` shape
//! (lower case for buckets, whose names must be).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_kinesis::types::StreamStatus;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::state::{LocalState, StreamState, TableState};
use crate::template::{FailureTarget, Reference, StackTemplate, TableSpec, TemplateValue, ids};
use streamdlq_emulators::sdk::{ACCOUNT_ID, REGION};

/// How long a new stream may take to become `ACTIVE`.
const STREAM_ACTIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the stream status is polled.
const STREAM_POLL: Duration = Duration::from_millis(25);

/// The logical name of the local-only delivery queue.
pub const DELIVERY_QUEUE: &str = "HydrateDelivery";

/// Where a bucket destination's notifications go: only the objects AWS
/// writes for failed batches.
const FAILED_EVENT_PREFIX: &str = "aws/lambda/";

/// SDK clients of the emulators.
#[derive(Debug, Clone)]
pub struct Clients {
    pub kinesis: aws_sdk_kinesis::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub dynamodb_streams: aws_sdk_dynamodbstreams::Client,
}

impl Clients {
    /// Kinesis from `kinesis`; SNS, SQS, S3, DynamoDB and DynamoDB Streams
    /// from `moto`.
    pub fn new(kinesis: &SdkConfig, moto: &SdkConfig) -> Self {
        Self {
            kinesis: aws_sdk_kinesis::Client::new(kinesis),
            sns: aws_sdk_sns::Client::new(moto),
            sqs: aws_sdk_sqs::Client::new(moto),
            s3: s3_client(moto),
            dynamodb: aws_sdk_dynamodb::Client::new(moto),
            dynamodb_streams: aws_sdk_dynamodbstreams::Client::new(moto),
        }
    }
}

/// An S3 client for moto: path-style addressing, since a local endpoint has
/// no bucket subdomains.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The mapping's OnFailure destination, as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedDestination {
    Topic { logical_id: String, arn: String },
    Queue { logical_id: String, queue: Queue },
    Bucket { logical_id: String, name: String },
}

impl CreatedDestination {
    pub fn logical_id(&self) -> &str {
        match self {
            Self::Topic { logical_id, .. }
            | Self::Queue { logical_id, .. }
            | Self::Bucket { logical_id, .. } => logical_id,
        }
    }

    /// What `!Ref` or `!GetAtt` of the destination gives on AWS.
    fn lookup(&self, attribute: Option<&str>) -> Option<String> {
        match (self, attribute) {
            (Self::Topic { arn, .. }, None | Some("TopicArn")) => Some(arn.clone()),
            (Self::Topic { arn, .. }, Some("TopicName")) => {
                arn.rsplit(':').next().map(str::to_owned)
            }
            (Self::Queue { queue, .. }, None | Some("QueueUrl")) => Some(queue.url.clone()),
            (Self::Queue { queue, .. }, Some("Arn")) => Some(queue.arn.clone()),
            (Self::Queue { queue, .. }, Some("QueueName")) => Some(queue.name.clone()),
            (Self::Bucket { name, .. }, None) => Some(name.clone()),
            (Self::Bucket { name, .. }, Some("Arn")) => Some(bucket_arn(name)),
            _ => None,
        }
    }
}

fn bucket_arn(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
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
    /// The mapping's OnFailure destination.
    pub failure_destination: CreatedDestination,
    /// The failure topic's ARN; empty when the destination is not a topic.
    pub topic_arn: String,
    pub dead_letter_queue: Queue,
    pub hydrate_failure_queue: Queue,
    /// The queue the local delivery to hydrate reads: subscribed to the
    /// topic (raw delivery off: bodies are SNS envelopes), named by the
    /// bucket's notifications (bodies are S3 events), or the destination
    /// queue itself.
    pub delivery_queue: Queue,
    /// The topic's subscription; empty when the destination is not a topic.
    pub subscription_arn: String,
    /// Parameters with their defaults, for `!Ref` and `!Sub` in environments.
    pub parameters: BTreeMap<String, String>,
    /// The demo table and its stream, when the template has one.
    pub table: Option<TableState>,
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

    /// The template has no OnFailure destination the local stack can use.
    #[error("the processor's event source mapping has no OnFailure destination")]
    NoFailureDestination,

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
        let delivery_attributes = [(
            "VisibilityTimeout",
            delivery_visibility(template).to_string(),
        )];
        let target = template
            .failure_target
            .as_ref()
            .ok_or(ResourceError::NoFailureDestination)?;
        let (failure_destination, delivery_queue, subscription_arn) = match target {
            FailureTarget::Topic { logical_id } => {
                let arn = create_topic(clients, &name(logical_id)).await?;
                let delivery_queue =
                    create_queue(clients, &name(DELIVERY_QUEUE), &delivery_attributes).await?;
                let subscription = subscribe(clients, &arn, &delivery_queue).await?;
                let destination = CreatedDestination::Topic {
                    logical_id: logical_id.clone(),
                    arn,
                };
                (destination, delivery_queue, subscription)
            }
            FailureTarget::Queue {
                logical_id,
                visibility_timeout,
                message_retention_period,
            } => {
                let attributes: Vec<(&'static str, String)> = [
                    ("VisibilityTimeout", *visibility_timeout),
                    ("MessageRetentionPeriod", *message_retention_period),
                ]
                .into_iter()
                .filter_map(|(attribute, value)| Some((attribute, value?.to_string())))
                .collect();
                let queue = create_queue(clients, &name(logical_id), &attributes).await?;
                let destination = CreatedDestination::Queue {
                    logical_id: logical_id.clone(),
                    queue: queue.clone(),
                };
                (destination, queue, String::new())
            }
            FailureTarget::Bucket { logical_id } => {
                let bucket = name(logical_id).to_lowercase();
                let delivery_queue =
                    create_queue(clients, &name(DELIVERY_QUEUE), &delivery_attributes).await?;
                create_bucket(clients, &bucket, &delivery_queue).await?;
                let destination = CreatedDestination::Bucket {
                    logical_id: logical_id.clone(),
                    name: bucket,
                };
                (destination, delivery_queue, String::new())
            }
        };
        let topic_arn = match &failure_destination {
            CreatedDestination::Topic { arn, .. } => arn.clone(),
            _ => String::new(),
        };
        let table = match &template.table {
            Some(spec) => Some(create_table(clients, spec, &name(ids::TABLE)).await?),
            None => None,
        };

        Ok(Self {
            stack_name: stack_name.to_owned(),
            stream,
            failure_destination,
            topic_arn,
            dead_letter_queue,
            hydrate_failure_queue,
            delivery_queue,
            subscription_arn,
            parameters: template.parameters.clone(),
            table,
        })
    }

    /// The resources of a running stack, from its state (the subscription's
    /// ARN is not kept there and is left empty). The destination is the
    /// template's, under the names `up` gave it.
    pub fn from_state(state: &LocalState, template: &StackTemplate) -> Self {
        let queue = |url: &str| {
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            Queue {
                arn: format!("arn:aws:sqs:{}:{ACCOUNT_ID}:{name}", state.region),
                name,
                url: url.to_owned(),
            }
        };
        let name = |logical_id: &str| format!("{}-{logical_id}", state.stack_name);
        let failure_destination = match &template.failure_target {
            Some(FailureTarget::Queue { logical_id, .. }) => CreatedDestination::Queue {
                logical_id: logical_id.clone(),
                queue: queue(&state.delivery_queue_url),
            },
            Some(FailureTarget::Bucket { logical_id }) => CreatedDestination::Bucket {
                logical_id: logical_id.clone(),
                name: name(logical_id).to_lowercase(),
            },
            Some(FailureTarget::Topic { logical_id }) => CreatedDestination::Topic {
                logical_id: logical_id.clone(),
                arn: state.topic_arn.clone(),
            },
            None => CreatedDestination::Topic {
                logical_id: ids::FAILURE_TOPIC.to_owned(),
                arn: state.topic_arn.clone(),
            },
        };
        Self {
            stack_name: state.stack_name.clone(),
            stream: state.stream.clone(),
            failure_destination,
            topic_arn: state.topic_arn.clone(),
            dead_letter_queue: queue(&state.dlq_url),
            hydrate_failure_queue: queue(&state.hydrate_failure_queue_url),
            delivery_queue: queue(&state.delivery_queue_url),
            subscription_arn: String::new(),
            parameters: template.parameters.clone(),
            table: state.table.clone(),
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
        if id == self.failure_destination.logical_id() {
            return self.failure_destination.lookup(attribute);
        }
        match (id, attribute) {
            (ids::STREAM, None) => Some(self.stream.name.clone()),
            (ids::STREAM, Some("Arn")) => Some(self.stream.arn.clone()),
            (ids::TABLE, None) => self.table.as_ref().map(|table| table.name.clone()),
            (ids::TABLE, Some("StreamArn")) => {
                self.table.as_ref().map(|table| table.stream_arn.clone())
            }
            (_, None | Some("QueueUrl")) if queue.is_some() => queue.map(|q| q.url.clone()),
            (_, Some("Arn")) if queue.is_some() => queue.map(|q| q.arn.clone()),
            (_, Some("QueueName")) if queue.is_some() => queue.map(|q| q.name.clone()),
            (
                ids::PROCESSOR_FUNCTION | ids::HYDRATE_FUNCTION | ids::TABLE_PROCESSOR_FUNCTION,
                None,
            ) => Some(self.physical_name(id)),
            (
                ids::PROCESSOR_FUNCTION | ids::HYDRATE_FUNCTION | ids::TABLE_PROCESSOR_FUNCTION,
                Some("Arn"),
            ) => Some(self.function_arn(id)),
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

/// The table in moto with its key and a stream of the template's view
/// type; its stream ARN from `LatestStreamArn`.
async fn create_table(
    clients: &Clients,
    spec: &TableSpec,
    name: &str,
) -> Result<TableState, ResourceError> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        StreamSpecification, StreamViewType,
    };
    let mut request = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(spec.stream_view_type.as_str()))
                .build()
                .map_err(|error| ResourceError::call("CreateTable", name, error))?,
        );
    for attribute in &spec.key {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(&attribute.name)
                    .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                    .build()
                    .map_err(|error| ResourceError::call("CreateTable", name, error))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(&attribute.name)
                    .key_type(KeyType::from(attribute.key_type.as_str()))
                    .build()
                    .map_err(|error| ResourceError::call("CreateTable", name, error))?,
            );
    }
    let output = request
        .send()
        .await
        .map_err(|error| ResourceError::call("CreateTable", name, error))?;
    let stream_arn = output
        .table_description
        .and_then(|table| table.latest_stream_arn)
        .ok_or(ResourceError::Incomplete {
            operation: "CreateTable",
            resource: name.to_owned(),
            field: "TableDescription.LatestStreamArn",
        })?;
    Ok(TableState {
        name: name.to_owned(),
        stream_arn,
    })
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

async fn create_topic(clients: &Clients, name: &str) -> Result<String, ResourceError> {
    clients
        .sns
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|error| ResourceError::call("CreateTopic", name, error))?
        .topic_arn
        .ok_or_else(|| ResourceError::Incomplete {
            operation: "CreateTopic",
            resource: name.to_owned(),
            field: "TopicArn",
        })
}

/// Subscribes `queue` to the topic with raw delivery off, as a Lambda
/// subscription sees the notification.
async fn subscribe(
    clients: &Clients,
    topic_arn: &str,
    queue: &Queue,
) -> Result<String, ResourceError> {
    clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&queue.arn)
        .attributes("RawMessageDelivery", "false")
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(|error| ResourceError::call("Subscribe", &queue.name, error))?
        .subscription_arn
        .ok_or_else(|| ResourceError::Incomplete {
            operation: "Subscribe",
            resource: queue.name.clone(),
            field: "SubscriptionArn",
        })
}

/// Creates the bucket and sends its object-created notifications for the
/// failed-event keys to `delivery_queue` (what S3 does for the function's
/// S3 event on AWS).
async fn create_bucket(
    clients: &Clients,
    name: &str,
    delivery_queue: &Queue,
) -> Result<(), ResourceError> {
    clients
        .s3
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|error| ResourceError::call("CreateBucket", name, error))?;
    let invalid = |error: aws_sdk_s3::error::BuildError| {
        ResourceError::call("PutBucketNotificationConfiguration", name, error)
    };
    let prefix = FilterRule::builder()
        .name(FilterRuleName::Prefix)
        .value(FAILED_EVENT_PREFIX)
        .build();
    let queue = QueueConfiguration::builder()
        .id("hydrate")
        .queue_arn(&delivery_queue.arn)
        .events(Event::S3ObjectCreated)
        .filter(
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(prefix).build())
                .build(),
        )
        .build()
        .map_err(invalid)?;
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(name)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .map_err(|error| ResourceError::call("PutBucketNotificationConfiguration", name, error))?;
    Ok(())
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
