//! The hydration engine: re-reads the exact range of a failed batch from its
//! shard through a [`ShardReader`].
//!
//! AWS contract honoured here:
//! - Start with an `AT_SEQUENCE_NUMBER` iterator on `startSequenceNumber`,
//!   then GetRecords until the record at `endSequenceNumber` (or one after
//!   it) is read, or the shard ends (no next iterator). Empty pages that
//!   carry a next iterator are normal.
//! - The whole range is read, even when it holds more than `batchSize`
//!   records: with `ParallelizationFactor` > 1 the event source mapping
//!   splits a shard by partition key into concurrent batches, and event
//!   filtering drops records, so a failed batch's records are spread over
//!   its range among records processed elsewhere. Every record of the range
//!   is kept (the DLQ message says the range was wider than the batch), up
//!   to [`HydrateOptions::max_range_records`] records and
//!   [`HydrateOptions::max_range_bytes`] bytes beyond the batch; reaching a
//!   cap is reported ([`StopReason::RangeCapped`]), never hidden.
//! - Ask for no more records than still needed (`batchSize` first, then
//!   up to the cap), at most 10,000 a call. A range that holds exactly
//!   `batchSize` records ends on its last record: no call more than before.
//! - The first record read must be `startSequenceNumber`; anything later
//!   means retention trimmed the range, which is reported, never hidden.
//! - Iterators expire after five minutes: take a new one
//!   `AFTER_SEQUENCE_NUMBER` of the last record read, so nothing is read
//!   twice or skipped.
//! - GetRecords allows 5 calls/s per shard, shared with the event source
//!   mapping: calls are spaced, and errors the SDK still surfaces after its
//!   own retries get an outer backoff with full jitter.
//! - The caller's deadline (the Lambda's remaining time minus what writing
//!   the DLQ needs) is never overrun: no call or pause runs past it.
//!
//! One loop serves Kinesis and DynamoDB Streams alike: it is generic over
//! the [`ShardRecord`] a reader yields. Where the two services differ, the
//! difference is in the data, not in a second loop:
//! - the `Limit` of a call is capped by the record type
//!   ([`ShardRecord::MAX_RECORDS_PER_CALL`]: 10,000 or 1,000);
//! - DynamoDB Streams answers `TrimmedDataAccessException` where Kinesis
//!   silently starts at the trim horizon: the engine then asks for the trim
//!   horizon itself, so both report a trimmed range the same way;
//! - DynamoDB Streams pages carry no `MillisBehindLatest`, so the tip of an
//!   open shard (empty pages forever) is recognised by a rule of its own:
//!   [`HydrateOptions::quiet_tip_pages`] empty pages in a row once a record
//!   was read ([`StopReason::QuietTip`]).

mod backoff;
mod options;
mod stats;
mod verdict;

#[cfg(test)]
mod dynamodb_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

use tokio::time::{Instant, sleep, sleep_until, timeout_at};
use tracing::{Instrument, debug, info, info_span, warn};

pub use backoff::Backoff;
pub use options::{
    DYNAMODB_GET_RECORDS_MAX_LIMIT, GET_RECORDS_MAX_LIMIT, HydrateOptions, MAX_RANGE_BYTES,
    MAX_RANGE_RECORDS,
};
pub use stats::ReadStats;
pub use verdict::{Operation, RangeCap, StopReason};

use crate::failure::BatchInfo;
use crate::hydration::Hydration;
use crate::sequence::SequenceNumber;
use crate::stream::{IteratorStart, ReadError, RecordPage, ShardReader, ShardRecord, StreamRecord};

/// What hydrating one failed batch produced, and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrationReport<T = StreamRecord> {
    pub hydration: Hydration<T>,
    pub stats: ReadStats,
    /// Why reading stopped; `hydration.reason` says it in words.
    pub stop: StopReason,
}

