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
//! - A partial answer only splits a batch at the reported record, while a
//!   function error bisects it (`BisectBatchOnFunctionError`) without using
//!   the retry quota. So when the first record of a one-shard batch of two or
//!   more fails as poison, the outcome asks for a function error
//!   ([`BatchOptions::isolate_poison_at_head`]), and the ESM bisects until
//!   the pill is alone.
//!
//! Logging is priced for 10,000-record batches: one summary line per batch
//! at `info`, a line per failure at `warn`/`error`, and per-record spans and
//! lines only at `debug`.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;
use tracing::Instrument as _;

use super::event::{BatchRecord, KinesisBatch};
use super::handler::{RecordError, RecordHandler};
use super::options::BatchOptions;
use super::outcome::{BatchOutcome, FailureCause, FailureKind, RecordFailure};

/// [`process_batch_with`] under the default [`BatchOptions`].
pub async fn process_batch<H: RecordHandler>(batch: KinesisBatch, handler: &H) -> BatchOutcome {
    process_batch_with(batch, handler, BatchOptions::default()).await
}

/// Runs `handler` over the records of `batch` in sequence order, stopping
/// each shard at its first failure, and reports what happened.
///
/// A handler error, a handler panic and a record whose bytes or fields
/// cannot be read all become a failure of that record. The result always
/// converts into a well-formed answer ([`BatchOutcome::into_answer`]).
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
pub async fn process_batch_with<H: RecordHandler>(
    batch: KinesisBatch,
    handler: &H,
    options: BatchOptions,
) -> BatchOutcome {
    let started = std::time::Instant::now();
    let total = batch.len();
    let mut outcome = BatchOutcome {
        processed: 0,
        failures: Vec::new(),
        records: total,
        poison_at_head: false,
    };
    let (records, _) = batch.parts();
    let shards = split_by_shard(records);
    let one_shard = shards.len() == 1;
    let mut halted = false;
    for shard in &shards {
        if halted {
            if let Some(&first) = shard.first() {
                let failure = RecordFailure {
                    record: records[first].context.clone(),
                    cause: FailureCause::NotAttempted,
                };
                log_failure(&failure, false);
                outcome.failures.push(failure);
            }
            continue;
        }
        let (processed, failure) = process_shard(&batch, shard, handler).await;
        outcome.processed += processed;
        if let Some(failure) = failure {
            halted = matches!(failure.cause, FailureCause::Panic(_));
            outcome.poison_at_head = options.isolate_poison_at_head
                && one_shard
                && processed == 0
                && total > 1
                && failure.cause.kind() == FailureKind::Poison;
            log_failure(&failure, outcome.poison_at_head);
            outcome.failures.push(failure);
        }
    }
    tracing::info!(
        records = total,
        processed = outcome.processed,
        failed_shards = outcome.failures.len(),
        answer = answer_name(&outcome),
        process_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "batch processed"
    );
    outcome
}

/// Processes one shard's records (indices into the batch, in sequence
/// order); returns how many succeeded and the failure that stopped it.
async fn process_shard<H: RecordHandler>(
    batch: &KinesisBatch,
    shard: &[usize],
    handler: &H,
) -> (usize, Option<RecordFailure>) {
    let (records, _) = batch.parts();
    let mut processed = 0;
    for &index in shard {
        let record = &records[index];
        match process_record(batch, record, handler).await {
            Ok(()) => processed += 1,
            Err(cause) => {
                let failure = RecordFailure {
                    record: record.context.clone(),
                    cause,
                };
                return (processed, Some(failure));
            }
        }
    }
    (processed, None)
}

/// Hands one record's bytes to the handler, turning every way it can go
/// wrong into a [`FailureCause`].
async fn process_record<H: RecordHandler>(
    batch: &KinesisBatch,
    record: &BatchRecord,
    handler: &H,
) -> Result<(), FailureCause> {
    let data = batch.data_of(record)?;
    let context = &record.context;
    // A span per record only when someone reads debug: creating and
    // formatting 10,000 spans per batch at `info` costs more than the work.
    let span = tracing::debug_span!(
        "record",
        shard = context.shard_id.as_deref(),
        sequence_number = %context.sequence_number,
        position = context.position,
    );
    // The call itself runs inside the guarded future too, so a handler that
    // panics before returning its future is caught as well.
    let attempt = AssertUnwindSafe(async { handler.handle(context, data).await });
    match attempt.catch_unwind().instrument(span).await {
        Ok(Ok(())) => {
            tracing::debug!(
                shard = context.shard_id.as_deref(),
                sequence_number = %context.sequence_number,
                "record processed"
            );
            Ok(())
        }
        Ok(Err(error)) => Err(FailureCause::Handler {
            message: error.to_string(),
            retryable: error.is_retryable(),
        }),
        Err(payload) => Err(FailureCause::Panic(panic_message(payload.as_ref()))),
    }
}

fn answer_name(outcome: &BatchOutcome) -> &'static str {
    if outcome.poison_at_head {
        "function error (poison at the head: the ESM bisects)"
    } else if outcome.is_success() {
        "success"
    } else {
        "partial batch failure"
    }
}

/// Logs a failure as poison or transient, and what the answer does with it.
/// Only the cause's text is logged, never the record's bytes.
fn log_failure(failure: &RecordFailure, at_head: bool) {
    let kind = failure.cause.kind();
    let record = &failure.record;
    match kind {
        FailureKind::Poison if at_head => tracing::error!(
            failure = kind.as_str(),
            shard = record.shard_id.as_deref(),
            sequence_number = %record.sequence_number,
            error = %failure.cause,
            "first record of the batch failed and will fail again; failing the invocation so the event source mapping bisects the batch"
        ),
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
/// group in numeric sequence order, as indices into `records`. An event
/// from the ESM is one shard in order: that case costs one comparison of
/// shared names and one sequence comparison per record.
fn split_by_shard(records: &[BatchRecord]) -> Vec<Vec<usize>> {
    let mut shards: Vec<Vec<usize>> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let same_shard = |group: &&mut Vec<usize>| {
            let first = &records[group[0]].context;
            same_name(&first.shard_id, &record.context.shard_id)
                && same_name(&first.stream_arn, &record.context.stream_arn)
        };
        match shards.iter_mut().rev().find(same_shard) {
            Some(group) => group.push(index),
            None => shards.push(vec![index]),
        }
    }
    let sequence = |index: &usize| &records[*index].context.sequence_number;
    for group in &mut shards {
        let in_order = group.is_sorted_by(|a, b| sequence(a) <= sequence(b));
        if !in_order {
            tracing::warn!(
                shard = records[group[0]].context.shard_id.as_deref(),
                "event records are not in sequence order; processing them in sequence order"
            );
            group.sort_by(|a, b| sequence(a).cmp(sequence(b)));
        }
    }
    shards
}

/// Whether two shared names are the same, by pointer first (the event
/// reader shares the names of consecutive records).
fn same_name(a: &Option<std::sync::Arc<str>>, b: &Option<std::sync::Arc<str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}
