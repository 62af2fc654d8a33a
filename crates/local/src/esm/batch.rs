//! The batch state machine: one batch of one shard, from its first
//! invocation until every record is processed or discarded. Pure and
//! synchronous: the shard poller does the I/O and feeds back what happened.
//!
//! ```text
//! loop {
//!     match batch.next_step(clock.now_millis()) {
//!         Step::Invoke { range, delay } => { sleep(delay); batch.record(&invoke(&records[range])) }
//!         Step::Discard(discard) => send the OnFailure record,
//!         Step::Done => break,
//!     }
//! }
//! ```
//!
//! AWS contract honoured here (see DESIGN.md, "ESM semantics"):
//! - The batch is a queue of *segments*; only the first is in flight
//!   (ParallelizationFactor 1) and records are finished strictly in order.
//! - Success finishes the segment. A partial failure finishes the records
//!   before the lowest failed one and keeps the rest; when that moves the
//!   checkpoint forward the retry count starts again (observed on AWS: with
//!   three retries the poison record then saw four invocations, and
//!   `approximateInvokeCount` was 4). A partial failure at the segment's first
//!   record moves nothing and counts as a retry.
//! - With `BisectBatchOnFunctionError`, a function error splits a segment of
//!   two or more records into halves, each with a fresh count: splitting does
//!   not consume the retry quota. A single record is retried as usual. With
//!   a partial response the segment is "bisected at the returned sequence
//!   number", which is the partial-failure rule above.
//! - An unreadable response fails the whole segment; it is not a function
//!   error, so it never bisects and its discard has `functionError: null`.
//! - After `MaximumRetryAttempts` retries (1 + N invocations) the segment is
//!   discarded as `RetryAttemptsExhausted`: only the records still
//!   unprocessed, never invoked again.
//! - Before every invocation, records older than `MaximumRecordAgeInSeconds`
//!   are split off the front as `RecordAgeExceeded` (their invoke count is at
//!   least 1, as AWS reports for records never invoked); the rest is still
//!   invoked. Arrival times rise along a shard, so the old records are a
//!   prefix; a record without an arrival time never expires.
//! - An invocation that never ran (throttled, endpoint down) is retried
//!   without counting, until the records expire.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

use streamdlq_core::invocation::{AnswerVerdict, FunctionAnswer, PayloadReading};
use streamdlq_core::{Backoff, SequenceNumber, ShardRecord, StreamRecord};

use super::config::EsmConfig;

/// The parts of the configuration that decide a batch's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_record_age: Option<Duration>,
    pub bisect_batch_on_function_error: bool,
    pub report_batch_item_failures: bool,
    pub retry_backoff: Backoff,
}

impl From<&EsmConfig> for RetryPolicy {
    fn from(config: &EsmConfig) -> Self {
        Self {
            maximum_retry_attempts: config.settings.maximum_retry_attempts(),
            maximum_record_age: config.settings.maximum_record_age(),
            bisect_batch_on_function_error: config.settings.bisect_batch_on_function_error(),
            report_batch_item_failures: config.settings.report_batch_item_failures(),
            retry_backoff: config.retry_backoff,
        }
    }
}

/// What the poller does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Wait `delay`, invoke the function with `records[range]`, then
    /// [`Batch::record`] what came back.
    Invoke {
        range: Range<usize>,
        delay: Duration,
    },
    /// Send these records to the OnFailure destination; they are finished.
    Discard(Discard),
    /// Every record is processed or discarded.
    Done,
}

/// Records the ESM gave up on, and why: the content of an OnFailure record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discard {
    pub condition: DiscardCondition,
    pub range: DiscardedRange,
    /// Invocations of these records since they last changed segment, at
    /// least 1.
    pub approximate_invoke_count: u32,
}

/// Why records were discarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscardCondition {
    /// `RetryAttemptsExhausted`, with the last invocation's function error:
    /// `Some("Unhandled")` when it threw, `None` for a partial failure or an
    /// unreadable response.
    RetryAttemptsExhausted { function_error: Option<String> },
    /// `RecordAgeExceeded`: no `responseContext`.
    RecordAgeExceeded,
}

