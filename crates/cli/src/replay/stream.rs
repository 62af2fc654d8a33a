//! Replaying hydrated failures into a stream: the records go back with
//! their partition keys, in sequence order, through [`OrderedPut`]; a
//! failure's DLQ messages are deleted once every one of its records (across
//! all of its parts) was accepted, and not before.
//!
//! Delivery is at least once. A record is never lost: its message stays in
//! the queue until the record is accepted, so a run that stops for any
//! reason (an error, Ctrl-C, a kill, a crash) leaves the message to be
//! replayed by the next run. A record can be duplicated: when a run stops
//! after some of a failure's records were accepted, or after all were but
//! before the delete went through, the next run puts them again. Consumers
//! should be idempotent per record, which Kinesis consumers must be anyway
//! (the ESM retries and bisects).

use anyhow::{Context as _, anyhow};
use indicatif::ProgressBar;
use tracing::{Instrument as _, info, info_span};

use super::Deletions;
use super::interrupt::Interrupt;
use crate::put::{OrderedPut, PutEntry, PutOptions, PutReport, StreamWriter};
use crate::queue::{DlqQueue, FailureEntry};
use crate::stream::StreamId;

/// What a stream replay did, even when it stopped early.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamReplayReport {
    /// Failures whose records were all accepted.
    pub failures: usize,
    /// Of those, the ones whose messages were all deleted.
    pub deleted_failures: usize,
    pub deletions: Deletions,
    /// What was written into each target stream.
    pub targets: Vec<(StreamId, PutReport)>,
}

impl StreamReplayReport {
    pub fn records(&self) -> usize {
        self.targets.iter().map(|(_, report)| report.records).sum()
    }

    pub fn total(&self) -> PutReport {
        let mut total = PutReport::default();
        for (_, report) in &self.targets {
            total.records += report.records;
            total.bytes += report.bytes;
            total.calls += report.calls;
            total.retries += report.retries;
            total.out_of_order += report.out_of_order;
            for (shard, count) in &report.shards {
                *total.shards.entry(shard.clone()).or_default() += count;
            }
        }
        total
    }
}

/// Where each failure's records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The stream in the failure record (`streamArn`).
    Origin,
    /// One stream for every failure.
    Stream(StreamId),
}

impl Target {
    fn of(&self, failure: &FailureEntry) -> Option<StreamId> {
        match self {
            Self::Origin => failure
                .stream_arn()
                .map(|arn| StreamId::Arn(arn.to_owned())),
            Self::Stream(stream) => Some(stream.clone()),
        }
    }
}

/// The same streams and records the replay would touch, for `--dry-run`.
pub fn plan(failures: &[&FailureEntry], target: &Target) -> Vec<(StreamId, Vec<usize>)> {
    let mut groups: Vec<(StreamId, Vec<usize>)> = Vec::new();
    for (index, failure) in failures.iter().enumerate() {
        let Some(stream) = target.of(failure) else {
            continue;
        };
        match groups.iter_mut().find(|(existing, _)| *existing == stream) {
            Some((_, members)) => members.push(index),
            None => groups.push((stream, vec![index])),
        }
    }
    groups
}

/// The PutRecords entries of some failures, in order, and which failure
/// each belongs to.
pub fn entries_of(failures: &[&FailureEntry], members: &[usize]) -> (Vec<PutEntry>, Vec<usize>) {
    let mut entries = Vec::new();
    let mut owners = Vec::new();
    for &member in members {
        for record in &failures[member].hydrated.records {
            entries.push(PutEntry::new(
                record.partition_key.clone(),
                record.data.clone(),
            ));
            owners.push(member);
        }
    }
    (entries, owners)
}

/// Replays `failures` (in this order) to their target streams.
///
/// Returns the report and, if the replay stopped early, why. Messages of
/// failures that were not completely replayed are left alone: the caller
/// releases them.
pub async fn replay_to_streams<W: StreamWriter>(
    writer: &W,
    queue: &DlqQueue,
    failures: &[&FailureEntry],
    target: &Target,
    options: &PutOptions,
    progress: &ProgressBar,
    interrupt: &Interrupt,
) -> (StreamReplayReport, Option<anyhow::Error>) {
    let mut report = StreamReplayReport::default();
    for (stream, members) in plan(failures, target) {
        let span = info_span!("replay_to_stream", stream = %stream, failures = members.len());
        let result = replay_group(
            writer,
            queue,
            failures,
            &stream,
            &members,
            options,
            progress,
            interrupt,
            &mut report,
        )
        .instrument(span)
        .await;
        if let Err(error) = result {
            return (report, Some(error));
        }
    }
    (report, None)
}

#[allow(clippy::too_many_arguments)]
async fn replay_group<W: StreamWriter>(
    writer: &W,
    queue: &DlqQueue,
    failures: &[&FailureEntry],
    stream: &StreamId,
    members: &[usize],
    options: &PutOptions,
    progress: &ProgressBar,
    interrupt: &Interrupt,
    report: &mut StreamReplayReport,
) -> anyhow::Result<()> {
    let (entries, owners) = entries_of(failures, members);
    let mut remaining: Vec<usize> = failures
        .iter()
        .map(|failure| failure.hydrated.records.len())
        .collect();
    let mut put = OrderedPut::new(stream.clone(), entries, options.clone())
        .with_context(|| format!("cannot replay into {stream}"))?;
    report.targets.push((stream.clone(), PutReport::default()));
    let outcome = loop {
        if interrupt.is_set() {
            break Err(anyhow!("interrupted"));
        }
        let step = match put.step(writer).await {
            Ok(Some(step)) => step,
            Ok(None) => break Ok(()),
            Err(error) => break Err(anyhow!(error)),
        };
        progress.inc(step.accepted.len() as u64);
        let mut done = Vec::new();
        for accepted in &step.accepted {
            let owner = owners[accepted.position];
            remaining[owner] -= 1;
            if remaining[owner] == 0 {
                done.push(owner);
            }
        }
        if let Err(error) = delete_done(queue, failures, &done, report).await {
            break Err(error);
        }
    };
    if let Some((_, target_report)) = report.targets.last_mut() {
        *target_report = put.report().clone();
    }
    outcome
}

/// Deletes the messages of failures whose records were all accepted.
async fn delete_done(
    queue: &DlqQueue,
    failures: &[&FailureEntry],
    done: &[usize],
    report: &mut StreamReplayReport,
) -> anyhow::Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    let handles: Vec<&str> = done
        .iter()
        .flat_map(|&index| failures[index].receipt_handles())
        .collect();
    let failed = queue
        .delete(&handles)
        .await
        .context("the records were replayed but their DLQ messages could not be deleted; the next replay puts them again")?;
    report.failures += done.len();
    for &index in done {
        let handles = failures[index].receipt_handles();
        let all_deleted = handles
            .iter()
            .all(|handle| !failed.iter().any(|f| f.receipt_handle == *handle));
        if all_deleted {
            report.deleted_failures += 1;
        }
        info!(failure = %failures[index].hydrated.id, all_deleted, "failure replayed");
    }
    report.deletions.record(&handles, failed);
    Ok(())
}
