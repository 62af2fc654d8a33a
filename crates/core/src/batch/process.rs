//! [`process_batch`]: ordered, fail-fast processing of one Kinesis event.
//!
//! AWS contract honoured here:
//! - The ESM delivers one shard per batch, records in shard (sequence) order,
//!   with one batch in flight per shard.
//! - With `ReportBatchItemFailures`, the lowest reported sequence number
//!   becomes the checkpoint: that record and everything after it is retried.
//!   Work past the first failure would only be repeated, so processing stops
//!   there and reports exactly that record.
//! - Because the checkpoint is numeric, records are processed in numeric
//!   sequence order. The ESM already sends them that way; an event that is
//!   not sorted is sorted (stably) rather than trusted, since reporting a
//!   failure at `k` acknowledges every lower sequence number.
//! - One event never spans shards on AWS. If one did, each shard is processed
//!   on its own and each reports its own first failure, so nothing of any
//!   shard is acknowledged unprocessed.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;
use tracing::Instrument as _;

use super::event::{BatchRecord, KinesisBatch};
use super::handler::{RecordError, RecordHandler};
use super::outcome::{BatchOutcome, FailureCause, FailureKind, RecordFailure};

/// Runs `handler` over the records of `batch` in sequence order, stopping
/// each shard at its first failure, and reports what happened.
///
/// A handler error, a handler panic and a record whose bytes cannot be
/// decoded all become a failure of that record. The result always converts
/// into a well-formed `KinesisEventResponse`
/// ([`BatchOutcome::into_response`]).
///
/// Panics are caught with `catch_unwind` on the handler's future, in place,
/// rather than by spawning each record as a tokio task and inspecting
/// `JoinError::is_panic`: spawning would need `'static` handlers and data,
/// move the work off this task (and out of the record's span), and cost a
/// task per record. `AssertUnwindSafe` is sound here because after a panic
/// this invocation calls the handler no more: the panicking shard stops at
/// that record, and any other shard in the event reports its first record as
/// not attempted. (The handler itself lives on for the next invocation, as
/// it would with the runtime's own panic handling; keep its shared state
/// consistent across a panic, e.g. no half-done updates behind a lock.)
pub async fn process_batch<H: RecordHandler>(batch: KinesisBatch, handler: &H) -> BatchOutcome {
    let total = batch.len();
    let mut outcome = BatchOutcome {
        processed: 0,
        failures: Vec::new(),
    };
    let mut halted = false;
    for shard in split_by_shard(batch.into_records()) {
        if halted {
            if let Some(first) = shard.into_iter().next() {
                let failure = RecordFailure {
                    record: first.context,
                    cause: FailureCause::NotAttempted,
                };
                log_failure(&failure);
                outcome.failures.push(failure);
            }
            continue;
        }
        let (processed, failure) = process_shard(shard, handler).await;
        outcome.processed += processed;
        if let Some(failure) = failure {
            halted = matches!(failure.cause, FailureCause::Panic(_));
            outcome.failures.push(failure);
        }
    }
    tracing::info!(
        records = total,
        processed = outcome.processed,
        failed_shards = outcome.failures.len(),
        "batch processed"
    );
    outcome
}

/// Processes one shard's records in order; returns how many succeeded and
/// the failure that stopped it, if any.
async fn process_shard<H: RecordHandler>(
    records: Vec<BatchRecord>,
    handler: &H,
) -> (usize, Option<RecordFailure>) {
    let mut processed = 0;
    for record in records {
        let context = &record.context;
        let span = tracing::info_span!(
            "record",
            shard = context.shard_id.as_deref(),
            sequence_number = %context.sequence_number,
            position = context.position,
        );
        match process_record(&record, handler)
            .instrument(span.clone())
            .await
        {
            Ok(()) => processed += 1,
            Err(cause) => {
                let failure = RecordFailure {
                    record: record.context,
                    cause,
                };
                span.in_scope(|| log_failure(&failure));
                return (processed, Some(failure));
            }
        }
    }
    (processed, None)
}

/// Decodes one record and hands it to the handler, turning every way it can
/// go wrong into a [`FailureCause`].
async fn process_record<H: RecordHandler>(
    record: &BatchRecord,
    handler: &H,
) -> Result<(), FailureCause> {
    let data = record.data.decode()?;
    // The call itself runs inside the guarded future too, so a handler that
    // panics before returning its future is caught as well.
    let attempt = AssertUnwindSafe(async { handler.handle(&record.context, data).await });
    match attempt.catch_unwind().await {
        Ok(Ok(())) => {
            tracing::debug!("record processed");
            Ok(())
        }
        Ok(Err(error)) => Err(FailureCause::Handler {
            message: error.to_string(),
            retryable: error.is_retryable(),
        }),
        Err(payload) => Err(FailureCause::Panic(panic_message(payload.as_ref()))),
    }
}

/// Logs a failure as poison or transient. Only the cause's text is logged,
/// never the record's bytes.
fn log_failure(failure: &RecordFailure) {
    let kind = failure.cause.kind();
    let record = &failure.record;
    match kind {
        FailureKind::Poison => tracing::error!(
            failure = kind.as_str(),
            shard = record.shard_id.as_deref(),
            sequence_number = %record.sequence_number,
            error = %failure.cause,
            "record failed and will fail again; reporting it so the shard resumes here"
        ),
        FailureKind::Transient => tracing::warn!(
            failure = kind.as_str(),
            shard = record.shard_id.as_deref(),
            sequence_number = %record.sequence_number,
            error = %failure.cause,
            "record failed and may succeed on retry; reporting it so the shard resumes here"
        ),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic payload is not text".to_owned()
    }
}

/// Groups records by (stream, shard) in order of first appearance, each
/// group in numeric sequence order.
fn split_by_shard(records: Vec<BatchRecord>) -> Vec<Vec<BatchRecord>> {
    let mut shards: Vec<Vec<BatchRecord>> = Vec::new();
    for record in records {
        let same_shard = |group: &&mut Vec<BatchRecord>| {
            let first = &group[0].context;
            first.shard_id == record.context.shard_id
                && first.stream_arn == record.context.stream_arn
        };
        match shards.iter_mut().find(same_shard) {
            Some(group) => group.push(record),
            None => shards.push(vec![record]),
        }
    }
    for group in &mut shards {
        let in_order =
            group.is_sorted_by(|a, b| a.context.sequence_number <= b.context.sequence_number);
        if !in_order {
            tracing::warn!(
                shard = group[0].context.shard_id.as_deref(),
                "event records are not in sequence order; processing them in sequence order"
            );
            group.sort_by(|a, b| a.context.sequence_number.cmp(&b.context.sequence_number));
        }
    }
    shards
}
