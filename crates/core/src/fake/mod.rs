//! In-memory fakes of the core ports, for tests here and in the crates built
//! on this one (feature `fakes`).
//!
//! [`FakeStream`] is one Kinesis stream with shards of records that behaves
//! like the real GetShardIterator / GetRecords: sequence numbers of 56
//! digits, opaque iterators, `MillisBehindLatest`, closed shards that end with
//! no next iterator, retention that trims the oldest records. On top of that
//! it can be told to misbehave the ways Kinesis does (throttling, expiring
//! iterators, empty pages, short pages) and it records every call.
//!
//! [`FakeDynamoDbStream`] is the same fake holding DynamoDB Streams records
//! ([`FakeRecord`] says what differs): sequence numbers of 24 digits, pages
//! of at most 1,000 records without `MillisBehindLatest`, and
//! `TrimmedDataAccessException` for a position retention removed.
//!
//! ```
//! # use streamdlq_core::fake::FakeStream;
//! let stream = FakeStream::new(FakeStream::ARN);
//! stream.put_many("shardId-000000000000", 5);
//! stream.throttle_get_records(2).cap_page_size(2);
//! let batch = stream.batch("shardId-000000000000", 1..=3);
//! assert_eq!(batch.batch_size, 3);
//! ```

mod calls;
mod dynamodb;
mod faults;
mod logs;
mod record;
mod sequence;

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub use calls::{FakeCall, FakeCalls, FakeOperation};
pub use dynamodb::FakeDynamoDbStream;
pub use faults::ALWAYS;
pub use logs::{LogCapture, LogFormat};
pub use record::FakeRecord;

use crate::failure::BatchInfo;
use crate::sequence::SequenceNumber;
use crate::stream::{
    IteratorStart, ReadError, RecordPage, ShardLister, ShardReader, ShardSummary, StreamRecord,
};
use faults::Faults;

/// An in-memory Kinesis stream. Cheap to clone: clones share the stream, so
/// a test can keep one to script faults and inspect calls while the code
/// under test reads through another.
#[derive(Debug, Clone)]
pub struct FakeStream<T = StreamRecord> {
    arn: Arc<str>,
    state: Arc<Mutex<State<T>>>,
}

#[derive(Debug)]
struct State<T> {
    /// In creation order; the index numbers the shard's sequence space.
    shards: Vec<Shard<T>>,
    iterators: HashMap<String, Cursor>,
    issued_iterators: u64,
    lineages: u64,
    faults: Faults,
    calls: Vec<FakeCall>,
    latency: Duration,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        Self {
            shards: Vec::new(),
            iterators: HashMap::new(),
            issued_iterators: 0,
            lineages: 0,
            faults: Faults::default(),
            calls: Vec::new(),
            latency: Duration::ZERO,
        }
    }
}

#[derive(Debug)]
struct Shard<T> {
    id: String,
    records: Vec<T>,
    /// How many of the oldest records retention removed.
    trimmed: usize,
    closed: bool,
    /// The shards this one was split or merged from.
    parent: Option<String>,
    adjacent_parent: Option<String>,
}

/// Where an iterator points and how long its lineage has been in use.
#[derive(Debug, Clone)]
struct Cursor {
    shard: usize,
    position: usize,
    lineage: u64,
    uses: u32,
}

/// Arrival time of the first record: 2026-11-23T10:14:01Z.
const FIRST_ARRIVAL_MILLIS: i64 = 1_795_428_841_000;
/// Time between two records' arrival, and the lag each unread record adds
/// to `MillisBehindLatest`.
const ARRIVAL_SPACING_MILLIS: i64 = 5;

impl FakeStream {
    /// A stream ARN in the shape AWS uses.
    pub const ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

    /// An empty stream; shards appear on first use.
    pub fn new(stream_arn: impl Into<String>) -> Self {
        Self::empty(stream_arn)
    }

