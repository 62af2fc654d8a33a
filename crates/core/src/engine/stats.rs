//! What one hydration cost in stream calls and bytes: for logs, metrics and
//! the benchmark (goal: a 10,000-record range in at most two GetRecords).

/// Counters of one hydration. Calls count what the engine issued; retries
/// the SDK made inside one call are not visible here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// GetShardIterator calls, the first one and every refresh or retry.
    pub shard_iterator_calls: u32,
    /// GetRecords calls, failed ones included.
    pub get_records_calls: u32,
    /// Calls that failed with throughput exceeded after the SDK's retries.
    pub throttles: u32,
    /// Calls that failed with another retryable error after the SDK's retries.
    pub transient_errors: u32,
    /// New iterators taken because the previous one expired.
    pub iterator_refreshes: u32,
    /// Positions refused as trimmed by retention (DynamoDB Streams'
    /// `TrimmedDataAccessException`), read from the trim horizon instead.
    pub trimmed_starts: u32,
    /// GetRecords answers with no records.
    pub empty_pages: u32,
    /// Records returned by GetRecords, including those outside the range.
    pub records_read: u64,
    /// Payload bytes of those records.
    pub bytes_read: u64,
}