/// Re-reads the range of `batch` from its shard, stopping before `deadline`.
///
/// Never fails: every outcome is a [`Hydration`] whose status and reason say
/// how complete it is, so the failure record always reaches the DLQ.
pub async fn hydrate<T: ShardRecord, R: ShardReader<T>>(
    reader: &R,
    batch: &BatchInfo,
    options: &HydrateOptions,
    deadline: Instant,
) -> HydrationReport<T> {
    let span = info_span!(
        "hydrate",
        stream_arn = %batch.stream_arn,
        shard_id = %batch.shard_id,
        start_sequence_number = %batch.start_sequence_number,
        end_sequence_number = %batch.end_sequence_number,
        batch_size = batch.batch_size,
    );
    async {
        let mut read = Read::new(reader, batch, options, deadline);
        let stop = read.run().await;
        let hydration = verdict::judge(
            batch,
            read.kept,
            read.first_found.as_ref(),
            read.trimmed_while_reading,
            &stop,
        );
        info!(
            status = %hydration.status,
            found = hydration.found(),
            expected = hydration.expected,
            wider_than_batch = hydration.found() > hydration.expected as usize,
            get_records_calls = read.stats.get_records_calls,
            throttles = read.stats.throttles,
            iterator_refreshes = read.stats.iterator_refreshes,
            bytes_read = read.stats.bytes_read,
            reason = hydration.reason.as_deref().unwrap_or(""),
            "hydration finished"
        );
        HydrationReport {
            hydration,
            stats: read.stats,
            stop,
        }
    }
    .instrument(span)
    .await
}

/// The state of one hydration while it reads.
struct Read<'a, R, T> {
    reader: &'a R,
    batch: &'a BatchInfo,
    options: &'a HydrateOptions,
    deadline: Instant,
    stats: ReadStats,
    /// Records of the range, in shard (= sequence) order.
    kept: Vec<T>,
    /// Payload bytes of the records kept beyond the first `batchSize`.
    kept_beyond_batch_bytes: u64,
    /// The first record read at or after the range start.
    first_found: Option<SequenceNumber>,
    /// The last record read at all: where a refreshed iterator resumes.
    last_read: Option<SequenceNumber>,
    /// When the last GetRecords call started, for spacing calls.
    last_get_records: Option<Instant>,
    /// Retention trimmed records after some were read: a gap in the range.
    trimmed_while_reading: bool,
    rng: fastrand::Rng,
}

/// Why a GetRecords call returned no page.
enum Fetch {
    Expired,
    Stop(StopReason),
}

impl<'a, T: ShardRecord, R: ShardReader<T>> Read<'a, R, T> {
    fn new(
        reader: &'a R,
        batch: &'a BatchInfo,
        options: &'a HydrateOptions,
        deadline: Instant,
    ) -> Self {
        Self {
            reader,
            batch,
            options,
            deadline,
            stats: ReadStats::default(),
            kept: Vec::new(),
            kept_beyond_batch_bytes: 0,
            first_found: None,
            last_read: None,
            last_get_records: None,
            trimmed_while_reading: false,
            rng: fastrand::Rng::new(),
        }
    }

    async fn run(&mut self) -> StopReason {
        let batch = self.batch;
        if batch.start_sequence_number > batch.end_sequence_number {
            return StopReason::ReversedRange;
        }
        if batch.batch_size == 0 {
            return StopReason::EmptyBatch;
        }
        let start = IteratorStart::At(batch.start_sequence_number.clone());
        let mut iterator = match self.open_iterator(&start).await {
            Ok(iterator) => iterator,
            Err(stop) => return stop,
        };
        let mut empty_in_a_row = 0u32;
        let mut expired_in_a_row = 0u32;
        loop {
            // The batch first; only a range found wider reads on, in pages
            // as large as the service allows, up to the cap.
            let kept = self.kept_count();
            let remaining = if kept < batch.batch_size {
                batch.batch_size - kept
            } else {
                self.max_records().saturating_sub(kept)
            };
            let limit = self.options.limit_for(remaining, T::MAX_RECORDS_PER_CALL);
            let page = match self.fetch(&iterator, limit).await {
                Ok(page) => page,
                Err(Fetch::Stop(stop)) => return stop,
                Err(Fetch::Expired) => {
                    expired_in_a_row += 1;
                    if expired_in_a_row >= self.options.max_attempts.max(1) {
                        return StopReason::ReadFailed {
                            operation: Operation::GetRecords,
                            error: ReadError::IteratorExpired,
                            attempts: expired_in_a_row,
                        };
                    }
                    match self.refresh_iterator().await {
                        Ok(fresh) => iterator = fresh,
                        Err(stop) => return stop,
                    }
                    continue;
                }
            };
            expired_in_a_row = 0;
            let returned = page.records.len();
            let at_tip = page.millis_behind_latest == Some(0);
            let lag_unknown = page.millis_behind_latest.is_none();
            if let Some(stop) = self.take(page.records) {
                return stop;
            }
            let Some(next) = page.next_iterator else {
                return StopReason::ShardClosed;
            };
            iterator = next;
            if returned == 0 {
                self.stats.empty_pages += 1;
                empty_in_a_row += 1;
                if at_tip {
                    return StopReason::CaughtUp;
                }
                // Without MillisBehindLatest (DynamoDB Streams) the tip of an
                // open shard looks like any empty page, and it answers them
                // forever. Once the range has begun, the records still to
                // come were written before the failure was reported, so a
                // few empty pages in a row mean there are none: stop rather
                // than run to the deadline.
                if lag_unknown
                    && self.last_read.is_some()
                    && empty_in_a_row >= self.options.quiet_tip_pages.max(1)
                {
                    return StopReason::QuietTip(empty_in_a_row);
                }
                if empty_in_a_row >= self.options.max_empty_pages.max(1) {
                    return StopReason::EmptyPages(empty_in_a_row);
                }
            } else {
                empty_in_a_row = 0;
            }
        }
    }

