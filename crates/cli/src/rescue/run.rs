//! [`rescue`]: the loop that drains the source queue into the DLQ.
//!
//! Per ReceiveMessage batch (up to 10 messages, hidden for the visibility
//! timeout):
//! 1. [`Triage`] each message: an OnFailure record (raw or SNS-wrapped) of
//!    an allowed stream, text that is not a record, or a stream not on the
//!    allowlist; a refused message is left alone (released at the end of
//!    the run), and a dry run only plans;
//! 2. the rest go through [`Hydrator::process_message`], the hydrate
//!    function's own engine and DLQ sink: the same parts and the same
//!    deterministic ids, so a second run over the same message writes
//!    identical duplicates, never new failures. Messages of one shard are
//!    hydrated one after the other (a shard allows 5 GetRecords calls a
//!    second, shared with the ESM), different shards side by side.
//!
//! Then the batch's written messages are deleted (DeleteMessageBatch): a
//! message only once every DLQ message of its failure was written, never
//! when the write failed or was doubtful. While a batch is worked on, its
//! messages (those written and waiting for the delete too) are kept hidden,
//! extended every half timeout, so a long range never lets one reappear to
//! another reader.
//!
//! The run ends when the queue has no new message (an empty long poll, or
//! twice only messages already seen), at `max_messages`, or on Ctrl-C after
//! the messages in hand (one per shard); then every message it holds and
//! did not delete is released at once, so another run (say, allowed another
//! stream) can take it. `--dry-run` reads the same way with a short timeout, writes and
//! deletes nothing, and releases everything at the end.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use futures::future::join_all;
use hydrate::{FailureOutcome, Hydrator};
use indicatif::ProgressBar;
use streamdlq_core::{DlqSink, RetentionCache, ShardReader, StreamRetention};
use tokio::time::Instant;
use tracing::{info, warn};

use super::plan::{CountedRetention, plan_failure};
use super::source::SourceQueue;
use super::summary::{NotWritten, Planned, Refused, RescueSummary};
use super::triage::Triage;
use crate::queue::QueueMessage;
use crate::replay::Interrupt;

/// How a rescue runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescueOptions {
    /// Show what would happen; write and delete nothing.
    pub dry_run: bool,
    /// Handle at most this many source messages.
    pub max_messages: Option<usize>,
    /// How long received messages stay hidden; extended while they are
    /// held.
    pub visibility: Duration,
    /// The longest one failure's range may be read (the engine's deadline,
    /// as a Lambda's remaining time is for the function).
    pub read_limit: Duration,
}

impl Default for RescueOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            max_messages: None,
            visibility: Duration::from_secs(120),
            read_limit: Duration::from_secs(900),
        }
    }
}

/// What the run works with.
#[derive(Debug)]
pub struct Rescue<'a, R, S, T> {
    pub hydrator: &'a Hydrator<R, S>,
    /// Where `--dry-run` reads a stream's retention.
    pub retention: &'a RetentionCache<CountedRetention<T>>,
    pub source: &'a SourceQueue,
    pub options: RescueOptions,
    pub progress: &'a ProgressBar,
    pub interrupt: &'a Interrupt,
}

/// A message received and not yet finished with.
#[derive(Debug)]
struct Held {
    message_id: String,
    handle: String,
}

/// The state of a run between batches.
#[derive(Debug, Default)]
struct Ledger {
    summary: RescueSummary,
    seen: HashSet<String>,
    /// Messages to release at the end: refused, not written, dry-run.
    keep: BTreeMap<String, String>,
}

