//! processor: the demo Kinesis consumer. It reads periodic-table elements,
//! hands valid ones to an [`ElementSink`], and answers the event source
//! mapping with partial batch failures: ordered, stopping at the first poison
//! pill, always a well-formed `KinesisEventResponse` — except when the pill is
//! the first record of a batch: then the invocation fails with
//! [`BatchError`] (`errorType` `StreamDlq.PoisonRecordAtHead`), so that the
//! ESM bisects the batch until the pill is alone and only the pill reaches
//! the DLQ.
//!
//! [`handle`] is the whole Lambda handler; the binary runs it under
//! `lambda_runtime`, and the local stack calls the same function in-process.
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
//! - [`timing`]: [`timing::InvocationTimingLayer`], the per-invocation
//!   timing line (`debug`) the Runtime API benchmark reads.

pub mod config;
pub mod element;
pub mod error;
pub mod handler;
pub mod sink;
pub mod timing;

use aws_lambda_events::streams::KinesisEventResponse;
use lambda_runtime::LambdaEvent;
use streamdlq_core::batch::{BatchOutcome, KinesisBatch, process_batch};
use streamdlq_core::metrics::batch_metrics;

pub use config::{ProcessorConfig, ProcessorConfigError, SchemaMode};
pub use element::{Element, ElementError};
pub use error::BatchError;
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
    let batch = event.payload;
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