    fn kept_count(&self) -> u32 {
        u32::try_from(self.kept.len()).unwrap_or(u32::MAX)
    }

    /// The most records kept: the cap, but never fewer than `batchSize`,
    /// so that a range no wider than its batch is read as before.
    fn max_records(&self) -> u32 {
        self.options.max_range_records.max(self.batch.batch_size)
    }

    /// Whether keeping `record` would pass the byte cap on a range wider
    /// than its batch. The first `batchSize` records are always kept.
    fn over_cap(&self, record: &T) -> Option<RangeCap> {
        if self.kept_count() < self.batch.batch_size {
            return None;
        }
        let bytes = self.kept_beyond_batch_bytes + record.size();
        (bytes > self.options.max_range_bytes)
            .then_some(RangeCap::Bytes(self.options.max_range_bytes))
    }

    /// Keeps the records of one page that fall in the range; says whether
    /// reading is over.
    fn take(&mut self, records: Vec<T>) -> Option<StopReason> {
        let (start, end) = (
            &self.batch.start_sequence_number,
            &self.batch.end_sequence_number,
        );
        let returned = records.len();
        let bytes: u64 = records.iter().map(ShardRecord::size).sum();
        self.stats.records_read += returned as u64;
        self.stats.bytes_read += bytes;
        let kept_before = self.kept.len();
        let mut stop = None;
        for record in records {
            let sequence_number = record.sequence_number();
            self.last_read = Some(sequence_number.clone());
            if sequence_number < start {
                continue;
            }
            if self.first_found.is_none() {
                self.first_found = Some(sequence_number.clone());
            }
            if sequence_number > end {
                stop = Some(StopReason::PastEnd);
                break;
            }
            if let Some(cap) = self.over_cap(&record) {
                stop = Some(StopReason::RangeCapped(cap));
                break;
            }
            if self.kept_count() >= self.batch.batch_size {
                self.kept_beyond_batch_bytes += record.size();
            }
            let at_end = sequence_number == end;
            self.kept.push(record);
            if at_end {
                stop = Some(StopReason::RangeEnd);
                break;
            }
            // The end record is still to come: the range is over the cap.
            if self.kept_count() >= self.max_records() {
                stop = Some(StopReason::RangeCapped(RangeCap::Records(
                    self.max_records(),
                )));
                break;
            }
        }
        debug!(
            returned,
            kept = self.kept.len() - kept_before,
            total_kept = self.kept.len(),
            bytes,
            last_read = self.last_read.as_ref().map(tracing::field::display),
            "page read"
        );
        stop
    }

    /// A new iterator after the last record read (or at the range start if
    /// none was read), replacing one that expired.
    async fn refresh_iterator(&mut self) -> Result<String, StopReason> {
        self.stats.iterator_refreshes += 1;
        let start = match &self.last_read {
            Some(last) => IteratorStart::After(last.clone()),
            None => IteratorStart::At(self.batch.start_sequence_number.clone()),
        };
        debug!(?start, "shard iterator expired, taking a new one");
        self.open_iterator(&start).await
    }

