//! The shard poller: one task per shard that reads records in order, forms
//! batches and drives each [`Batch`] to its end before the next one, so a
//! shard has exactly one batch in flight (ParallelizationFactor 1).
//!
//! AWS contract honoured here:
//! - GetShardIterator at the starting position, then GetRecords with each
//!   answer's next iterator. An expired iterator (they live five minutes, and
//!   a batch retried for long can outlive one) is replaced by one
//!   `AFTER_SEQUENCE_NUMBER` of the last record read, so nothing is skipped
//!   or read twice. (Expiry before anything was read restarts at the
//!   starting position; for `LATEST` records put in between are not seen,
//!   as with a fresh `LATEST` iterator.)
//! - A page without records is normal; the poller waits the poll interval
//!   before asking again (Kinesis allows five GetRecords per second per
//!   shard). Read errors are retried with backoff: they never end a shard.
//! - A closed shard ends when GetRecords answers without a next iterator;
//!   its last records are delivered at once and the poller reports the end
//!   so that the child shards can start.
//! - An OnFailure record that cannot be delivered is retried until it is:
//!   the shard waits rather than losing the failure.

use std::sync::Arc;
use std::time::Duration;

use streamdlq_core::invocation::{FunctionAnswer, LambdaFunction};
use streamdlq_core::{IteratorStart, ReadError, SequenceNumber, ShardLister, ShardReader};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, error, info, info_span, warn};

use super::batch::{Batch, Discard, Reaction, Step};
use super::batcher::Batcher;
use super::clock::request_id;
use super::destination::{DiscardedBatch, FailureDestination};
use super::onfailure::{FailureOrigin, onfailure_record};
use super::shared::{Shared, or_stop};
use super::source::EsmRecord;
use super::stats::{ShardState, ShardStats};

/// How a poller ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollerExit {
    /// The shard is closed and all its records are finished.
    Ended,
    /// The ESM was stopped.
    Stopped,
}

/// Reads shard `shard_id` from `start` until it ends or the ESM stops.
pub(crate) async fn poll_shard<R, F, D, T>(
    shared: Arc<Shared<R, F, D, T>>,
    shard_id: String,
    start: IteratorStart,
    stop: watch::Receiver<bool>,
) -> (String, PollerExit)
where
    R: ShardReader<T> + ShardLister + Send + Sync + 'static,
    F: LambdaFunction + 'static,
    D: FailureDestination + 'static,
    T: EsmRecord,
{
    let span = info_span!("esm_shard", shard_id = %shard_id);
    let mut poller = ShardPoller {
        batcher: Batcher::new(
            shared.config.settings.batch_size(),
            shared.config.settings.maximum_batching_window(),
        ),
        shared,
        shard_id,
        start,
        iterator: None,
        last_read: None,
        drained: false,
        read_failures: 0,
        stop,
    };
    poller.update_stats(|stats| stats.state = ShardState::Polling);
    let exit = poller.run().instrument(span).await;
    let state = match exit {
        PollerExit::Ended => ShardState::Ended,
        PollerExit::Stopped => ShardState::Stopped,
    };
    poller.update_stats(|stats| stats.state = state);
    (poller.shard_id, exit)
}

/// What reading produced.
enum NextBatch<T> {
    Records(Vec<T>),
    /// The shard is closed and every record of it was handed out.
    Drained,
}

struct ShardPoller<R, F, D, T: EsmRecord> {
    shared: Arc<Shared<R, F, D, T>>,
    shard_id: String,
    /// Where the first iterator starts.
    start: IteratorStart,
    iterator: Option<String>,
    /// The last record read from the shard (not necessarily processed).
    last_read: Option<SequenceNumber>,
    /// The shard is closed and read to its end.
    drained: bool,
    /// Read errors in a row, for the backoff.
    read_failures: u32,
    batcher: Batcher<T>,
    stop: watch::Receiver<bool>,
}