/// The discarded records, as `KinesisBatchInfo` describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscardedRange {
    pub start_sequence_number: SequenceNumber,
    pub end_sequence_number: SequenceNumber,
    pub approximate_arrival_of_first_record: Option<i64>,
    pub approximate_arrival_of_last_record: Option<i64>,
    pub batch_size: u32,
}

/// What an invocation did to the batch, for logs and stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// The invoked records are all processed.
    Processed,
    /// Records before `resume_at` are processed; the rest will be retried
    /// with a fresh retry count.
    CheckpointMoved { resume_at: usize },
    /// The segment failed and will be retried (`invocations` so far).
    Retrying { invocations: u32 },
    /// A function error split the segment in two.
    Bisected {
        first: Range<usize>,
        second: Range<usize>,
    },
    /// The retries ran out: the next step discards the segment.
    Exhausted,
    /// The function did not run; retried without counting.
    NotInvoked,
    /// [`Batch::record`] was called without an invocation in flight.
    Unexpected,
}

/// A run of records of the batch, retried together.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    range: Range<usize>,
    /// Invocations of exactly this run (reset when it shrinks from the
    /// front by a partial failure, or is made by a split).
    invocations: u32,
    /// Set when the retries ran out: the function error to report.
    exhausted: Option<Option<String>>,
}

impl Segment {
    fn new(range: Range<usize>) -> Self {
        Self {
            range,
            invocations: 0,
            exhausted: None,
        }
    }
}

/// One batch of one shard in flight, of Kinesis records by default or of
/// any other [`ShardRecord`] (DynamoDB Streams records): the rules are the
/// same for both.
#[derive(Debug, Clone)]
pub struct Batch<T = StreamRecord> {
    records: Vec<T>,
    segments: VecDeque<Segment>,
    policy: RetryPolicy,
    /// The last record processed or discarded.
    checkpoint: Option<SequenceNumber>,
    /// Failed invocations in a row, for the retry delay.
    consecutive_failures: u32,
    in_flight: Option<Range<usize>>,
}

impl<T: ShardRecord> Batch<T> {
    /// A batch of `records` (in shard order) to deliver under `policy`.
    pub fn new(records: Vec<T>, policy: RetryPolicy) -> Self {
        let mut segments = VecDeque::new();
        if !records.is_empty() {
            segments.push_back(Segment::new(0..records.len()));
        }
        Self {
            records,
            segments,
            policy,
            checkpoint: None,
            consecutive_failures: 0,
            in_flight: None,
        }
    }

    /// Every record of the batch, in shard order.
    pub fn records(&self) -> &[T] {
        &self.records
    }

    /// The last record processed or discarded so far.
    pub fn checkpoint(&self) -> Option<&SequenceNumber> {
        self.checkpoint.as_ref()
    }

    /// What to do next, at wall-clock time `now_millis` (for record age).
    pub fn next_step(&mut self, now_millis: i64) -> Step {
        self.in_flight = None;
        let Some(front) = self.segments.front() else {
            return Step::Done;
        };
        let (range, invocations) = (front.range.clone(), front.invocations);
        if let Some(function_error) = front.exhausted.clone() {
            self.segments.pop_front();
            let condition = DiscardCondition::RetryAttemptsExhausted { function_error };
            return Step::Discard(self.discard(range, condition, invocations));
        }
        if let Some(expired) = self.expired_prefix(&range, now_millis) {
            if expired.end == range.end {
                self.segments.pop_front();
            } else if let Some(front) = self.segments.front_mut() {
                front.range.start = expired.end;
            }
            let condition = DiscardCondition::RecordAgeExceeded;
            return Step::Discard(self.discard(expired, condition, invocations));
        }
        self.in_flight = Some(range.clone());
        Step::Invoke {
            range,
            delay: self.retry_delay(),
        }
    }