impl<R, S, T> Rescue<'_, R, S, T>
where
    R: ShardReader + Sync,
    S: DlqSink + Sync,
    T: StreamRetention + Sync,
{
    /// Drains the source queue. Returns the summary, and the error that
    /// stopped the run early (the summary still says what was done).
    pub async fn run(&self) -> (RescueSummary, Option<anyhow::Error>) {
        let mut ledger = Ledger::default();
        ledger.summary.dry_run = self.options.dry_run;
        ledger.summary.source_queue = self.source.url().to_owned();
        ledger.summary.dlq = self.hydrator.config().dlq_url.clone();
        let error = self.drain(&mut ledger).await.err();
        let handles: Vec<&str> = ledger.keep.values().map(String::as_str).collect();
        let released = self.source.release(&handles).await;
        let mut summary = ledger.summary;
        summary.interrupted = self.interrupt.is_set();
        summary.calls.describe_stream_summary = self.retention.source().calls();
        let source = self.source.calls();
        summary.calls.receive_message = source.receive_message;
        summary.calls.delete_message_batch = source.delete_message_batch;
        summary.calls.change_message_visibility_batch = source.change_message_visibility_batch;
        summary.left = if summary.dry_run {
            summary.messages
        } else {
            summary.refused.len() + summary.not_written.len() + summary.undeleted
        };
        let error = error.or_else(|| {
            released
                .err()
                .map(|error| error.context("cannot release the messages left in the source queue; they reappear when their visibility timeout ends"))
        });
        (summary, error)
    }

    async fn drain(&self, ledger: &mut Ledger) -> anyhow::Result<()> {
        let visibility = if self.options.dry_run {
            DRY_RUN_VISIBILITY
        } else {
            self.options.visibility
        };
        let mut idle = 0;
        while !self.interrupt.is_set() && !self.reached_max(ledger.summary.messages) {
            let received = self.source.receive(visibility).await?;
            if received.is_empty() {
                break;
            }
            let (new, repeated): (Vec<_>, Vec<_>) = received
                .into_iter()
                .partition(|message| !ledger.seen.contains(&message.message_id));
            // A message seen before came back because its timeout ran out:
            // refused and dry-run ones are only held again (latest handle).
            for message in repeated {
                ledger
                    .keep
                    .insert(message.message_id.clone(), message.receipt_handle);
            }
            if new.is_empty() {
                idle += 1;
                if idle >= 2 {
                    break;
                }
                continue;
            }
            idle = 0;
            self.batch(new, ledger).await?;
        }
        Ok(())
    }

    fn reached_max(&self, handled: usize) -> bool {
        self.options.max_messages.is_some_and(|max| handled >= max)
    }

    /// Works on one received batch while keeping its messages hidden.
    async fn batch(&self, messages: Vec<QueueMessage>, ledger: &mut Ledger) -> anyhow::Result<()> {
        let held = Mutex::new(
            messages
                .iter()
                .map(|message| Held {
                    message_id: message.message_id.clone(),
                    handle: message.receipt_handle.clone(),
                })
                .collect::<Vec<_>>(),
        );
        let work = self.work(&messages, &held, ledger);
        let result = if self.options.dry_run {
            work.await
        } else {
            tokio::select! {
                result = work => result,
                never = self.keep_hidden(&held) => match never {},
            }
        };
        // Whatever was received and not worked on stays in the queue.
        for message in held.into_inner().unwrap_or_else(|e| e.into_inner()) {
            if !ledger.seen.contains(&message.message_id) {
                ledger.keep.insert(message.message_id, message.handle);
            }
        }
        result
    }

    /// Extends the visibility of the held messages every half timeout;
    /// never returns (the batch's work ends it).
    async fn keep_hidden(&self, held: &Mutex<Vec<Held>>) -> std::convert::Infallible {
        let visibility = self.options.visibility;
        loop {
            tokio::time::sleep(visibility / 2).await;
            let handles: Vec<String> = held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|message| message.handle.clone())
                .collect();
            let handles: Vec<&str> = handles.iter().map(String::as_str).collect();
            match self.source.extend(&handles, visibility).await {
                Ok(failed) if failed.is_empty() => {
                    info!(messages = handles.len(), "extended the visibility timeout");
                }
                Ok(failed) => warn!(
                    failed = failed.len(),
                    reason = %failed[0].reason,
                    "SQS did not extend the visibility timeout of some messages; \
                     another reader may receive them"
                ),
                Err(error) => warn!(%error, "cannot extend the visibility timeout"),
            }
        }
    }

    /// Settles the batch's messages: refused and dry-run ones at once, the
    /// rest written to the DLQ, one lane per shard (the lanes side by side,
    /// a lane's messages one after the other, so a shard sees one reader of
    /// this run at a time), then deletes what was written.
    async fn work(
        &self,
        messages: &[QueueMessage],
        held: &Mutex<Vec<Held>>,
        ledger: &mut Ledger,
    ) -> anyhow::Result<()> {
        let mut lanes: BTreeMap<String, Vec<(&QueueMessage, String)>> = BTreeMap::new();
        // Messages handled before this batch, plus those taken from it.
        let handled = ledger.summary.messages..;
        for (taken, message) in handled.zip(messages) {
            if self.interrupt.is_set() || self.reached_max(taken) {
                break;
            }
            ledger.seen.insert(message.message_id.clone());
            match self.settle(message, &mut ledger.summary).await {
                Some((lane, text)) => lanes.entry(lane).or_default().push((message, text)),
                None => {
                    self.handled(&mut ledger.summary);
                    leave(message, held, ledger);
                }
            }
        }
        let lanes = join_all(lanes.into_values().map(|lane| self.lane(lane))).await;
        let mut written = Vec::new();
        for (message, outcome) in lanes.into_iter().flatten() {
            let Some(outcome) = outcome else {
                // Not started: Ctrl-C came first. Back to the queue, uncounted.
                ledger.seen.remove(&message.message_id);
                leave(message, held, ledger);
                continue;
            };
            self.handled(&mut ledger.summary);
            match record_outcome(message, outcome, &mut ledger.summary) {
                // Still held, so kept hidden, until the batch's delete.
                Done::Written => written.push(message.receipt_handle.as_str()),
                Done::Left => leave(message, held, ledger),
            }
        }
        if written.is_empty() {
            return Ok(());
        }
        let failed = self.source.delete(&written).await?;
        for entry in &failed {
            warn!(reason = %entry.reason, "SQS did not delete a rescued source message");
        }
        ledger.summary.deleted += written.len() - failed.len();
        ledger.summary.undeleted += failed.len();
        Ok(())
    }

    /// Counts one message as handled, on the progress bar too.
    fn handled(&self, summary: &mut RescueSummary) {
        summary.messages += 1;
        self.progress.inc(1);
        if self
            .progress
            .length()
            .is_some_and(|length| self.progress.position() > length)
        {
            self.progress.set_length(self.progress.position());
        }
    }

    /// Settles a refused message, or one of a dry run; for one to write,
    /// its lane (the shard, or a lane of its own when unparseable) and the
    /// text to hydrate.
    async fn settle(
        &self,
        message: &QueueMessage,
        summary: &mut RescueSummary,
    ) -> Option<(String, String)> {
        let message_id = &message.message_id;
        let dry_run = self.options.dry_run;
        match Triage::of(&message.body, &self.hydrator.config().allowlist) {
            Triage::Refused { stream_arn, reason } => {
                info!(%message_id, %stream_arn, "stream not allowed; message left in the source queue");
                if dry_run {
                    summary.planned.push(Planned {
                        message_id: message_id.clone(),
                        action: "refused",
                        stream_arn: Some(stream_arn.clone()),
                        reason: Some(reason.clone()),
                        ..Planned::default()
                    });
                }
                summary.refused.push(Refused {
                    message_id: message_id.clone(),
                    stream_arn,
                    reason,
                });
                None
            }
            Triage::Failure {
                record,
                sns_wrapped,
                ..
            } if dry_run => {
                let planned = plan_failure(message_id, &record, sns_wrapped, self.retention).await;
                summary.plan(planned);
                None
            }
            Triage::Unparseable { reason, .. } if dry_run => {
                summary.plan(Planned {
                    message_id: message_id.clone(),
                    action: "unparseable",
                    reason: Some(reason),
                    ..Planned::default()
                });
                None
            }
            Triage::Failure { text, record, .. } => {
                let batch = &record.batch;
                Some((format!("{} {}", batch.stream_arn, batch.shard_id), text))
            }
            Triage::Unparseable { text, .. } => Some((format!("unparseable {message_id}"), text)),
        }
    }

    /// Hydrates one lane's messages into the DLQ in order, with the
    /// function's engine; stops starting new ones on Ctrl-C (`None`).
    async fn lane<'m>(
        &self,
        lane: Vec<(&'m QueueMessage, String)>,
    ) -> Vec<(&'m QueueMessage, Option<FailureOutcome>)> {
        let mut done = Vec::with_capacity(lane.len());
        for (message, text) in lane {
            if self.interrupt.is_set() {
                done.push((message, None));
                continue;
            }
            let deadline = Instant::now() + self.options.read_limit;
            // Boxed: the engine's future is deep (see the hydrate function).
            let outcome = Box::pin(self.hydrator.process_message(&text, deadline)).await;
            done.push((message, Some(outcome)));
        }
        done
    }
}

