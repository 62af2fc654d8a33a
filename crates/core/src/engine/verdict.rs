//! Why reading stopped, and what that makes of the records kept: the
//! [`Hydration`] status and its reason.
//!
//! The rule: `complete` only when the first record of the range was found
//! exactly at `startSequenceNumber`, the range was read to its end
//! (`endSequenceNumber` or a record after it), and at least `batchSize`
//! records were kept: then every record the failure names is there. More
//! than `batchSize` is a range wider than its batch (a ParallelizationFactor
//! above 1, event filtering): every record of it is kept and still
//! `complete`; the DLQ message flags it. A range cut short by the cap is `partial`.
//! Anything short of that says why; it is `partial` when some records of the
//! range were kept and `unavailable` when none were, so that a DLQ reader can
//! trust `partial` to carry payloads and `unavailable` to carry only the
//! failure record.

use std::fmt;

use crate::failure::BatchInfo;
use crate::hydration::{Hydration, HydrationStatus};
use crate::sequence::SequenceNumber;
use crate::stream::ReadError;

/// The stream call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetShardIterator,
    GetRecords,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GetShardIterator => "GetShardIterator",
            Self::GetRecords => "GetRecords",
        })
    }
}

/// Which cap ended the read of a range wider than its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeCap {
    /// This many records were kept ([`HydrateOptions::max_range_records`](super::HydrateOptions::max_range_records)).
    Records(u32),
    /// The next record would have passed this many payload bytes beyond
    /// the batch ([`HydrateOptions::max_range_bytes`](super::HydrateOptions::max_range_bytes)).
    Bytes(u64),
}

impl fmt::Display for RangeCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Records(records) => write!(f, "the cap of {records} records"),
            Self::Bytes(bytes) => write!(f, "the cap of {bytes} payload bytes beyond the batch"),
        }
    }
}

/// Why the engine stopped reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// `batchSize` is 0: there is nothing to read.
    EmptyBatch,
    /// The record at `endSequenceNumber` was read and kept.
    RangeEnd,
    /// A record after `endSequenceNumber` was read.
    PastEnd,
    /// The range holds more records than its `batchSize` and more than the
    /// engine keeps: reading stopped at the cap, before the range end.
    RangeCapped(RangeCap),
    /// The shard is closed and was read to its end (no next iterator).
    ShardClosed,
    /// An empty page at the tip of an open shard (`MillisBehindLatest` 0):
    /// nothing more exists, and records of the range cannot arrive later
    /// because they were written before the failure was reported.
    CaughtUp,
    /// This many empty pages in a row: no progress.
    EmptyPages(u32),
    /// This many empty pages in a row after records were read, on pages
    /// without `MillisBehindLatest` (DynamoDB Streams): the tip of an open
    /// shard, which answers empty pages forever.
    QuietTip(u32),
    /// The caller's deadline left no time for another call.
    Deadline,
    /// A call failed and retrying could not help, or retries ran out.
    ReadFailed {
        operation: Operation,
        error: ReadError,
        attempts: u32,
    },
    /// `startSequenceNumber` is after `endSequenceNumber`; nothing was read.
    ReversedRange,
}

/// Builds the hydration from the records kept and why reading stopped.
/// `first_found` is the first record read at or after the range start.
/// `trimmed_while_reading`: retention trimmed records after some were read,
/// so the range has a gap.
pub(crate) fn judge<T>(
    batch: &BatchInfo,
    records: Vec<T>,
    first_found: Option<&SequenceNumber>,
    trimmed_while_reading: bool,
    stop: &StopReason,
) -> Hydration<T> {
    let expected = batch.batch_size;
    let found = records.len();
    let start = &batch.start_sequence_number;
    let end = &batch.end_sequence_number;
    let mut reasons = Vec::new();

    // AT_SEQUENCE_NUMBER on a trimmed record starts at the trim horizon:
    // whatever comes first is then not the record that failed.
    let trimmed = first_found.filter(|first| *first > start);
    if let Some(first) = trimmed {
        let beyond = if first > end {
            format!(", after the range end {end}")
        } else {
            String::new()
        };
        reasons.push(format!(
            "range trimmed by retention: expected first sequence number {start}, found {first}{beyond}"
        ));
    }

    if trimmed_while_reading {
        reasons.push("records trimmed by retention while the range was read".to_owned());
    }

    match stop {
        StopReason::EmptyBatch => {}
        // When trimmed, the missing records are the trimmed ones: said above.
        StopReason::RangeEnd | StopReason::PastEnd if trimmed.is_some() => {}
        // The whole range was read: at least every record the batch held.
        StopReason::RangeEnd | StopReason::PastEnd if found >= expected as usize => {}
        StopReason::RangeEnd | StopReason::PastEnd => reasons.push(format!(
            "range ended at {end} after {found} of {expected} records"
        )),
        StopReason::RangeCapped(cap) => reasons.push(format!(
            "the range holds more records than its batchSize of {expected} \
             (ParallelizationFactor > 1 or event filtering): reading stopped at {cap} \
             with {found} records kept, before the range end {end}; the rest of the range \
             was not read"
        )),
        StopReason::ShardClosed => reasons.push(format!(
            "shard closed after {found} of {expected} records"
        )),
        StopReason::CaughtUp => reasons.push(format!(
            "reached the newest record of the shard after {found} of {expected} records"
        )),
        StopReason::EmptyPages(pages) => reasons.push(format!(
            "no records in {pages} consecutive pages after {found} of {expected} records"
        )),
        StopReason::QuietTip(pages) => reasons.push(format!(
            "reached the tip of the open shard after {found} of {expected} records \
             ({pages} empty pages in a row; DynamoDB Streams pages carry no \
             MillisBehindLatest to say so)"
        )),
        StopReason::Deadline => reasons.push(format!(
            "deadline reached after {found} of {expected} records"
        )),
        StopReason::ReadFailed {
            operation,
            error,
            attempts,
        } => reasons.push(format!(
            "{operation} failed after {attempts} attempt(s), {found} of {expected} records read: {error}"
        )),
        StopReason::ReversedRange => reasons.push(format!(
            "range is reversed: start {start} is after end {end}"
        )),
    }

    let status = if reasons.is_empty() {
        HydrationStatus::Complete
    } else if records.is_empty() {
        HydrationStatus::Unavailable
    } else {
        HydrationStatus::Partial
    };
    Hydration {
        status,
        expected,
        records,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    }
}
