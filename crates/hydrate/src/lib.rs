//! hydrate: the Lambda function that turns OnFailure metadata into DLQ
//! messages carrying the original records.
//!
//! A Kinesis or DynamoDB Streams event source mapping sends a batch it gave
//! up on to its OnFailure destination. The same function takes the delivery of every
//! destination, recognised from the event itself:
//!
//! - **SNS** (a topic, metadata only): for every failure record it re-reads
//!   the exact range from the stream and writes the records, byte-exact, to
//!   the SQS dead-letter queue (schema v1, `docs/dlq-format.md`).
//! - **SQS** (an OnFailure queue, or a queue subscribed to the topic, the
//!   body raw or in an SNS envelope): the same, answered with an SQS partial
//!   batch response (`batchItemFailures`) naming only the messages whose
//!   DLQ write failed. The queue's mapping needs
//!   `FunctionResponseTypes: [ReportBatchItemFailures]`.
//! - **S3** (`ObjectCreated` notifications of an S3 failure destination's
//!   bucket): the object holds the OnFailure record and the batch itself
//!   (`payload`); it is read with GetObject and normalised into the same
//!   DLQ messages, the records taken from the payload
//!   (`hydration.recordsFrom: "destinationPayload"`). The function needs
//!   `s3:GetObject` on the bucket's objects.
//!
//! An event of no known kind fails with `UnsupportedEvent`.
//!
//! [`handler`] is the whole Lambda handler; the binary runs it under
//! `lambda_runtime`, and the local stack calls the same function in-process.
//!
//! # Layout
//!
//! - [`config`]: [`HydrateConfig`], settings read once from the environment.
//! - [`allowlist`]: [`StreamAllowlist`], the streams this deployment may read.
//! - [`event`]: [`Event`], the raw payload read record by record; recognises
//!   the kind of event (SNS, SQS, S3) from the event itself.
//! - [`hydrator`]: [`Hydrator`], one event to DLQ messages: parse, check
//!   the allowlist, choose the reader by the failure's source (Kinesis or
//!   DynamoDB Streams), hydrate, build parts, send; its `s3_object` child reads
//!   and normalises an S3 failure destination's object.
//! - [`object_source`]: the [`ObjectSource`] port that reads S3 objects and
//!   its GetObject adapter [`S3ObjectSource`].
//! - [`summary`]: [`HydrateSummary`], the function's response (for SQS
//!   events also the partial batch response).
//! - [`metrics`]: [`FailureMetrics`], the embedded metric format line per
//!   failure (records, bytes, failures by source and status, retention margin).
//! - [`error`]: [`HydrateError`], why an invocation fails, with a stable
//!   Lambda `errorType`.
//! - [`deadline`]: the Lambda context's deadline, less the time kept back
//!   for writing the DLQ.
//! - [`clients`]: the AWS SDK clients with their retry configuration.

pub mod allowlist;
pub mod clients;
pub mod config;
pub mod deadline;
pub mod error;
pub mod event;
pub mod hydrator;
pub mod metrics;
pub mod object_source;
pub mod summary;

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use streamdlq_core::{DlqSink, DynamoDbRecord, ShardReader, StreamRetention};

pub use allowlist::StreamAllowlist;
pub use config::{HydrateConfig, HydrateConfigError};
pub use deadline::invocation_deadline;
pub use error::{DeliveryError, HydrateError, Undelivered};
pub use event::{Event, EventError, EventKind, EventRecord, S3ObjectRef};
pub use hydrator::{FailureOutcome, Hydrator};
pub use metrics::FailureMetrics;
pub use object_source::{NoObjectSource, ObjectReadError, ObjectSource, S3ObjectSource};
pub use summary::{FailureSummary, HydrateSummary};

/// What the handler accepts: the raw payload, as the Lambda runtime hands
/// it over (read record by record, so one bad record cannot hide the
/// others), or an already typed SNS event.
pub trait HydrateInput {
    /// Reads the payload into an [`Event`].
    fn into_event(self) -> Result<Event, EventError>;
}

impl HydrateInput for Box<RawValue> {
    fn into_event(self) -> Result<Event, EventError> {
        Event::read(&self)
    }
}

impl HydrateInput for SnsEvent {
    fn into_event(self) -> Result<Event, EventError> {
        Ok(Event::from(self))
    }
}

/// The Lambda handler: hydrates every failure record of one SNS, SQS or S3
/// event into the DLQ, reading until the context's deadline less
/// [`HydrateConfig::dlq_write_reserve`].
///
/// SNS and S3 events fail when a failure could not be written to the DLQ,
/// after every record of the event was tried (`DlqWriteFailed`): Lambda then
/// retries the invocation, and the function's own OnFailure destination
/// keeps the event when retries run out. An SQS event answers with
/// `batchItemFailures` naming the messages whose failure was not written,
/// so the queue keeps exactly those. A payload of no known kind fails with
/// `UnsupportedEvent`. A stream that cannot be read is not an invocation
/// error: its failure reaches the DLQ as `unavailable`, with the reason; a
/// record or object that cannot be read reaches it as `unparseable`.
pub async fn handler<R, S, T, D, O, E>(
    hydrator: &Hydrator<R, S, T, D, O>,
    event: LambdaEvent<E>,
) -> Result<HydrateSummary, HydrateError>
where
    R: ShardReader + Sync,
    D: ShardReader<DynamoDbRecord> + Sync,
    S: DlqSink + Sync,
    T: StreamRetention + Sync,
    O: ObjectSource + Sync,
    E: HydrateInput,
{
    let deadline = invocation_deadline(event.context.deadline, hydrator.config().dlq_write_reserve);
    let event = event.payload.into_event().inspect_err(|error| {
        tracing::error!(
            error_type = "UnsupportedEvent",
            %error,
            "invocation failed: the payload is not an SNS, SQS or S3 event"
        );
    })?;
    hydrator.handle_event(event, deadline).await
}
