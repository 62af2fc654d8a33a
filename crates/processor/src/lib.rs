//! processor: the demo Kinesis consumer. It reads periodic-table elements,
//! hands valid ones to an [`ElementSink`], and answers the event source
//! mapping with partial batch failures: ordered, stopping at the first poison
//! pill, always a well-formed `KinesisEventResponse` — except when the pill is
//! the first record of a batch: then the invocation fails with
//! [`BatchError`] (`errorType` `StreamDlq.PoisonRecordAtHead`), so that the
//! ESM bisects the batch until the pill is alone and only the pill reaches
//! the DLQ.
//!
//! [`handle`] is the whole Lambda handler, and the local stack calls it
//! in-process; the binary runs [`handle_body`], the same handler reading the
//! event from its bytes, under `lambda_runtime` behind [`EventBodyLayer`]
//! (see [`event_body`] for why).
//!
//! # Layout
//!
//! - [`element`]: [`Element`], the record schema, and what makes a record
//!   poison.
//! - [`config`]: [`ProcessorConfig`] and [`SchemaMode`], read once from the
//!   environment (`PROCESSOR_SCHEMA_MODE=strict|lenient`).
//! - [`sink`]: the [`ElementSink`] port and the demo's [`LogSink`].
//! - [`handler`]: [`ElementHandler`], bytes to element to sink, as a
//!   `streamdlq_core` record handler.
//! - [`error`]: [`BatchError`], the invocation's error and its stable
//!   `errorType`.
//! - [`event_body`]: [`EventBodyLayer`], the event's bytes handed to
//!   [`handle_body`] instead of lambda_runtime's reading of them.
//! - [`table`]: the DynamoDB Streams consumer of the same elements kept as
//!   table items ([`table::handle_table_event`], binary `table-processor`):
//!   an item whose `NewImage` is not an element is poison, answered by the
//!   batch helper's rules.
//! - [`timing`]: [`timing::InvocationTimingLayer`], the per-invocation
//!   timing line (`debug`) the Runtime API benchmark reads.

pub mod config;
pub mod element;
pub mod error;
pub mod event_body;
pub mod handler;
pub mod sink;
pub mod table;
pub mod timing;

use aws_lambda_events::streams::KinesisEventResponse;
use lambda_runtime::LambdaEvent;
use streamdlq_core::batch::{BatchOutcome, KinesisBatch, process_batch};
use streamdlq_core::metrics::batch_metrics;

pub use config::{ProcessorConfig, ProcessorConfigError, SchemaMode};
pub use element::{Element, ElementError};
pub use error::BatchError;
pub use event_body::{EventBody, EventBodyLayer};
pub use handler::{ElementHandler, ProcessError};
pub use sink::{ElementSink, ElementSinkError, LogSink};

/// The Lambda handler: processes one Kinesis event and reports the first
/// failed record of the shard, if any.
///
/// Record failures are reported in the response, so the ESM checkpoints
/// everything before them; the one exception is a poison record at the head
/// of a batch of two or more, answered with [`BatchError`] so that the ESM
/// bisects. The event is deserialised as a [`KinesisBatch`] so that a record
/// with invalid base64 or a malformed field fails alone instead of failing
/// the invocation.
pub async fn handle<S: ElementSink + Sync>(
    handler: &ElementHandler<S>,
    event: LambdaEvent<KinesisBatch>,
) -> Result<KinesisEventResponse, BatchError> {
    answer(handler, event.payload).await
}

/// [`handle`], reading the event from the bytes [`EventBodyLayer`] set
/// aside: the same answers, and an unreadable event fails the invocation
/// with lambda_runtime's own `errorType` and message.
pub async fn handle_body<S: ElementSink + Sync>(
    handler: &ElementHandler<S>,
    event: LambdaEvent<EventBody>,
) -> Result<KinesisEventResponse, BatchError> {
    let body = event.payload.take().ok_or(BatchError::NoEventBody)?;
    let started = std::time::Instant::now();
    let batch = match KinesisBatch::from_json(&body) {
        Ok(batch) => batch,
        Err(_) => {
            let error = BatchError::unreadable_event(&body);
            tracing::error!(error = %error, "the event is not a Kinesis event; the handler was not called");
            return Err(error);
        }
    };
    timing::event_read(body.len(), started.elapsed());
    // The batch holds what it needs; the event's text can go.
    drop(body);
    answer(handler, batch).await
}

async fn answer<S: ElementSink + Sync>(
    handler: &ElementHandler<S>,
    batch: KinesisBatch,
) -> Result<KinesisEventResponse, BatchError> {
    let stream_arn = batch.records().find_map(|record| record.stream_arn.clone());
    let outcome = process_batch(batch, handler).await;
    if let (Some(metrics), Some(stream_arn)) = (handler.metrics(), stream_arn) {
        let (processed, failed) = metric_counts(&outcome);
        let now = chrono::Utc::now().timestamp_millis();
        metrics.write_line(&batch_metrics(&stream_arn, processed, failed, now));
    }
    Ok(outcome.into_answer()?)
}

/// Records processed, and records sent back for retry: those the handler
/// did not complete (the failed record and everything after it; with a
/// poison record at the head, the whole batch).
fn metric_counts(outcome: &BatchOutcome) -> (usize, usize) {
    if outcome.poison_at_head {
        return (0, outcome.records);
    }
    (
        outcome.processed,
        outcome.records.saturating_sub(outcome.processed),
    )
}