impl<R, F, D, T> ShardPoller<R, F, D, T>
where
    R: ShardReader<T> + ShardLister + Send + Sync + 'static,
    F: LambdaFunction + 'static,
    D: FailureDestination + 'static,
    T: EsmRecord,
{
    async fn run(&mut self) -> PollerExit {
        loop {
            let records = match self.next_batch().await {
                Some(NextBatch::Records(records)) => records,
                Some(NextBatch::Drained) => {
                    info!("shard ended and every record is finished");
                    return PollerExit::Ended;
                }
                None => return PollerExit::Stopped,
            };
            if self
                .deliver(Batch::new(records, self.shared.policy))
                .await
                .is_none()
            {
                return PollerExit::Stopped;
            }
        }
    }

    /// Reads until a batch is ready or the shard is drained; `None` when
    /// stopped.
    async fn next_batch(&mut self) -> Option<NextBatch<T>> {
        loop {
            let now = Instant::now();
            if self.batcher.ready(now, self.drained) {
                return Some(NextBatch::Records(self.batcher.take(now)));
            }
            if self.drained {
                return Some(NextBatch::Drained);
            }
            self.read_page().await?;
            if self.batcher.ready(Instant::now(), self.drained) || self.drained {
                continue;
            }
            // Nothing new, or a batch still filling: wait, but not past the
            // batching window.
            let mut wake = Instant::now() + self.shared.config.poll_interval;
            if let Some(deadline) = self.batcher.deadline() {
                wake = wake.min(deadline);
            }
            or_stop(&mut self.stop, tokio::time::sleep_until(wake)).await?;
        }
    }

    /// One GetRecords call (and a GetShardIterator first if needed) into
    /// the batcher; `None` when stopped.
    async fn read_page(&mut self) -> Option<()> {
        let shared = Arc::clone(&self.shared);
        let stream_arn = shared.target.stream_arn.as_str();
        let iterator = match self.iterator.take() {
            Some(iterator) => iterator,
            None => {
                let start = match &self.last_read {
                    Some(last) => IteratorStart::After(last.clone()),
                    None => self.start.clone(),
                };
                let answer = or_stop(
                    &mut self.stop,
                    shared
                        .reader
                        .shard_iterator(stream_arn, &self.shard_id, &start),
                )
                .await?;
                match answer {
                    Ok(iterator) => iterator,
                    Err(error) => return self.read_failed("GetShardIterator", &error).await,
                }
            }
        };
        let limit = self.batcher.wanted();
        let answer = or_stop(
            &mut self.stop,
            shared.reader.records(stream_arn, &iterator, limit),
        )
        .await?;
        match answer {
            Ok(page) => {
                self.read_failures = 0;
                if let Some(last) = page.records.last() {
                    self.last_read = Some(last.sequence_number().clone());
                }
                self.batcher.push(page.records, Instant::now());
                match page.next_iterator {
                    Some(next) => self.iterator = Some(next),
                    None => self.drained = true,
                }
                Some(())
            }
            Err(ReadError::IteratorExpired) => {
                debug!(last_read = ?self.last_read.as_ref().map(SequenceNumber::as_str), "shard iterator expired; refreshing");
                Some(())
            }
            Err(error) => {
                // The iterator stays valid through throttling and faults.
                self.iterator = Some(iterator);
                self.read_failed("GetRecords", &error).await
            }
        }
    }

    /// Logs a read error and waits before the next try.
    async fn read_failed(&mut self, operation: &str, error: &ReadError) -> Option<()> {
        self.read_failures = self.read_failures.saturating_add(1);
        let delay = self
            .shared
            .config
            .retry_backoff
            .ceiling(self.read_failures.saturating_sub(1))
            .max(self.shared.config.poll_interval);
        if error.is_retryable() {
            debug!(%error, operation, "read failed; retrying");
        } else {
            warn!(%error, operation, retry_in_ms = delay.as_millis(), "read failed; retrying");
        }
        or_stop(&mut self.stop, tokio::time::sleep(delay)).await
    }

    /// Drives one batch to its end. `None` when stopped.
    async fn deliver(&mut self, mut batch: Batch<T>) -> Option<()> {
        self.update_stats(|stats| stats.batches += 1);
        loop {
            match batch.next_step(self.shared.clock.now_millis()) {
                Step::Invoke { range, delay } => {
                    if !delay.is_zero() {
                        or_stop(&mut self.stop, tokio::time::sleep(delay)).await?;
                    }
                    let records = &batch.records()[range.clone()];
                    let span = info_span!(
                        "esm_invoke",
                        first_sequence_number = %records[0].sequence_number(),
                        last_sequence_number = %records[records.len() - 1].sequence_number(),
                        batch_size = records.len(),
                    );
                    let event = T::event(&self.shared.event_source, &self.shard_id, records);
                    let shared = Arc::clone(&self.shared);
                    let answer = or_stop(
                        &mut self.stop,
                        shared
                            .function
                            .invoke(event.into_bytes())
                            .instrument(span.clone()),
                    )
                    .await?;
                    let reaction = batch.record(&answer);
                    span.in_scope(|| log_reaction(&answer, &reaction));
                    let processed = match reaction {
                        Reaction::Processed => range.len(),
                        Reaction::CheckpointMoved { resume_at } => resume_at - range.start,
                        _ => 0,
                    } as u64;
                    let checkpoint = batch.checkpoint().cloned();
                    self.update_stats(|stats| {
                        stats.invocations += 1;
                        stats.records_processed += processed;
                        stats.checkpoint = checkpoint;
                    });
                }
                Step::Discard(discard) => {
                    let record = onfailure_record(
                        &discard,
                        &FailureOrigin {
                            kind: T::KIND,
                            shard_id: &self.shard_id,
                            stream_arn: &self.shared.target.stream_arn,
                            function_arn: &self.shared.target.function_arn,
                        },
                        &request_id(),
                        self.shared.clock.now_millis(),
                    );
                    warn!(
                        condition = ?discard.condition,
                        start_sequence_number = %discard.range.start_sequence_number,
                        end_sequence_number = %discard.range.end_sequence_number,
                        batch_size = discard.range.batch_size,
                        approximate_invoke_count = discard.approximate_invoke_count,
                        "discarding records to the OnFailure destination"
                    );
                    let discarded = DiscardedBatch {
                        record,
                        payload: discarded_event::<T>(
                            &self.shared.event_source,
                            &self.shard_id,
                            batch.records(),
                            &discard,
                        ),
                        shard_id: self.shard_id.clone(),
                        discarded_at_millis: self.shared.clock.now_millis(),
                    };
                    self.send_failure(discarded).await?;
                    let checkpoint = batch.checkpoint().cloned();
                    self.update_stats(|stats| {
                        stats.failure_records += 1;
                        stats.records_discarded += u64::from(discard.range.batch_size);
                        stats.checkpoint = checkpoint;
                    });
                }
                Step::Done => return Some(()),
            }
        }
    }

    /// Delivers an OnFailure record, retrying until it is taken.
    async fn send_failure(&mut self, discarded: DiscardedBatch) -> Option<()> {
        let shared = Arc::clone(&self.shared);
        let mut failures = 0u32;
        loop {
            let answer = or_stop(&mut self.stop, shared.destination.send(&discarded)).await?;
            let Err(error) = answer else {
                return Some(());
            };
            let delay = shared.config.retry_backoff.ceiling(failures);
            failures = failures.saturating_add(1);
            if error.is_retryable() {
                warn!(%error, "OnFailure destination unavailable; retrying");
            } else {
                error!(%error, "OnFailure destination refused the record; retrying so that it is not lost");
            }
            or_stop(
                &mut self.stop,
                tokio::time::sleep(delay.max(Duration::from_millis(10))),
            )
            .await?;
        }
    }

    fn update_stats(&self, change: impl FnOnce(&mut ShardStats)) {
        self.shared.stats.send_modify(|stats| {
            change(stats.shards.entry(self.shard_id.clone()).or_default());
        });
    }
}

