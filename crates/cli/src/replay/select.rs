//! Which hydrated failures a replay takes, in which order, and why the
//! others are left in the queue.

use std::collections::BTreeMap;
use std::fmt;

use streamdlq_core::{HydrationStatus, StreamSource};

use crate::queue::{DlqInventory, FailureEntry, FailureFilter};

/// What to replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectOptions {
    /// Which failures: status, stream, shard, id. Of those, replay takes
    /// `complete` failures, and `partial` ones with `include_partial`.
    pub filter: FailureFilter,
    pub include_partial: bool,
    /// Replay at most this many failures (the earliest of each shard first).
    pub max: Option<usize>,
    /// The records go back to the stream they came from, so that stream
    /// must be a Kinesis stream.
    pub to_origin_stream: bool,
    /// The records go into a stream (theirs or `--to-stream`), not a
    /// function: DynamoDB table stream records cannot.
    pub to_stream: bool,
}

/// Why a failure is not replayed; its messages stay in the queue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// `partial`, without `--include-partial`.
    Partial,
    /// `unavailable`, `rejected` or `unparseable`: no records to replay.
    Status(&'static str),
    NoRecords,
    /// A DynamoDB table stream cannot take PutRecords, and its records
    /// are not Kinesis records.
    DynamoDb,
    FilteredOut,
    /// Beyond `--max`.
    OverMax,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Partial => f.write_str("partial (pass --include-partial to replay them)"),
            Self::Status(status) => write!(f, "{status} (no records to replay)"),
            Self::NoRecords => f.write_str("without records"),
            Self::DynamoDb => f.write_str(DYNAMODB_TO_STREAM),
            Self::FilteredOut => f.write_str("filtered out"),
            Self::OverMax => f.write_str("beyond --max"),
        }
    }
}

/// Why DynamoDB Streams failures are not replayed into a stream, and what
/// to do instead.
pub const DYNAMODB_TO_STREAM: &str = "from DynamoDB table streams: a table is not a \
     stream, so their records cannot be put into one; replay them into their \
     consumer with --to-function, which rebuilds the DynamoDB Streams event";

/// The failures to replay, in replay order, and the ones left.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// Sorted by stream, shard and start sequence number: each shard's
    /// failures go back in the order they happened.
    pub chosen: Vec<&'a FailureEntry>,
    pub skipped: Vec<(&'a FailureEntry, SkipReason)>,
}

impl Selection<'_> {
    /// Skipped failures per reason, for the summary.
    pub fn skip_counts(&self) -> BTreeMap<SkipReason, usize> {
        let mut counts = BTreeMap::new();
        for (_, reason) in &self.skipped {
            *counts.entry(reason.clone()).or_default() += 1;
        }
        counts
    }

    pub fn records(&self) -> usize {
        self.chosen
            .iter()
            .map(|failure| failure.hydrated.record_count())
            .sum()
    }
}

/// Picks the failures to replay.
pub fn select<'a>(inventory: &'a DlqInventory, options: &SelectOptions) -> Selection<'a> {
    let mut selection = Selection::default();
    for failure in &inventory.failures {
        match skip_reason(failure, options) {
            Some(reason) => selection.skipped.push((failure, reason)),
            None => selection.chosen.push(failure),
        }
    }
    selection.chosen.sort_by(|a, b| {
        (a.stream_arn(), a.shard_id(), a.start_sequence_number()).cmp(&(
            b.stream_arn(),
            b.shard_id(),
            b.start_sequence_number(),
        ))
    });
    if let Some(max) = options.max
        && selection.chosen.len() > max
    {
        let over = selection.chosen.split_off(max);
        selection.skipped.extend(
            over.into_iter()
                .map(|failure| (failure, SkipReason::OverMax)),
        );
    }
    selection
}

fn skip_reason(failure: &FailureEntry, options: &SelectOptions) -> Option<SkipReason> {
    if !options.filter.matches(failure) {
        return Some(SkipReason::FilteredOut);
    }
    match failure.status() {
        HydrationStatus::Complete => {}
        HydrationStatus::Partial if options.include_partial => {}
        HydrationStatus::Partial => return Some(SkipReason::Partial),
        other => return Some(SkipReason::Status(other.as_str())),
    }
    if failure.hydrated.record_count() == 0 {
        return Some(SkipReason::NoRecords);
    }
    let from_dynamodb = !failure.hydrated.dynamodb_records.is_empty()
        || failure
            .record
            .as_ref()
            .is_some_and(|record| record.source == StreamSource::DynamoDb);
    if (options.to_stream && from_dynamodb)
        || (options.to_origin_stream && failure.record.is_none())
    {
        return Some(SkipReason::DynamoDb);
    }
    None
}
