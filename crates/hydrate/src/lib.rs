//! hydrate: the Lambda function that turns OnFailure metadata into DLQ
//! messages carrying the original records.
//!
//! A Kinesis or DynamoDB Streams event source mapping sends a batch it gave
//! up on to its OnFailure destination, an SNS topic, as metadata only. This
//! function is subscribed to that topic: for every failure record it
//! re-reads the exact range from the stream (a Kinesis stream, or the
//! table's stream through DynamoDB Streams) and writes the records, exact,
//! to the SQS dead-letter queue (schema v1, `docs/dlq-format.md`).
//!
//! [`handler`] is the whole Lambda handler; the binary runs it under
//! `lambda_runtime`, and the local stack calls the same function in-process.
//!
//! # Layout
//!
//! - [`config`]: [`HydrateConfig`], settings read once from the environment.
//! - [`allowlist`]: [`StreamAllowlist`], the streams this deployment may read.
//! - [`event`]: [`Event`], the raw payload read record by record; recognises
//!   the kind of event (SNS today) from the event itself.
//! - [`hydrator`]: [`Hydrator`], one SNS event to DLQ messages: parse, check
//!   the allowlist, choose the reader by the failure's source (Kinesis or
//!   DynamoDB Streams), hydrate, build parts, send.
//! - [`summary`]: [`HydrateSummary`], the function's response.
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
pub mod summary;

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use streamdlq_core::{DlqSink, DynamoDbRecord, ShardReader, StreamRetention};

pub use allowlist::StreamAllowlist;
pub use config::{HydrateConfig, HydrateConfigError};
pub use deadline::invocation_deadline;
pub use error::{DeliveryError, HydrateError, Undelivered};
pub use event::{Event, EventError, EventKind, EventRecord};
pub use hydrator::{FailureOutcome, Hydrator};
pub use metrics::FailureMetrics;
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

/// The Lambda handler: hydrates every failure record of one SNS event into
/// the DLQ, reading until the context's deadline less
/// [`HydrateConfig::dlq_write_reserve`].
///
/// Fails when a failure could not be written to the DLQ, after every
/// record of the event was tried (`DlqWriteFailed`): Lambda then retries the
/// invocation, and the function's own OnFailure destination keeps the event
/// when retries run out. A payload that is not an SNS event fails with
/// `UnsupportedEvent`. A stream that cannot be read is not an invocation
/// error: its failure reaches the DLQ as `unavailable`, with the reason; an
/// SNS record that cannot be read reaches it as `unparseable`.
pub async fn handler<R, S, T, D, E>(
    hydrator: &Hydrator<R, S, T, D>,
    event: LambdaEvent<E>,
) -> Result<HydrateSummary, HydrateError>
where
    R: ShardReader + Sync,
    D: ShardReader<DynamoDbRecord> + Sync,
    S: DlqSink + Sync,
    T: StreamRetention + Sync,
    E: HydrateInput,
{
    let deadline = invocation_deadline(event.context.deadline, hydrator.config().dlq_write_reserve);
    let event = event.payload.into_event().inspect_err(|error| {
        tracing::error!(
            error_type = "UnsupportedEvent",
            %error,
            "invocation failed: the payload is not an SNS event"
        );
    })?;
    hydrator.handle_event(event, deadline).await
}