    /// Appends one record, as PutRecord would, and returns its sequence number.
    pub fn put(
        &self,
        shard_id: &str,
        partition_key: &str,
        data: impl Into<Vec<u8>>,
    ) -> SequenceNumber {
        let data = data.into();
        self.append(shard_id, |sequence_number, arrival| StreamRecord {
            sequence_number,
            partition_key: partition_key.to_owned(),
            approximate_arrival_millis: Some(arrival),
            data,
        })
    }
}

impl<T: FakeRecord> FakeStream<T> {
    /// An empty stream of `T` records; shards appear on first use.
    fn empty(stream_arn: impl Into<String>) -> Self {
        Self {
            arn: Arc::from(stream_arn.into()),
            state: Arc::default(),
        }
    }

    /// Appends the record `make` builds from its sequence number and
    /// arrival time; returns the sequence number.
    pub fn append(
        &self,
        shard_id: &str,
        make: impl FnOnce(SequenceNumber, i64) -> T,
    ) -> SequenceNumber {
        let mut state = self.state();
        let (index, shard) = state.shard_entry(shard_id);
        let position = shard.records.len();
        let sequence_number = T::nth_sequence_number(index, position);
        let arrival = FIRST_ARRIVAL_MILLIS + ARRIVAL_SPACING_MILLIS * position as i64;
        shard.records.push(make(sequence_number.clone(), arrival));
        sequence_number
    }

    pub fn stream_arn(&self) -> &str {
        &self.arn
    }

    /// Adds an empty, open shard (a no-op if it exists).
    pub fn add_shard(&self, shard_id: &str) -> &Self {
        self.state().shard_mut(shard_id);
        self
    }

    /// Adds an empty, open shard that resharding created from `parent` (a
    /// split) or from `parent` and `adjacent_parent` (a merge). Close the
    /// parents with [`Self::close_shard`] as resharding does.
    pub fn add_child_shard(
        &self,
        shard_id: &str,
        parent: &str,
        adjacent_parent: Option<&str>,
    ) -> &Self {
        let mut state = self.state();
        let shard = state.shard_mut(shard_id);
        shard.parent = Some(parent.to_owned());
        shard.adjacent_parent = adjacent_parent.map(str::to_owned);
        self
    }

    /// Appends `count` records, N counting from the shard's current length:
    /// Kinesis records with partition key `pk-N` and data `record-N`,
    /// DynamoDB inserts of item `pk-N`.
    pub fn put_many(&self, shard_id: &str, count: usize) -> Vec<SequenceNumber> {
        let first = self.state().shard_mut(shard_id).records.len();
        (first..first + count)
            .map(|n| self.append(shard_id, |seq, arrival| T::generated(seq, arrival, n)))
            .collect()
    }

    /// Every record ever put in the shard, trimmed ones included.
    pub fn shard_records(&self, shard_id: &str) -> Vec<T> {
        self.state()
            .shard(shard_id)
            .map(|shard| shard.records.clone())
            .unwrap_or_default()
    }

    /// The failed-batch metadata an event source mapping would report for
    /// the records at `positions` (0-based, inclusive) of the shard.
    ///
    /// # Panics
    /// If the shard does not hold those positions: a mistake in the test.
    pub fn batch(&self, shard_id: &str, positions: RangeInclusive<usize>) -> BatchInfo {
        let records = self.shard_records(shard_id);
        let (first, last) = (*positions.start(), *positions.end());
        assert!(
            first <= last && last < records.len(),
            "shard {shard_id} has {} records, no positions {first}..={last}",
            records.len()
        );
        BatchInfo {
            shard_id: shard_id.to_owned(),
            start_sequence_number: records[first].sequence_number().clone(),
            end_sequence_number: records[last].sequence_number().clone(),
            approximate_arrival_of_first_record: None,
            approximate_arrival_of_last_record: None,
            batch_size: u32::try_from(last - first + 1).unwrap_or(u32::MAX),
            stream_arn: self.arn.to_string(),
        }
    }