    /// Applies the outcome of the invocation the last [`Step::Invoke`] asked for.
    /// The answer is judged by core's [`AnswerVerdict`], the reading replay
    /// shares.
    pub fn record(&mut self, answer: &FunctionAnswer) -> Reaction {
        let Some(range) = self.in_flight.take() else {
            return Reaction::Unexpected;
        };
        let policy = self.policy;
        let Some(front) = self.segments.front_mut() else {
            return Reaction::Unexpected;
        };
        let verdict = AnswerVerdict::judge(
            answer,
            self.records[range.clone()]
                .iter()
                .map(ShardRecord::sequence_number),
            PayloadReading::for_esm(policy.report_batch_item_failures),
        );
        let (function_error, bisectable) = match verdict {
            AnswerVerdict::NotInvoked(_) => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                return Reaction::NotInvoked;
            }
            AnswerVerdict::Success => {
                self.segments.pop_front();
                self.consecutive_failures = 0;
                self.checkpoint_through(range.end);
                return Reaction::Processed;
            }
            AnswerVerdict::PartialFailure { index } if index > 0 => {
                let resume_at = range.start + index;
                front.range.start = resume_at;
                front.invocations = 0;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.checkpoint_through(resume_at);
                return Reaction::CheckpointMoved { resume_at };
            }
            AnswerVerdict::PartialFailure { .. } | AnswerVerdict::BatchFailure { .. } => {
                front.invocations = front.invocations.saturating_add(1);
                (None, false)
            }
            AnswerVerdict::FunctionError(error) => {
                front.invocations = front.invocations.saturating_add(1);
                (Some(error.kind), true)
            }
        };
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let Some(front) = self.segments.front_mut() else {
            return Reaction::Unexpected;
        };
        if bisectable && policy.bisect_batch_on_function_error && front.range.len() > 1 {
            let middle = front.range.start + front.range.len().div_ceil(2);
            let first = front.range.start..middle;
            let second = middle..front.range.end;
            self.segments.pop_front();
            self.segments.push_front(Segment::new(second.clone()));
            self.segments.push_front(Segment::new(first.clone()));
            return Reaction::Bisected { first, second };
        }
        let retries_done = front.invocations.saturating_sub(1);
        if policy
            .maximum_retry_attempts
            .is_some_and(|allowed| retries_done >= allowed)
        {
            front.exhausted = Some(function_error);
            return Reaction::Exhausted;
        }
        Reaction::Retrying {
            invocations: front.invocations,
        }
    }

    /// The records at the front of `range` that are older than the maximum
    /// record age.
    fn expired_prefix(&self, range: &Range<usize>, now_millis: i64) -> Option<Range<usize>> {
        let max_age = self.policy.maximum_record_age?;
        let max_age = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_millis.saturating_sub(max_age);
        let expired = self.records[range.clone()]
            .iter()
            .take_while(|record| {
                record
                    .approximate_arrival_millis()
                    .is_some_and(|arrival| arrival < cutoff)
            })
            .count();
        (expired > 0).then(|| range.start..range.start + expired)
    }

    fn discard(
        &mut self,
        range: Range<usize>,
        condition: DiscardCondition,
        invocations: u32,
    ) -> Discard {
        self.consecutive_failures = 0;
        self.checkpoint_through(range.end);
        // Segments and expired prefixes are never empty.
        let (first, last) = (&self.records[range.start], &self.records[range.end - 1]);
        Discard {
            condition,
            range: DiscardedRange {
                start_sequence_number: first.sequence_number().clone(),
                end_sequence_number: last.sequence_number().clone(),
                approximate_arrival_of_first_record: first.approximate_arrival_millis(),
                approximate_arrival_of_last_record: last.approximate_arrival_millis(),
                batch_size: u32::try_from(range.len()).unwrap_or(u32::MAX),
            },
            approximate_invoke_count: invocations.max(1),
        }
    }

    /// Every record before `end` is finished.
    fn checkpoint_through(&mut self, end: usize) {
        if let Some(last) = end.checked_sub(1).and_then(|i| self.records.get(i)) {
            self.checkpoint = Some(last.sequence_number().clone());
        }
    }

    fn retry_delay(&self) -> Duration {
        match self.consecutive_failures {
            0 => Duration::ZERO,
            failures => self.policy.retry_backoff.ceiling(failures - 1),
        }
    }
}

#[cfg(test)]
mod tests;