    /// GetShardIterator, retried with backoff on retryable errors. A
    /// position trimmed by retention (DynamoDB Streams refuses it where
    /// Kinesis starts at the trim horizon) is read from the trim horizon:
    /// the verdict then sees the first record found after the start and
    /// reports the trimmed range, never the wrong records.
    async fn open_iterator(&mut self, start: &IteratorStart) -> Result<String, StopReason> {
        let (reader, batch) = (self.reader, self.batch);
        let mut start = start.clone();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.check_deadline()?;
            self.stats.shard_iterator_calls += 1;
            let call = reader.shard_iterator(&batch.stream_arn, &batch.shard_id, &start);
            let error = match timeout_at(self.deadline, call).await {
                Err(_elapsed) => return Err(StopReason::Deadline),
                Ok(Ok(iterator)) => return Ok(iterator),
                Ok(Err(ReadError::Trimmed(detail))) if start != IteratorStart::TrimHorizon => {
                    debug!(?start, %detail, "position trimmed, reading from the trim horizon");
                    self.stats.trimmed_starts += 1;
                    // Records between the last one read and the horizon
                    // are gone: the verdict must say so.
                    self.trimmed_while_reading |= self.last_read.is_some();
                    start = IteratorStart::TrimHorizon;
                    attempt = 0;
                    continue;
                }
                Ok(Err(error)) => error,
            };
            let delay = self.after_error(Operation::GetShardIterator, error, attempt)?;
            sleep(delay).await;
        }
    }

    /// GetRecords, spaced from the previous call and retried with backoff on
    /// retryable errors. An expired iterator is handed back to the caller,
    /// which knows where to resume.
    async fn fetch(&mut self, iterator: &str, limit: u32) -> Result<RecordPage<T>, Fetch> {
        let (reader, batch) = (self.reader, self.batch);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await.map_err(Fetch::Stop)?;
            self.stats.get_records_calls += 1;
            self.last_get_records = Some(Instant::now());
            let call = reader.records(&batch.stream_arn, iterator, limit);
            let error = match timeout_at(self.deadline, call).await {
                Err(_elapsed) => return Err(Fetch::Stop(StopReason::Deadline)),
                Ok(Ok(page)) => return Ok(page),
                // A DynamoDB Streams iterator whose position retention
                // trimmed since: a new one finds the oldest record left.
                Ok(Err(ReadError::IteratorExpired | ReadError::Trimmed(_))) => {
                    return Err(Fetch::Expired);
                }
                Ok(Err(error)) => error,
            };
            let delay = self
                .after_error(Operation::GetRecords, error, attempt)
                .map_err(Fetch::Stop)?;
            sleep(delay).await;
        }
    }

    /// Waits until the next GetRecords call keeps the shard under its
    /// 5 calls/s, unless that wait would reach the deadline.
    async fn pace(&mut self) -> Result<(), StopReason> {
        self.check_deadline()?;
        if let Some(last) = self.last_get_records {
            let next = last + self.options.min_call_interval;
            if next >= self.deadline {
                return Err(StopReason::Deadline);
            }
            sleep_until(next).await;
        }
        Ok(())
    }

    fn check_deadline(&self) -> Result<(), StopReason> {
        if Instant::now() >= self.deadline {
            Err(StopReason::Deadline)
        } else {
            Ok(())
        }
    }

    /// Decides what a failed call leads to: the delay before trying again,
    /// or the reason to stop.
    fn after_error(
        &mut self,
        operation: Operation,
        error: ReadError,
        attempt: u32,
    ) -> Result<Duration, StopReason> {
        match error {
            ReadError::Throttled(_) => self.stats.throttles += 1,
            ReadError::Transient(_) => self.stats.transient_errors += 1,
            _ => {}
        }
        let give_up = |error| StopReason::ReadFailed {
            operation,
            error,
            attempts: attempt,
        };
        if !error.is_retryable() || attempt >= self.options.max_attempts {
            warn!(%operation, attempt, %error, "read failed, giving up");
            return Err(give_up(error));
        }
        let delay = self.options.backoff.delay(attempt - 1, &mut self.rng);
        if Instant::now() + delay >= self.deadline {
            warn!(%operation, attempt, %error, "read failed, no time left to retry");
            return Err(StopReason::Deadline);
        }
        warn!(
            %operation,
            attempt,
            %error,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "read failed, backing off"
        );
        Ok(delay)
    }
}