    /// The sequence number the record at `position` of the shard has, or
    /// will have once that many are put: a range end past the shard's tip.
    pub fn sequence_number_at(&self, shard_id: &str, position: usize) -> SequenceNumber {
        let mut state = self.state();
        let (index, _) = state.shard_entry(shard_id);
        T::nth_sequence_number(index, position)
    }

    /// Closes the shard (as resharding does): once read to its end,
    /// GetRecords answers with no next iterator.
    pub fn close_shard(&self, shard_id: &str) -> &Self {
        self.state().shard_mut(shard_id).closed = true;
        self
    }

    /// Retention removes the `count` oldest records of the shard. An
    /// iterator asked for a trimmed record starts at the oldest one left.
    pub fn trim(&self, shard_id: &str, count: usize) -> &Self {
        let mut state = self.state();
        let shard = state.shard_mut(shard_id);
        shard.trimmed = shard.trimmed.max(count.min(shard.records.len()));
        self
    }

    /// The next `times` GetRecords calls fail with `error` (use [`ALWAYS`]
    /// for a fault that stays). Scripted errors are served in order.
    pub fn fail_get_records(&self, error: ReadError, times: u32) -> &Self {
        self.state()
            .faults
            .get_records_errors
            .push(Some(error), times);
        self
    }

    /// The next `calls` GetRecords calls answer normally before the faults
    /// scripted after this one, e.g. to fail once some records were read.
    pub fn succeed_get_records(&self, calls: u32) -> &Self {
        self.state().faults.get_records_errors.push(None, calls);
        self
    }

    /// The next `times` GetRecords calls are throttled, as they are when
    /// the SDK's retries ran out on a busy shard.
    pub fn throttle_get_records(&self, times: u32) -> &Self {
        let error = ReadError::Throttled(format!(
            "Rate exceeded for shard in stream {} under account 123456789012.",
            self.arn
        ));
        self.fail_get_records(error, times)
    }

    /// The next `times` GetShardIterator calls fail with `error`.
    pub fn fail_shard_iterator(&self, error: ReadError, times: u32) -> &Self {
        self.state()
            .faults
            .shard_iterator_errors
            .push(Some(error), times);
        self
    }

    /// Each iterator lineage (a GetShardIterator and the next iterators that
    /// follow it) serves `calls` GetRecords calls and then expires, standing
    /// in for Kinesis's five-minute lifetime.
    pub fn expire_iterators_after(&self, calls: u32) -> &Self {
        self.state().faults.expire_after = Some(calls);
        self
    }

    /// The next `count` GetRecords calls return an empty page with a next
    /// iterator at the same place, as Kinesis sometimes does before data.
    pub fn empty_pages(&self, count: u32) -> &Self {
        let mut state = self.state();
        state.faults.empty_pages = state.faults.empty_pages.saturating_add(count);
        self
    }

    /// No page holds more than `records` records, whatever the limit (as
    /// when the 10 MiB page cap cuts a page short).
    pub fn cap_page_size(&self, records: usize) -> &Self {
        self.state().faults.page_size_cap = Some(records.max(1));
        self
    }

    /// Every call takes `latency` of tokio time before it answers.
    pub fn set_latency(&self, latency: Duration) -> &Self {
        self.state().latency = latency;
        self
    }

    /// How many calls of each kind arrived.
    pub fn calls(&self) -> FakeCalls {
        let state = self.state();
        let mut counts = FakeCalls::default();
        for call in &state.calls {
            match call.operation {
                FakeOperation::ShardIterator { .. } => counts.shard_iterator += 1,
                FakeOperation::GetRecords { .. } => counts.get_records += 1,
                FakeOperation::ListShards { .. } => counts.list_shards += 1,
            }
        }
        counts
    }

    /// Every call, in arrival order.
    pub fn call_log(&self) -> Vec<FakeCall> {
        self.state().calls.clone()
    }

    /// Where each GetShardIterator call asked to start, in order.
    pub fn iterator_starts(&self) -> Vec<IteratorStart> {
        self.call_log()
            .into_iter()
            .filter_map(|call| match call.operation {
                FakeOperation::ShardIterator { start, .. } => Some(start),
                FakeOperation::GetRecords { .. } | FakeOperation::ListShards { .. } => None,
            })
            .collect()
    }

