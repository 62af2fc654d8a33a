//! The port the ordered writer puts through: [`StreamWriter`], one
//! PutRecords call, and the per-record answer it gives.
//!
//! The aws-sdk-kinesis adapter is [`super::KinesisStreamWriter`]; tests wrap
//! it to inject partial failures.

use std::future::Future;

use super::entry::PutEntry;
use crate::stream::StreamId;

/// What Kinesis answered for one record of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryResult {
    Accepted {
        shard_id: String,
        sequence_number: String,
    },
    /// `ErrorCode` and `ErrorMessage` of the result entry.
    Failed { code: String, message: String },
}

impl EntryResult {
    /// Whether putting the same record again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Accepted { .. } => false,
            Self::Failed { code, .. } => is_retryable_code(code),
        }
    }
}

/// Whether a failed entry's `ErrorCode` may pass on a retry. Throughput and
/// internal failures pass; a KMS key that is disabled, missing or not
/// allowed fails every record until someone changes it.
pub fn is_retryable_code(code: &str) -> bool {
    matches!(
        code,
        "ProvisionedThroughputExceededException" | "InternalFailure" | "KMSThrottlingException"
    )
}

/// Why a whole PutRecords call failed (after the SDK's own retries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PutError {
    #[error("stream {stream} does not exist")]
    StreamNotFound { stream: String },
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("throughput exceeded: {0}")]
    Throttled(String),
    #[error("transient error: {0}")]
    Transient(String),
    /// The answer does not have one result per record, so what was written
    /// cannot be known.
    #[error("PutRecords answered {results} results for {records} records")]
    ResultCount { records: usize, results: usize },
    #[error("{0}")]
    Other(String),
}

impl PutError {
    /// Whether the same call may succeed later without changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled(_) | Self::Transient(_))
    }
}

/// Puts records into a stream: one PutRecords call.
pub trait StreamWriter {
    /// Puts `entries` (at most 500, at most 10 MiB) in this order and
    /// answers one [`EntryResult`] per entry, in the same order.
    fn put_records(
        &self,
        stream: &StreamId,
        entries: &[&PutEntry],
    ) -> impl Future<Output = Result<Vec<EntryResult>, PutError>> + Send;
}

impl<W: StreamWriter + Sync> StreamWriter for &W {
    fn put_records(
        &self,
        stream: &StreamId,
        entries: &[&PutEntry],
    ) -> impl Future<Output = Result<Vec<EntryResult>, PutError>> + Send {
        (**self).put_records(stream, entries)
    }
}
