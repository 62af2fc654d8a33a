//! The ports through which a stream is read: [`ShardReader`] reads one
//! shard, [`ShardLister`] finds the shards of a stream.
//!
//! The hydration engine and the local event source mapping only ever see
//! these types; the aws-sdk-kinesis adapter converts SDK output into them,
//! and tests use in-memory fakes.

use std::future::Future;

use crate::sequence::SequenceNumber;

/// One record as read back from a shard: everything needed to replay it in
/// order, with its bytes exactly as they were put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    pub sequence_number: SequenceNumber,
    pub partition_key: String,
    /// `ApproximateArrivalTimestamp` in milliseconds since the Unix epoch.
    pub approximate_arrival_millis: Option<i64>,
    pub data: Vec<u8>,
}

/// Where a new shard iterator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IteratorStart {
    /// `AT_SEQUENCE_NUMBER`: the first read of a range.
    At(SequenceNumber),
    /// `AFTER_SEQUENCE_NUMBER`: resuming after the last record read, e.g.
    /// when an iterator expired (they live five minutes).
    After(SequenceNumber),
    /// `TRIM_HORIZON`: the oldest record the shard still holds.
    TrimHorizon,
    /// `LATEST`: just after the newest record, so only records put later.
    Latest,
    /// `AT_TIMESTAMP`: the first record that arrived at or after this time,
    /// in milliseconds since the Unix epoch.
    AtTimestamp(i64),
}

/// One GetRecords answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordPage {
    pub records: Vec<StreamRecord>,
    /// `None` once the shard is closed and fully read.
    pub next_iterator: Option<String>,
    pub millis_behind_latest: Option<i64>,
}

/// Why a shard could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Throughput exceeded (GetRecords allows 5 calls/s and 2 MiB/s per shard).
    #[error("read throughput exceeded: {0}")]
    Throttled(String),
    /// The shard iterator is older than five minutes.
    #[error("shard iterator expired")]
    IteratorExpired,
    /// The stream or shard does not exist (or no longer holds the range).
    #[error("stream or shard not found: {0}")]
    NotFound(String),
    /// The caller may not read this stream.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A network or service fault that may pass.
    #[error("transient read error: {0}")]
    Transient(String),
    /// Anything else: not worth retrying.
    #[error("read failed: {0}")]
    Other(String),
}

impl ReadError {
    /// Whether the same call may succeed later without changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled(_) | Self::Transient(_))
    }
}

/// Reads records from one shard of a stream, named by its ARN.
pub trait ShardReader {
    /// GetShardIterator for `shard_id` of `stream_arn`.
    fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;

    /// GetRecords with at most `limit` records (1..=10,000).
    fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> impl Future<Output = Result<RecordPage, ReadError>> + Send;
}

/// One shard as ListShards describes it: enough to read shards in the order
/// resharding requires (parents before their children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSummary {
    pub shard_id: String,
    /// The shard this one was split from, or one of the two it merged from.
    pub parent_shard_id: Option<String>,
    /// The other shard of a merge.
    pub adjacent_parent_shard_id: Option<String>,
    /// Set once the shard is closed: no record will be added after it.
    pub ending_sequence_number: Option<SequenceNumber>,
}

impl ShardSummary {
    /// An open shard without parents, as a new stream has.
    pub fn open(shard_id: impl Into<String>) -> Self {
        Self {
            shard_id: shard_id.into(),
            parent_shard_id: None,
            adjacent_parent_shard_id: None,
            ending_sequence_number: None,
        }
    }

    /// Whether resharding closed the shard.
    pub fn is_closed(&self) -> bool {
        self.ending_sequence_number.is_some()
    }

    /// The shards whose records come before this shard's, in the order
    /// given (parent, then adjacent parent).
    pub fn parents(&self) -> impl Iterator<Item = &str> {
        self.parent_shard_id
            .iter()
            .chain(&self.adjacent_parent_shard_id)
            .map(String::as_str)
    }
}

/// Lists the shards of a stream, named by its ARN.
pub trait ShardLister {
    /// ListShards for `stream_arn`, every page: open and closed shards still
    /// within the retention period.
    fn list_shards(
        &self,
        stream_arn: &str,
    ) -> impl Future<Output = Result<Vec<ShardSummary>, ReadError>> + Send;
}