    /// The `Limit` of each GetRecords call, in order.
    pub fn get_records_limits(&self) -> Vec<u32> {
        self.call_log()
            .into_iter()
            .filter_map(|call| match call.operation {
                FakeOperation::GetRecords { limit, .. } => Some(limit),
                FakeOperation::ShardIterator { .. } | FakeOperation::ListShards { .. } => None,
            })
            .collect()
    }

    /// A poisoned lock only means another test thread panicked; the state
    /// itself is still consistent enough to report on.
    fn state(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When a call arrived; it answers after the configured latency.
    async fn arrive(&self) -> Instant {
        let at = Instant::now();
        let latency = self.state().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        at
    }

    fn check_stream(&self, stream_arn: &str) -> Result<(), ReadError> {
        if stream_arn == &*self.arn {
            Ok(())
        } else {
            Err(ReadError::NotFound(format!(
                "Stream {stream_arn} under account 123456789012 not found."
            )))
        }
    }

    fn answer_shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
        at: Instant,
    ) -> Result<String, ReadError> {
        let mut state = self.state();
        state.calls.push(FakeCall {
            at,
            operation: FakeOperation::ShardIterator {
                stream_arn: stream_arn.to_owned(),
                shard_id: shard_id.to_owned(),
                start: start.clone(),
            },
        });
        self.check_stream(stream_arn)?;
        if let Some(error) = state.faults.shard_iterator_errors.next() {
            return Err(error);
        }
        let Some(index) = state.shards.iter().position(|s| s.id == shard_id) else {
            return Err(ReadError::NotFound(format!(
                "Shard {shard_id} in stream {stream_arn} under account 123456789012 does not exist"
            )));
        };
        let shard = &state.shards[index];
        let position = match start {
            IteratorStart::At(seq) => shard.records.partition_point(|r| r.sequence_number() < seq),
            IteratorStart::After(seq) => shard
                .records
                .partition_point(|r| r.sequence_number() <= seq),
            IteratorStart::TrimHorizon => 0,
            IteratorStart::Latest => shard.records.len(),
            IteratorStart::AtTimestamp(millis) => shard.records.partition_point(|r| {
                r.approximate_arrival_millis()
                    .is_some_and(|at| at < *millis)
            }),
        };
        // DynamoDB Streams refuses a trimmed position; Kinesis starts at
        // the oldest record left.
        let by_sequence_number = matches!(start, IteratorStart::At(_) | IteratorStart::After(_));
        if T::REFUSES_TRIMMED && by_sequence_number && position < shard.trimmed {
            return Err(ReadError::Trimmed(format!(
                "TrimmedDataAccessException: position {position} of shard {shard_id} is \
                 beyond the retention period"
            )));
        }
        let position = position.max(shard.trimmed);
        state.lineages += 1;
        let lineage = state.lineages;
        Ok(state.issue(Cursor {
            shard: index,
            position,
            lineage,
            uses: 0,
        }))
    }

