//! Replaying hydrated failures straight into a function: each failure's
//! records, as the event the ESM would deliver, invoked synchronously: the
//! Kinesis event (original sequence numbers, partition keys, data and
//! arrival times) or, for a failure of a DynamoDB table stream, the
//! DynamoDB Streams event (`eventSource` `aws:dynamodb`, the stream
//! records' keys and images exact).
//! Nothing is written to the stream, so its other consumers see no
//! duplicates.
//!
//! The event is core's Kinesis event and the answer is read by core's
//! [`AnswerVerdict`], the reading the local ESM shares; the payload is
//! always read (as with `ReportBatchItemFailures`), whatever the mapping's
//! setting, because a doubtful answer must never delete. A failure's
//! messages are deleted only on a verdict of success for every event of it
//! (every record of the failure). When one is not,
//! the failure stays in the queue, and the later failures of the same shard
//! are held back too, so the function never sees a shard's records out of
//! order. Delivery is at least once: the records of a failure that was
//! processed in part are processed again by the next replay.

use std::collections::HashSet;

use anyhow::{Context as _, anyhow};
use indicatif::ProgressBar;
use tracing::{Instrument as _, info, info_span, warn};

use streamdlq_core::invocation::{
    AnswerVerdict, DynamoDbEventSource, KinesisEventSource, LambdaFunction, PayloadReading,
    SYNC_INVOKE_PAYLOAD_LIMIT, StreamEvent,
};
use streamdlq_core::{Arn, SequenceNumber};

use super::Deletions;
use super::interrupt::Interrupt;
use crate::queue::{DlqQueue, FailureEntry};

/// How records are grouped into invocations, and what their events say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionReplayOptions {
    /// Records per invocation, at most.
    pub max_records: usize,
    /// Payload bytes per invocation, at most.
    pub max_bytes: usize,
    /// `invokeIdentityArn` of every event: the function's execution role.
    pub invoke_identity_arn: Option<String>,
}

impl Default for FunctionReplayOptions {
    /// A failure goes in as few invocations as the 6 MB payload limit
    /// allows, up to the ESM's own 10,000-record batch limit.
    fn default() -> Self {
        Self {
            max_records: 10_000,
            max_bytes: SYNC_INVOKE_PAYLOAD_LIMIT,
            invoke_identity_arn: None,
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
pub async fn replay_to_function<F: LambdaFunction + ?Sized>(
    function: &F,
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
        let span = info_span!("replay_to_function", failure = %failure.hydrated.id, shard_id, function = function.name());
        let result = replay_one(
            function,
            queue,
            failure,
            stream_arn,
            shard_id,
            &options,
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
async fn replay_one<F: LambdaFunction + ?Sized>(
    function: &F,
    queue: &DlqQueue,
    failure: &FailureEntry,
    stream_arn: &str,
    shard_id: &str,
    options: &FunctionReplayOptions,
    progress: &ProgressBar,
    report: &mut FunctionReplayReport,
) -> anyhow::Result<bool> {
    let (events, records) = failure_events(failure, stream_arn, shard_id, options);
    for event in events {
        report.invocations += 1;
        let answer = function.invoke(event.body.into_bytes()).await;
        let batch = records[event.records.clone()].iter().copied();
        let verdict = AnswerVerdict::judge(&answer, batch, PayloadReading::BatchItemFailures);
        match verdict {
            AnswerVerdict::Success => progress.inc(event.records.len() as u64),
            AnswerVerdict::NotInvoked(reason) => {
                return Err(anyhow!(
                    "cannot invoke function {}: {reason}",
                    function.name()
                ));
            }
            verdict => {
                let reason = describe(&verdict, &records, event.records.start);
                warn!(verdict = %reason, "function did not process the failure");
                report.kept.push(KeptFailure {
                    id: failure.hydrated.id.clone(),
                    reason,
                });
                return Ok(false);
            }
        }
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

/// The events that replay `failure`'s records, of whichever kind, and the
/// records' sequence numbers the events' ranges index.
pub fn failure_events<'a>(
    failure: &'a FailureEntry,
    stream_arn: &str,
    shard_id: &str,
    options: &FunctionReplayOptions,
) -> (Vec<StreamEvent>, Vec<&'a SequenceNumber>) {
    let hydrated = &failure.hydrated;
    if !hydrated.dynamodb_records.is_empty() {
        let source = DynamoDbEventSource {
            stream_arn: stream_arn.to_owned(),
        };
        let events = source.events(
            &hydrated.dynamodb_records,
            options.max_records,
            options.max_bytes,
        );
        let sequence_numbers = hydrated
            .dynamodb_records
            .iter()
            .map(|record| &record.dynamodb.sequence_number)
            .collect();
        return (events, sequence_numbers);
    }
    let events = event_source(stream_arn, options).events(
        shard_id,
        &hydrated.records,
        options.max_records,
        options.max_bytes,
    );
    let sequence_numbers = hydrated
        .records
        .iter()
        .map(|record| &record.sequence_number)
        .collect();
    (events, sequence_numbers)
}

/// The mapping's part of every event of a failure from `stream_arn`.
pub fn event_source(stream_arn: &str, options: &FunctionReplayOptions) -> KinesisEventSource {
    KinesisEventSource {
        stream_arn: stream_arn.to_owned(),
        region: Arn::parse(stream_arn)
            .ok()
            .and_then(|arn| arn.region())
            .unwrap_or_default()
            .to_owned(),
        invoke_identity_arn: options.invoke_identity_arn.clone(),
    }
}

/// Why a failure was kept, naming the reported record by its sequence number.
fn describe(verdict: &AnswerVerdict, records: &[&SequenceNumber], offset: usize) -> String {
    match verdict {
        AnswerVerdict::PartialFailure { index } => records.get(offset + index).map_or_else(
            || verdict.to_string(),
            |sequence_number| format!("batch item failure at sequence number {sequence_number}"),
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replayed events carry the region of the stream the records came from.
    #[test]
    fn events_name_the_region_of_the_failed_stream() {
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
        let source = event_source(arn, &FunctionReplayOptions::default());
        assert_eq!(source.region, "eu-west-1");
        assert_eq!(source.stream_arn, arn);
    }
}
