//! The ports through which a stream is read: [`ShardReader`] reads one
//! shard, [`ShardLister`] finds the shards of a stream.
//!
//! The hydration engine and the local event source mapping only ever see
//! these types; the aws-sdk-kinesis and aws-sdk-dynamodbstreams adapters
//! convert SDK output into them, and tests use in-memory fakes.
//!
//! A reader is generic over the record it yields ([`ShardRecord`]): a
//! Kinesis [`StreamRecord`] (the default, so `ShardReader` alone means a
//! Kinesis reader) or a DynamoDB Streams
//! [`DynamoDbRecord`](crate::dynamodb::DynamoDbRecord). The engine reads
//! both with the same loop; it only needs each record's sequence number,
//! size and arrival time.

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

/// What the hydration engine needs of a record, whatever stream it came from.
pub trait ShardRecord: Clone + Send + Sync + 'static {
    /// The most records one GetRecords call may ask for: 10,000 on Kinesis,
    /// 1,000 on DynamoDB Streams (a larger `Limit` is a validation error).
    const MAX_RECORDS_PER_CALL: u32;

    /// Its place in the shard.
    fn sequence_number(&self) -> &SequenceNumber;

    /// Bytes it counts for in [`ReadStats`](crate::ReadStats) and metrics:
    /// the payload of a Kinesis record, `SizeBytes` of a DynamoDB one.
    fn size(&self) -> u64;

    /// When it reached the stream, in milliseconds since the Unix epoch.
    fn approximate_arrival_millis(&self) -> Option<i64>;
}

impl ShardRecord for StreamRecord {
    const MAX_RECORDS_PER_CALL: u32 = 10_000;

    fn sequence_number(&self) -> &SequenceNumber {
        &self.sequence_number
    }

    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn approximate_arrival_millis(&self) -> Option<i64> {
        self.approximate_arrival_millis
    }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage<T = StreamRecord> {
    pub records: Vec<T>,
    /// `None` once the shard is closed and fully read.
    pub next_iterator: Option<String>,
    /// Kinesis says how far the page is from the tip of the shard;
    /// DynamoDB Streams never does (always `None`).
    pub millis_behind_latest: Option<i64>,
}

impl<T> Default for RecordPage<T> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            next_iterator: None,
            millis_behind_latest: None,
        }
    }
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
    /// DynamoDB Streams' `TrimmedDataAccessException`: the position asked
    /// for is older than the 24-hour retention. (Kinesis answers such a
    /// request from the trim horizon instead.)
    #[error("records trimmed by retention: {0}")]
    Trimmed(String),
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

/// Reads records of type `T` from one shard of a stream, named by its ARN.
pub trait ShardReader<T: ShardRecord = StreamRecord> {
    /// GetShardIterator for `shard_id` of `stream_arn`.
    fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;

    /// GetRecords with at most `limit` records
    /// (1..=[`ShardRecord::MAX_RECORDS_PER_CALL`]).
    fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> impl Future<Output = Result<RecordPage<T>, ReadError>> + Send;
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