    fn answer_records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
        at: Instant,
    ) -> Result<RecordPage<T>, ReadError> {
        let mut state = self.state();
        state.calls.push(FakeCall {
            at,
            operation: FakeOperation::GetRecords {
                stream_arn: stream_arn.to_owned(),
                limit,
            },
        });
        self.check_stream(stream_arn)?;
        if !(1..=T::MAX_RECORDS_PER_CALL).contains(&limit) {
            return Err(ReadError::Other(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint"
            )));
        }
        if let Some(error) = state.faults.get_records_errors.next() {
            return Err(error);
        }
        let Some(mut cursor) = state.iterators.get(iterator).cloned() else {
            return Err(ReadError::Other(format!(
                "Invalid ShardIterator: {iterator}"
            )));
        };
        if state.faults.expire_after.is_some_and(|k| cursor.uses >= k) {
            return Err(ReadError::IteratorExpired);
        }
        cursor.uses += 1;
        let empty = state.faults.empty_pages > 0;
        if empty {
            state.faults.empty_pages -= 1;
        }
        let cap = state.faults.page_size_cap.unwrap_or(usize::MAX);
        let shard = &state.shards[cursor.shard];
        if T::REFUSES_TRIMMED && cursor.position < shard.trimmed {
            return Err(ReadError::Trimmed(
                "TrimmedDataAccessException: the iterator points beyond the retention period"
                    .to_owned(),
            ));
        }
        let from = cursor.position.max(shard.trimmed);
        let take = if empty {
            0
        } else {
            (limit as usize).min(cap).min(shard.records.len() - from)
        };
        let records = shard.records[from..from + take].to_vec();
        cursor.position = from + take;
        let unread = shard.records.len() - cursor.position;
        let ended = shard.closed && unread == 0;
        let next_iterator = (!ended).then(|| state.issue(cursor));
        Ok(RecordPage {
            records,
            next_iterator,
            millis_behind_latest: T::REPORTS_LAG.then_some(unread as i64 * ARRIVAL_SPACING_MILLIS),
        })
    }

    fn answer_list_shards(
        &self,
        stream_arn: &str,
        at: Instant,
    ) -> Result<Vec<ShardSummary>, ReadError> {
        let mut state = self.state();
        state.calls.push(FakeCall {
            at,
            operation: FakeOperation::ListShards {
                stream_arn: stream_arn.to_owned(),
            },
        });
        self.check_stream(stream_arn)?;
        Ok(state
            .shards
            .iter()
            .enumerate()
            .map(|(index, shard)| ShardSummary {
                shard_id: shard.id.clone(),
                parent_shard_id: shard.parent.clone(),
                adjacent_parent_shard_id: shard.adjacent_parent.clone(),
                // Above every record of the shard, as on Kinesis.
                ending_sequence_number: shard
                    .closed
                    .then(|| T::nth_sequence_number(index, shard.records.len())),
            })
            .collect())
    }
}

impl<T> State<T> {
    fn shard(&self, shard_id: &str) -> Option<&Shard<T>> {
        self.shards.iter().find(|shard| shard.id == shard_id)
    }

    fn shard_mut(&mut self, shard_id: &str) -> &mut Shard<T> {
        self.shard_entry(shard_id).1
    }

    /// The shard and its number, created if missing.
    fn shard_entry(&mut self, shard_id: &str) -> (usize, &mut Shard<T>) {
        let index = match self.shards.iter().position(|shard| shard.id == shard_id) {
            Some(index) => index,
            None => {
                self.shards.push(Shard {
                    id: shard_id.to_owned(),
                    records: Vec::new(),
                    trimmed: 0,
                    closed: false,
                    parent: None,
                    adjacent_parent: None,
                });
                self.shards.len() - 1
            }
        };
        (index, &mut self.shards[index])
    }

    /// Hands out a new opaque iterator for `cursor`.
    fn issue(&mut self, cursor: Cursor) -> String {
        self.issued_iterators += 1;
        let iterator = format!(
            "AAAAAAAAAAF{:012}{:08}",
            self.issued_iterators, cursor.lineage
        );
        self.iterators.insert(iterator.clone(), cursor);
        iterator
    }
}

impl<T: FakeRecord> ShardReader<T> for FakeStream<T> {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        let at = self.arrive().await;
        self.answer_shard_iterator(stream_arn, shard_id, start, at)
    }

    async fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage<T>, ReadError> {
        let at = self.arrive().await;
        self.answer_records(stream_arn, iterator, limit, at)
    }
}

impl<T: FakeRecord> ShardLister for FakeStream<T> {
    async fn list_shards(&self, stream_arn: &str) -> Result<Vec<ShardSummary>, ReadError> {
        let at = self.arrive().await;
        self.answer_list_shards(stream_arn, at)
    }
}

#[cfg(test)]
mod tests;
