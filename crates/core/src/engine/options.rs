//! How hard and how fast the hydration engine reads a shard.

use std::time::Duration;

use super::backoff::Backoff;

/// GetRecords returns at most 10,000 records a call (and at most 10 MiB).
pub const GET_RECORDS_MAX_LIMIT: u32 = 10_000;

/// DynamoDB Streams GetRecords returns at most 1,000 records (and 1 MB).
pub const DYNAMODB_GET_RECORDS_MAX_LIMIT: u32 = 1_000;

/// The most records one range is read to when it holds more than its
/// `batchSize` ([`HydrateOptions::max_range_records`]): `ParallelizationFactor`
/// is at most 10 and `BatchSize` at most 10,000, so a range a shard's split
/// batches interleave in holds about 100,000 records at most. Only event
/// filtering can thin a batch out further.
pub const MAX_RANGE_RECORDS: u32 = 100_000;

/// The most payload bytes kept beyond the first `batchSize` records
/// ([`HydrateOptions::max_range_bytes`]): the function holds a range in
/// memory while it writes it, and the demo stack gives it 256 MB, so a
/// quarter of that leaves room for the message bodies and the runtime.
pub const MAX_RANGE_BYTES: u64 = 64 * 1024 * 1024;

/// Tuning of one hydration. `Default` is right for Kinesis Data Streams;
/// [`HydrateOptions::dynamodb_streams`] for DynamoDB Streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrateOptions {
    /// Upper bound of the `Limit` asked in one GetRecords call; clamped to
    /// 1..=the record type's maximum (10,000 on Kinesis, 1,000 on DynamoDB
    /// Streams), the range the service accepts.
    pub max_records_per_call: u32,
    /// How many times one call is tried (the first try included) when it
    /// keeps failing with a retryable error *after* the SDK's own retries.
    /// Also bounds how many times in a row an iterator may expire without a
    /// page read in between.
    pub max_attempts: u32,
    /// Delay between those outer attempts (full jitter).
    pub backoff: Backoff,
    /// Shortest time between two GetRecords calls on the shard. Kinesis
    /// allows 5 calls/s per shard, shared with the event source mapping that
    /// reads the same shard: 200 ms keeps hydration within that budget
    /// instead of spinning on empty pages.
    pub min_call_interval: Duration,
    /// Empty pages in a row (each with a next iterator) after which reading
    /// stops: Kinesis may return a few before data, never endlessly for a
    /// range that still exists.
    pub max_empty_pages: u32,
    /// Empty pages in a row, once a record was read, that end the read when
    /// pages carry no `MillisBehindLatest` (DynamoDB Streams). An open shard
    /// answers empty pages forever at its tip; the range's records were
    /// written before the failure was reported, so after the range has
    /// begun a short run of empty pages means nothing more of it exists.
    pub quiet_tip_pages: u32,
    /// Records kept at most when the range holds more than `batchSize`
    /// (ParallelizationFactor > 1, event filtering); never fewer than
    /// `batchSize`. Reaching it ends the read with
    /// [`StopReason::RangeCapped`](super::StopReason::RangeCapped).
    pub max_range_records: u32,
    /// Payload bytes kept at most beyond the first `batchSize` records of
    /// such a range: what the function's memory allows while it writes.
    pub max_range_bytes: u64,
}

impl Default for HydrateOptions {
    fn default() -> Self {
        Self {
            max_records_per_call: GET_RECORDS_MAX_LIMIT,
            max_attempts: 6,
            backoff: Backoff::default(),
            min_call_interval: Duration::from_millis(200),
            max_empty_pages: 50,
            quiet_tip_pages: 3,
            max_range_records: MAX_RANGE_RECORDS,
            max_range_bytes: MAX_RANGE_BYTES,
        }
    }
}

impl HydrateOptions {
    /// The tuning for DynamoDB Streams: pages of at most 1,000 records (the
    /// service's `Limit` maximum); the rest as for Kinesis.
    pub fn dynamodb_streams() -> Self {
        Self {
            max_records_per_call: DYNAMODB_GET_RECORDS_MAX_LIMIT,
            ..Self::default()
        }
    }

    /// The GetRecords `Limit` for a call that still needs `remaining`
    /// records, from a service that accepts at most `max` a call.
    pub(crate) fn limit_for(&self, remaining: u32, max: u32) -> u32 {
        remaining
            .min(self.max_records_per_call)
            .clamp(1, max.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GetRecords never gets a limit outside 1..=10,000, whatever was asked.
    #[test]
    fn limits_each_call_to_what_kinesis_accepts() {
        let options = HydrateOptions::default();
        assert_eq!(options.limit_for(3, GET_RECORDS_MAX_LIMIT), 3);
        assert_eq!(options.limit_for(25_000, GET_RECORDS_MAX_LIMIT), 10_000);
        let wild = HydrateOptions {
            max_records_per_call: 0,
            ..HydrateOptions::default()
        };
        assert_eq!(wild.limit_for(5, GET_RECORDS_MAX_LIMIT), 1);
        let large = HydrateOptions {
            max_records_per_call: 50_000,
            ..HydrateOptions::default()
        };
        assert_eq!(large.limit_for(20_000, GET_RECORDS_MAX_LIMIT), 10_000);
    }

    /// DynamoDB Streams calls never ask for more than 1,000 records, even
    /// with Kinesis tuning.
    #[test]
    fn limits_dynamodb_calls_to_one_thousand_records() {
        let max = DYNAMODB_GET_RECORDS_MAX_LIMIT;
        assert_eq!(HydrateOptions::default().limit_for(10_000, max), 1_000);
        assert_eq!(HydrateOptions::dynamodb_streams().limit_for(999, max), 999);
    }
}