/// One line per invocation outcome; payloads are never logged.
/// The event of the discarded records, as the function was given them
/// (an S3 destination keeps it as the object's `payload`).
fn discarded_event<T: EsmRecord>(
    event_source: &T::EventSource,
    shard_id: &str,
    records: &[T],
    discard: &Discard,
) -> String {
    let range = &discard.range;
    let discarded: Vec<T> = records
        .iter()
        .filter(|record| {
            *record.sequence_number() >= range.start_sequence_number
                && *record.sequence_number() <= range.end_sequence_number
        })
        .cloned()
        .collect();
    T::event(event_source, shard_id, &discarded)
}

fn log_reaction(answer: &FunctionAnswer, reaction: &Reaction) {
    match (answer, reaction) {
        (_, Reaction::Processed) => debug!("batch processed"),
        (_, Reaction::CheckpointMoved { resume_at }) => {
            info!(
                resume_at,
                "partial batch failure; retrying from the failed record"
            )
        }
        (FunctionAnswer::Thrown(error), reaction) => {
            info!(error_type = %error.error_type, ?reaction, "function error")
        }
        (FunctionAnswer::NotInvoked(reason), _) => warn!(%reason, "function not invoked; retrying"),
        (FunctionAnswer::Returned(_), reaction) => info!(?reaction, "batch failed"),
    }
}
