//! The one model both audit sources produce and every check reads: the
//! stream event source mappings, with AWS defaults already applied, and the
//! hydrate functions that turn metadata-only OnFailure records into payloads.
//!
//! Resources are named by a key that both sides of a link share: in a
//! template, the logical id a `!Ref`/`!GetAtt` points at (or the literal ARN);
//! live, the ARN. A destination is hydrated when a hydrate function consumes
//! the same key.

use std::time::Duration;

use serde::Serialize;

/// Which kind of stream a mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    Kinesis,
    #[serde(rename = "dynamodb")]
    DynamoDb,
}

impl StreamKind {
    /// DynamoDB Streams keep records 24 hours, a fixed retention.
    pub const DYNAMODB_RETENTION: Duration = Duration::from_secs(24 * 3600);

    /// The kind of an event source ARN, if it is a stream.
    pub fn of_arn(arn: &str) -> Option<Self> {
        let service = arn.split(':').nth(2)?;
        match service {
            "kinesis" if arn.contains(":stream/") => Some(Self::Kinesis),
            "dynamodb" if arn.contains("/stream/") => Some(Self::DynamoDb),
            _ => None,
        }
    }
}

/// What kind of OnFailure destination a mapping has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    /// Metadata only: needs a hydrate function.
    Sns,
    /// Metadata only: needs a hydrate function.
    Sqs,
    /// The failed batch's records are in the object: nothing to hydrate.
    S3,
    /// Not recognised (an ARN of another service, an unresolved value).
    Other,
}

impl DestinationKind {
    /// The kind of a destination ARN.
    pub fn of_arn(arn: &str) -> Self {
        match arn.split(':').nth(2) {
            Some("sns") => Self::Sns,
            Some("sqs") => Self::Sqs,
            Some("s3") => Self::S3,
            _ => Self::Other,
        }
    }

    /// Whether the destination receives metadata only (shard and range),
    /// never the records.
    pub fn is_metadata_only(self) -> bool {
        matches!(self, Self::Sns | Self::Sqs)
    }
}

/// A mapping's OnFailure destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnFailureDestination {
    pub kind: DestinationKind,
    /// The logical id (template) or ARN (live) of the topic, queue or bucket.
    pub target: String,
}

/// Where a mapping is defined, which decides how a fix is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// In a template: the path of the properties to edit
    /// (`ProcessorFunction.Events.Kinesis` or a mapping's logical id).
    Template { path: String },
    /// Deployed: fixed with `aws lambda update-event-source-mapping`.
    Live { uuid: String },
}

/// One Kinesis or DynamoDB Streams event source mapping, with AWS defaults
/// applied where a setting is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamMapping {
    pub location: Location,
    /// The function's logical id (template) or ARN (live).
    pub function: String,
    pub kind: StreamKind,
    /// The stream's logical id (template) or ARN (live).
    pub stream: String,
    /// How long the stream keeps records; `None` when it could not be known.
    #[serde(serialize_with = "hours")]
    pub retention: Option<Duration>,
    /// `MaximumRetryAttempts`; −1 (the default) retries until the record expires.
    pub maximum_retry_attempts: i64,
    /// `MaximumRecordAgeInSeconds`; −1 (the default) is the stream's retention.
    pub maximum_record_age_seconds: i64,
    /// `BisectBatchOnFunctionError`, default false.
    pub bisect_batch_on_function_error: bool,
    /// `FunctionResponseTypes` holds `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `ParallelizationFactor`, default 1.
    pub parallelization_factor: i64,
    /// `TumblingWindowInSeconds`, if set (0 is unset).
    pub tumbling_window_seconds: Option<i64>,
    pub on_failure: Option<OnFailureDestination>,
}

fn hours<S: serde::Serializer>(value: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(duration) => serializer.serialize_some(&(duration.as_secs() / 3600)),
        None => serializer.serialize_none(),
    }
}

impl StreamMapping {
    /// A mapping with every setting at its AWS default: what a mapping
    /// declared with nothing but a function and a stream gets.
    pub fn with_defaults(
        location: Location,
        function: &str,
        kind: StreamKind,
        stream: &str,
    ) -> Self {
        Self {
            location,
            function: function.to_owned(),
            kind,
            stream: stream.to_owned(),
            retention: None,
            maximum_retry_attempts: -1,
            maximum_record_age_seconds: -1,
            bisect_batch_on_function_error: false,
            report_batch_item_failures: false,
            parallelization_factor: 1,
            tumbling_window_seconds: None,
            on_failure: None,
        }
    }

    /// How findings name the mapping.
    pub fn label(&self) -> String {
        match &self.location {
            Location::Template { path } => path.clone(),
            Location::Live { uuid } => format!("{uuid} ({})", short_name(&self.function)),
        }
    }
}

/// The last segment of an ARN (`function:name` → `name`), or the text.
pub fn short_name(arn: &str) -> &str {
    arn.rsplit([':', '/']).next().unwrap_or(arn)
}

/// A hydrate function: recognised by its `ALLOWED_STREAM_ARNS` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HydrateFunction {
    /// Logical id (template) or ARN (live).
    pub function: String,
    /// The streams it may read; `None` when the setting is not a value the
    /// audit can read (a condition, an import).
    pub allowed_streams: Option<Vec<String>>,
    /// The topics and queues it consumes (SNS subscriptions, SQS mappings).
    pub consumes: Vec<String>,
}

/// Everything one source found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceInventory {
    pub mappings: Vec<StreamMapping>,
    pub hydrators: Vec<HydrateFunction>,
    /// What the source could not read, for the report (never silent).
    pub notes: Vec<String>,
}

impl ResourceInventory {
    /// The hydrate functions that consume `target`.
    pub fn hydrators_of<'a>(
        &'a self,
        target: &'a str,
    ) -> impl Iterator<Item = &'a HydrateFunction> {
        self.hydrators
            .iter()
            .filter(move |hydrator| hydrator.consumes.iter().any(|consumed| consumed == target))
    }
}
