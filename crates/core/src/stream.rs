//! The port through which hydration reads a shard: [`ShardReader`].
//!
//! The hydration engine only ever sees these types; the aws-sdk-kinesis
//! adapter converts SDK output into them, and tests use in-memory fakes.

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