/// Counts what writing one message's failure did.
fn record_outcome(
    message: &QueueMessage,
    outcome: FailureOutcome,
    summary: &mut RescueSummary,
) -> Done {
    summary.calls.get_shard_iterator += outcome.read.shard_iterator_calls as usize;
    summary.calls.get_records += outcome.read.get_records_calls as usize;
    summary.calls.send_message_batch += outcome.sent.calls;
    match outcome.error {
        None => {
            *summary
                .failures
                .entry(outcome.summary.status.as_str().to_owned())
                .or_default() += 1;
            summary.records += outcome.summary.found;
            summary.dlq_messages += outcome.summary.parts;
            Done::Written
        }
        Some(error) => {
            warn!(message_id = %message.message_id, %error, "failure not written; message left in the source queue");
            summary.not_written.push(NotWritten {
                message_id: message.message_id.clone(),
                id: outcome.summary.id,
                error: error.to_string(),
            });
            Done::Left
        }
    }
}

/// Leaves a message in the source queue: no longer kept hidden, released
/// at the end of the run.
fn leave(message: &QueueMessage, held: &Mutex<Vec<Held>>, ledger: &mut Ledger) {
    held.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|h| h.message_id != message.message_id);
    ledger
        .keep
        .insert(message.message_id.clone(), message.receipt_handle.clone());
}

/// What became of one message.
enum Done {
    /// Every DLQ message of its failure was written: delete it.
    Written,
    /// Leave it in the source queue.
    Left,
}

/// How long a dry run hides what it reads: it releases everything at the
/// end; this bounds what a crash would hide.
pub const DRY_RUN_VISIBILITY: Duration = Duration::from_secs(30);
