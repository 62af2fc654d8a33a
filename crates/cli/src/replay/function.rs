//! Replaying hydrated failures straight into a function: each failure's
//! records, as the Kinesis event the ESM would deliver (original sequence
//! numbers, partition keys, data and arrival times), invoked synchronously.
//! Nothing is written to the stream, so its other consumers see no
//! duplicates.
//!
//! A failure's messages are deleted only when every event of it was
//! processed (no function error, no batch item failure). When one is not,
//! the failure stays in the queue, and the later failures of the same shard
//! are held back too, so the function never sees a shard's records out of
//! order. Delivery is at least once: the records of a failure that was
//! processed in part are processed again by the next replay.

use std::collections::HashSet;

use anyhow::{Context as _, anyhow};
use indicatif::ProgressBar;
use tracing::{Instrument as _, info, info_span, warn};

use super::Deletions;
use super::interrupt::Interrupt;
use crate::invoke::{EventSource, FunctionInvoker, interpret, kinesis_events};
use crate::queue::{DlqQueue, FailureEntry};

/// How records are grouped into invocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionReplayOptions {
    /// Records per invocation, at most.
    pub max_records: usize,
    /// Payload bytes per invocation, at most.
    pub max_bytes: usize,
}

impl Default for FunctionReplayOptions {
    /// A failure goes in as few invocations as the 6 MB payload limit
    /// allows, up to the ESM's own 10,000-record batch limit.
    fn default() -> Self {
        Self {
            max_records: 10_000,
            max_bytes: crate::invoke::SYNC_PAYLOAD_LIMIT,
        }
    }
}

/// A failure left in the queue, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFailure {
    pub id: String,
    pub reason: String,
}

/// What a function replay did, even when it stopped early.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionReplayReport {
    /// Failures the function processed completely.
    pub failures: usize,
    /// Records of those failures.
    pub records: usize,
    pub invocations: usize,
    pub deletions: Deletions,
    pub kept: Vec<KeptFailure>,
}

/// Replays `failures` (in this order) into the function.
pub async fn replay_to_function<I: FunctionInvoker>(
    invoker: &I,
    queue: &DlqQueue,
    failures: &[&FailureEntry],
    options: FunctionReplayOptions,
    progress: &ProgressBar,
    interrupt: &Interrupt,
) -> (FunctionReplayReport, Option<anyhow::Error>) {
    let mut report = FunctionReplayReport::default();
    let mut held_shards: HashSet<(String, String)> = HashSet::new();
    for failure in failures {
        if interrupt.is_set() {
            return (report, Some(anyhow!("interrupted")));
        }
        let (Some(stream_arn), Some(shard_id)) = (failure.stream_arn(), failure.shard_id()) else {
            continue;
        };
        let shard = (stream_arn.to_owned(), shard_id.to_owned());
        if held_shards.contains(&shard) {
            report.kept.push(KeptFailure {
                id: failure.hydrated.id.clone(),
                reason: format!("held back: an earlier failure of {shard_id} was not processed"),
            });
            continue;
        }
        let span = info_span!("replay_to_function", failure = %failure.hydrated.id, shard_id, function = invoker.name());
        let result = replay_one(
            invoker,
            queue,
            failure,
            stream_arn,
            shard_id,
            options,
            progress,
            &mut report,
        )
        .instrument(span)
        .await;
        match result {
            Ok(true) => {}
            Ok(false) => {
                held_shards.insert(shard);
            }
            Err(error) => return (report, Some(error)),
        }
    }
    (report, None)
}

/// Replays one failure; `Ok(false)` when the function did not process it.
#[allow(clippy::too_many_arguments)]
async fn replay_one<I: FunctionInvoker>(
    invoker: &I,
    queue: &DlqQueue,
    failure: &FailureEntry,
    stream_arn: &str,
    shard_id: &str,
    options: FunctionReplayOptions,
    progress: &ProgressBar,
    report: &mut FunctionReplayReport,
) -> anyhow::Result<bool> {
    let records = &failure.hydrated.records;
    let events = kinesis_events(
        EventSource {
            stream_arn,
            shard_id,
        },
        records,
        options.max_records,
        options.max_bytes,
    )
    .context("cannot build the Kinesis event")?;
    for event in events {
        report.invocations += 1;
        let invocation = invoker
            .invoke(event.body)
            .await
            .with_context(|| format!("cannot invoke function {}", invoker.name()))?;
        let outcome = interpret(invocation.function_error.as_deref(), &invocation.payload);
        if !outcome.is_processed() {
            warn!(outcome = %outcome.describe(), "function did not process the failure");
            report.kept.push(KeptFailure {
                id: failure.hydrated.id.clone(),
                reason: outcome.describe(),
            });
            return Ok(false);
        }
        progress.inc(event.records.len() as u64);
    }
    let handles = failure.receipt_handles();
    let failed = queue
        .delete(&handles)
        .await
        .context("the function processed the records but their DLQ messages could not be deleted; the next replay sends them again")?;
    report.failures += 1;
    report.records += records.len();
    report.deletions.record(&handles, failed);
    info!(records = records.len(), "failure replayed");
    Ok(true)
}
